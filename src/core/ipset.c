/* SPDX-License-Identifier: MIT */
/* Address sets as sorted disjoint intervals: building, merging, subtracting and indexing. */
#include <stdlib.h>
#include <string.h>

#include "core/ipset.h"
#include "core/msg.h"

void ipset_init(struct ipset *s)
{
	memset(s, 0, sizeof(*s));
}

void ipset_free(struct ipset *s)
{
	free(s->r);
	free(s->before);
	ipset_init(s);
}

/* Drops the index of a finished set once its intervals change. */
static void ipset_invalidate(struct ipset *s)
{
	free(s->before);
	s->before = NULL;
	s->count = 0;
}

int ipset_add(struct ipset *s, u128 lo, u128 hi)
{
	int ret = 0;

	if (lo > hi) {
		ret = FP_EINVAL;
		goto out;
	}
	ipset_invalidate(s);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct ipset_range *r;

		if (cap > SIZE_MAX / sizeof(*r)) {
			ret = FP_ENOMEM;
			goto out;
		}
		r = realloc(s->r, cap * sizeof(*r));
		if (!r) {
			ret = FP_ENOMEM;
			goto out;
		}
		s->r = r;
		s->cap = cap;
	}
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
out:
	return ret;
}

static int range_cmp(const void *a, const void *b)
{
	const struct ipset_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

static bool ranges_normal(const struct ipset_range *r, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (r[i - 1].hi == U128_MAX || r[i - 1].hi + 1 >= r[i].lo)
			return false;
	return true;
}

/* Sorts r and merges overlapping and adjacent intervals; returns the new n. */
static size_t ranges_normalize(struct ipset_range *r, size_t n)
{
	size_t out = 0;

	if (n < 2 || ranges_normal(r, n))
		return n;
	qsort(r, n, sizeof(*r), range_cmp);
	for (size_t i = 1; i < n; i++) {
		struct ipset_range *last = &r[out];

		if (last->hi == U128_MAX || last->hi + 1 >= r[i].lo) {
			if (r[i].hi > last->hi)
				last->hi = r[i].hi;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

static void ipset_normalize(struct ipset *s)
{
	if (ranges_normal(s->r, s->n))
		return;
	ipset_invalidate(s);
	s->n = ranges_normalize(s->r, s->n);
}

int ipset_finish(struct ipset *s, char *err, size_t errlen)
{
	uint64_t total = 0, *before = NULL;
	int ret = 0;

	ipset_normalize(s);
	ipset_invalidate(s);
	for (size_t i = 0; i < s->n; i++) {
		u128 size = s->r[i].hi - s->r[i].lo; /* one less than the size */

		if (size >= IPSET_MAX_COUNT - total) {
			msg_set(err, errlen,
				"the target set holds more than %llu (2^40) addresses; "
				"split large IPv6 ranges into smaller -iL lists and scan them one at a time",
				(unsigned long long)IPSET_MAX_COUNT);
			ret = FP_ERANGE;
			goto out;
		}
		total += (uint64_t)size + 1;
	}
	if (s->n) {
		before = malloc(s->n * sizeof(*before));
		if (!before) {
			ret = FP_ENOMEM;
			goto out;
		}
		total = 0;
		for (size_t i = 0; i < s->n; i++) {
			before[i] = total;
			total += (uint64_t)(s->r[i].hi - s->r[i].lo) + 1;
		}
	}
	s->before = before;
	s->count = total;
out:
	return ret;
}

int ipset_subtract(struct ipset *s, const struct ipset *x)
{
	struct ipset_range *xr = x->r, *xcopy = NULL, *out = NULL;
	size_t xn = x->n, n = 0, j = 0;
	int ret = 0;

	ipset_normalize(s);
	if (s->n == 0 || xn == 0)
		goto out;
	if (!ranges_normal(xr, xn)) {
		xcopy = malloc(xn * sizeof(*xcopy));
		if (!xcopy) {
			ret = FP_ENOMEM;
			goto out;
		}
		memcpy(xcopy, xr, xn * sizeof(*xcopy));
		xn = ranges_normalize(xcopy, xn);
		xr = xcopy;
	}
	/* Each interval of x splits at most one interval of s in two. */
	if (s->n > SIZE_MAX / sizeof(*out) - xn) {
		ret = FP_ENOMEM;
		goto out;
	}
	out = malloc((s->n + xn) * sizeof(*out));
	if (!out) {
		ret = FP_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		u128 cur = s->r[i].lo, hi = s->r[i].hi;
		bool done = false;

		while (j < xn && xr[j].hi < cur)
			j++;
		for (size_t k = j; k < xn && xr[k].lo <= hi; k++) {
			if (xr[k].lo > cur) {
				out[n].lo = cur;
				out[n].hi = xr[k].lo - 1;
				n++;
			}
			if (xr[k].hi >= hi) {
				done = true;
				break;
			}
			cur = xr[k].hi + 1;
		}
		if (!done) {
			out[n].lo = cur;
			out[n].hi = hi;
			n++;
		}
	}
	ipset_invalidate(s);
	free(s->r);
	s->r = out;
	s->cap = s->n + xn;
	s->n = n;
	out = NULL;
out:
	free(out);
	free(xcopy);
	return ret;
}

u128 ipset_at(const struct ipset *s, uint64_t idx)
{
	size_t lo = 0, hi = s->n;

	if (!s->before || idx >= s->count)
		return 0;
	/* The last interval whose first index is <= idx. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->before[mid] <= idx)
			lo = mid;
		else
			hi = mid;
	}
	return s->r[lo].lo + (idx - s->before[lo]);
}

/* The position of the interval holding a in a sorted set, or -1. */
static ptrdiff_t ipset_find(const struct ipset *s, u128 a)
{
	size_t lo = 0, hi = s->n;

	if (s->n == 0 || a < s->r[0].lo)
		return -1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->r[mid].lo <= a)
			lo = mid;
		else
			hi = mid;
	}
	return a <= s->r[lo].hi ? (ptrdiff_t)lo : -1;
}

int ipset_index(const struct ipset *s, u128 a, uint64_t *idx)
{
	ptrdiff_t i;

	if (!s->before)
		return -1;
	i = ipset_find(s, a);
	if (i < 0)
		return -1;
	*idx = s->before[i] + (uint64_t)(a - s->r[i].lo);
	return 0;
}

bool ipset_contains(const struct ipset *s, u128 a)
{
	return ipset_find(s, a) >= 0;
}
