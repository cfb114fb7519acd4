/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for target specs: address literals, tokens, set arithmetic and formatting round trips. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* The parsed value must survive format -> parse, the text must be
 * canonical (formatting is idempotent), and every literal we accept must
 * mean the same to inet_pton, which accepts a superset. */
static void check_literal(const char *s, size_t len)
{
	char buf[ADDR_STRLEN], text[64];
	unsigned char bin[16];
	u128 v, back, want = 0;
	size_t n;

	if (addr_parse(s, len, &v))
		return;
	n = addr_format(v, buf);
	CHECK(n == strlen(buf) && n < ADDR_STRLEN);
	CHECK(addr_parse(buf, n, &back) == 0 && back == v);
	CHECK(len < sizeof(text));
	memcpy(text, s, len);
	text[len] = '\0';
	if (memchr(s, ':', len)) {
		CHECK(inet_pton(AF_INET6, text, bin) == 1);
		for (int i = 0; i < 16; i++)
			want = want << 8 | bin[i];
	} else {
		CHECK(inet_pton(AF_INET, text, bin) == 1);
		want = addr_from_v4((uint32_t)bin[0] << 24 | (uint32_t)bin[1] << 16 |
				    (uint32_t)bin[2] << 8 | bin[3]);
	}
	CHECK(want == v);
}

/* The intervals are sorted, disjoint and not adjacent. */
static void check_normal(const struct ipset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		CHECK(s->r[i].lo <= s->r[i].hi);
		if (i > 0)
			CHECK(s->r[i - 1].hi + 1 < s->r[i].lo);
	}
}

/* Finishes s and checks count, before[] and the at/index round trip at
 * the edges of every interval. */
static void check_finished(struct ipset *s)
{
	char err[256];
	uint64_t total = 0, idx;
	int ret = ipset_finish(s, err, sizeof(err));

	check_normal(s);
	if (ret) {
		CHECK(ret == FP_ERANGE);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		u128 lo = s->r[i].lo, hi = s->r[i].hi;

		CHECK(s->before[i] == total);
		total += (uint64_t)(hi - lo) + 1;
		CHECK(ipset_at(s, s->before[i]) == lo);
		CHECK(ipset_index(s, lo, &idx) == 0 && idx == s->before[i]);
		CHECK(ipset_index(s, hi, &idx) == 0 && idx == total - 1);
		CHECK(ipset_at(s, total - 1) == hi);
		if (lo > 0)
			CHECK(!ipset_contains(s, lo - 1));
		if (hi + 1 > hi)
			CHECK(ipset_index(s, hi + 1, &idx) == -1);
	}
	CHECK(total == s->count && total <= IPSET_MAX_COUNT);
}

/* Points worth probing for s - x: the edges of both sets' intervals. */
static void check_subtract(const struct ipset *orig, const struct ipset *x,
			   const struct ipset *res)
{
	const struct ipset *sets[2] = { orig, x };

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < sets[k]->n; i++) {
			u128 pts[4] = { sets[k]->r[i].lo, sets[k]->r[i].hi,
					sets[k]->r[i].lo - 1, sets[k]->r[i].hi + 1 };

			for (int j = 0; j < 4; j++) {
				bool want = ipset_contains(orig, pts[j]) &&
					    !ipset_contains(x, pts[j]);

				CHECK(ipset_contains(res, pts[j]) == want);
			}
		}
	}
}

static int copy_set(struct ipset *dst, const struct ipset *src)
{
	ipset_init(dst);
	for (size_t i = 0; i < src->n; i++)
		if (ipset_add(dst, src->r[i].lo, src->r[i].hi))
			return -1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipset s, x, orig, xs;
	char err[256], *buf, *bar;

	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';

	if (size < 60)
		check_literal(buf, size);

	/* The whole input as one token. */
	ipset_init(&s);
	if (ipset_add_token(&s, buf, size, err, sizeof(err)) == 0) {
		CHECK(s.n == 1);
		check_finished(&s);
	} else {
		CHECK(s.n == 0 && strncmp(err, "invalid target '", 16) == 0);
	}
	ipset_free(&s);

	/* "TARGETS|EXCLUDES": two specs, then set arithmetic. NUL bytes end
	 * the spec string as they would on a command line. */
	ipset_init(&s);
	ipset_init(&x);
	ipset_init(&orig);
	ipset_init(&xs);
	bar = strchr(buf, '|');
	if (bar)
		*bar = '\0';
	if (ipset_add_spec(&s, buf, err, sizeof(err)) != 0) {
		CHECK(s.n == 0);
		goto out;
	}
	if (bar && ipset_add_spec(&x, bar + 1, err, sizeof(err)) != 0)
		CHECK(x.n == 0);
	if (bar && bar[1] == '!')
		ipset_add_builtin_excludes(&x, bar[2] == '!');
	if (copy_set(&orig, &s) || copy_set(&xs, &x))
		goto out;
	if (size & 1)
		ipset_finish(&x, err, sizeof(err));
	if (ipset_subtract(&s, &x))
		goto out;
	check_normal(&s);
	/* Sorted sets for the oracle. */
	ipset_finish(&orig, err, sizeof(err));
	ipset_finish(&xs, err, sizeof(err));
	check_subtract(&orig, &xs, &s);
	check_finished(&s);
	/* Finishing is idempotent; a second subtraction removes nothing. */
	{
		uint64_t count = s.count;
		size_t n = s.n;

		if (ipset_subtract(&s, &x) == 0) {
			CHECK(s.n == n);
			if (ipset_finish(&s, err, sizeof(err)) == 0)
				CHECK(s.count == count);
		}
	}
	/* Formatting each edge parses back to itself. */
	for (size_t i = 0; i < s.n && i < 16; i++) {
		char text[ADDR_STRLEN];
		u128 v;
		size_t n = addr_format(s.r[i].lo, text);

		CHECK(addr_parse(text, n, &v) == 0 && v == s.r[i].lo);
		CHECK(ipset_add_token(&orig, text, n, err, sizeof(err)) == 0);
	}
out:
	ipset_free(&s);
	ipset_free(&x);
	ipset_free(&orig);
	ipset_free(&xs);
	free(buf);
	return 0;
}
