/* SPDX-License-Identifier: MIT */
/* The probes' shared Ethernet and IP header writers, and ICMP reason names. */
#include <string.h>

#include "l3.h"
#include "../net/checksum.h"

size_t probe_write_l3(const struct probe_ctx *c, bool v6, uint8_t proto, uint16_t l4len,
		      uint8_t *buf, size_t len)
{
	memset(buf, 0, len);
	pkt_write_eth(buf, c->dst_mac, c->src_mac, v6 ? 0x86dd : 0x0800);
	if (v6)
		return L3_OFF + pkt_write_ipv6(buf + L3_OFF, c->src6, 0, proto, l4len, 64);
	return L3_OFF + pkt_write_ipv4(buf + L3_OFF, addr_v4(c->src4), 0, proto, l4len, 0, 64);
}

size_t probe_set_l3(uint8_t *buf, u128 dst, uint16_t ip_id, uint16_t l4len)
{
	uint8_t *ip = buf + L3_OFF;
	uint32_t d = addr_v4(dst), sum;

	if (!addr_is_v4(dst)) {
		if (l4len)
			be16_store(ip + 4, l4len);
		addr_to_bytes(dst, ip + 24);
		return L3_OFF + 40;
	}
	if (l4len)
		be16_store(ip + 2, (uint16_t)(20 + l4len));
	be16_store(ip + 4, ip_id);
	be32_store(ip + 16, d);
	/* pkt_write_ipv4's header: version/IHL, TOS 0, no fragment fields;
	 * the length, TTL/protocol and source as the template holds them. */
	sum = 0x4500u + be16_load(ip + 2) + be16_load(ip + 8) + be16_load(ip + 12) +
	      be16_load(ip + 14) + ip_id + (d >> 16) + (d & 0xffff);
	be16_store(ip + 10, csum_finish(sum));
	return L3_OFF + 20;
}

const char *probe_icmp_reason(bool v6, uint8_t type, uint8_t code)
{
	if (!v6) {
		if (type != 3)
			return "icmp-other";
		switch (code) {
		case 0: return "icmp-net-unreachable";
		case 1: return "icmp-host-unreachable";
		case 2: return "icmp-proto-unreachable";
		case 3: return "icmp-port-unreachable";
		case 9: return "icmp-net-prohibited";
		case 10: return "icmp-host-prohibited";
		case 13: return "icmp-admin-prohibited";
		default: return "icmp-unreachable";
		}
	}
	if (type != 1)
		return "icmp6-other";
	switch (code) {
	case 0: return "icmp6-no-route";
	case 1: return "icmp6-admin-prohibited";
	case 3: return "icmp6-addr-unreachable";
	case 4: return "icmp6-port-unreachable";
	case 5: case 6: return "icmp6-reject-route";
	default: return "icmp6-unreachable";
	}
}
