/* SPDX-License-Identifier: MIT */
/*
 * A keyed pseudo-random bijection on [0, n): the scan order. Constant memory,
 * nothing materialized. A Feistel network over Z_a x Z_b (a*b >= n, a and b
 * close to sqrt(n)) with modular addition and a keyed round function; values
 * that land outside [0, n) are walked through the cipher again (cycle
 * walking), which terminates and keeps the map a bijection.
 */
#ifndef FP_PERM_H
#define FP_PERM_H

#include "common.h"

struct perm {
	uint64_t n, a, b;
	uint64_t a_inv;    /* floor((2^64 - 1) / a): i / a without a division */
	uint64_t key[2];
	unsigned rounds;
};

/*
 * n >= 1 and n <= 2^62. Same n and seed: same order. Returns 0, or
 * FP_ERANGE (negative) when n is out of range.
 */
int perm_init(struct perm *p, uint64_t n, uint64_t seed);

/*
 * The element at position i (i < n). perm_at is a bijection on [0, n). It is
 * on the hot path (one call per probe): one multiply-high instead of a
 * division, and cycle walking happens with probability below 1/sqrt(n).
 */
uint64_t perm_at(const struct perm *p, uint64_t i);

/*
 * Shards: shard k of count (1 <= k <= count) owns the positions
 * i = (k-1) + j*count for j = 0, 1, ... while i < n. The shards of one
 * (n, seed) partition [0, n) exactly.
 */
uint64_t shard_size(uint64_t n, uint32_t k, uint32_t count);
static inline uint64_t shard_pos(uint32_t k, uint32_t count, uint64_t j)
{
	return (uint64_t)(k - 1) + j * count;
}

#endif
