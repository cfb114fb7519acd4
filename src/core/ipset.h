/* SPDX-License-Identifier: MIT */
/* Address sets: sorted, disjoint intervals of 128-bit addresses (common.h),
 * with an index that maps a position in the set to an address and back. */
#ifndef FP_IPSET_H
#define FP_IPSET_H

#include "common.h"

struct ipset_range {
	u128 lo, hi; /* inclusive */
};

/* A set of addresses as sorted, disjoint, non-adjacent intervals, plus the
 * running count that maps an index in [0, count) to an address. */
struct ipset {
	struct ipset_range *r;
	uint64_t *before; /* before[i]: addresses in r[0..i-1]; valid after ipset_finish() */
	size_t n, cap;
	uint64_t count;   /* valid after ipset_finish() */
};

/* Largest number of addresses a set may hold for a sweep. */
#define IPSET_MAX_COUNT ((uint64_t)1 << 40)

void ipset_init(struct ipset *s);
void ipset_free(struct ipset *s);

/* Adds [lo, hi]; merges overlapping and adjacent intervals lazily (at
 * ipset_finish). Returns 0, FP_ENOMEM, or FP_EINVAL when lo > hi. Drops
 * before[] and count until the next ipset_finish(). */
int ipset_add(struct ipset *s, u128 lo, u128 hi);

/* Removes every address of x from s (neither need be finished; x is not
 * changed). Returns 0 or FP_ENOMEM. s is left sorted and merged; unless
 * nothing was removed, call ipset_finish() again before ipset_at/_index. */
int ipset_subtract(struct ipset *s, const struct ipset *x);

/* Sorts and merges, computes before[] and count. Returns FP_ERANGE with a
 * message when the set holds more than IPSET_MAX_COUNT addresses, or
 * FP_ENOMEM; either way the set stays sorted and merged (usable by
 * ipset_subtract and ipset_contains) but without before[] and count. */
int ipset_finish(struct ipset *s, char *err, size_t errlen);

/* ipset_at and ipset_index require a finished set. ipset_at: idx < count
 * (returns 0 otherwise). ipset_index: 0 and *idx when a is in the set, else
 * -1. ipset_contains needs only a sorted set (see ipset_finish). O(log n). */
u128 ipset_at(const struct ipset *s, uint64_t idx);
int ipset_index(const struct ipset *s, u128 a, uint64_t *idx);
bool ipset_contains(const struct ipset *s, u128 a);

#endif
