/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the TCP SYN probe and the shared header writers: every
 * field and both checksums of the frames it builds (recomputed in full),
 * with frames reused across families and targets, and the classification
 * of SYN-ACK, RST, ICMP errors and forgeries.
 */
#include <netinet/in.h>

#include "unit.h"
#include "core/addr.h"
#include "net/checksum.h"
#include "probe/probe.h"

static u128 ip(const char *s)
{
	u128 a = 0;

	assert_int_equal(addr_parse(s, strlen(s), &a), 0);
	return a;
}

static void ctx_init(struct probe_ctx *c)
{
	static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 1 }, dmac[6] = { 2, 0, 0, 0, 0, 2 };

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 16; i++)
		c->key[i] = (uint8_t)(0xa0 + 3 * i);
	memcpy(c->src_mac, smac, 6);
	memcpy(c->dst_mac, dmac, 6);
	c->src4 = ip("198.18.0.1");
	c->src6 = ip("2001:2::1");
	assert_int_equal(probe_ctx_setup(c, NULL), 0);
}

/* The full RFC 1071 check of a TCP segment in a parsed frame. */
static void check_frame(const struct probe_ctx *c, const uint8_t *f, size_t len, u128 dst,
			uint16_t dport, uint32_t now)
{
	bool v6 = !addr_is_v4(dst);
	u128 src = v6 ? c->src6 : c->src4;
	uint64_t ck = cookie_make(c->key, src, dst, dport, FP_PROTO_TCP);
	size_t ip_len = v6 ? 40 : 20;
	const uint8_t *ipb = f + 14, *tcp = ipb + ip_len;
	struct pkt k;

	assert_int_equal(len, 14 + ip_len + 36);
	assert_memory_equal(f, c->dst_mac, 6);
	assert_memory_equal(f + 6, c->src_mac, 6);
	assert_int_equal(pkt_parse_eth(f, len, &k), PKT_OK);
	assert_int_equal(k.l4.proto, IPPROTO_TCP);
	assert_true(k.l4.src == src && k.l4.dst == dst);
	assert_int_equal(k.l4.sport, cookie_sport(ck));
	assert_int_equal(k.l4.dport, dport);
	assert_int_equal(k.l4.seq, cookie_seq(ck));
	assert_int_equal(k.l4.flags, PKT_F_SYN);
	assert_true(k.has_ts);
	assert_int_equal(k.tsval, now);
	assert_int_equal(k.tsecr, 0);
	assert_int_equal(be16_load(tcp + 14), 64240);
	/* Checksums over everything, as a receiver sees them. */
	assert_int_equal(csum_finish(csum_add(csum_pseudo(src, dst, IPPROTO_TCP, 36), tcp, 36)), 0);
	if (!v6) {
		assert_int_equal(csum_finish(csum_add(0, ipb, 20)), 0);
		assert_int_equal(be16_load(ipb + 4), (uint16_t)(ck >> 48));
		assert_int_equal(be16_load(ipb + 2), 56);
		assert_int_equal(ipb[8], 64);
	} else {
		assert_int_equal(be16_load(ipb + 4), 36);
		assert_int_equal(ipb[7], 64);
	}
}

/* One buffer, many probes: families alternate, fields take extreme values. */
static void test_syn_make(void **state)
{
	static const char *const dsts[] = {
		"198.19.0.0", "255.255.255.254", "198.19.255.255", "2001:2::ffff:ffff",
		"1.2.3.4", "2001:2:0:1::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "0.0.0.1",
	};
	static const uint16_t ports[] = { 1, 80, 65535, 443, 0x8000, 22 };
	static const uint32_t times[] = { 0, 1, 0xffffffffu, 0x80000000u, 123456789 };
	struct probe_ctx c;
	uint8_t f[PROBE_MAX_FRAME];
	int prepared = -1, n = 0;

	(void)state;
	ctx_init(&c);
	for (int r = 0; r < 3; r++) {
		for (size_t i = 0; i < ARRAY_SIZE(dsts); i++) {
			for (size_t p = 0; p < ARRAY_SIZE(ports); p++) {
				u128 dst = ip(dsts[i]);
				bool v6 = !addr_is_v4(dst);
				uint32_t now = times[(i + p + (size_t)r) % ARRAY_SIZE(times)];
				uint64_t ck = probe_cookie(&c, dst, ports[p], FP_PROTO_TCP);
				size_t len;

				if (prepared != v6) {
					assert_int_equal(probe_tcp_syn.prepare(&c, v6, f, sizeof(f)),
							 14 + (v6 ? 40 : 20) + 36);
					prepared = v6;
				}
				len = probe_tcp_syn.make(&c, f, dst, ports[p], now, ck);
				check_frame(&c, f, len, dst, ports[p], now);
				n++;
			}
		}
	}
	/* Too small a buffer: prepare refuses. */
	assert_int_equal(probe_tcp_syn.prepare(&c, false, f, 60), 0);
	print_message("%d SYN frames checked\n", n);
}

/*
 * probe_ctx_setup runs each probe's setup hook, and only tcp_syn has one:
 * its checksum constants land in its own part of the context, and a
 * context whose part was cleared builds frames a receiver rejects.
 */
static void test_setup_hook(void **state)
{
	struct probe_ctx c, d;
	uint8_t f[PROBE_MAX_FRAME];
	u128 dst = ip("198.19.1.2");
	uint64_t ck;
	size_t len;

	(void)state;
	assert_non_null(probe_tcp_syn.setup);
	assert_null(probe_udp.setup);
	assert_null(probe_quic.setup);
	ctx_init(&c);
	assert_true(c.syn.sum[0] != 0 && c.syn.sum[1] != 0 && c.syn.sum[0] != c.syn.sum[1]);
	/* The hook alone derives the same part again. */
	d = c;
	memset(&d.syn, 0, sizeof(d.syn));
	probe_tcp_syn.setup(&d);
	assert_memory_equal(&d.syn, &c.syn, sizeof(c.syn));
	/* Without it, the TCP checksum is wrong. */
	memset(&d.syn, 0, sizeof(d.syn));
	ck = probe_cookie(&d, dst, 80, FP_PROTO_TCP);
	probe_tcp_syn.prepare(&d, false, f, sizeof(f));
	len = probe_tcp_syn.make(&d, f, dst, 80, 5, ck);
	assert_int_not_equal(csum_finish(csum_add(csum_pseudo(d.src4, dst, IPPROTO_TCP, 36),
						  f + len - 36, 36)), 0);
}

/* A reply frame from dst:dport to us, as the target's kernel builds it. */
static size_t reply(const struct probe_ctx *c, u128 dst, uint16_t dport, uint8_t flags,
		    uint32_t ack_delta, uint8_t *f)
{
	bool v6 = !addr_is_v4(dst);
	u128 src = v6 ? c->src6 : c->src4;
	uint64_t ck = cookie_make(c->key, src, dst, dport, FP_PROTO_TCP);
	size_t off;
	uint8_t *tcp;

	memset(f, 0, 14 + 40 + 20);
	pkt_write_eth(f, c->src_mac, c->dst_mac, v6 ? 0x86dd : 0x0800);
	off = 14 + (v6 ? pkt_write_ipv6(f + 14, dst, src, IPPROTO_TCP, 20, 61)
		       : pkt_write_ipv4(f + 14, addr_v4(dst), addr_v4(src), IPPROTO_TCP, 20, 7, 61));
	tcp = f + off;
	be16_store(tcp, dport);
	be16_store(tcp + 2, cookie_sport(ck));
	be32_store(tcp + 8, cookie_seq(ck) + ack_delta);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	return off + 20;
}

static int classify(const struct probe_ctx *c, const uint8_t *f, size_t len, struct finding *out)
{
	struct pkt k;

	assert_int_equal(pkt_parse_eth(f, len, &k), PKT_OK);
	memset(out, 0, sizeof(*out));
	return probe_tcp_syn.classify(c, &k, 1000, out);
}

static void test_syn_classify(void **state)
{
	struct probe_ctx c;
	uint8_t f[256];
	struct finding fd;
	u128 t4 = ip("198.19.7.9"), t6 = ip("2001:2:0:1::9");
	size_t n;

	(void)state;
	ctx_init(&c);
	for (int v = 0; v < 2; v++) {
		u128 t = v ? t6 : t4;

		n = reply(&c, t, 8080, PKT_F_SYN | PKT_F_ACK, 1, f);
		assert_int_equal(classify(&c, f, n, &fd), 1);
		assert_true(fd.addr == t);
		assert_int_equal(fd.port, 8080);
		assert_int_equal(fd.state, FP_STATE_OPEN);
		assert_string_equal(fd.reason, "syn-ack");
		assert_int_equal(fd.ttl, 61);

		n = reply(&c, t, 8080, PKT_F_RST | PKT_F_ACK, 1, f);
		assert_int_equal(classify(&c, f, n, &fd), 1);
		assert_int_equal(fd.state, FP_STATE_CLOSED);
		assert_string_equal(fd.reason, "rst");

		/* A wrong acknowledgement, a bare SYN, another port's cookie. */
		n = reply(&c, t, 8080, PKT_F_SYN | PKT_F_ACK, 2, f);
		assert_int_equal(classify(&c, f, n, &fd), -1);
		n = reply(&c, t, 8080, PKT_F_SYN, 1, f);
		assert_int_equal(classify(&c, f, n, &fd), -1);
		n = reply(&c, t, 8080, PKT_F_SYN | PKT_F_ACK, 1, f);
		be16_store(f + n - 20, 8081);
		assert_int_equal(classify(&c, f, n, &fd), -1);
	}
}

/* An ICMP error quoting our probe: filtered with the code's reason; a
 * quote with a wrong sequence number is a forgery. */
static void test_syn_icmp(void **state)
{
	struct probe_ctx c;
	uint8_t probe[PROBE_MAX_FRAME], f[256];
	u128 t = ip("198.19.1.2");
	struct finding fd;
	size_t plen, n;

	(void)state;
	ctx_init(&c);
	probe_tcp_syn.prepare(&c, false, probe, sizeof(probe));
	plen = probe_tcp_syn.make(&c, probe, t, 443, 5, probe_cookie(&c, t, 443, FP_PROTO_TCP));
	for (int forge = 0; forge < 2; forge++) {
		memset(f, 0, sizeof(f));
		pkt_write_eth(f, c.src_mac, c.dst_mac, 0x0800);
		n = 14 + pkt_write_ipv4(f + 14, addr_v4(t), addr_v4(c.src4), IPPROTO_ICMP,
					(uint16_t)(8 + plen - 14), 1, 60);
		f[n] = 3;
		f[n + 1] = 13;
		memcpy(f + n + 8, probe + 14, plen - 14);
		if (forge)
			f[n + 8 + 20 + 7] ^= 1; /* the quoted sequence number */
		n += 8 + plen - 14;
		if (forge) {
			assert_int_equal(classify(&c, f, n, &fd), -1);
		} else {
			assert_int_equal(classify(&c, f, n, &fd), 1);
			assert_true(fd.addr == t);
			assert_int_equal(fd.port, 443);
			assert_int_equal(fd.state, FP_STATE_FILTERED);
			assert_string_equal(fd.reason, "icmp-admin-prohibited");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_make),
		cmocka_unit_test(test_setup_hook),
		cmocka_unit_test(test_syn_classify),
		cmocka_unit_test(test_syn_icmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
