/* SPDX-License-Identifier: MIT */
/* Unit tests of probe plans: index <-> (address, protocol, port) (src/engine/plan.c). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/plan.h"
#include "engine/scanner.h"

#define V4(a, b, c, d) addr_from_v4((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define PP(proto, port) ((uint32_t)(proto) << 16 | (port))

static u128 must_parse(const char *s)
{
	u128 v = 0;

	if (addr_parse(s, strlen(s), &v) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return v;
}

static void assert_u128_equal(u128 a, u128 b)
{
	assert_int_equal((uint64_t)(a >> 64), (uint64_t)(b >> 64));
	assert_int_equal((uint64_t)a, (uint64_t)b);
}

static void make_ipset(struct ipset *s, const char *spec)
{
	char err[256] = "";

	ipset_init(s);
	if (ipset_add_spec(s, spec, err, sizeof(err)) != 0)
		fail_msg("ipset_add_spec(\"%s\"): %s", spec, err);
	if (ipset_finish(s, err, sizeof(err)) != 0)
		fail_msg("ipset_finish(\"%s\"): %s", spec, err);
}

static void make_portset(struct portset *p, const char *spec)
{
	char err[256] = "";

	portset_init(p);
	if (portset_add_spec(p, spec, err, sizeof(err)) != 0)
		fail_msg("portset_add_spec(\"%s\"): %s", spec, err);
}

/* plan_find of (addr, proto, port) is -1 and leaves idx alone. */
static void assert_not_found(const struct plan *p, u128 addr, uint8_t proto, uint16_t port)
{
	uint64_t idx = 12345;

	assert_int_equal(plan_find(p, addr, proto, port, &idx), -1);
	assert_int_equal(idx, 12345);
}

/* plan_get(idx) then plan_find gives idx back. */
static void assert_round_trip(const struct plan *p, uint64_t idx)
{
	u128 a = 0;
	uint8_t proto = 0xff;
	uint16_t port = 0;
	uint64_t back = UINT64_MAX;

	plan_get(p, idx, &a, &proto, &port);
	assert_int_equal(plan_find(p, a, proto, port, &back), 0);
	assert_int_equal(back, idx);
}

static void test_range(void **state)
{
	struct ipset s;
	struct portset ps;
	struct plan p = { 0 };
	uint64_t idx = 0;

	(void)state;
	/* 10 + 8 + 4 + 1 + 1 + 3 addresses in six intervals, both families. */
	make_ipset(&s, "198.18.0.250-198.18.1.3, 198.19.0.0/29 2001:2::/126 2001:2::ff "
		       "10.1.1.1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(s.count, 27);
	/* 6 tcp + 3 udp + 2 quic = 11 ports, with port 0 and 65535 (the
	 * trailing 0 is QUIC: a prefix lasts until the next one). */
	make_portset(&ps, "T:0,65535,22,80-82,U:53,161-162,Q:443,0");
	assert_int_equal(ps.n, 11);
	assert_int_equal(plan_range(&p, &s, &ps), 0);
	assert_int_equal(p.n, 27 * 11);
	assert_null(p.list);
	assert_ptr_equal(p.addrs, &s);
	assert_ptr_equal(p.ports, &ps);

	/* Every index maps to addresses x ports in order and back. */
	for (uint64_t ai = 0; ai < s.count; ai++) {
		for (uint32_t pi = 0; pi < ps.n; pi++) {
			u128 a = 0;
			uint8_t proto = 0xff;
			uint16_t port = 0;

			plan_get(&p, idx, &a, &proto, &port);
			assert_u128_equal(a, ipset_at(&s, ai));
			assert_int_equal(proto, portset_proto(ps.list[pi]));
			assert_int_equal(port, portset_port(ps.list[pi]));
			assert_round_trip(&p, idx);
			idx++;
		}
	}
	assert_int_equal(idx, p.n);

	/* Spot checks. */
	{
		u128 a = 0;
		uint8_t proto = 0xff;
		uint16_t port = 0;

		plan_get(&p, 0, &a, &proto, &port);
		assert_u128_equal(a, V4(10, 1, 1, 1));
		assert_int_equal(proto, FP_PROTO_TCP);
		assert_int_equal(port, 0);
		plan_get(&p, p.n - 1, &a, &proto, &port);
		assert_u128_equal(a, ~(u128)0);
		assert_int_equal(proto, FP_PROTO_QUIC);
		assert_int_equal(port, 443);
		assert_int_equal(plan_find(&p, must_parse("198.18.1.0"), FP_PROTO_UDP, 162, &idx), 0);
		/* 198.18.1.0 is address 7 (after 10.1.1.1, 198.18.0.250..255); udp 162 is port 8 */
		assert_int_equal(idx, 7 * 11 + 8);
	}

	/* Not in the plan: addresses around the intervals, ports of other protocols. */
	assert_not_found(&p, V4(198, 18, 0, 249), FP_PROTO_TCP, 22);
	assert_not_found(&p, V4(198, 18, 1, 4), FP_PROTO_TCP, 22);
	assert_not_found(&p, V4(198, 19, 0, 8), FP_PROTO_TCP, 22);
	assert_not_found(&p, V4(10, 1, 1, 0), FP_PROTO_TCP, 22);
	assert_not_found(&p, V4(10, 1, 1, 2), FP_PROTO_TCP, 22);
	assert_not_found(&p, must_parse("2001:2::4"), FP_PROTO_TCP, 22);
	assert_not_found(&p, must_parse("2001:2::fe"), FP_PROTO_TCP, 22);
	assert_not_found(&p, must_parse("2001:2::100"), FP_PROTO_TCP, 22);
	assert_not_found(&p, must_parse("::"), FP_PROTO_TCP, 22);
	assert_not_found(&p, must_parse("::c612:fa"), FP_PROTO_TCP, 22); /* 198.18.0.250 not mapped */
	assert_not_found(&p, ~(u128)0 - 3, FP_PROTO_TCP, 22);
	assert_not_found(&p, V4(10, 1, 1, 1), FP_PROTO_TCP, 53);
	assert_not_found(&p, V4(10, 1, 1, 1), FP_PROTO_TCP, 83);
	assert_not_found(&p, V4(10, 1, 1, 1), FP_PROTO_UDP, 22);
	assert_not_found(&p, V4(10, 1, 1, 1), FP_PROTO_UDP, 0);
	assert_not_found(&p, V4(10, 1, 1, 1), FP_PROTO_QUIC, 80);
	assert_not_found(&p, V4(10, 1, 1, 1), 3, 22);
	assert_not_found(&p, V4(10, 1, 1, 1), 255, 443);
	assert_not_found(&p, V4(10, 1, 1, 2), FP_PROTO_QUIC, 444);

	plan_free(&p);
	assert_int_equal(p.n, 0);
	portset_free(&ps);
	ipset_free(&s);
}

/* One address, one port; and a large plan checked at sample indices. */
static void test_range_sizes(void **state)
{
	struct ipset s;
	struct portset ps;
	struct plan p = { 0 };
	u128 a = 0;
	uint8_t proto = 0xff;
	uint16_t port = 0;

	(void)state;
	make_ipset(&s, "198.18.5.5");
	make_portset(&ps, "U:7");
	assert_int_equal(plan_range(&p, &s, &ps), 0);
	assert_int_equal(p.n, 1);
	plan_get(&p, 0, &a, &proto, &port);
	assert_u128_equal(a, V4(198, 18, 5, 5));
	assert_int_equal(proto, FP_PROTO_UDP);
	assert_int_equal(port, 7);
	assert_round_trip(&p, 0);
	assert_not_found(&p, V4(198, 18, 5, 5), FP_PROTO_TCP, 7);
	portset_free(&ps);
	ipset_free(&s);

	/* 2^39 + 3 addresses x all ports of all protocols (3 * 65535 + 1). */
	make_ipset(&s, "2001:2::/89 198.18.0.0/31 2001:3::1 2001:2::");
	assert_int_equal(s.count, ((uint64_t)1 << 39) + 3);
	make_portset(&ps, "-,U:-,Q:-,0");
	assert_int_equal(ps.n, 3 * 65535 + 1);
	assert_int_equal(plan_range(&p, &s, &ps), 0);
	assert_int_equal(p.n, s.count * ps.n);
	{
		uint64_t x = 0x9e3779b97f4a7c15ULL;

		for (int i = 0; i < 20000; i++) {
			uint64_t idx;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			idx = x % p.n;
			if (i < 5)
				idx = (uint64_t)i;
			else if (i < 10)
				idx = p.n - (uint64_t)(i - 4);
			assert_round_trip(&p, idx);
		}
	}
	plan_get(&p, p.n - 1, &a, &proto, &port);
	assert_u128_equal(a, must_parse("2001:3::1"));
	assert_int_equal(proto, FP_PROTO_QUIC);
	assert_int_equal(port, 65535);
	plan_get(&p, 2 * (uint64_t)ps.n + 65535, &a, &proto, &port);
	assert_u128_equal(a, must_parse("2001:2::"));
	assert_int_equal(proto, FP_PROTO_UDP);
	assert_int_equal(port, 1);
	assert_not_found(&p, must_parse("2001:2::80:0:0:0"), FP_PROTO_TCP, 1);
	assert_not_found(&p, must_parse("198.18.0.2"), FP_PROTO_TCP, 1);
	assert_not_found(&p, must_parse("2001:3::"), FP_PROTO_TCP, 1);
	assert_not_found(&p, must_parse("2001:3::2"), FP_PROTO_TCP, 1);
	assert_not_found(&p, must_parse("2001:2::"), FP_PROTO_UDP, 0);
	portset_free(&ps);
	ipset_free(&s);
}

static void test_range_empty(void **state)
{
	struct ipset s, empty;
	struct portset ps, noports;
	struct plan p = { 0 };
	char err[256];

	(void)state;
	make_ipset(&s, "198.18.0.0/30");
	make_portset(&ps, "80");
	ipset_init(&empty);
	assert_int_equal(ipset_finish(&empty, err, sizeof(err)), 0);
	portset_init(&noports);

	p.n = 99;
	assert_int_equal(plan_range(&p, &empty, &ps), FP_EEMPTY);
	assert_int_equal(p.n, 0);
	p.n = 99;
	assert_int_equal(plan_range(&p, &s, &noports), FP_EEMPTY);
	assert_int_equal(p.n, 0);
	assert_int_equal(plan_range(&p, &empty, &noports), FP_EEMPTY);
	assert_int_equal(p.n, 0);
	plan_free(&p);

	/* A set that became empty by subtraction. */
	{
		struct ipset x;

		make_ipset(&x, "198.18.0.0/29");
		assert_int_equal(ipset_subtract(&s, &x), 0);
		assert_int_equal(ipset_finish(&s, err, sizeof(err)), 0);
		assert_int_equal(s.count, 0);
		assert_int_equal(plan_range(&p, &s, &ps), FP_EEMPTY);
		assert_int_equal(p.n, 0);
		ipset_free(&x);
	}

	ipset_free(&empty);
	ipset_free(&s);
	portset_free(&ps);
	portset_free(&noports);
}

/* The product limit, with a hand-made set (real sets stop at 2^40). */
static void test_range_limit(void **state)
{
	struct ipset s;
	struct portset ps;
	struct plan p = { 0 };
	const uint64_t lim = (uint64_t)1 << 62;

	(void)state;
	ipset_init(&s);
	make_portset(&ps, "1-7,U:1-2"); /* 9 ports */
	s.count = lim / 9 + 1;
	assert_int_equal(plan_range(&p, &s, &ps), FP_ERANGE);
	assert_int_equal(p.n, 0);
	s.count = lim / 9;
	assert_int_equal(plan_range(&p, &s, &ps), 0);
	assert_int_equal(p.n, lim / 9 * 9);
	s.count = UINT64_MAX;
	assert_int_equal(plan_range(&p, &s, &ps), FP_ERANGE);
	s.count = 0;
	portset_free(&ps);
	ipset_free(&s);
}

static struct plan_entry *entries(const struct plan_entry *src, size_t n)
{
	struct plan_entry *e = malloc((n ? n : 1) * sizeof(*e));

	assert_non_null(e);
	if (n)
		memcpy(e, src, n * sizeof(*e));
	return e;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct plan_entry *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->pp < y->pp ? -1 : x->pp > y->pp;
}

/* The plan's list is strictly increasing and every index round-trips. */
static void check_list_plan(const struct plan *p)
{
	assert_non_null(p->list);
	assert_null(p->addrs);
	assert_null(p->ports);
	for (uint64_t i = 0; i < p->n; i++) {
		if (i)
			assert_true(ref_cmp(&p->list[i - 1], &p->list[i]) < 0);
		assert_round_trip(p, i);
	}
}

static void test_list(void **state)
{
	const u128 a1 = V4(198, 18, 0, 1), a2 = V4(198, 18, 0, 2);
	const u128 b1 = must_parse("2001:2::1"), b0 = must_parse("::1");
	const struct plan_entry in[] = {
		{ b1, PP(FP_PROTO_TCP, 443) },
		{ a2, PP(FP_PROTO_UDP, 53) },
		{ a1, PP(FP_PROTO_TCP, 80) },
		{ b1, PP(FP_PROTO_TCP, 443) },   /* duplicate */
		{ a1, PP(FP_PROTO_UDP, 80) },
		{ b0, PP(FP_PROTO_QUIC, 443) },
		{ a1, PP(FP_PROTO_TCP, 80) },    /* duplicate */
		{ a1, PP(FP_PROTO_TCP, 22) },
		{ a2, PP(FP_PROTO_UDP, 53) },    /* duplicate */
		{ b1, PP(FP_PROTO_TCP, 0) },
		{ b1, PP(FP_PROTO_TCP, 65535) },
		{ a1, PP(FP_PROTO_TCP, 80) },    /* duplicate */
	};
	const struct plan_entry want[] = {
		{ b0, PP(FP_PROTO_QUIC, 443) },
		{ a1, PP(FP_PROTO_TCP, 22) },
		{ a1, PP(FP_PROTO_TCP, 80) },
		{ a1, PP(FP_PROTO_UDP, 80) },
		{ a2, PP(FP_PROTO_UDP, 53) },
		{ b1, PP(FP_PROTO_TCP, 0) },
		{ b1, PP(FP_PROTO_TCP, 443) },
		{ b1, PP(FP_PROTO_TCP, 65535) },
	};
	struct plan p = { 0 };

	(void)state;
	assert_int_equal(plan_list(&p, entries(in, ARRAY_SIZE(in)), ARRAY_SIZE(in)), 0);
	assert_int_equal(p.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		u128 a = 0;
		uint8_t proto = 0xff;
		uint16_t port = 0;

		assert_u128_equal(p.list[i].addr, want[i].addr);
		assert_int_equal(p.list[i].pp, want[i].pp);
		plan_get(&p, i, &a, &proto, &port);
		assert_u128_equal(a, want[i].addr);
		assert_int_equal(proto, portset_proto(want[i].pp));
		assert_int_equal(port, portset_port(want[i].pp));
	}
	check_list_plan(&p);

	/* Missing: known address with another port/protocol, unknown addresses. */
	assert_not_found(&p, a1, FP_PROTO_TCP, 81);
	assert_not_found(&p, a1, FP_PROTO_QUIC, 80);
	assert_not_found(&p, a1, 3, 80);
	assert_not_found(&p, a2, FP_PROTO_TCP, 53);
	assert_not_found(&p, b0, FP_PROTO_TCP, 443);
	assert_not_found(&p, b1, FP_PROTO_TCP, 1);
	assert_not_found(&p, b1, FP_PROTO_UDP, 443);
	assert_not_found(&p, 0, FP_PROTO_TCP, 0);       /* below everything */
	assert_not_found(&p, ~(u128)0, FP_PROTO_QUIC, 65535); /* above everything */
	assert_not_found(&p, V4(198, 18, 0, 3), FP_PROTO_TCP, 80);
	assert_not_found(&p, (u128)(uint32_t)a1, FP_PROTO_TCP, 80); /* not IPv4-mapped */
	plan_free(&p);
	assert_null(p.list);
	assert_int_equal(p.n, 0);
}

static void test_list_small(void **state)
{
	const struct plan_entry one = { V4(198, 18, 9, 9), PP(FP_PROTO_UDP, 161) };
	struct plan_entry same[50];
	struct plan p = { 0 };
	uint64_t idx = 7;

	(void)state;
	/* n = 0: FP_EEMPTY, and the list still belongs to the plan. */
	p.n = 5;
	assert_int_equal(plan_list(&p, entries(NULL, 0), 0), FP_EEMPTY);
	assert_int_equal(p.n, 0);
	plan_free(&p);

	/* One entry. */
	assert_int_equal(plan_list(&p, entries(&one, 1), 1), 0);
	assert_int_equal(p.n, 1);
	check_list_plan(&p);
	assert_int_equal(plan_find(&p, one.addr, FP_PROTO_UDP, 161, &idx), 0);
	assert_int_equal(idx, 0);
	assert_not_found(&p, one.addr, FP_PROTO_UDP, 162);
	assert_not_found(&p, one.addr - 1, FP_PROTO_UDP, 161);
	assert_not_found(&p, one.addr + 1, FP_PROTO_UDP, 161);
	plan_free(&p);

	/* All duplicates collapse to one. */
	for (size_t i = 0; i < ARRAY_SIZE(same); i++)
		same[i] = one;
	assert_int_equal(plan_list(&p, entries(same, ARRAY_SIZE(same)), ARRAY_SIZE(same)), 0);
	assert_int_equal(p.n, 1);
	check_list_plan(&p);
	plan_free(&p);

	/* Two entries differing only in protocol; given in reverse order. */
	same[0] = (struct plan_entry){ one.addr, PP(FP_PROTO_QUIC, 161) };
	same[1] = (struct plan_entry){ one.addr, PP(FP_PROTO_TCP, 161) };
	assert_int_equal(plan_list(&p, entries(same, 2), 2), 0);
	assert_int_equal(p.n, 2);
	check_list_plan(&p);
	assert_int_equal(plan_find(&p, one.addr, FP_PROTO_TCP, 161, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(plan_find(&p, one.addr, FP_PROTO_QUIC, 161, &idx), 0);
	assert_int_equal(idx, 1);
	assert_not_found(&p, one.addr, FP_PROTO_UDP, 161);
	plan_free(&p);
}

/* A larger pseudo-random list with many duplicates, against a reference. */
static void test_list_random(void **state)
{
	const size_t n = 5000;
	struct plan_entry *in, *ref;
	struct plan p = { 0 };
	size_t uniq = 0;
	uint64_t x = 88172645463325252ULL;

	(void)state;
	in = malloc(n * sizeof(*in));
	ref = malloc(n * sizeof(*ref));
	assert_non_null(in);
	assert_non_null(ref);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* few distinct values, so duplicates are common */
		if (x & 1)
			in[i].addr = V4(198, 18, 0, (uint8_t)(x >> 8) % 23);
		else
			in[i].addr = must_parse("2001:2::") | (u128)((x >> 8) % 17) << 64 |
				     (u128)((x >> 20) % 5);
		in[i].pp = PP((x >> 32) % 3, (uint16_t)((x >> 40) % 7 * 9999));
	}
	memcpy(ref, in, n * sizeof(*in));
	qsort(ref, n, sizeof(*ref), ref_cmp);
	for (size_t i = 0; i < n; i++)
		if (!uniq || ref_cmp(&ref[uniq - 1], &ref[i]) != 0)
			ref[uniq++] = ref[i];
	assert_true(uniq < n);

	assert_int_equal(plan_list(&p, entries(in, n), n), 0);
	assert_int_equal(p.n, uniq);
	for (size_t i = 0; i < uniq; i++) {
		assert_u128_equal(p.list[i].addr, ref[i].addr);
		assert_int_equal(p.list[i].pp, ref[i].pp);
	}
	check_list_plan(&p);
	/* Every input entry is found at its place in the reference. */
	for (size_t i = 0; i < n; i++) {
		uint64_t idx = UINT64_MAX;
		struct plan_entry *r;

		assert_int_equal(plan_find(&p, in[i].addr, portset_proto(in[i].pp),
					   portset_port(in[i].pp), &idx), 0);
		r = bsearch(&in[i], ref, uniq, sizeof(*ref), ref_cmp);
		assert_non_null(r);
		assert_int_equal(idx, (uint64_t)(r - ref));
	}
	/* Values outside what was generated are missing. */
	assert_not_found(&p, V4(198, 18, 0, 23), FP_PROTO_TCP, 0);
	assert_not_found(&p, V4(198, 18, 0, 0), FP_PROTO_TCP, 1);
	assert_not_found(&p, must_parse("2001:2::5"), FP_PROTO_TCP, 0);
	plan_free(&p);
	free(in);
	free(ref);
}

/* The fingerprint of a range plan over addrs (a spec) minus excl x ports. */
static uint64_t range_fp(const char *addrs, const char *excl, const char *ports, uint64_t *seed)
{
	struct ipset a, x;
	struct portset pp;
	struct plan p;
	uint64_t fp;

	make_ipset(&a, addrs);
	if (excl) {
		make_ipset(&x, excl);
		assert_int_equal(ipset_subtract(&a, &x), 0);
		assert_int_equal(ipset_finish(&a, NULL, 0), 0);
		ipset_free(&x);
	}
	make_portset(&pp, ports);
	assert_int_equal(plan_range(&p, &a, &pp), 0);
	fp = plan_fingerprint(&p);
	*seed = engine_plan_seed(&p);
	assert_true(*seed != 0);
	portset_free(&pp);
	ipset_free(&a);
	return fp;
}

/*
 * Shards without a seed order the plan by its fingerprint: the same plan
 * gives the same one however it was written (target order, duplicates,
 * exclusions that leave the same set); any other plan another.
 */
static void test_fingerprint(void **state)
{
	uint64_t s1, s2, f1, f2;
	const struct plan_entry e[3] = {
		{ V4(198, 18, 0, 1), PP(FP_PROTO_TCP, 80) },
		{ V4(198, 18, 0, 2), PP(FP_PROTO_UDP, 53) },
		{ must_parse("2001:2::1"), PP(FP_PROTO_TCP, 443) },
	};
	const struct plan_entry r[4] = { e[2], e[0], e[1], e[0] };
	struct plan p, q;

	(void)state;
	f1 = range_fp("198.19.0.0/20", NULL, "22,80,443", &s1);
	f2 = range_fp("198.19.0.0/20", NULL, "22,80,443", &s2);
	assert_int_equal(f1, f2);
	assert_int_equal(s1, s2);
	/* Written otherwise: the same plan. */
	assert_int_equal(range_fp("198.19.8.0/21, 198.19.0.0-198.19.7.255", NULL, "443,80,22,80", &s2), f1);
	assert_int_equal(s1, s2);
	assert_int_equal(range_fp("198.19.0.0/19", "198.19.16.0/20", "T:22,80,443", &s2), f1);
	assert_int_equal(s1, s2);
	/* Other ports, protocols, addresses or exclusions: another plan. */
	assert_int_not_equal(range_fp("198.19.0.0/20", NULL, "22,80", &s2), f1);
	assert_int_not_equal(s1, s2);
	assert_int_not_equal(range_fp("198.19.0.0/20", NULL, "22,80,444", &s2), f1);
	assert_int_not_equal(s1, s2);
	assert_int_not_equal(range_fp("198.19.0.0/20", NULL, "22,80,U:443", &s2), f1);
	assert_int_not_equal(s1, s2);
	assert_int_not_equal(range_fp("198.19.16.0/20", NULL, "22,80,443", &s2), f1);
	assert_int_not_equal(s1, s2);
	assert_int_not_equal(range_fp("198.19.0.0/20", "198.19.0.7", "22,80,443", &s2), f1);
	assert_int_not_equal(s1, s2);

	/* List plans: order and duplicates do not matter, content does. */
	assert_int_equal(plan_list(&p, entries(e, 3), 3), 0);
	assert_int_equal(plan_list(&q, entries(r, 4), 4), 0);
	assert_int_equal(plan_fingerprint(&p), plan_fingerprint(&q));
	assert_int_equal(engine_plan_seed(&p), engine_plan_seed(&q));
	plan_free(&q);
	assert_int_equal(plan_list(&q, entries(e, 2), 2), 0);
	assert_int_not_equal(plan_fingerprint(&p), plan_fingerprint(&q));
	assert_int_not_equal(engine_plan_seed(&p), engine_plan_seed(&q));
	plan_free(&q);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_range_sizes),
		cmocka_unit_test(test_range_empty),
		cmocka_unit_test(test_range_limit),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_small),
		cmocka_unit_test(test_list_random),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
