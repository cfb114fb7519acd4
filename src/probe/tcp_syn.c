/* SPDX-License-Identifier: MIT */
/* The stateless TCP SYN probe: SYN-ACK is open, RST closed, ICMP filtered. */
#include <string.h>
#include <netinet/in.h>

#include "l3.h"
#include "../core/cookie.h"
#include "../net/checksum.h"

/* Options: MSS 1460, NOP, NOP, timestamp (TSval = send time in us). */
#define SYN_OPT_LEN 16
#define SYN_TCP_LEN (20 + SYN_OPT_LEN)

static size_t syn_prepare(const struct probe_ctx *c, bool v6, uint8_t *buf, size_t cap)
{
	static const uint8_t opts[SYN_OPT_LEN] = {
		2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	size_t ip_len = v6 ? 40 : 20;
	uint8_t *tcp = buf + L3_OFF + ip_len;

	if (cap < L3_OFF + ip_len + SYN_TCP_LEN)
		return 0;
	probe_write_l3(c, v6, IPPROTO_TCP, SYN_TCP_LEN, buf, L3_OFF + ip_len + SYN_TCP_LEN);
	tcp[12] = (SYN_TCP_LEN / 4) << 4;
	tcp[13] = PKT_F_SYN;
	be16_store(tcp + 14, 64240);
	memcpy(tcp + 20, opts, SYN_OPT_LEN);
	return L3_OFF + ip_len + SYN_TCP_LEN;
}

/* The constant part of the TCP checksum per family, from a template. */
static void syn_setup(struct probe_ctx *c)
{
	for (int v6 = 0; v6 < 2; v6++) {
		uint8_t buf[L3_OFF + 40 + SYN_TCP_LEN];
		size_t len = syn_prepare(c, v6, buf, sizeof(buf));
		u128 src = v6 ? c->src6 : c->src4;

		/* The template holds zeros where make writes; the pseudo
		 * header's destination is added per probe. */
		c->syn.sum[v6] = csum_add(csum_pseudo(src, v6 ? 0 : ADDR_V4_PREFIX, IPPROTO_TCP,
						      SYN_TCP_LEN),
					  buf + len - SYN_TCP_LEN, SYN_TCP_LEN);
	}
}

/*
 * The checksum is the constant part from syn_setup plus the words
 * written here: the pseudo header's destination, ports, sequence number
 * and timestamp.
 */
static size_t syn_make(const struct probe_ctx *c, uint8_t *buf, u128 dst, uint16_t dport,
		     uint32_t now_us, uint64_t ck)
{
	bool v6 = !addr_is_v4(dst);
	uint8_t *tcp = buf + probe_set_l3(buf, dst, (uint16_t)(ck >> 48), 0);
	uint16_t sport = cookie_sport(ck);
	uint32_t seq = cookie_seq(ck);
	uint64_t sum = c->syn.sum[v6];

	be16_store(tcp, sport);
	be16_store(tcp + 2, dport);
	be32_store(tcp + 4, seq);
	be32_store(tcp + 28, now_us);
	if (v6)
		sum += (uint64_t)(dst >> 96) + (uint64_t)(dst >> 64 & 0xffffffff) +
		       (uint64_t)(dst >> 32 & 0xffffffff) + (uint64_t)(dst & 0xffffffff);
	else
		sum += addr_v4(dst);
	sum += sport + dport + (uint64_t)seq + now_us;
	be16_store(tcp + 16, csum_finish(sum));
	return (size_t)(tcp + SYN_TCP_LEN - buf);
}

static int syn_classify(const struct probe_ctx *c, const struct pkt *p, uint32_t now_us,
			struct finding *f)
{
	const struct pkt_l4 *l4;
	uint64_t ck;
	bool icmp = p->l4.proto == IPPROTO_ICMP || p->l4.proto == IPPROTO_ICMPV6;

	if (p->l4.proto == IPPROTO_TCP) {
		l4 = &p->l4;
		if ((uint16_t)(l4->dport - COOKIE_SPORT_BASE) >= 0x4000)
			return 0;
		ck = cookie_of(&c->ck, l4->dst, l4->src, l4->sport, FP_PROTO_TCP);
		if (l4->dport != cookie_sport(ck) || l4->ack != cookie_seq(ck) + 1)
			return -1;
		f->addr = l4->src;
		f->port = l4->sport;
		f->rtt_us = -1;
		if ((l4->flags & (PKT_F_SYN | PKT_F_ACK | PKT_F_RST)) == (PKT_F_SYN | PKT_F_ACK)) {
			f->state = FP_STATE_OPEN;
			f->reason = "syn-ack";
			if (p->has_ts && now_us - p->tsecr < 60u * 1000 * 1000)
				f->rtt_us = now_us - p->tsecr;
		} else if ((l4->flags & (PKT_F_RST | PKT_F_ACK)) == (PKT_F_RST | PKT_F_ACK)) {
			f->state = FP_STATE_CLOSED;
			f->reason = "rst";
		} else {
			return -1;
		}
	} else if (icmp && p->has_inner && p->inner.proto == IPPROTO_TCP) {
		bool v6 = p->l4.proto == IPPROTO_ICMPV6;

		l4 = &p->inner;
		if ((uint16_t)(l4->sport - COOKIE_SPORT_BASE) >= 0x4000)
			return 0;
		if ((!v6 && p->icmp_type != 3) || (v6 && p->icmp_type != 1))
			return -1;
		ck = cookie_of(&c->ck, l4->src, l4->dst, l4->dport, FP_PROTO_TCP);
		if (l4->sport != cookie_sport(ck) || l4->seq != cookie_seq(ck))
			return -1;
		f->addr = l4->dst;
		f->port = l4->dport;
		f->state = FP_STATE_FILTERED;
		f->reason = probe_icmp_reason(v6, p->icmp_type, p->icmp_code);
		f->rtt_us = -1;
	} else {
		return 0;
	}
	f->proto = FP_PROTO_TCP;
	f->ttl = p->ttl;
	f->service = NULL;
	f->quic_versions = NULL;
	f->n_quic_versions = 0;
	return 1;
}

const struct probe probe_tcp_syn = {
	.name = "tcp_syn",
	.proto = FP_PROTO_TCP,
	.setup = syn_setup,
	.prepare = syn_prepare,
	.make = syn_make,
	.classify = syn_classify,
};
