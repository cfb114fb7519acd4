/* SPDX-License-Identifier: MIT */
/* Unit tests for the RFC 1071 checksum, pseudo-headers and RFC 1624 updates. */
#include "unit.h"

#include "net/checksum.h"

/*
 * Vectors below were made with scapy 2.5 (offline, nothing sent), whose
 * checksum code is independent of ours; the comment gives scapy's value.
 */

/* IPv4 TCP SYN with MSS, SACK-permitted, timestamp, NOP, window scale:
 * IP checksum 0x7c45, TCP checksum 0x1c21. */
static const uint8_t v4_syn[] = {
	0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x7c, 0x45,
	0xc6, 0x33, 0x64, 0x05, 0xc0, 0x00, 0x02, 0x0a, 0x9c, 0x42, 0x01, 0xbb,
	0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0x04, 0x00,
	0x1c, 0x21, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* IPv6 UDP with an odd-length payload "abcdefghijk": UDP checksum 0xa1c4. */
static const uint8_t v6_udp[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x13, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x10, 0x9c, 0x46, 0x00, 0x35, 0x00, 0x13, 0xa1, 0xc4,
	0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b,
};

/* IPv6 ICMPv6 echo request fe80::1 -> ff02::1, data "hello": checksum 0x3de6. */
static const uint8_t v6_icmp[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0x3d, 0xe6, 0x00, 0x77, 0x00, 0x03,
	0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* Kept local so this test links against checksum.c alone. */
static u128 bytes_to_u128(const uint8_t *p)
{
	u128 a = 0;
	int i;

	for (i = 0; i < 16; i++)
		a = a << 8 | p[i];
	return a;
}

/* The L4 checksum of an IPv6 packet without extension headers, with the
 * checksum field at csum_off (from the start of L4) taken as zero. */
static uint16_t l4_csum_v6(const uint8_t *pkt, size_t len, size_t csum_off)
{
	uint8_t buf[256];
	size_t l4len = len - 40;
	uint32_t s;

	assert_true(l4len <= sizeof(buf));
	memcpy(buf, pkt + 40, l4len);
	buf[csum_off] = buf[csum_off + 1] = 0;
	s = csum_pseudo(bytes_to_u128(pkt + 8), bytes_to_u128(pkt + 24), pkt[6], (uint32_t)l4len);
	return csum_finish(csum_add(s, buf, l4len));
}

static void test_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
	static const uint8_t w[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(csum_add(0, w, sizeof(w)), 0xddf2);
	assert_int_equal(csum_finish(csum_add(0, w, sizeof(w))), 0x220d);
	/* Chained over even chunks, the sum is the same. */
	assert_int_equal(csum_add(csum_add(0, w, 2), w + 2, 6), 0xddf2);
	assert_int_equal(csum_add(csum_add(csum_add(0, w, 4), w + 4, 2), w + 6, 2), 0xddf2);
}

static void test_odd_tail(void **state)
{
	static const uint8_t a[] = { 0xab };
	static const uint8_t b[] = { 0x12, 0x34, 0x56 };
	static const uint8_t b0[] = { 0x12, 0x34, 0x56, 0x00 };

	(void)state;
	assert_int_equal(csum_add(0, a, 1), 0xab00);
	assert_int_equal(csum_add(0, b, 3), csum_add(0, b0, 4));
	assert_int_equal(csum_add(0, b, 0), 0);
	assert_int_equal(csum_add(0, NULL, 0), 0);
}

static void test_finish_zero_and_fold(void **state)
{
	static uint8_t big[70000];

	(void)state;
	/* Ones' complement -0 (0xffff) finishes to 0x0000; that is left alone. */
	assert_int_equal(csum_finish(0xffff), 0x0000);
	assert_int_equal(csum_finish(0), 0xffff);
	/* A running sum above 16 bits is folded with its carries. */
	assert_int_equal(csum_finish(0x2ddf0), 0x220d);
	assert_int_equal(csum_finish(0xffffffffu), 0x0000);
	/* Many words of 0xffff never overflow the accumulator. */
	memset(big, 0xff, sizeof(big));
	assert_int_equal(csum_add(0, big, sizeof(big)), 0xffff);
	assert_int_equal(csum_add(0xffffffffu, big, sizeof(big)), 0xffff);
}

static void test_ipv4_header(void **state)
{
	/* A captured IPv4 header (UDP 192.168.0.1 -> 192.168.0.199). */
	uint8_t h[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};

	(void)state;
	/* Verifying: the sum over a correct header, checksum included, is -0. */
	assert_int_equal(csum_finish(csum_add(0, h, sizeof(h))), 0);
	h[10] = h[11] = 0;
	assert_int_equal(csum_finish(csum_add(0, h, sizeof(h))), 0xb861);
}

static void test_tcp_syn_v4(void **state)
{
	uint8_t seg[40];
	u128 src = addr_from_v4(be32_load(v4_syn + 12));
	u128 dst = addr_from_v4(be32_load(v4_syn + 16));
	uint8_t hdr[20];
	uint32_t s;

	(void)state;
	memcpy(hdr, v4_syn, 20);
	hdr[10] = hdr[11] = 0;
	assert_int_equal(csum_finish(csum_add(0, hdr, 20)), 0x7c45);

	memcpy(seg, v4_syn + 20, sizeof(seg));
	s = csum_pseudo(src, dst, 6, sizeof(seg));
	assert_int_equal(csum_finish(csum_add(s, seg, sizeof(seg))), 0);
	seg[16] = seg[17] = 0;
	assert_int_equal(csum_finish(csum_add(s, seg, sizeof(seg))), 0x1c21);
	/* Header and options summed separately give the same result. */
	assert_int_equal(csum_finish(csum_add(csum_add(s, seg, 20), seg + 20, 20)), 0x1c21);
}

static void test_pseudo_v4_bytes(void **state)
{
	/* RFC 793: src, dst, zero, protocol, TCP length. */
	static const uint8_t ph[] = {
		0xc6, 0x33, 0x64, 0x05, 0xc0, 0x00, 0x02, 0x0a, 0x00, 0x06, 0x00, 0x28,
	};
	u128 src = addr_from_v4(0xc6336405), dst = addr_from_v4(0xc000020a);

	(void)state;
	assert_int_equal(csum_pseudo(src, dst, 6, 40), csum_add(0, ph, sizeof(ph)));
}

static void test_pseudo_v6_bytes(void **state)
{
	/* RFC 8200 8.1: src, dst, 32-bit length, three zero bytes, next header. */
	uint8_t ph[40];
	uint32_t len = 0x00012345;

	(void)state;
	memcpy(ph, v6_udp + 8, 32);
	be32_store(ph + 32, len);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = 17;
	assert_int_equal(csum_pseudo(bytes_to_u128(v6_udp + 8), bytes_to_u128(v6_udp + 24), 17, len),
			 csum_add(0, ph, sizeof(ph)));
}

static void test_udp_v6_odd(void **state)
{
	(void)state;
	assert_int_equal(l4_csum_v6(v6_udp, sizeof(v6_udp), 6), 0xa1c4);
}

static void test_icmpv6_echo(void **state)
{
	(void)state;
	assert_int_equal(l4_csum_v6(v6_icmp, sizeof(v6_icmp), 2), 0x3de6);
}

static uint32_t xorshift32(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void test_update16_random(void **state)
{
	uint8_t buf[64];
	uint32_t rng = 0x12345678;
	uint16_t c, old, nw;
	size_t len, w;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		len = 4 + 2 * (xorshift32(&rng) % 30);
		for (w = 0; w < len; w++)
			buf[w] = (uint8_t)xorshift32(&rng);
		/* A constant nonzero first word keeps the data off the
		 * all-zero case, where +0 and -0 legitimately differ. */
		buf[0] = 0x45;
		c = csum_finish(csum_add(0, buf, len));
		w = 2 + 2 * (xorshift32(&rng) % (len / 2 - 1));
		old = be16_load(buf + w);
		switch (xorshift32(&rng) % 4) {
		case 0:
			nw = 0;
			break;
		case 1:
			nw = 0xffff;
			break;
		default:
			nw = (uint16_t)xorshift32(&rng);
		}
		be16_store(buf + w, nw);
		assert_int_equal(csum_update16(c, old, nw), csum_finish(csum_add(0, buf, len)));
	}
}

static void test_update16_ttl(void **state)
{
	/* Decrementing the TTL of the captured header, as a router does. */
	uint8_t h[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	uint16_t old = be16_load(h + 8);
	uint16_t c;

	(void)state;
	h[8]--;
	c = csum_update16(0xb861, old, be16_load(h + 8));
	h[10] = h[11] = 0;
	assert_int_equal(c, csum_finish(csum_add(0, h, sizeof(h))));
	assert_int_equal(c, 0xb961);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_odd_tail),
		cmocka_unit_test(test_finish_zero_and_fold),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_tcp_syn_v4),
		cmocka_unit_test(test_pseudo_v4_bytes),
		cmocka_unit_test(test_pseudo_v6_bytes),
		cmocka_unit_test(test_udp_v6_odd),
		cmocka_unit_test(test_icmpv6_echo),
		cmocka_unit_test(test_update16_random),
		cmocka_unit_test(test_update16_ttl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
