/* SPDX-License-Identifier: MIT */
/*
 * The stateless QUIC probe: a padded long-header packet in a reserved
 * version. Version Negotiation that echoes our connection IDs is open, ICMP
 * port unreachable closed, other ICMP unreachables filtered.
 */
#include <string.h>
#include <netinet/in.h>

#include "l3.h"
#include "quic.h"
#include "../core/cookie.h"
#include "../net/checksum.h"

#define UDP_HLEN 8

/*
 * The probe's QUIC bytes: an Initial-shaped long header (first byte 0xc3:
 * long form, fixed bit, type Initial, 4-byte packet number), version,
 * DCID, SCID, an empty token, a 2-byte varint Length covering the rest,
 * packet number 0, then zeros up to QUIC_PAYLOAD_LEN. Only the first
 * Q_HDR_LEN bytes are ever non-zero, so the UDP checksum sums just those.
 */
#define Q_FIRST 0xc3
#define Q_VER 1
#define Q_DCIL 5
#define Q_DCID 6
#define Q_SCIL (Q_DCID + QUIC_CID_LEN)
#define Q_SCID (Q_SCIL + 1)
#define Q_TOKLEN (Q_SCID + QUIC_CID_LEN)
#define Q_LEN (Q_TOKLEN + 1)
#define Q_PN (Q_LEN + 2)
#define Q_HDR_LEN (Q_PN + 4)
#define Q_UDP_LEN (UDP_HLEN + QUIC_PAYLOAD_LEN)

_Static_assert(L3_OFF + 40 + Q_UDP_LEN <= PROBE_MAX_FRAME, "QUIC probe exceeds a TX frame");
_Static_assert(QUIC_PAYLOAD_LEN - Q_PN < 0x4000, "Length must fit a 2-byte varint");

const uint8_t quic_probe_tmpl[QUIC_PAYLOAD_LEN] = {
	[0] = Q_FIRST,
	[Q_DCIL] = QUIC_CID_LEN,
	[Q_SCIL] = QUIC_CID_LEN,
	/* Token length 0; Length, a 2-byte varint, covers the rest. */
	[Q_LEN] = 0x40 | (QUIC_PAYLOAD_LEN - Q_PN) >> 8,
	[Q_LEN + 1] = (QUIC_PAYLOAD_LEN - Q_PN) & 0xff,
};

void quic_probe_fill(uint8_t *q, uint64_t ck, uint32_t now_us)
{
	be32_store(q + Q_VER, quic_probe_version(ck));
	be64_store(q + Q_DCID, ck);
	be32_store(q + Q_SCID, quic_scid_check(ck));
	be32_store(q + Q_SCID + 4, now_us);
}

int quic_vn_answer(const uint8_t *p, size_t len, uint64_t ck, struct quic_vn *out)
{
	int r = quic_vn_parse(p, len, quic_probe_version(ck), out);

	/* Fewer than 5 bytes cannot hold a long header's version. */
	if (r == PKT_EPROTO || (r == PKT_ETRUNC && len < 5))
		return 0;
	if (r != PKT_OK || out->dcid_len != QUIC_CID_LEN || be32_load(out->dcid) != quic_scid_check(ck) ||
	    out->scid_len != QUIC_CID_LEN || be64_load(out->scid) != ck) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 1;
}

int quic_vn_parse(const uint8_t *p, size_t len, uint32_t sent_version, struct quic_vn *out)
{
	struct quic_vn vn = { 0 };
	size_t off = 5, n;

	memset(out, 0, sizeof(*out));
	/* First byte (only the form bit means anything), version 0. */
	if (len < 5)
		return PKT_ETRUNC;
	if (!(p[0] & 0x80) || be32_load(p + 1) != 0)
		return PKT_EPROTO;
	if (len - off < 1 || len - off - 1 < p[off])
		return PKT_ETRUNC;
	vn.dcid_len = p[off];
	vn.dcid = p + off + 1;
	off += 1 + (size_t)vn.dcid_len;
	if (len - off < 1 || len - off - 1 < p[off])
		return PKT_ETRUNC;
	vn.scid_len = p[off];
	vn.scid = p + off + 1;
	off += 1 + (size_t)vn.scid_len;
	n = len - off;
	if (n == 0 || n % 4 != 0)
		return PKT_EBADHDR;
	n /= 4;
	for (size_t i = 0; i < n; i++)
		if (be32_load(p + off + 4 * i) == sent_version)
			return PKT_EBADHDR;
	vn.versions = p + off;
	vn.n_versions = (uint16_t)(n < QUIC_VN_MAX_VERSIONS ? n : QUIC_VN_MAX_VERSIONS);
	vn.n_offered = n;
	*out = vn;
	return PKT_OK;
}

static size_t quic_prepare(const struct probe_ctx *c, bool v6, uint8_t *buf, size_t cap)
{
	size_t ip_len = v6 ? 40 : 20;
	size_t flen = L3_OFF + ip_len + Q_UDP_LEN;
	uint8_t *udp = buf + L3_OFF + ip_len, *q = udp + UDP_HLEN;

	if (cap < flen)
		return 0;
	probe_write_l3(c, v6, IPPROTO_UDP, Q_UDP_LEN, buf, flen);
	be16_store(udp + 4, Q_UDP_LEN);
	/* Past the header the template is zeros, as probe_write_l3 left them. */
	memcpy(q, quic_probe_tmpl, Q_HDR_LEN);
	return flen;
}

static size_t quic_make(const struct probe_ctx *c, uint8_t *buf, u128 dst, uint16_t dport,
			uint32_t now_us, uint64_t ck)
{
	bool v6 = !addr_is_v4(dst);
	u128 src = v6 ? c->src6 : c->src4;
	uint8_t *ip = buf + L3_OFF;
	uint8_t *udp = ip + (v6 ? 40 : 20), *q = udp + UDP_HLEN;
	uint16_t sum;

	probe_set_l3(buf, dst, (uint16_t)(ck >> 48), 0);
	be16_store(udp, cookie_sport(ck));
	be16_store(udp + 2, dport);
	quic_probe_fill(q, ck, now_us);
	be16_store(udp + 6, 0);
	/* The bytes past the header are the zeros prepare wrote. */
	sum = csum_finish(csum_add(csum_pseudo(src, dst, IPPROTO_UDP, Q_UDP_LEN), udp,
				   UDP_HLEN + Q_HDR_LEN));
	be16_store(udp + 6, sum ? sum : 0xffff); /* RFC 768: 0 means none */
	return (size_t)(udp + Q_UDP_LEN - buf);
}

static int32_t rtt_from(uint32_t now_us, uint32_t sent_us)
{
	return now_us - sent_us < 60u * 1000 * 1000 ? (int32_t)(now_us - sent_us) : -1;
}

/*
 * The QUIC header of our probe inside an ICMP error's quote, or NULL when
 * the quote stops before the end of the SCID (RFC 792 promises only 8
 * bytes of UDP; Linux quotes far more).
 */
static const uint8_t *quoted_quic(const struct pkt *p, bool v6)
{
	const uint8_t *q = p->payload;
	size_t len = p->payload_len, off;

	if (!q)
		return NULL;
	if (v6) {
		/* Our probes carry no extension headers. */
		if (len < 40 || q[6] != IPPROTO_UDP)
			return NULL;
		off = 40;
	} else {
		if (len < 20 || q[9] != IPPROTO_UDP)
			return NULL;
		off = (size_t)(q[0] & 15) * 4;
	}
	off += UDP_HLEN;
	if (len < off || len - off < Q_TOKLEN)
		return NULL;
	return q + off;
}

static int quic_classify(const struct probe_ctx *c, const struct pkt *p, uint32_t now_us,
			 struct finding *f)
{
	const struct pkt_l4 *l4;
	struct quic_vn vn;
	uint64_t ck;
	int64_t rtt = -1;
	bool icmp = p->l4.proto == IPPROTO_ICMP || p->l4.proto == IPPROTO_ICMPV6;

	if (p->l4.proto == IPPROTO_UDP) {
		l4 = &p->l4;
		if ((uint16_t)(l4->dport - COOKIE_SPORT_BASE) >= 0x4000)
			return 0;
		ck = cookie_of(&c->ck, l4->dst, l4->src, l4->sport, FP_PROTO_QUIC);
		/* Another port: maybe the UDP probe's reply. */
		if (l4->dport != cookie_sport(ck))
			return 0;
		/* Whatever else came back (an echo of our own packet, a
		 * stateless reset, noise) does not show a QUIC server. */
		if (quic_vn_answer(p->payload, p->payload_len, ck, &vn) != 1)
			return -1;
		f->addr = l4->src;
		f->port = l4->sport;
		f->state = FP_STATE_OPEN;
		f->reason = "quic-version-negotiation";
		f->rtt_us = rtt_from(now_us, be32_load(vn.dcid + 4));
		f->quic_versions = vn.versions;
		f->n_quic_versions = vn.n_versions;
	} else if (icmp && p->has_inner && p->inner.proto == IPPROTO_UDP) {
		bool v6 = p->l4.proto == IPPROTO_ICMPV6;
		const uint8_t *q;

		l4 = &p->inner;
		if ((uint16_t)(l4->sport - COOKIE_SPORT_BASE) >= 0x4000)
			return 0;
		ck = cookie_of(&c->ck, l4->src, l4->dst, l4->dport, FP_PROTO_QUIC);
		if (l4->sport != cookie_sport(ck))
			return 0;
		if ((!v6 && p->icmp_type != 3) || (v6 && p->icmp_type != 1))
			return -1;
		/* When the quote reaches our connection IDs they must match. */
		q = quoted_quic(p, v6);
		if (q) {
			if (q[Q_DCIL] != QUIC_CID_LEN || be64_load(q + Q_DCID) != ck ||
			    q[Q_SCIL] != QUIC_CID_LEN || be32_load(q + Q_SCID) != quic_scid_check(ck))
				return -1;
			rtt = rtt_from(now_us, be32_load(q + Q_SCID + 4));
		}
		f->addr = l4->dst;
		f->port = l4->dport;
		if (p->icmp_code == (v6 ? 4 : 3))
			f->state = FP_STATE_CLOSED;
		else
			f->state = FP_STATE_FILTERED;
		f->reason = probe_icmp_reason(v6, p->icmp_type, p->icmp_code);
		f->rtt_us = rtt;
		f->quic_versions = NULL;
		f->n_quic_versions = 0;
	} else {
		return 0;
	}
	f->proto = FP_PROTO_QUIC;
	f->ttl = p->ttl;
	f->service = NULL;
	return 1;
}

const struct probe probe_quic = {
	.name = "quic",
	.proto = FP_PROTO_QUIC,
	.prepare = quic_prepare,
	.make = quic_make,
	.classify = quic_classify,
};
