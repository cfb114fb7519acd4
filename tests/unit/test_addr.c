/* SPDX-License-Identifier: MIT */
/* Unit tests of address parsing and formatting and of address sets (src/core/addr.c). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/addr.h"

#define V4(a, b, c, d) addr_from_v4((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static u128 v6(uint16_t g0, uint16_t g1, uint16_t g2, uint16_t g3,
	       uint16_t g4, uint16_t g5, uint16_t g6, uint16_t g7)
{
	uint16_t g[8] = { g0, g1, g2, g3, g4, g5, g6, g7 };
	u128 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 16 | g[i];
	return v;
}

static int parse(const char *s, u128 *out)
{
	return addr_parse(s, strlen(s), out);
}

static u128 must_parse(const char *s)
{
	u128 v = 0;

	if (parse(s, &v) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return v;
}

static void assert_u128_equal(u128 a, u128 b)
{
	assert_int_equal((uint64_t)(a >> 64), (uint64_t)(b >> 64));
	assert_int_equal((uint64_t)a, (uint64_t)b);
}

static void test_parse_v4_valid(void **state)
{
	(void)state;
	assert_u128_equal(must_parse("0.0.0.0"), V4(0, 0, 0, 0));
	assert_u128_equal(must_parse("1.2.3.4"), V4(1, 2, 3, 4));
	assert_u128_equal(must_parse("255.255.255.255"), V4(255, 255, 255, 255));
	assert_u128_equal(must_parse("10.0.0.0"), V4(10, 0, 0, 0));
	assert_u128_equal(must_parse("192.168.100.200"), V4(192, 168, 100, 200));
	assert_true(addr_is_v4(must_parse("127.0.0.1")));
	/* Exactly len bytes are read. */
	{
		u128 v;

		assert_int_equal(addr_parse("1.2.3.4junk", 7, &v), 0);
		assert_u128_equal(v, V4(1, 2, 3, 4));
	}
}

static void test_parse_v4_invalid(void **state)
{
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "256.0.0.0", "1.2.3.256",
		"10.0.0.300", "010.0.0.1", "1.2.3.04", "00.1.2.3", "1..2.3",
		".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4x", "a.b.c.d",
		"1.2.3.-4", "+1.2.3.4", "0x1.2.3.4", "1.2.3.4/", "99999999999.1.1.1",
		"1.2.3.4\n", "1,2,3,4",
	};
	u128 v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse(bad[i], &v) != FP_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_int_equal(addr_parse("1.2.3.4\0", 8, &v), FP_EINVAL);
	assert_int_equal(addr_parse("1.2\0.3.4", 8, &v), FP_EINVAL);
}

static void test_parse_v6_valid(void **state)
{
	(void)state;
	assert_u128_equal(must_parse("::"), 0);
	assert_u128_equal(must_parse("::1"), 1);
	assert_u128_equal(must_parse("1::"), v6(1, 0, 0, 0, 0, 0, 0, 0));
	assert_u128_equal(must_parse("1:2:3:4:5:6:7:8"), v6(1, 2, 3, 4, 5, 6, 7, 8));
	assert_u128_equal(must_parse("2001:DB8::ff00:42:8329"),
			  v6(0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329));
	assert_u128_equal(must_parse("2001:0db8:0000:0000:0000:ff00:0042:8329"),
			  v6(0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329));
	assert_u128_equal(must_parse("1::8"), v6(1, 0, 0, 0, 0, 0, 0, 8));
	assert_u128_equal(must_parse("1:2:3:4:5:6:7::"), v6(1, 2, 3, 4, 5, 6, 7, 0));
	assert_u128_equal(must_parse("::2:3:4:5:6:7:8"), v6(0, 2, 3, 4, 5, 6, 7, 8));
	assert_u128_equal(must_parse("1:2:3::6:7:8"), v6(1, 2, 3, 0, 0, 6, 7, 8));
	assert_u128_equal(must_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), ~(u128)0);
	/* Embedded dotted quads. */
	assert_u128_equal(must_parse("::ffff:1.2.3.4"), V4(1, 2, 3, 4));
	assert_true(addr_is_v4(must_parse("::FFFF:10.0.0.1")));
	assert_u128_equal(must_parse("::1.2.3.4"), v6(0, 0, 0, 0, 0, 0, 0x102, 0x304));
	assert_u128_equal(must_parse("1:2:3:4:5:6:1.2.3.4"),
			  v6(1, 2, 3, 4, 5, 6, 0x102, 0x304));
	assert_u128_equal(must_parse("64:ff9b::192.0.2.33"),
			  v6(0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x221));
	assert_u128_equal(must_parse("1:2:3:4:5::1.2.3.4"),
			  v6(1, 2, 3, 4, 5, 0, 0x102, 0x304));
}

static void test_parse_v6_invalid(void **state)
{
	static const char *const bad[] = {
		":", ":::", "::::", "1:::2", "1::2::3", "::1::", ":1::2", "1::2:",
		"1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::",
		"::1:2:3:4:5:6:7:8", "12345::", "1:23456::", "g::", "1:2:3:4:5:6:7:8:",
		":1:2:3:4:5:6:7:8", "fe80::1%eth0", "fe80::1%1", "::1 ", " ::1",
		"::ffff:1.2.3", "::ffff:1.2.3.4.5", "::ffff:01.2.3.4", "::1.2.3.4:1",
		"1:2:3:4:5:6:7:1.2.3.4", "::256.1.1.1", "::1.2.3.4x", "1.2.3.4::",
		"::ffff:1.2.3.4/", "[::1]", "::-1", "1:2:3:4:5:6:7:8/", "::00000",
		"0:0:0:0:0:0:0:0:0", "::1.2.3.4.", "::.1.2.3",
	};
	u128 v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse(bad[i], &v) != FP_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
}

static void check_format(const char *in, const char *want)
{
	char buf[ADDR_STRLEN];
	u128 v = must_parse(in), back;
	size_t n = addr_format(v, buf);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(addr_parse(buf, n, &back), 0);
	assert_u128_equal(back, v);
}

static void test_format(void **state)
{
	char buf[ADDR_STRLEN];

	(void)state;
	check_format("1.2.3.4", "1.2.3.4");
	check_format("0.0.0.0", "0.0.0.0");
	check_format("255.255.255.255", "255.255.255.255");
	check_format("::ffff:1.2.3.4", "1.2.3.4");
	check_format("::", "::");
	check_format("::1", "::1");
	check_format("1::", "1::");
	/* RFC 5952 section 4: leading zeros dropped, lowercase, :: for the
	 * longest run, the first of equal runs, never for one group. */
	check_format("2001:0DB8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1");
	check_format("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	check_format("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	check_format("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
	check_format("2001:db8::1:0:0:0:1", "2001:db8:0:1::1");
	check_format("1:0:0:0:1:0:0:0", "1::1:0:0:0");
	check_format("0:0:1:0:0:0:0:1", "0:0:1::1");
	check_format("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0");
	check_format("0:2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8");
	check_format("1:2:3:4:5:6:0:0", "1:2:3:4:5:6::");
	check_format("0:0:3:4:5:6:7:8", "::3:4:5:6:7:8");
	check_format("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789",
		     "abcd:ef01:2345:6789:abcd:ef01:2345:6789");
	check_format("::1.2.3.4", "::102:304");
	check_format("::fffe:1.2.3.4", "::fffe:102:304");
	check_format("::1:ffff:1.2.3.4", "::1:ffff:102:304");
	check_format("fe80::", "fe80::");
	assert_int_equal(addr_format(~(u128)0, buf), 39);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(addr_format(v6(0x1111, 0x2222, 0x3333, 0x4444, 0x5555,
					 0x6666, 0x7777, 0x8888), buf), 39);
}

static int add_tok(struct ipset *s, const char *tok, char *err, size_t errlen)
{
	return ipset_add_token(s, tok, strlen(tok), err, errlen);
}

static void test_token_forms(void **state)
{
	struct ipset s;
	char err[256];

	(void)state;
	ipset_init(&s);
	assert_int_equal(add_tok(&s, "10.0.0.1", err, sizeof(err)), 0);
	assert_int_equal(add_tok(&s, "10.1.0.7/24", err, sizeof(err)), 0);
	assert_int_equal(add_tok(&s, "10.2.0.250-10.2.1.5", err, sizeof(err)), 0);
	assert_int_equal(add_tok(&s, "2001:db8::/126", err, sizeof(err)), 0);
	assert_int_equal(add_tok(&s, "2001:db8::1:5-2001:db8::1:6", err, sizeof(err)), 0);
	assert_int_equal(add_tok(&s, "10.3.0.9-10.3.0.9", err, sizeof(err)), 0);
	assert_int_equal(add_tok(&s, "10.4.0.0/32", err, sizeof(err)), 0);
	assert_int_equal(add_tok(&s, "::ffff:10.5.0.0/127", err, sizeof(err)), 0);
	assert_int_equal(add_tok(&s, "::ffff:10.6.0.1-10.6.0.2", err, sizeof(err)), 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 1 + 256 + 12 + 4 + 2 + 1 + 1 + 2 + 2);
	assert_true(ipset_contains(&s, V4(10, 1, 0, 0)));
	assert_true(ipset_contains(&s, V4(10, 1, 0, 255)));
	assert_false(ipset_contains(&s, V4(10, 1, 1, 0)));
	assert_true(ipset_contains(&s, V4(10, 2, 1, 5)));
	assert_false(ipset_contains(&s, V4(10, 2, 1, 6)));
	assert_true(ipset_contains(&s, must_parse("2001:db8::3")));
	assert_false(ipset_contains(&s, must_parse("2001:db8::4")));
	assert_true(ipset_contains(&s, V4(10, 5, 0, 1)));
	ipset_free(&s);

	/* Whole families and edge prefixes. */
	ipset_init(&s);
	assert_int_equal(add_tok(&s, "0.0.0.0/0", err, sizeof(err)), 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, (uint64_t)1 << 32);
	assert_u128_equal(ipset_at(&s, 0), V4(0, 0, 0, 0));
	assert_u128_equal(ipset_at(&s, s.count - 1), V4(255, 255, 255, 255));
	ipset_free(&s);

	ipset_init(&s);
	assert_int_equal(add_tok(&s, "::/0", err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_u128_equal(s.r[0].lo, 0);
	assert_u128_equal(s.r[0].hi, ~(u128)0);
	assert_int_equal(add_tok(&s, "ffff::1/128", err, sizeof(err)), 0);
	assert_u128_equal(s.r[1].lo, s.r[1].hi);
	ipset_free(&s);
}

static void check_token_error(const char *tok, const char *reason)
{
	struct ipset s;
	char err[256], want[256];

	ipset_init(&s);
	err[0] = '\0';
	if (add_tok(&s, tok, err, sizeof(err)) != FP_EINVAL)
		fail_msg("token \"%s\" was accepted", tok);
	snprintf(want, sizeof(want), "invalid target '%s': %s", tok, reason);
	if (strcmp(err, want) != 0)
		fail_msg("token \"%s\": got \"%s\", want \"%s\"", tok, err, want);
	assert_int_equal(s.n, 0);
	ipset_free(&s);
}

static void test_token_errors(void **state)
{
	struct ipset s;
	char err[256];

	(void)state;
	check_token_error("10.0.0.300", "bad IPv4 address");
	check_token_error("010.0.0.1", "bad IPv4 address");
	check_token_error("1.2.3", "bad IPv4 address");
	check_token_error("1:2:3:4:5:6:7:8:9", "bad IPv6 address");
	check_token_error(":::", "bad IPv6 address");
	check_token_error("fe80::1%eth0", "zone ids are not supported");
	check_token_error("example.com", "not an IP address (host names are not resolved)");
	check_token_error("10.0.0.0/33", "prefix length out of range (0-32)");
	check_token_error("::/129", "prefix length out of range (0-128)");
	check_token_error("10.0.0.0/", "bad prefix length");
	check_token_error("10.0.0.0/08", "bad prefix length");
	check_token_error("10.0.0.0/1000", "bad prefix length");
	check_token_error("10.0.0.0/8x", "bad prefix length");
	check_token_error("10.0.0.0/-1", "range start is not an IP address");
	check_token_error("10.0.0.0/8/8", "bad prefix length");
	check_token_error("/8", "no address before '/'");
	check_token_error("10.0.0.9-10.0.0.1", "range start is after its end");
	check_token_error("::2-::1", "range start is after its end");
	check_token_error("1.2.3.4-::1", "range mixes IPv4 and IPv6");
	check_token_error("::1-1.2.3.4", "range mixes IPv4 and IPv6");
	check_token_error("10.0.0.1-", "range has no end");
	check_token_error("-10.0.0.1", "range has no start");
	check_token_error("10.0.0.1-20", "range end is not an IP address");
	check_token_error("10.0.0.x-10.0.0.1", "range start is not an IP address");
	check_token_error("1.2.3.4-5.6.7.8-9.9.9.9", "range end is not an IP address");

	/* Empty tokens, NUL bytes and unprintable bytes in messages. */
	ipset_init(&s);
	assert_int_equal(ipset_add_token(&s, "", 0, err, sizeof(err)), FP_EINVAL);
	assert_string_equal(err, "invalid target '': empty target");
	assert_int_equal(ipset_add_token(&s, "1.2.3.4\0", 8, err, sizeof(err)), FP_EINVAL);
	assert_string_equal(err, "invalid target '1.2.3.4?': bad IPv4 address");
	assert_int_equal(add_tok(&s, "\x1b[31m1.2.3.4", err, sizeof(err)), FP_EINVAL);
	assert_non_null(strstr(err, "'?[31m1.2.3.4'"));
	/* Long tokens are cut in the message; small and absent buffers. */
	{
		char tok[300];

		memset(tok, '1', sizeof(tok) - 1);
		tok[sizeof(tok) - 1] = '\0';
		assert_int_equal(add_tok(&s, tok, err, sizeof(err)), FP_EINVAL);
		assert_non_null(strstr(err, "...': bad IPv4 address"));
		assert_true(strlen(err) < 120);
	}
	assert_int_equal(add_tok(&s, "bad", err, 5), FP_EINVAL);
	assert_string_equal(err, "inva");
	assert_int_equal(add_tok(&s, "bad", NULL, 0), FP_EINVAL);
	assert_int_equal(s.n, 0);
	ipset_free(&s);
}

static void test_spec(void **state)
{
	struct ipset s;
	char err[256];

	(void)state;
	ipset_init(&s);
	assert_int_equal(ipset_add_spec(&s, "10.0.0.1,10.0.0.2 10.0.0.3\t10.0.0.4 , 10.0.0.5,\n",
					err, sizeof(err)), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(ipset_add_spec(&s, "::1", err, sizeof(err)), 0);
	assert_int_equal(s.n, 6);
	/* A bad token leaves the set as it was. */
	assert_int_equal(ipset_add_spec(&s, "10.1.0.1,10.1.0.2,10.0.0.256,10.1.0.3",
					err, sizeof(err)), FP_EINVAL);
	assert_string_equal(err, "invalid target '10.0.0.256': bad IPv4 address");
	assert_int_equal(s.n, 6);
	assert_int_equal(ipset_add_spec(&s, "", err, sizeof(err)), FP_EINVAL);
	assert_string_equal(err, "invalid target spec: no targets");
	assert_int_equal(ipset_add_spec(&s, ",", err, sizeof(err)), FP_EINVAL);
	assert_string_equal(err, "invalid target spec: no targets");
	assert_int_equal(ipset_add_spec(&s, " , ,, \t", err, sizeof(err)), FP_EINVAL);
	assert_string_equal(err, "invalid target spec: no targets");
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 6);
	assert_int_equal(s.n, 2);
	ipset_free(&s);
}

static void add_range(struct ipset *s, u128 lo, u128 hi)
{
	assert_int_equal(ipset_add(s, lo, hi), 0);
}

static void check_ranges(const struct ipset *s, const uint64_t *want, size_t n)
{
	assert_int_equal(s->n, n);
	for (size_t i = 0; i < n; i++) {
		assert_u128_equal(s->r[i].lo, want[2 * i]);
		assert_u128_equal(s->r[i].hi, want[2 * i + 1]);
	}
}

static void test_merge(void **state)
{
	struct ipset s;
	char err[256];

	(void)state;
	ipset_init(&s);
	add_range(&s, 50, 60);   /* unsorted input */
	add_range(&s, 10, 20);
	add_range(&s, 15, 25);   /* overlap */
	add_range(&s, 26, 30);   /* adjacent */
	add_range(&s, 12, 13);   /* contained */
	add_range(&s, 40, 40);
	add_range(&s, 42, 42);   /* a gap of one stays a gap */
	add_range(&s, 61, 61);   /* adjacent at the end */
	add_range(&s, 50, 60);   /* duplicate */
	add_range(&s, 0, 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	{
		static const uint64_t want[] = { 0, 0, 10, 30, 40, 40, 42, 42, 50, 61 };

		check_ranges(&s, want, ARRAY_SIZE(want) / 2);
	}
	assert_int_equal(s.count, 1 + 21 + 1 + 1 + 12);
	assert_int_equal(s.before[0], 0);
	assert_int_equal(s.before[1], 1);
	assert_int_equal(s.before[4], 24);
	/* Finishing again changes nothing. */
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 36);
	/* Adding after finish invalidates the index until the next finish. */
	add_range(&s, 31, 39);
	assert_null(s.before);
	assert_int_equal(s.count, 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 45);
	assert_int_equal(s.n, 4);
	assert_int_equal(ipset_add(&s, 5, 4), FP_EINVAL);
	ipset_free(&s);

	/* The ends of the number space. */
	ipset_init(&s);
	assert_int_equal(ipset_add(&s, ~(u128)0 - 5, ~(u128)0), 0);
	assert_int_equal(ipset_add(&s, ~(u128)0 - 10, ~(u128)0 - 6), 0);
	assert_int_equal(ipset_add(&s, ~(u128)0, ~(u128)0), 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.count, 11);
	assert_u128_equal(ipset_at(&s, 10), ~(u128)0);
	ipset_free(&s);

	/* An empty set finishes with count 0. */
	ipset_init(&s);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 0);
	assert_false(ipset_contains(&s, 0));
	{
		uint64_t idx;

		assert_int_equal(ipset_index(&s, 0, &idx), -1);
	}
	ipset_free(&s);
}

static void test_subtract(void **state)
{
	struct ipset s, x;
	char err[256];

	(void)state;
	ipset_init(&s);
	ipset_init(&x);
	add_range(&s, 100, 199);
	add_range(&s, 300, 399);
	add_range(&s, 500, 599);
	add_range(&s, 700, 700);
	/* Unsorted, overlapping exclusions: edges, middle, spanning, full. */
	add_range(&x, 150, 160);  /* middle of the first */
	add_range(&x, 90, 100);   /* lower edge */
	add_range(&x, 199, 310);  /* upper edge of one, lower of the next */
	add_range(&x, 399, 399);  /* upper edge */
	add_range(&x, 155, 158);  /* inside another exclusion */
	add_range(&x, 450, 650);  /* whole interval */
	add_range(&x, 700, 700);  /* single address */
	add_range(&x, 800, 900);  /* nothing there */
	assert_int_equal(ipset_subtract(&s, &x), 0);
	{
		static const uint64_t want[] = { 101, 149, 161, 198, 311, 398 };

		check_ranges(&s, want, ARRAY_SIZE(want) / 2);
	}
	/* x was not changed. */
	assert_int_equal(x.n, 8);
	assert_u128_equal(x.r[0].lo, 150);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 49 + 38 + 88);
	/* Subtracting from a finished set; result finishes again. */
	ipset_free(&x);
	ipset_init(&x);
	add_range(&x, 120, 120);
	assert_int_equal(ipset_finish(&x, err, sizeof(err)), 0);
	assert_int_equal(ipset_subtract(&s, &x), 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 174);
	assert_false(ipset_contains(&s, 120));
	assert_true(ipset_contains(&s, 119));
	assert_true(ipset_contains(&s, 121));
	/* An empty exclusion keeps the set finished. */
	ipset_free(&x);
	ipset_init(&x);
	assert_int_equal(ipset_subtract(&s, &x), 0);
	assert_int_equal(s.count, 174);
	assert_non_null(s.before);
	/* Removing everything. */
	add_range(&x, 0, ~(u128)0);
	assert_int_equal(ipset_subtract(&s, &x), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 0);
	ipset_free(&s);

	/* Holes at the top and bottom of the number space. */
	ipset_init(&s);
	add_range(&s, 0, ~(u128)0);
	ipset_free(&x);
	ipset_init(&x);
	add_range(&x, 0, 0);
	add_range(&x, ~(u128)0, ~(u128)0);
	assert_int_equal(ipset_subtract(&s, &x), 0);
	assert_int_equal(s.n, 1);
	assert_u128_equal(s.r[0].lo, 1);
	assert_u128_equal(s.r[0].hi, ~(u128)0 - 1);
	ipset_free(&s);
	ipset_free(&x);
}

static void test_at_index(void **state)
{
	struct ipset s;
	char err[256];
	uint64_t idx;

	(void)state;
	ipset_init(&s);
	assert_int_equal(ipset_add_spec(&s, "10.0.0.255-10.0.1.1 1.1.1.1 ::/126 "
					"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127 "
					"192.168.0.0/30 192.168.0.4 ::ffff:0.0.0.0",
					err, sizeof(err)), 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 3 + 1 + 4 + 2 + 5 + 1);
	for (uint64_t i = 0; i < s.count; i++) {
		u128 a = ipset_at(&s, i);

		assert_true(ipset_contains(&s, a));
		assert_int_equal(ipset_index(&s, a, &idx), 0);
		assert_int_equal(idx, i);
		if (i > 0)
			assert_true(a > ipset_at(&s, i - 1));
	}
	assert_u128_equal(ipset_at(&s, 0), 0);
	assert_u128_equal(ipset_at(&s, 4), V4(0, 0, 0, 0));
	assert_u128_equal(ipset_at(&s, s.count - 1), ~(u128)0);
	assert_u128_equal(ipset_at(&s, s.count), 0); /* out of range */
	assert_int_equal(ipset_index(&s, V4(10, 0, 1, 2), &idx), -1);
	assert_int_equal(ipset_index(&s, 4, &idx), -1);
	assert_int_equal(ipset_index(&s, V4(192, 168, 0, 5), &idx), -1);
	assert_false(ipset_contains(&s, ~(u128)0 - 2));
	ipset_free(&s);

	/* Many intervals: every second address of a /20. */
	ipset_init(&s);
	for (uint32_t i = 0; i < 4096; i += 2)
		assert_int_equal(ipset_add(&s, addr_from_v4(0x0a000000 + i),
					   addr_from_v4(0x0a000000 + i)), 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2048);
	for (uint64_t i = 0; i < s.count; i++) {
		assert_u128_equal(ipset_at(&s, i), addr_from_v4(0x0a000000 + 2 * (uint32_t)i));
		assert_int_equal(ipset_index(&s, ipset_at(&s, i), &idx), 0);
		assert_int_equal(idx, i);
		assert_int_equal(ipset_index(&s, ipset_at(&s, i) + 1, &idx), -1);
	}
	ipset_free(&s);
}

static void test_max_count(void **state)
{
	struct ipset s;
	char err[256];

	(void)state;
	ipset_init(&s);
	assert_int_equal(ipset_add_spec(&s, "2001:db8::/88", err, sizeof(err)), 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, IPSET_MAX_COUNT);
	assert_int_equal(ipset_add_spec(&s, "2001:db9::1", err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), FP_ERANGE);
	assert_non_null(strstr(err, "more than"));
	assert_non_null(strstr(err, "-iL"));
	assert_null(s.before);
	/* The set is still usable: excluding makes it fit. */
	{
		struct ipset x;

		ipset_init(&x);
		assert_int_equal(ipset_add_spec(&x, "2001:db9::/32", err, sizeof(err)), 0);
		assert_int_equal(ipset_subtract(&s, &x), 0);
		assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
		assert_int_equal(s.count, IPSET_MAX_COUNT);
		ipset_free(&x);
	}
	ipset_free(&s);

	/* Sizes beyond 64 bits. */
	ipset_init(&s);
	assert_int_equal(ipset_add_spec(&s, "::/0", err, sizeof(err)), 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), FP_ERANGE);
	ipset_free(&s);
	ipset_init(&s);
	assert_int_equal(ipset_add_spec(&s, "1::/64 2::/64", err, sizeof(err)), 0);
	assert_int_equal(ipset_finish(&s, NULL, 0), FP_ERANGE);
	ipset_free(&s);
}

static void test_builtin_excludes(void **state)
{
	static const char *const excluded[] = {
		"0.0.0.0", "0.255.255.255", "224.0.0.1", "239.255.255.255",
		"240.0.0.0", "255.255.255.255", "::", "ff02::1", "ff00::",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	static const char *const reserved[] = {
		"198.18.0.0", "198.19.255.255", "192.0.2.1", "198.51.100.77",
		"203.0.113.255", "2001:2::1", "2001:2:0:ffff::", "2001:db8::1",
		"2001:db8:ffff::",
	};
	static const char *const allowed[] = {
		"1.0.0.0", "127.0.0.1", "10.0.0.1", "223.255.255.255", "198.17.255.255",
		"198.20.0.0", "192.0.3.0", "::1", "::2", "fe80::1", "2001:3::",
		"2001:2:1::", "2001:db9::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"::fffe:ffff:ffff", "::1:0:0:0",
	};
	struct ipset s;
	char err[256];

	(void)state;
	for (int allow = 0; allow < 2; allow++) {
		ipset_init(&s);
		assert_int_equal(ipset_add_builtin_excludes(&s, allow), 0);
		assert_int_equal(ipset_finish(&s, err, sizeof(err)), FP_ERANGE);
		for (size_t i = 0; i < ARRAY_SIZE(excluded); i++)
			if (!ipset_contains(&s, must_parse(excluded[i])))
				fail_msg("%s not excluded", excluded[i]);
		for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
			if (ipset_contains(&s, must_parse(reserved[i])) == allow)
				fail_msg("%s: wrong with allow_reserved=%d", reserved[i], allow);
		for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
			if (ipset_contains(&s, must_parse(allowed[i])))
				fail_msg("%s excluded", allowed[i]);
		ipset_free(&s);
	}

	/* Applied to targets. */
	{
		struct ipset t;

		ipset_init(&t);
		ipset_init(&s);
		assert_int_equal(ipset_add_spec(&t, "192.0.2.0/23 127.0.0.1 ff02::1", err, sizeof(err)), 0);
		assert_int_equal(ipset_add_builtin_excludes(&s, false), 0);
		assert_int_equal(ipset_subtract(&t, &s), 0);
		assert_int_equal(ipset_finish(&t, err, sizeof(err)), 0);
		assert_int_equal(t.count, 256 + 1);
		assert_u128_equal(ipset_at(&t, 0), V4(127, 0, 0, 1));
		assert_u128_equal(ipset_at(&t, 1), V4(192, 0, 3, 0));
		ipset_free(&t);
		ipset_free(&s);
	}
}

static char *write_temp(const char *content, size_t len)
{
	char *path = strdup("/tmp/fastport-test-addr-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

static int add_file_text(struct ipset *s, const char *text, char *err,
			 size_t errlen, char **pathp)
{
	char *path = write_temp(text, strlen(text));
	int ret = ipset_add_file(s, path, err, errlen);

	unlink(path);
	if (pathp)
		*pathp = path;
	else
		free(path);
	return ret;
}

static void test_file(void **state)
{
	struct ipset s;
	char err[512], want[512], *path;

	(void)state;
	ipset_init(&s);
	assert_int_equal(add_file_text(&s,
		"# targets\n"
		"\n"
		"10.0.0.1\n"
		"   10.0.0.2 10.0.0.3,10.0.0.4   # trailing comment\n"
		"\t\n"
		"10.0.1.0/30\r\n"
		"#10.9.9.9\n"
		"2001:db8::1-2001:db8::2\r\n"
		"10.0.2.1", /* no newline at the end */
		err, sizeof(err), NULL), 0);
	assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 4 + 4 + 2 + 1);
	assert_true(ipset_contains(&s, V4(10, 0, 2, 1)));
	assert_false(ipset_contains(&s, V4(10, 9, 9, 9)));
	ipset_free(&s);

	/* Errors name the file and the line, and leave the set as it was. */
	ipset_init(&s);
	assert_int_equal(ipset_add_spec(&s, "10.0.0.1", err, sizeof(err)), 0);
	assert_int_equal(add_file_text(&s, "10.0.0.2\n# x\n\n10.0.0.3 10.0.0.0/33\n",
				       err, sizeof(err), &path), FP_EINVAL);
	snprintf(want, sizeof(want),
		 "%s:4: invalid target '10.0.0.0/33': prefix length out of range (0-32)", path);
	assert_string_equal(err, want);
	free(path);
	assert_int_equal(s.n, 1);
	assert_int_equal(add_file_text(&s, "10.0.0.2\r\n1.2.3.4-::1\r\n", err, sizeof(err), &path),
			 FP_EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: invalid target '1.2.3.4-::1': range mixes IPv4 and IPv6", path);
	assert_string_equal(err, want);
	free(path);
	assert_int_equal(s.n, 1);

	/* Empty and comment-only files add nothing and are not errors. */
	assert_int_equal(add_file_text(&s, "", err, sizeof(err), NULL), 0);
	assert_int_equal(add_file_text(&s, "# nothing\n\n", err, sizeof(err), NULL), 0);
	assert_int_equal(s.n, 1);

	/* A line far longer than any fixed buffer. */
	{
		size_t n = 20000, len = 0;
		char *big = malloc(n * 16 + 64);

		assert_non_null(big);
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(big + len, "10.%u.%u.%u ", (unsigned)(i >> 16) & 0xff,
					       (unsigned)(i >> 8) & 0xff, (unsigned)i & 0xff);
		len += (size_t)sprintf(big + len, "10.200.0.1");
		path = write_temp(big, len);
		assert_int_equal(ipset_add_file(&s, path, err, sizeof(err)), 0);
		unlink(path);
		free(path);
		free(big);
		assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
		assert_int_equal(s.count, n + 1);
		assert_true(ipset_contains(&s, V4(10, 200, 0, 1)));
	}
	/* A bad token at the end of a long line is still reported. */
	{
		size_t n = 5000, len = 0;
		char *big = malloc(n * 10 + 64);

		assert_non_null(big);
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(big + len, "1.1.1.1, ");
		len += (size_t)sprintf(big + len, "1.1.1.1.1\n");
		path = write_temp(big, len);
		assert_int_equal(ipset_add_file(&s, path, err, sizeof(err)), FP_EINVAL);
		assert_non_null(strstr(err, ":1: invalid target '1.1.1.1.1': bad IPv4 address"));
		unlink(path);
		free(path);
		free(big);
	}
	/* NUL bytes in a line are not skipped. */
	path = write_temp("10.0.0.1\n10.0.0.2\0 junk\n", 24);
	assert_int_equal(ipset_add_file(&s, path, err, sizeof(err)), FP_EINVAL);
	unlink(path);
	free(path);
	assert_non_null(strstr(err, ":2: invalid target '10.0.0.2?'"));

	/* A missing file. */
	assert_int_equal(ipset_add_file(&s, "/nonexistent/fastport-targets", err, sizeof(err)),
			 FP_EIO);
	assert_string_equal(err, "/nonexistent/fastport-targets: No such file or directory");
	/* A directory cannot be read. */
	assert_int_equal(ipset_add_file(&s, "/", err, sizeof(err)), FP_EIO);
	assert_non_null(strstr(err, "/: "));
	ipset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4_valid),
		cmocka_unit_test(test_parse_v4_invalid),
		cmocka_unit_test(test_parse_v6_valid),
		cmocka_unit_test(test_parse_v6_invalid),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_token_forms),
		cmocka_unit_test(test_token_errors),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_subtract),
		cmocka_unit_test(test_at_index),
		cmocka_unit_test(test_max_count),
		cmocka_unit_test(test_builtin_excludes),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
