/* SPDX-License-Identifier: MIT */
/* The scan order: a keyed Feistel bijection on [0, n) with cycle walking. */
#include "perm.h"

/*
 * The cipher works on x in [0, a*b) written as x = L + a*R with L in Z_a and
 * R in Z_b. Each pair of rounds is
 *
 *	L = (L + F(2j-1, R)) mod a;	R = (R + F(2j, L)) mod b;
 *
 * which is the textbook Feistel swap (tmp = L + F(R); L = R; R = tmp) with the
 * swaps unwound: every round adds to the half whose modulus it uses, so each
 * round is invertible (subtract F of the other, unchanged half) and after an
 * even number of rounds the pair is again (Z_a, Z_b) and x = L + a*R is a
 * bijection on [0, a*b). PERM_ROUNDS must therefore be even. Four rounds
 * of a full 64-bit mixer are what Luby-Rackoff asks for; six cost half as
 * much again on the hot path and showed no measurable gain in uniformity.
 */
#define PERM_ROUNDS 4

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The smallest r with r*r >= n, for n <= 2^62 (so r <= 2^31). */
static uint64_t isqrt_ceil(uint64_t n)
{
	uint64_t lo = 0, hi = (uint64_t)1 << 31;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (mid * mid >= n)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int perm_init(struct perm *p, uint64_t n, uint64_t seed)
{
	uint64_t s = seed;

	if (n < 1 || n > (uint64_t)1 << 62)
		return FP_ERANGE;
	p->n = n;
	/* a >= b, a*b >= n and a*b - n < a: cycle walking is rare. */
	p->a = isqrt_ceil(n);
	p->b = (n + p->a - 1) / p->a;
	p->a_inv = UINT64_MAX / p->a;
	p->key[0] = splitmix64(&s);
	p->key[1] = splitmix64(&s);
	p->rounds = PERM_ROUNDS;
	return 0;
}

static inline uint64_t mulhi64(uint64_t x, uint64_t y)
{
	return (uint64_t)(((unsigned __int128)x * y) >> 64);
}

/*
 * The round function: a keyed, round-dependent 64-bit mixer (the murmur3
 * finalizer with key material added before and between the multiplies). It
 * only has to make the order look random, not resist an attacker.
 */
static inline uint64_t perm_f(const struct perm *p, unsigned round, uint64_t x)
{
	uint64_t h = x ^ (p->key[0] + round * 0x9e3779b97f4a7c15ULL);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h += p->key[1];
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* (v + F reduced to [0, m)) mod m for v < m, without a division. */
static inline uint64_t add_mod(uint64_t v, uint64_t h, uint64_t m)
{
	uint64_t t = v + mulhi64(h, m);

	return t >= m ? t - m : t;
}

uint64_t perm_at(const struct perm *p, uint64_t i)
{
	uint64_t a = p->a, b = p->b, L, R;

	/*
	 * L = i % a, R = i / a. a_inv = floor((2^64-1)/a) underestimates the
	 * quotient by at most one because i < 2^62.
	 */
	R = mulhi64(i, p->a_inv);
	L = i - R * a;
	if (L >= a) {
		L -= a;
		R++;
	}
	/*
	 * Cycle walking: re-encrypt until the value lands in [0, n). The
	 * cipher's output x = L + a*R is already split into its halves, so
	 * each further walk starts from (L, R) directly.
	 */
	for (;;) {
		for (unsigned j = 1; j < PERM_ROUNDS; j += 2) {
			L = add_mod(L, perm_f(p, j, R), a);
			R = add_mod(R, perm_f(p, j + 1, L), b);
		}
		if (likely(L + a * R < p->n))
			return L + a * R;
	}
}

uint64_t shard_size(uint64_t n, uint32_t k, uint32_t count)
{
	if (k < 1 || k > count || k > n)
		return 0;
	return (n - k) / count + 1;
}
