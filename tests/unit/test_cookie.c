/* SPDX-License-Identifier: MIT */
/* Unit tests of SipHash-2-4 and the probe cookie. */
#include "unit.h"
#include "core/cookie.h"

/* key = 00 01 .. 0f. */
static const uint8_t ref_key[16] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

/*
 * From the SipHash reference implementation's table (vectors_sip64), message
 * = 00 01 .. len-1; cross-checked with an independent Python model.
 */
static const struct {
	size_t len;
	uint64_t hash;
} ref_vectors[] = {
	{ 0, 0x726fdb47dd0e0e31ULL },  { 1, 0x74f839c593dc67fdULL },
	{ 2, 0x0d6c8009d9a94f5aULL },  { 7, 0xab0200f58b01d137ULL },
	{ 8, 0x93f5f5799a932462ULL },  { 9, 0x9e0082df0ba9e4b0ULL },
	{ 15, 0xa129ca6149be45e5ULL }, { 16, 0x3f2acc7f57c29bdbULL },
	{ 17, 0x699ae9f52cbe4794ULL }, { 31, 0x32d892fad841c342ULL },
	{ 32, 0x7127512f72f27cceULL }, { 35, 0x15e034d40fa197aeULL },
	{ 63, 0x958a324ceb064572ULL },
};

static void test_siphash_vectors(void **state)
{
	uint8_t msg[64];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < ARRAY_SIZE(ref_vectors); i++)
		assert_int_equal(siphash24(ref_key, msg, ref_vectors[i].len),
		                 ref_vectors[i].hash);
}

/* siphash24 must not read the message through an aligned pointer. */
static void test_siphash_unaligned(void **state)
{
	uint8_t buf[80];

	(void)state;
	for (size_t off = 0; off < 8; off++) {
		for (size_t i = 0; i < 64; i++)
			buf[off + i] = (uint8_t)i;
		assert_int_equal(siphash24(ref_key, buf + off, 63),
		                 0x958a324ceb064572ULL);
	}
}

/* The byte layout documented in cookie.h. */
static void cookie_msg(uint8_t msg[static COOKIE_MSG_LEN], u128 src, u128 dst,
                       uint16_t dport, uint8_t proto)
{
	for (int i = 0; i < 16; i++) {
		msg[i] = (uint8_t)(src >> (8 * (15 - i)));
		msg[16 + i] = (uint8_t)(dst >> (8 * (15 - i)));
	}
	msg[32] = (uint8_t)(dport >> 8);
	msg[33] = (uint8_t)dport;
	msg[34] = proto;
}

static u128 v6(uint64_t hi, uint64_t lo)
{
	return (u128)hi << 64 | lo;
}

static void test_cookie_layout(void **state)
{
	uint8_t key[16], msg[COOKIE_MSG_LEN];
	uint64_t x = 0x0123456789abcdefULL;

	(void)state;
	memcpy(key, ref_key, sizeof(key));
	for (int round = 0; round < 2000; round++) {
		u128 src, dst;
		uint16_t dport;
		uint8_t proto;

		/* xorshift64: varied fields, including IPv4-mapped ones. */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		src = round & 1 ? addr_from_v4((uint32_t)x) : v6(x, ~x);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		dst = round & 2 ? addr_from_v4((uint32_t)x) : v6(~x, x * 3);
		dport = (uint16_t)(x >> 20);
		proto = (uint8_t)(x >> 40);
		key[round % 16] ^= (uint8_t)x;
		cookie_msg(msg, src, dst, dport, proto);
		assert_int_equal(cookie_make(key, src, dst, dport, proto),
		                 siphash24(key, msg, sizeof(msg)));
	}
}

/* Pinned values, computed with an independent Python SipHash model. */
static void test_cookie_known(void **state)
{
	(void)state;
	assert_int_equal(cookie_make(ref_key, addr_from_v4(0xc0000201),
	                             addr_from_v4(0xc6336407), 443, FP_PROTO_TCP),
	                 0x8a1383dc4c51b1f7ULL);
	assert_int_equal(cookie_make(ref_key, v6(0x20010db800000000ULL, 1),
	                             v6(0x20010db800000000ULL, 2), 53, FP_PROTO_UDP),
	                 0x03ec92dbe0cf89bbULL);
}

static void test_cookie_fields(void **state)
{
	uint8_t key2[16];
	u128 src = addr_from_v4(0x0a000001), dst = addr_from_v4(0x0a000002);
	uint64_t c = cookie_make(ref_key, src, dst, 80, FP_PROTO_TCP);

	(void)state;
	memcpy(key2, ref_key, sizeof(key2));
	key2[15] ^= 1;
	assert_int_not_equal(cookie_make(key2, src, dst, 80, FP_PROTO_TCP), c);
	assert_int_not_equal(cookie_make(ref_key, src + 1, dst, 80, FP_PROTO_TCP), c);
	assert_int_not_equal(cookie_make(ref_key, src, dst + 1, 80, FP_PROTO_TCP), c);
	assert_int_not_equal(cookie_make(ref_key, dst, src, 80, FP_PROTO_TCP), c);
	assert_int_not_equal(cookie_make(ref_key, src, dst, 81, FP_PROTO_TCP), c);
	assert_int_not_equal(cookie_make(ref_key, src, dst, 80, FP_PROTO_UDP), c);
	/* The high bits of an address count too (v4 vs a v6 with the same low bits). */
	assert_int_not_equal(cookie_make(ref_key, (u128)0x0a000001, dst, 80,
	                                 FP_PROTO_TCP), c);
	assert_int_equal(cookie_make(ref_key, src, dst, 80, FP_PROTO_TCP), c);
}

static void test_cookie_sport_seq(void **state)
{
	unsigned seen_lo = 0, seen_hi = 0;

	(void)state;
	for (uint32_t i = 0; i < 100000; i++) {
		uint64_t c = cookie_make(ref_key, addr_from_v4(0xc0a80001),
		                         addr_from_v4(i), (uint16_t)i, FP_PROTO_TCP);
		uint16_t sport = cookie_sport(c);

		assert_in_range(sport, COOKIE_SPORT_BASE, COOKIE_SPORT_BASE + 16383);
		seen_lo += sport < COOKIE_SPORT_BASE + 64;
		seen_hi += sport >= COOKIE_SPORT_BASE + 16384 - 64;
		assert_int_equal(cookie_seq(c), (uint32_t)c);
	}
	/* The whole range is used: ~390 expected at each end. */
	assert_true(seen_lo > 200 && seen_hi > 200);
	assert_int_equal(cookie_sport(0), COOKIE_SPORT_BASE);
	assert_int_equal(cookie_sport(UINT64_MAX), COOKIE_SPORT_BASE + 16383);
}

/* Random addresses and ports, mixed families, IPv4 runs long enough for
 * every vector width, and a source that is not ours. */
static void test_cookie_ctx_and_batches(void **state)
{
	enum { N = 203 };
	u128 src4 = addr_from_v4(0xc6120001), src6 = v6(0x2001000200000000ULL, 1);
	u128 dst[N];
	uint16_t port[N];
	uint8_t proto[N];
	uint64_t want[N], got[N], x = 0x9e3779b97f4a7c15ULL;
	struct cookie_ctx cc;
	const char *const *names = cookie_impls();
	int nimpl = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* IPv6 now and then, in runs of IPv4 of every length. */
		dst[i] = (x % 11 == 0) ? v6(x, ~x) : addr_from_v4((uint32_t)(x >> 7));
		port[i] = (uint16_t)(x >> 30);
		proto[i] = (uint8_t)(x >> 50) % 3;
		want[i] = cookie_make(ref_key, addr_is_v4(dst[i]) ? src4 : src6, dst[i], port[i], proto[i]);
	}
	assert_string_equal(names[0], "scalar");
	for (; names[nimpl]; nimpl++) {
		assert_int_equal(cookie_ctx_init(&cc, ref_key, src4, src6, names[nimpl]), 0);
		assert_string_equal(cc.impl, names[nimpl]);
		for (int n = 0; n <= N; n += n < 20 ? 1 : 61) {
			memset(got, 0, sizeof(got));
			cookie_batch(&cc, (size_t)n, dst, port, proto, got);
			for (int i = 0; i < n; i++)
				assert_int_equal(got[i], want[i]);
			for (int i = n; i < N; i++)
				assert_int_equal(got[i], 0);
		}
		for (int i = 0; i < N; i++) {
			u128 own = addr_is_v4(dst[i]) ? src4 : src6;

			assert_int_equal(cookie_of(&cc, own, dst[i], port[i], proto[i]), want[i]);
			/* Replies: the address pair the other way round, and a
			 * source that is not ours, both as cookie_make. */
			assert_int_equal(cookie_of(&cc, dst[i], own, port[i], proto[i]),
					 cookie_make(ref_key, dst[i], own, port[i], proto[i]));
			assert_int_equal(cookie_of(&cc, own + 1, dst[i], port[i], proto[i]),
					 cookie_make(ref_key, own + 1, dst[i], port[i], proto[i]));
		}
	}
	/* An unknown name: an error, and the default is set up. */
	assert_int_equal(cookie_ctx_init(&cc, ref_key, src4, 0, "nope"), FP_ENOTSUP);
	assert_non_null(cc.batch);
	assert_int_equal(cookie_of(&cc, src4, dst[1], port[1], proto[1]),
			 cookie_make(ref_key, src4, dst[1], port[1], proto[1]));
	/* Without an IPv4 source the vector code is never used for IPv4. */
	assert_int_equal(cookie_ctx_init(&cc, ref_key, 0, src6, NULL), 0);
	cookie_batch(&cc, 8, dst, port, proto, got);
	for (int i = 0; i < 8; i++)
		assert_int_equal(got[i], cookie_make(ref_key, addr_is_v4(dst[i]) ? 0 : src6, dst[i],
						     port[i], proto[i]));
	print_message("cookie batch implementations checked: %d\n", nimpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_siphash_unaligned),
		cmocka_unit_test(test_cookie_layout),
		cmocka_unit_test(test_cookie_known),
		cmocka_unit_test(test_cookie_fields),
		cmocka_unit_test(test_cookie_sport_seq),
		cmocka_unit_test(test_cookie_ctx_and_batches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
