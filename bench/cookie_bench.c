/* SPDX-License-Identifier: MIT */
/*
 * Cookie throughput of every batch implementation this CPU runs (scalar,
 * AVX2, AVX-512), in the sender's batch size, interleaved over several
 * rounds: prints one JSON object per implementation with the median
 * nanoseconds per cookie and the ratio to scalar. Also checks that every
 * implementation gives the scalar values.
 *     cookie_bench [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cookie.h"

#define BATCH 16        /* the sender's batch (engine.c COOKIE_BATCH) */
#define N (1u << 16)    /* destinations, reused */
#define REPS 256        /* passes over them per measurement: 16.7M cookies */
#define IMPLS 8
#define ROUNDS_MAX 31

static u128 dst[N];
static uint16_t port[N];
static uint8_t proto[N];
static uint64_t out[N], ref[N];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	const char *const *names = cookie_impls();
	double ns[IMPLS][ROUNDS_MAX];
	struct cookie_ctx cc[IMPLS];
	int rounds = argc > 1 ? atoi(argv[1]) : 7, n = 0;
	uint64_t x = 88172645463325252ULL, sink = 0;

	if (rounds < 1 || rounds > ROUNDS_MAX)
		rounds = 7;
	for (uint32_t i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		dst[i] = addr_from_v4(0xc6130000u | (uint32_t)(x & 0xffff));
		port[i] = (uint16_t)(x >> 32);
		proto[i] = 0;
	}
	for (; names[n] && n < IMPLS; n++)
		cookie_ctx_init(&cc[n], key, addr_from_v4(0xc6120001u), 0, names[n]);
	/* Every implementation gives the scalar values. */
	cookie_batch(&cc[0], N, dst, port, proto, ref);
	for (int k = 1; k < n; k++) {
		cookie_batch(&cc[k], N, dst, port, proto, out);
		if (memcmp(out, ref, sizeof(out))) {
			fprintf(stderr, "cookie_bench: %s differs from scalar\n", names[k]);
			return 1;
		}
	}
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < n; k++) {
			double t0 = now_s();

			for (int rep = 0; rep < REPS; rep++)
				for (uint32_t i = 0; i < N; i += BATCH)
					cookie_batch(&cc[k], BATCH, dst + i, port + i, proto + i, out + i);
			ns[k][r] = (now_s() - t0) * 1e9 / ((double)N * REPS);
			sink += out[rounds % N];
		}
	}
	for (int k = 0; k < n; k++)
		qsort(ns[k], (size_t)rounds, sizeof(double), cmp_double);
	for (int k = 0; k < n; k++)
		printf("{\"impl\":\"%s\",\"ns_per_cookie\":%.3f,\"speedup_vs_scalar\":%.2f,\"rounds\":%d,\"batch\":%d}\n",
		       names[k], ns[k][rounds / 2], ns[0][rounds / 2] / ns[k][rounds / 2], rounds, BATCH);
	return sink == 42 ? 2 : 0;
}
