/* SPDX-License-Identifier: MIT */
/*
 * The UDP probe: a datagram carrying the port's service payload (or the
 * user's); a reply is open, ICMP port unreachable closed, other ICMP
 * unreachables filtered, silence open|filtered (reported by the engine).
 */
#include <string.h>
#include <netinet/in.h>

#include "l3.h"
#include "payloads.h"
#include "../core/cookie.h"
#include "../net/checksum.h"

#define UDP_HLEN 8
#define TFTP_PORT 69

static size_t udp_prepare(const struct probe_ctx *c, bool v6, uint8_t *buf, size_t cap)
{
	size_t ip_len = v6 ? 40 : 20;

	if (cap < L3_OFF + ip_len + UDP_HLEN + UDP_PAYLOAD_MAX)
		return 0;
	return probe_write_l3(c, v6, IPPROTO_UDP, UDP_HLEN, buf, L3_OFF + ip_len + UDP_HLEN) +
	       UDP_HLEN;
}

/*
 * Everything after the constant part: the payload (the user's for the
 * port, else the table's with the cookie written in, else none), the
 * lengths, the UDP header and both checksums.
 */
static size_t udp_make(const struct probe_ctx *c, uint8_t *buf, u128 dst, uint16_t dport,
		       uint32_t now_us, uint64_t ck)
{
	bool v6 = !addr_is_v4(dst);
	u128 src = v6 ? c->src6 : c->src4;
	uint8_t *ip = buf + L3_OFF;
	uint8_t *udp = ip + (v6 ? 40 : 20);
	const struct udp_user_payload *up = udp_user_find(c->udp_user, dport);
	size_t plen;
	uint16_t ulen, sum;

	(void)now_us;
	if (up) {
		if (up->len)
			memcpy(udp + UDP_HLEN, up->data, up->len);
		plen = up->len;
	} else {
		plen = udp_payload_build(udp_payload_for(dport), ck, udp + UDP_HLEN, UDP_PAYLOAD_MAX);
	}
	ulen = (uint16_t)(UDP_HLEN + plen);
	probe_set_l3(buf, dst, (uint16_t)(ck >> 48), ulen);
	be16_store(udp, cookie_sport(ck));
	be16_store(udp + 2, dport);
	be16_store(udp + 4, ulen);
	be16_store(udp + 6, 0);
	sum = csum_finish(csum_add(csum_pseudo(src, dst, IPPROTO_UDP, ulen), udp, ulen));
	be16_store(udp + 6, sum ? sum : 0xffff); /* RFC 768: zero means none */
	return (size_t)(udp + ulen - buf);
}

/*
 * A UDP reply to our source port. 1 with f's state and service (and what
 * else the payload's protocol tells), -1 when the ports or the payload's
 * cookie field do not match a probe of ours. The payload is parsed once.
 */
static int udp_reply(const struct probe_ctx *c, const struct pkt *p, struct finding *f)
{
	const struct pkt_l4 *l4 = &p->l4;
	const struct udp_payload *e = NULL;
	uint16_t port = l4->sport;
	uint64_t ck = cookie_of(&c->ck, l4->dst, l4->src, port, FP_PROTO_UDP);
	bool moved = l4->dport != cookie_sport(ck);
	int r = 0;

	if (moved) {
		/* A TFTP server answers from a new port (RFC 1350 4): only a
		 * reply that parses as TFTP is taken for one to port 69. */
		port = TFTP_PORT;
		ck = cookie_of(&c->ck, l4->dst, l4->src, port, FP_PROTO_UDP);
		if (l4->dport != cookie_sport(ck))
			return -1;
	}
	if (!udp_user_find(c->udp_user, port))
		e = udp_payload_for(port);
	f->service = NULL;
	f->quic_versions = NULL;
	f->n_quic_versions = 0;
	f->product = f->version = NULL;
	f->product_len = f->version_len = 0;
	if (e)
		r = udp_payload_reply(e, p->payload, p->payload_len, ck, f);
	if (r < 0 || (moved && r == 0))
		return -1;
	f->addr = l4->src;
	f->port = port;
	f->state = FP_STATE_OPEN;
	f->reason = "udp-reply";
	return 1;
}

static int udp_classify(const struct probe_ctx *c, const struct pkt *p, uint32_t now_us,
			struct finding *f)
{
	bool icmp = p->l4.proto == IPPROTO_ICMP || p->l4.proto == IPPROTO_ICMPV6;

	(void)now_us;
	if (p->l4.proto == IPPROTO_UDP) {
		if ((uint16_t)(p->l4.dport - COOKIE_SPORT_BASE) >= 0x4000)
			return 0;
		if (udp_reply(c, p, f) < 0)
			return -1;
	} else if (icmp && p->has_inner && p->inner.proto == IPPROTO_UDP) {
		const struct pkt_l4 *in = &p->inner;
		bool v6 = p->l4.proto == IPPROTO_ICMPV6;
		uint64_t ck;

		if ((uint16_t)(in->sport - COOKIE_SPORT_BASE) >= 0x4000)
			return 0;
		if ((!v6 && p->icmp_type != 3) || (v6 && p->icmp_type != 1))
			return -1;
		ck = cookie_of(&c->ck, in->src, in->dst, in->dport, FP_PROTO_UDP);
		if (in->sport != cookie_sport(ck))
			return -1;
		f->addr = in->dst;
		f->port = in->dport;
		f->state = p->icmp_code == (v6 ? 4 : 3) ? FP_STATE_CLOSED : FP_STATE_FILTERED;
		f->reason = probe_icmp_reason(v6, p->icmp_type, p->icmp_code);
		f->service = NULL;
		f->quic_versions = NULL;
		f->n_quic_versions = 0;
		f->product = f->version = NULL;
		f->product_len = f->version_len = 0;
	} else {
		return 0;
	}
	f->proto = FP_PROTO_UDP;
	f->ttl = p->ttl;
	f->rtt_us = -1;
	return 1;
}

const struct probe probe_udp = {
	.name = "udp",
	.proto = FP_PROTO_UDP,
	.prepare = udp_prepare,
	.make = udp_make,
	.classify = udp_classify,
};
