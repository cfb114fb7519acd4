/* SPDX-License-Identifier: MIT */
/* Unit tests of the QUIC probe (src/probe/quic.c): frames, the Version
 * Negotiation parser, classification and the quic_versions event member. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>

#include "core/addr.h"
#include "core/cookie.h"
#include "event/event.h"
#include "net/checksum.h"
#include "probe/probe.h"
#include "probe/quic.h"

/*
 * A real Version Negotiation packet (the UDP payload): caddy 2.6.2 (quic-go)
 * answering fastport's probe to 198.18.0.2:443/udp in the lab, captured
 * with tcpdump in the scanner's namespace. Its DCID is the probe's SCID
 * (99c52ce9 + send time 0x137), its SCID the probe's DCID (the cookie).
 * Offered: QUIC v1, a greased reserved version, QUIC v2, draft-29.
 */
static const uint8_t caddy_vn[] = {
	0xc3, 0x00, 0x00, 0x00, 0x00, 0x08, 0x99, 0xc5, 0x2c, 0xe9, 0x00, 0x00, 0x01, 0x37,
	0x08, 0xd1, 0x94, 0xc8, 0x5d, 0xef, 0x79, 0x75, 0xa0, 0x00, 0x00, 0x00, 0x01, 0x9a,
	0x0a, 0x9a, 0xea, 0x70, 0x9a, 0x50, 0xc4, 0xff, 0x00, 0x00, 0x1d,
};
static const uint8_t caddy_probe_dcid[8] = { 0xd1, 0x94, 0xc8, 0x5d, 0xef, 0x79, 0x75, 0xa0 };
static const uint8_t caddy_probe_scid[8] = { 0x99, 0xc5, 0x2c, 0xe9, 0x00, 0x00, 0x01, 0x37 };
#define SENT_VERSION 0x1a2a3a4au

static u128 ip(const char *s)
{
	u128 v = 0;

	if (addr_parse(s, strlen(s), &v) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return v;
}

static void ctx_init(struct probe_ctx *c)
{
	static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 1 }, dmac[6] = { 2, 0, 0, 0, 0, 2 };

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 16; i++)
		c->key[i] = (uint8_t)(0x10 + i);
	memcpy(c->src_mac, smac, 6);
	memcpy(c->dst_mac, dmac, 6);
	c->src4 = ip("198.18.0.1");
	c->src6 = ip("2001:2::1");
	assert_int_equal(probe_ctx_setup(c, NULL), 0);
}

/* Builds one probe; returns its length. */
static size_t make_probe(const struct probe_ctx *c, u128 dst, uint16_t dport, uint32_t now,
			 uint8_t *frame)
{
	size_t n;

	memset(frame, 0xee, PROBE_MAX_FRAME);
	n = probe_quic.prepare(c, !addr_is_v4(dst), frame, PROBE_MAX_FRAME);
	assert_true(n > 0);
	assert_int_equal(probe_quic.make(c, frame, dst, dport, now,
					 probe_cookie(c, dst, dport, FP_PROTO_QUIC)), n);
	return n;
}

/* Wraps payload in Ethernet + IP + UDP from -> to. Returns the length. */
static size_t udp_frame(uint8_t *out, u128 from, u128 to, uint16_t sport, uint16_t dport,
			const uint8_t *payload, size_t n)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	bool v6 = !addr_is_v4(from);
	size_t off = pkt_write_eth(out, mac, mac, v6 ? 0x86dd : 0x0800);

	if (v6)
		off += pkt_write_ipv6(out + off, from, to, IPPROTO_UDP, (uint16_t)(8 + n), 64);
	else
		off += pkt_write_ipv4(out + off, addr_v4(from), addr_v4(to), IPPROTO_UDP,
				      (uint16_t)(8 + n), 7, 64);
	be16_store(out + off, sport);
	be16_store(out + off + 2, dport);
	be16_store(out + off + 4, (uint16_t)(8 + n));
	be16_store(out + off + 6, 0);
	memcpy(out + off + 8, payload, n);
	return off + 8 + n;
}

/* An ICMP(v6) destination unreachable from `from` quoting qlen bytes of
 * the probe's IP packet. */
static size_t icmp_frame(uint8_t *out, u128 from, u128 to, uint8_t type, uint8_t code,
			 const uint8_t *probe, size_t qlen)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	bool v6 = !addr_is_v4(from);
	size_t off = pkt_write_eth(out, mac, mac, v6 ? 0x86dd : 0x0800);

	if (v6)
		off += pkt_write_ipv6(out + off, from, to, IPPROTO_ICMPV6, (uint16_t)(8 + qlen), 64);
	else
		off += pkt_write_ipv4(out + off, addr_v4(from), addr_v4(to), IPPROTO_ICMP,
				      (uint16_t)(8 + qlen), 7, 64);
	memset(out + off, 0, 8);
	out[off] = type;
	out[off + 1] = code;
	memcpy(out + off + 8, probe + 14, qlen);
	return off + 8 + qlen;
}

static void check_probe(u128 dst, uint16_t dport)
{
	struct probe_ctx c;
	uint8_t frame[PROBE_MAX_FRAME];
	struct pkt p;
	bool v6 = !addr_is_v4(dst);
	u128 src;
	uint64_t ck;
	size_t n, l3 = v6 ? 40 : 20;
	const uint8_t *udp, *q;
	uint32_t sum, ver;

	ctx_init(&c);
	src = v6 ? c.src6 : c.src4;
	ck = cookie_make(c.key, src, dst, dport, FP_PROTO_QUIC);
	n = make_probe(&c, dst, dport, 123456, frame);
	assert_int_equal(n, 14 + l3 + 8 + QUIC_PAYLOAD_LEN);
	assert_true(n <= PROBE_MAX_FRAME);
	assert_int_equal(pkt_parse_eth(frame, n, &p), PKT_OK);
	assert_int_equal(p.l4.proto, IPPROTO_UDP);
	assert_true(p.l4.src == src);
	assert_true(p.l4.dst == dst);
	assert_int_equal(p.l4.sport, cookie_sport(ck));
	assert_int_equal(p.l4.dport, dport);
	assert_int_equal(p.payload_len, QUIC_PAYLOAD_LEN);
	assert_true(p.payload_len >= 1200);
	assert_memory_equal(frame, c.dst_mac, 6);
	assert_memory_equal(frame + 6, c.src_mac, 6);

	/* Checksums: IPv4 header, UDP over the pseudo-header and all 1208 bytes. */
	if (!v6)
		assert_int_equal(csum_finish(csum_add(0, frame + 14, 20)), 0);
	udp = frame + 14 + l3;
	assert_int_not_equal(be16_load(udp + 6), 0);
	sum = csum_pseudo(src, dst, IPPROTO_UDP, 8 + QUIC_PAYLOAD_LEN);
	assert_int_equal(csum_finish(csum_add(sum, udp, 8 + QUIC_PAYLOAD_LEN)), 0);

	/* Long header, fixed bit, a reserved 0x?a?a?a?a version, the CIDs. */
	q = p.payload;
	assert_int_equal(q[0] & 0xc0, 0xc0);
	ver = be32_load(q + 1);
	assert_int_equal(ver & 0x0f0f0f0f, 0x0a0a0a0a);
	assert_int_equal(ver, quic_probe_version(ck));
	assert_int_equal(q[5], 8);
	assert_true(be64_load(q + 6) == ck);
	assert_int_equal(q[14], 8);
	assert_int_equal(be32_load(q + 15), quic_scid_check(ck));
	assert_int_equal(be32_load(q + 19), 123456);
	/* Empty token, a Length varint that covers the rest exactly. */
	assert_int_equal(q[23], 0);
	assert_int_equal(be16_load(q + 24), 0x4000 | (QUIC_PAYLOAD_LEN - 26));
	for (size_t i = 30; i < QUIC_PAYLOAD_LEN; i++)
		if (q[i])
			fail_msg("padding byte %zu is %u", i, q[i]);
}

static void test_probe_v4(void **state)
{
	(void)state;
	check_probe(ip("198.18.0.2"), 443);
	check_probe(ip("198.19.255.255"), 1);
}

static void test_probe_v6(void **state)
{
	(void)state;
	check_probe(ip("2001:2::2"), 443);
	check_probe(ip("2001:2:0:1::ffff"), 65535);
}

/* Another family in the same buffer: prepare rewrites every constant. */
static void test_probe_reuse(void **state)
{
	struct probe_ctx c;
	uint8_t a[PROBE_MAX_FRAME], b[PROBE_MAX_FRAME];
	size_t na, nb;

	(void)state;
	ctx_init(&c);
	na = make_probe(&c, ip("2001:2::2"), 443, 5, a);
	nb = make_probe(&c, ip("198.18.0.2"), 443, 5, b);
	assert_int_not_equal(na, nb);
	assert_int_equal(probe_quic.prepare(&c, false, a, PROBE_MAX_FRAME), nb);
	assert_int_equal(probe_quic.make(&c, a, ip("198.18.0.2"), 443, 5,
					 probe_cookie(&c, ip("198.18.0.2"), 443, FP_PROTO_QUIC)), nb);
	assert_memory_equal(a, b, nb);
	assert_int_equal(probe_quic.prepare(&c, false, a, 100), 0);
	assert_ptr_equal(probe_for(FP_PROTO_QUIC), &probe_quic);
}

static void test_parse_caddy(void **state)
{
	uint8_t *copy = malloc(sizeof(caddy_vn));
	struct quic_vn vn;

	(void)state;
	assert_non_null(copy);
	memcpy(copy, caddy_vn, sizeof(caddy_vn));
	assert_int_equal(quic_vn_parse(copy, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_OK);
	assert_int_equal(vn.dcid_len, 8);
	assert_int_equal(vn.scid_len, 8);
	assert_memory_equal(vn.dcid, caddy_probe_scid, 8);
	assert_memory_equal(vn.scid, caddy_probe_dcid, 8);
	assert_int_equal(vn.n_versions, 4);
	assert_int_equal(vn.n_offered, 4);
	assert_ptr_equal(vn.versions, copy + 23);
	assert_int_equal(be32_load(vn.versions), 0x00000001);
	assert_int_equal(be32_load(vn.versions + 4), 0x9a0a9aea);
	assert_int_equal(be32_load(vn.versions + 8), 0x709a50c4);
	assert_int_equal(be32_load(vn.versions + 12), 0xff00001d);

	/* A VN that names the version we sent is discarded (RFC 9000 6.2). */
	assert_int_equal(quic_vn_parse(copy, sizeof(caddy_vn), 0x9a0a9aea, &vn), PKT_EBADHDR);
	assert_null(vn.versions);
	assert_int_equal(vn.n_versions, 0);
	assert_int_equal(quic_vn_parse(copy, sizeof(caddy_vn), 0xff00001d, &vn), PKT_EBADHDR);
	free(copy);
}

/*
 * quic_vn_answer: the real VN answers the cookie it echoes and no other;
 * what is not a VN at all says 0, a broken or foreign VN -1.
 */
static void test_vn_answer(void **state)
{
	uint64_t ck = be64_load(caddy_probe_dcid);
	uint8_t copy[sizeof(caddy_vn)];
	struct quic_vn vn;

	(void)state;
	assert_int_equal(quic_scid_check(ck), be32_load(caddy_probe_scid));
	memcpy(copy, caddy_vn, sizeof(copy));
	assert_int_equal(quic_vn_answer(copy, sizeof(copy), ck, &vn), 1);
	assert_int_equal(vn.n_versions, 4);
	assert_int_equal(be32_load(vn.dcid + 4), 0x137); /* the send time */
	/* Another cookie, another SCID check. */
	assert_int_equal(quic_vn_answer(copy, sizeof(copy), ck ^ 1, &vn), -1);
	assert_null(vn.versions);
	copy[8] ^= 1;
	assert_int_equal(quic_vn_answer(copy, sizeof(copy), ck, &vn), -1);
	copy[8] ^= 1;
	/* Ragged, or cut inside the CIDs: a broken VN. */
	assert_int_equal(quic_vn_answer(copy, sizeof(copy) - 1, ck, &vn), -1);
	assert_int_equal(quic_vn_answer(copy, 10, ck, &vn), -1);
	/* Not a VN: a short header, another version, too few bytes. */
	assert_int_equal(quic_vn_answer(copy, 4, ck, &vn), 0);
	assert_int_equal(quic_vn_answer(copy, 0, ck, &vn), 0);
	copy[0] = 0x43;
	assert_int_equal(quic_vn_answer(copy, sizeof(copy), ck, &vn), 0);
	copy[0] = 0xc3;
	copy[4] = 1;
	assert_int_equal(quic_vn_answer(copy, sizeof(copy), ck, &vn), 0);
	assert_int_equal(vn.n_versions, 0);
}

/* The template and the per-probe fields: what a probe's QUIC bytes are. */
static void test_template(void **state)
{
	uint8_t q[QUIC_PAYLOAD_LEN];
	uint64_t ck = 0x0123456789abcdefull;

	(void)state;
	assert_int_equal(quic_probe_tmpl[0], 0xc3);
	assert_int_equal(be32_load(quic_probe_tmpl + 1), 0);
	assert_int_equal(quic_probe_tmpl[5], QUIC_CID_LEN);
	assert_int_equal(quic_probe_tmpl[14], QUIC_CID_LEN);
	assert_int_equal(quic_probe_tmpl[23], 0);
	assert_int_equal(be16_load(quic_probe_tmpl + 24), 0x4000 | (QUIC_PAYLOAD_LEN - 26));
	for (size_t i = 26; i < QUIC_PAYLOAD_LEN; i++)
		assert_int_equal(quic_probe_tmpl[i], 0);
	memcpy(q, quic_probe_tmpl, sizeof(q));
	quic_probe_fill(q, ck, 0xa1b2c3d4);
	assert_int_equal(be32_load(q + 1), quic_probe_version(ck));
	assert_true(be64_load(q + 6) == ck);
	assert_int_equal(be32_load(q + 15), quic_scid_check(ck));
	assert_int_equal(be32_load(q + 19), 0xa1b2c3d4);
	assert_memory_equal(q + 23, quic_probe_tmpl + 23, sizeof(q) - 23);
	assert_int_equal(q[0], 0xc3);
}

/*
 * Every proper prefix of the real VN, read from an exact-size copy, fails
 * unless it ends on a version boundary: a VN has no length field, so that
 * prefix is a valid VN offering fewer versions.
 */
static void test_parse_truncations(void **state)
{
	struct quic_vn vn;

	(void)state;
	for (size_t n = 0; n < sizeof(caddy_vn); n++) {
		uint8_t *copy = malloc(n ? n : 1);
		int rc;

		assert_non_null(copy);
		memcpy(copy, caddy_vn, n);
		rc = quic_vn_parse(copy, n, SENT_VERSION, &vn);
		if (n > 23 && (n - 23) % 4 == 0) {
			assert_int_equal(rc, PKT_OK);
			assert_int_equal(vn.n_versions, (n - 23) / 4);
			assert_ptr_equal(vn.versions, copy + 23);
		} else {
			assert_true(rc == PKT_ETRUNC || rc == PKT_EBADHDR);
			assert_null(vn.versions);
			assert_int_equal(vn.n_versions, 0);
			assert_int_equal(vn.dcid_len, 0);
		}
		free(copy);
	}
}

static void test_parse_bad(void **state)
{
	uint8_t b[sizeof(caddy_vn) + 4];
	struct quic_vn vn;

	(void)state;
	/* Not a VN: short header form, a non-zero version (our own probe). */
	memcpy(b, caddy_vn, sizeof(caddy_vn));
	b[0] = 0x43;
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_EPROTO);
	memcpy(b, caddy_vn, sizeof(caddy_vn));
	b[4] = 1;
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_EPROTO);

	/* Lying lengths: the DCID or the SCID runs past the end. */
	memcpy(b, caddy_vn, sizeof(caddy_vn));
	b[5] = 255;
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_ETRUNC);
	b[5] = 33; /* the DCID takes every byte: no SCID length */
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_ETRUNC);
	memcpy(b, caddy_vn, sizeof(caddy_vn));
	b[14] = 200;
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_ETRUNC);
	b[14] = 24; /* SCID to the last byte: no versions at all */
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_EBADHDR);
	/* A DCID one byte short reads a time byte (0x37) as the SCID length. */
	memcpy(b, caddy_vn, sizeof(caddy_vn));
	b[5] = 7;
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_ETRUNC);
	/* An SCID one byte shorter or longer leaves a list of 17 or 15 bytes. */
	memcpy(b, caddy_vn, sizeof(caddy_vn));
	b[14] = 7;
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_EBADHDR);
	b[14] = 9;
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn), SENT_VERSION, &vn), PKT_EBADHDR);

	/* A ragged list: 1, 2 or 3 extra bytes. */
	memcpy(b, caddy_vn, sizeof(caddy_vn));
	memset(b + sizeof(caddy_vn), 0, 4);
	for (size_t extra = 1; extra < 4; extra++)
		assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn) + extra, SENT_VERSION, &vn),
				 PKT_EBADHDR);
	assert_int_equal(quic_vn_parse(b, sizeof(caddy_vn) + 4, SENT_VERSION, &vn), PKT_OK);
	assert_int_equal(vn.n_versions, 5);
	/* An empty list. */
	assert_int_equal(quic_vn_parse(b, 23, SENT_VERSION, &vn), PKT_EBADHDR);
	assert_null(vn.versions);

	/* Empty CIDs and the longest ones (255 bytes each) are accepted. */
	{
		static const uint8_t tiny[] = { 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
		uint8_t *big = calloc(1, 5 + 256 + 256 + 4);

		assert_int_equal(quic_vn_parse(tiny, sizeof(tiny), SENT_VERSION, &vn), PKT_OK);
		assert_int_equal(vn.dcid_len, 0);
		assert_int_equal(vn.scid_len, 0);
		assert_int_equal(vn.n_versions, 1);
		assert_non_null(big);
		big[0] = 0x80;
		big[5] = 255;
		big[5 + 256] = 255;
		big[5 + 512 + 3] = 1;
		assert_int_equal(quic_vn_parse(big, 5 + 512 + 4, SENT_VERSION, &vn), PKT_OK);
		assert_int_equal(vn.dcid_len, 255);
		assert_int_equal(vn.scid_len, 255);
		assert_int_equal(be32_load(vn.versions), 1);
		free(big);
	}
}

/* Thousands of versions: all are checked against ours, 64 are kept. */
static void test_parse_long_list(void **state)
{
	size_t nv = 5000, len = 23 + 4 * nv;
	uint8_t *b = malloc(len);
	struct quic_vn vn;

	(void)state;
	assert_non_null(b);
	memcpy(b, caddy_vn, 23);
	for (size_t i = 0; i < nv; i++)
		be32_store(b + 23 + 4 * i, (uint32_t)(0xff000000u + i));
	assert_int_equal(quic_vn_parse(b, len, SENT_VERSION, &vn), PKT_OK);
	assert_int_equal(vn.n_versions, QUIC_VN_MAX_VERSIONS);
	assert_int_equal(vn.n_offered, nv);
	assert_int_equal(be32_load(vn.versions + 4 * 63), 0xff00003f);
	/* Ours far past the cap still rejects the packet. */
	be32_store(b + 23 + 4 * 4321, SENT_VERSION);
	assert_int_equal(quic_vn_parse(b, len, SENT_VERSION, &vn), PKT_EBADHDR);
	assert_int_equal(vn.n_versions, 0);
	free(b);
}

/* The server's VN for a probe frame: CIDs swapped, the given versions. */
static size_t vn_for(const uint8_t *probe, bool v6, const uint32_t *versions, size_t nv,
		     uint8_t *out)
{
	const uint8_t *q = probe + 14 + (v6 ? 40 : 20) + 8;

	out[0] = 0xb7;
	memset(out + 1, 0, 4);
	out[5] = 8;
	memcpy(out + 6, q + 15, 8);
	out[14] = 8;
	memcpy(out + 15, q + 6, 8);
	for (size_t i = 0; i < nv; i++)
		be32_store(out + 23 + 4 * i, versions[i]);
	return 23 + 4 * nv;
}

static void check_classify(u128 dst)
{
	static const uint32_t offered[] = { 0x00000001, 0x6b3343cf, 0xff00001d };
	bool v6 = !addr_is_v4(dst);
	struct probe_ctx c;
	uint8_t probe[PROBE_MAX_FRAME], reply[2048], vn[64];
	struct finding f;
	struct pkt p;
	u128 src;
	uint64_t ck;
	size_t n, nvn, l3 = v6 ? 40 : 20;
	uint32_t sent = 1000;

	ctx_init(&c);
	src = v6 ? c.src6 : c.src4;
	ck = cookie_make(c.key, src, dst, 443, FP_PROTO_QUIC);
	make_probe(&c, dst, 443, sent, probe);

	/* A valid VN: open, the versions, the round trip from our SCID. */
	nvn = vn_for(probe, v6, offered, 3, vn);
	n = udp_frame(reply, dst, src, 443, cookie_sport(ck), vn, nvn);
	assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
	memset(&f, 0xa5, sizeof(f));
	assert_int_equal(probe_classify(&c, &p, sent + 250, &f), 1);
	assert_true(f.addr == dst);
	assert_int_equal(f.port, 443);
	assert_int_equal(f.proto, FP_PROTO_QUIC);
	assert_int_equal(f.state, FP_STATE_OPEN);
	assert_string_equal(f.reason, "quic-version-negotiation");
	assert_null(f.service);
	assert_int_equal(f.rtt_us, 250);
	assert_int_equal(f.ttl, 64);
	assert_int_equal(f.n_quic_versions, 3);
	assert_int_equal(be32_load(f.quic_versions), 1);
	assert_int_equal(be32_load(f.quic_versions + 8), 0xff00001d);

	/* Wrong CIDs: each byte of either one, and the two swapped back. */
	for (size_t i = 6; i < 23; i++) {
		if (i == 14)
			continue;
		vn[i] ^= 0x40;
		n = udp_frame(reply, dst, src, 443, cookie_sport(ck), vn, nvn);
		assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
		/* Bytes 10..13 carry our send time: not validated, only timed. */
		assert_int_equal(probe_quic.classify(&c, &p, sent, &f), i >= 10 && i < 14 ? 1 : -1);
		vn[i] ^= 0x40;
	}
	{
		uint8_t sw[64];

		memcpy(sw, vn, nvn);
		memcpy(sw + 6, vn + 15, 8);
		memcpy(sw + 15, vn + 6, 8);
		n = udp_frame(reply, dst, src, 443, cookie_sport(ck), sw, nvn);
		assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
		assert_int_equal(probe_quic.classify(&c, &p, sent, &f), -1);
	}
	/* The right CIDs but our own version listed. */
	{
		uint32_t with_ours[] = { 1, quic_probe_version(ck) };

		nvn = vn_for(probe, v6, with_ours, 2, vn);
		n = udp_frame(reply, dst, src, 443, cookie_sport(ck), vn, nvn);
		assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
		assert_int_equal(probe_quic.classify(&c, &p, sent, &f), -1);
	}
	/* An echo of our own packet is not QUIC. */
	n = udp_frame(reply, dst, src, 443, cookie_sport(ck), probe + 14 + l3 + 8, QUIC_PAYLOAD_LEN);
	assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
	assert_int_equal(probe_classify(&c, &p, sent, &f), -1);
	/* A reply from another port, or to a source port of another cookie. */
	nvn = vn_for(probe, v6, offered, 3, vn);
	n = udp_frame(reply, dst, src, 444, cookie_sport(ck), vn, nvn);
	assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
	assert_int_not_equal(probe_quic.classify(&c, &p, sent, &f), 1);
	n = udp_frame(reply, dst, src, 443, 53, vn, nvn);
	assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
	assert_int_equal(probe_quic.classify(&c, &p, sent, &f), 0);

	/* ICMP port unreachable quoting the probe: closed, timed by the quote. */
	n = icmp_frame(reply, dst, src, v6 ? 1 : 3, v6 ? 4 : 3, probe, l3 + 8 + 100);
	assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
	memset(&f, 0xa5, sizeof(f));
	assert_int_equal(probe_classify(&c, &p, sent + 40, &f), 1);
	assert_true(f.addr == dst);
	assert_int_equal(f.port, 443);
	assert_int_equal(f.proto, FP_PROTO_QUIC);
	assert_int_equal(f.state, FP_STATE_CLOSED);
	assert_string_equal(f.reason, v6 ? "icmp6-port-unreachable" : "icmp-port-unreachable");
	assert_int_equal(f.rtt_us, 40);
	assert_null(f.quic_versions);
	assert_int_equal(f.n_quic_versions, 0);
	/* The same with only the 8 promised bytes of UDP: closed, no time. */
	n = icmp_frame(reply, dst, src, v6 ? 1 : 3, v6 ? 4 : 3, probe, l3 + 8);
	assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
	assert_int_equal(probe_classify(&c, &p, sent + 40, &f), 1);
	assert_int_equal(f.state, FP_STATE_CLOSED);
	assert_int_equal(f.rtt_us, -1);
	/* Administratively prohibited: filtered. */
	n = icmp_frame(reply, dst, src, v6 ? 1 : 3, v6 ? 1 : 13, probe, l3 + 8 + 100);
	assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
	assert_int_equal(probe_classify(&c, &p, sent, &f), 1);
	assert_int_equal(f.state, FP_STATE_FILTERED);
	/* A quote whose DCID is not ours is rejected. */
	probe[14 + l3 + 8 + 9] ^= 1;
	n = icmp_frame(reply, dst, src, v6 ? 1 : 3, v6 ? 4 : 3, probe, l3 + 8 + 100);
	assert_int_equal(pkt_parse_eth(reply, n, &p), PKT_OK);
	assert_int_equal(probe_quic.classify(&c, &p, sent, &f), -1);
}

static void test_classify_v4(void **state)
{
	(void)state;
	check_classify(ip("198.18.0.2"));
}

static void test_classify_v6(void **state)
{
	(void)state;
	check_classify(ip("2001:2::2"));
}

static void test_event_versions(void **state)
{
	static const uint8_t rnd[16] = { 1 };
	struct event_ctx ec;
	struct finding f = { 0 };
	struct jbuf b;
	char *s;

	(void)state;
	event_ctx_init(&ec, rnd);
	jbuf_init(&b);
	f.addr = ip("198.18.0.2");
	f.port = 443;
	f.proto = FP_PROTO_QUIC;
	f.state = FP_STATE_OPEN;
	f.reason = "quic-version-negotiation";
	f.rtt_us = -1;
	f.quic_versions = caddy_vn + 23;
	f.n_quic_versions = 4;
	event_port_state(&b, &ec, &f);
	assert_false(b.oom);
	s = strndup(b.p, b.len);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"result\":{\"state\":\"open\",\"reason\":\"quic-version-negotiation\","
			       "\"quic_versions\":[\"0x00000001\",\"0x9a0a9aea\",\"0x709a50c4\","
			       "\"0xff00001d\"]}}"));
	assert_non_null(strstr(s, "\"protocol\":\"quic\""));
	free(s);

	/* No versions, no member. */
	jbuf_reset(&b);
	f.quic_versions = NULL;
	f.n_quic_versions = 0;
	event_port_state(&b, &ec, &f);
	s = strndup(b.p, b.len);
	assert_non_null(s);
	assert_null(strstr(s, "quic_versions"));
	free(s);
	jbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_v4),
		cmocka_unit_test(test_probe_v6),
		cmocka_unit_test(test_probe_reuse),
		cmocka_unit_test(test_parse_caddy),
		cmocka_unit_test(test_vn_answer),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_parse_truncations),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_long_list),
		cmocka_unit_test(test_classify_v4),
		cmocka_unit_test(test_classify_v6),
		cmocka_unit_test(test_event_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
