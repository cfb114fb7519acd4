/* SPDX-License-Identifier: MIT */
/* Bounds-checked parsers and header writers for Ethernet, IPv4, IPv6, TCP, UDP, ICMP and ICMPv6. */
#include <string.h>
#include <netinet/in.h>

#include "packet.h"
#include "checksum.h"

#define ETHERTYPE_IPV4_	0x0800
#define ETHERTYPE_IPV6_	0x86dd
#define ETHERTYPE_VLAN_	0x8100	/* 802.1Q */
#define ETHERTYPE_QINQ_	0x88a8	/* 802.1ad */
#define PKT_MAX_VLAN	2
#define PKT_MAX_EXTHDR	8

#define IPV4_HLEN	20
#define IPV6_HLEN	40
#define TCP_HLEN	20
#define UDP_HLEN	8
#define ICMP_HLEN	8

#define TCPOPT_EOL_	0
#define TCPOPT_NOP_	1
#define TCPOPT_TS_	8
#define TCPOPT_TS_LEN	10

/* Bytes of a quoted TCP header that hold the ack number and flags. */
#define TCP_QUOTE_ACK	14

static u128 addr_from_v4_bytes(const uint8_t *p)
{
	return addr_from_v4(be32_load(p));
}

int pkt_tcp_options(const uint8_t *opt, size_t len, struct pkt *out)
{
	size_t i = 0, olen;

	out->has_ts = false;
	out->tsval = out->tsecr = 0;
	while (i < len) {
		if (opt[i] == TCPOPT_EOL_)
			break;
		if (opt[i] == TCPOPT_NOP_) {
			i++;
			continue;
		}
		if (len - i < 2)
			return PKT_EBADHDR;
		olen = opt[i + 1];
		if (olen < 2 || olen > len - i)
			return PKT_EBADHDR;
		/* A timestamp option of another length is ignored, as Linux does. */
		if (opt[i] == TCPOPT_TS_ && olen == TCPOPT_TS_LEN) {
			out->has_ts = true;
			out->tsval = be32_load(opt + i + 2);
			out->tsecr = be32_load(opt + i + 6);
		}
		i += olen;
	}
	return PKT_OK;
}

/*
 * The transport header of a reply. more_frags is set for a first fragment:
 * a UDP length then counts bytes that are not here, so the payload is cut
 * to what is.
 */
static int parse_tcp(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t doff;
	int err;

	if (len < TCP_HLEN)
		return PKT_ETRUNC;
	doff = (size_t)(p[12] >> 4) * 4;
	if (doff < TCP_HLEN)
		return PKT_EBADHDR;
	if (doff > len)
		return PKT_ETRUNC;
	out->l4.sport = be16_load(p);
	out->l4.dport = be16_load(p + 2);
	out->l4.seq = be32_load(p + 4);
	out->l4.ack = be32_load(p + 8);
	out->l4.flags = p[13];
	out->l4.has_ack = true;
	err = pkt_tcp_options(p + TCP_HLEN, doff - TCP_HLEN, out);
	if (err)
		return err;
	out->payload = p + doff;
	out->payload_len = len - doff;
	return PKT_OK;
}

static int parse_udp(const uint8_t *p, size_t len, bool more_frags, struct pkt *out)
{
	size_t ulen;

	if (len < UDP_HLEN)
		return PKT_ETRUNC;
	ulen = be16_load(p + 4);
	if (ulen < UDP_HLEN)
		return PKT_EBADHDR;
	if (ulen > len) {
		if (!more_frags)
			return PKT_ETRUNC;
		ulen = len;
	}
	out->l4.sport = be16_load(p);
	out->l4.dport = be16_load(p + 2);
	out->payload = p + UDP_HLEN;
	out->payload_len = ulen - UDP_HLEN;
	return PKT_OK;
}

/*
 * The first bytes of the transport header quoted in an ICMP error. Only the
 * first 8 are promised (RFC 792), so ack and flags are taken when present.
 * Protocols without ports are accepted with addresses and protocol alone.
 */
static int parse_inner_l4(const uint8_t *p, size_t len, struct pkt_l4 *in)
{
	switch (in->proto) {
	case IPPROTO_TCP:
		if (len < 8)
			return PKT_ETRUNC;
		in->sport = be16_load(p);
		in->dport = be16_load(p + 2);
		in->seq = be32_load(p + 4);
		if (len >= TCP_QUOTE_ACK) {
			in->ack = be32_load(p + 8);
			in->flags = p[13];
			in->has_ack = true;
		}
		return PKT_OK;
	case IPPROTO_UDP:
		if (len < 8)
			return PKT_ETRUNC;
		in->sport = be16_load(p);
		in->dport = be16_load(p + 2);
		return PKT_OK;
	default:
		return PKT_OK;
	}
}

/*
 * Walks IPv6 extension headers from *off (just past the fixed header) up to
 * end. On success *next is the upper-layer protocol at *off, and *more_frags
 * says whether a fragment header with M set (and offset 0) was crossed.
 */
static int skip_ipv6_ext(const uint8_t *p, size_t end, size_t *off, uint8_t *next,
			 bool *more_frags)
{
	uint8_t nh = *next;
	size_t o = *off, hlen;
	int n = 0;

	for (;;) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
			/* RFC 8200 4.3: only directly after the fixed header. */
			if (n != 0)
				return PKT_EBADHDR;
			/* fallthrough */
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (end - o < 8)
				return PKT_ETRUNC;
			hlen = ((size_t)p[o + 1] + 1) * 8;
			break;
		case IPPROTO_FRAGMENT:
			if (end - o < 8)
				return PKT_ETRUNC;
			if (be16_load(p + o + 2) >> 3)
				return PKT_EFRAG;
			if (p[o + 3] & 1)
				*more_frags = true;
			hlen = 8;
			break;
		case IPPROTO_AH:
			if (end - o < 8)
				return PKT_ETRUNC;
			hlen = ((size_t)p[o + 1] + 2) * 4;
			break;
		case IPPROTO_ESP:
		case IPPROTO_NONE:
			return PKT_EPROTO;
		default:
			*off = o;
			*next = nh;
			return PKT_OK;
		}
		if (++n > PKT_MAX_EXTHDR)
			return PKT_EPROTO;
		if (hlen > end - o)
			return PKT_ETRUNC;
		nh = p[o];
		o += hlen;
	}
}

/*
 * The IP packet quoted in an ICMP error, of which len bytes are present. The
 * quoted length field may exceed them (the quote is cut); when it is
 * smaller, it ends the packet (anything after is an RFC 4884 extension).
 */
static int parse_inner_ipv4(const uint8_t *p, size_t len, struct pkt_l4 *in)
{
	size_t hlen, end;

	if (len < IPV4_HLEN)
		return PKT_ETRUNC;
	if (p[0] >> 4 != 4)
		return PKT_EBADHDR;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	if (hlen < IPV4_HLEN)
		return PKT_EBADHDR;
	end = be16_load(p + 2);
	if (end < hlen)
		return PKT_EBADHDR;
	if (end > len)
		end = len;
	if (hlen > end)
		return PKT_ETRUNC;
	if (be16_load(p + 6) & 0x1fff)
		return PKT_EFRAG;
	in->proto = p[9];
	in->src = addr_from_v4_bytes(p + 12);
	in->dst = addr_from_v4_bytes(p + 16);
	return parse_inner_l4(p + hlen, end - hlen, in);
}

static int parse_inner_ipv6(const uint8_t *p, size_t len, struct pkt_l4 *in)
{
	size_t end, off = IPV6_HLEN;
	uint8_t next;
	bool mf = false;
	int err;

	if (len < IPV6_HLEN)
		return PKT_ETRUNC;
	if (p[0] >> 4 != 6)
		return PKT_EBADHDR;
	end = IPV6_HLEN + (size_t)be16_load(p + 4);
	if (end > len)
		end = len;
	next = p[6];
	err = skip_ipv6_ext(p, end, &off, &next, &mf);
	if (err)
		return err;
	in->proto = next;
	in->src = addr_from_bytes(p + 8);
	in->dst = addr_from_bytes(p + 24);
	return parse_inner_l4(p + off, end - off, in);
}

/*
 * ICMP and ICMPv6 messages. Errors carry the packet that caused them; when
 * that quote does not parse, the message itself still does (has_inner false).
 */
static int parse_icmp(const uint8_t *p, size_t len, bool v6, struct pkt *out)
{
	bool is_err;
	int err;

	if (len < ICMP_HLEN)
		return PKT_ETRUNC;
	out->icmp_type = p[0];
	out->icmp_code = p[1];
	out->payload = p + ICMP_HLEN;
	out->payload_len = len - ICMP_HLEN;
	if (v6)
		is_err = p[0] >= 1 && p[0] <= 4;
	else
		is_err = p[0] == 3 || p[0] == 11 || p[0] == 12;
	if (!is_err)
		return PKT_OK;
	if (v6)
		err = parse_inner_ipv6(p + ICMP_HLEN, len - ICMP_HLEN, &out->inner);
	else
		err = parse_inner_ipv4(p + ICMP_HLEN, len - ICMP_HLEN, &out->inner);
	if (err)
		memset(&out->inner, 0, sizeof(out->inner));
	else
		out->has_inner = true;
	return PKT_OK;
}

static int parse_l4(const uint8_t *p, size_t len, bool v6, bool more_frags, struct pkt *out)
{
	switch (out->l4.proto) {
	case IPPROTO_TCP:
		return parse_tcp(p, len, out);
	case IPPROTO_UDP:
		return parse_udp(p, len, more_frags, out);
	case IPPROTO_ICMP:
		if (v6)
			return PKT_EPROTO;
		return parse_icmp(p, len, false, out);
	case IPPROTO_ICMPV6:
		if (!v6)
			return PKT_EPROTO;
		return parse_icmp(p, len, true, out);
	default:
		return PKT_EPROTO;
	}
}

/* The total length ends the packet: Ethernet padding after it is ignored. */
static int parse_ipv4(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t hlen, tot;
	uint16_t frag;

	if (len < IPV4_HLEN)
		return PKT_ETRUNC;
	if (p[0] >> 4 != 4)
		return PKT_EBADHDR;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	if (hlen < IPV4_HLEN)
		return PKT_EBADHDR;
	tot = be16_load(p + 2);
	if (tot < hlen)
		return PKT_EBADHDR;
	if (tot > len)
		return PKT_ETRUNC;
	frag = be16_load(p + 6);
	if (frag & 0x1fff)
		return PKT_EFRAG;
	out->ttl = p[8];
	out->l4.proto = p[9];
	out->l4.src = addr_from_v4_bytes(p + 12);
	out->l4.dst = addr_from_v4_bytes(p + 16);
	return parse_l4(p + hlen, tot - hlen, false, frag & 0x2000, out);
}

/* Jumbograms (payload length 0 with a hop-by-hop option) are not supported. */
static int parse_ipv6(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t end, off = IPV6_HLEN;
	uint8_t next;
	bool mf = false;
	int err;

	if (len < IPV6_HLEN)
		return PKT_ETRUNC;
	if (p[0] >> 4 != 6)
		return PKT_EBADHDR;
	end = IPV6_HLEN + (size_t)be16_load(p + 4);
	if (end > len)
		return PKT_ETRUNC;
	next = p[6];
	err = skip_ipv6_ext(p, end, &off, &next, &mf);
	if (err)
		return err;
	out->ttl = p[7];
	out->l4.proto = next;
	out->l4.src = addr_from_bytes(p + 8);
	out->l4.dst = addr_from_bytes(p + 24);
	return parse_l4(p + off, end - off, true, mf, out);
}

int pkt_parse_ip(const uint8_t *p, size_t len, struct pkt *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return PKT_ETRUNC;
	switch (p[0] >> 4) {
	case 4:
		return parse_ipv4(p, len, out);
	case 6:
		return parse_ipv6(p, len, out);
	default:
		return PKT_EBADHDR;
	}
}

int pkt_parse_eth(const uint8_t *frame, size_t len, struct pkt *out)
{
	size_t off = ETH_HLEN_;
	uint16_t type;
	int tags = 0;

	memset(out, 0, sizeof(*out));
	if (len < ETH_HLEN_)
		return PKT_ETRUNC;
	type = be16_load(frame + 12);
	while (type == ETHERTYPE_VLAN_ || type == ETHERTYPE_QINQ_) {
		if (++tags > PKT_MAX_VLAN)
			return PKT_EPROTO;
		if (len - off < 4)
			return PKT_ETRUNC;
		type = be16_load(frame + off + 2);
		off += 4;
	}
	switch (type) {
	case ETHERTYPE_IPV4_:
		return parse_ipv4(frame + off, len - off, out);
	case ETHERTYPE_IPV6_:
		return parse_ipv6(frame + off, len - off, out);
	default:
		return PKT_EPROTO;
	}
}

size_t pkt_write_eth(uint8_t *p, const uint8_t dst[static 6], const uint8_t src[static 6],
		     uint16_t ethertype)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	be16_store(p + 12, ethertype);
	return ETH_HLEN_;
}

size_t pkt_write_ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto,
		      uint16_t payload_len, uint16_t id, uint8_t ttl)
{
	p[0] = 0x45;
	p[1] = 0;
	be16_store(p + 2, (uint16_t)(IPV4_HLEN + payload_len));
	be16_store(p + 4, id);
	be16_store(p + 6, 0);
	p[8] = ttl;
	p[9] = proto;
	be16_store(p + 10, 0);
	be32_store(p + 12, src);
	be32_store(p + 16, dst);
	be16_store(p + 10, csum_finish(csum_add(0, p, IPV4_HLEN)));
	return IPV4_HLEN;
}

size_t pkt_write_ipv6(uint8_t *p, u128 src, u128 dst, uint8_t next, uint16_t payload_len,
		      uint8_t hlim)
{
	be32_store(p, 6u << 28);
	be16_store(p + 4, payload_len);
	p[6] = next;
	p[7] = hlim;
	addr_to_bytes(src, p + 8);
	addr_to_bytes(dst, p + 24);
	return IPV6_HLEN;
}
