/* SPDX-License-Identifier: MIT */
/* Unit tests of the scan-order permutation and its shards. */
#include <stdlib.h>

#include "unit.h"
#include "core/perm.h"

static const uint64_t awkward_n[] = {
	1, 2, 3, 4, 5, 7, 97, 251, 1021, 255, 256, 257, 1023, 1024, 1025,
	65537, 65536 * 5 + 1, 1000003,
};

static uint8_t *bitmap_new(uint64_t n)
{
	uint8_t *bm = calloc((size_t)(n + 7) / 8, 1);

	assert_non_null(bm);
	return bm;
}

/* Sets bit v; fails when v >= n or the bit is already set. */
static void bitmap_mark(uint8_t *bm, uint64_t n, uint64_t v)
{
	assert_in_range(v, 0, n - 1);
	assert_int_equal(bm[v / 8] & (1u << (v % 8)), 0);
	bm[v / 8] |= (uint8_t)(1u << (v % 8));
}

static void check_bijection(uint64_t n, uint64_t seed)
{
	struct perm p = { 0 };
	uint8_t *bm = bitmap_new(n);

	assert_int_equal(perm_init(&p, n, seed), 0);
	assert_true(p.a * p.b >= n);
	for (uint64_t i = 0; i < n; i++)
		bitmap_mark(bm, n, perm_at(&p, i));
	/* n distinct values below n: every value exactly once. */
	free(bm);
}

static void test_bijection(void **state)
{
	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(awkward_n); k++) {
		check_bijection(awkward_n[k], 0);
		check_bijection(awkward_n[k], 0x123456789abcdefULL);
	}
}

static void test_bijection_all_small(void **state)
{
	(void)state;
	for (uint64_t n = 1; n <= 600; n++)
		check_bijection(n, n * 31);
}

static void test_n1(void **state)
{
	struct perm p = { 0 };

	(void)state;
	assert_int_equal(perm_init(&p, 1, 42), 0);
	assert_int_equal(perm_at(&p, 0), 0);
}

static void test_range(void **state)
{
	struct perm p = { 0 };

	(void)state;
	assert_int_equal(perm_init(&p, 0, 1), FP_ERANGE);
	assert_int_equal(perm_init(&p, ((uint64_t)1 << 62) + 1, 1), FP_ERANGE);
	assert_int_equal(perm_init(&p, UINT64_MAX, 1), FP_ERANGE);
	assert_int_equal(perm_init(&p, (uint64_t)1 << 62, 1), 0);
	for (uint64_t i = 0; i < 1000; i++)
		assert_true(perm_at(&p, ((uint64_t)1 << 62) - 1 - i) < (uint64_t)1 << 62);
}

static void test_seed(void **state)
{
	struct perm p1, p2, p3;
	uint64_t n = 1000003;
	unsigned same_12 = 0, same_13 = 0;

	(void)state;
	assert_int_equal(perm_init(&p1, n, 7), 0);
	assert_int_equal(perm_init(&p2, n, 7), 0);
	assert_int_equal(perm_init(&p3, n, 8), 0);
	for (uint64_t i = 0; i < 10000; i++) {
		same_12 += perm_at(&p1, i) == perm_at(&p2, i);
		same_13 += perm_at(&p1, i) == perm_at(&p3, i);
	}
	assert_int_equal(same_12, 10000);
	assert_true(same_13 < 10);
}

static void test_random_looking(void **state)
{
	struct perm p = { 0 };
	uint64_t n = 1000000, prev, d, d0 = 0, ascents = 0, lo = 0;
	bool sorted = true, dist_const = true;
	const uint64_t m = 100000;

	(void)state;
	assert_int_equal(perm_init(&p, n, 99), 0);
	prev = perm_at(&p, 0);
	for (uint64_t i = 1; i < m; i++) {
		uint64_t v = perm_at(&p, i);

		if (i < 1000 && v < prev)
			sorted = false;
		d = v > prev ? v - prev : prev - v;
		if (i == 1)
			d0 = d;
		else if (d != d0)
			dist_const = false;
		ascents += v > prev;
		lo += v < n / 2;
		prev = v;
	}
	assert_false(sorted);
	assert_false(dist_const);
	/* Binomial(1e5, 0.5) has sd ~158: 2% is over 10 sd. */
	assert_in_range(ascents, m / 2 - m / 50, m / 2 + m / 50);
	assert_in_range(lo, m / 2 - m / 50, m / 2 + m / 50);
	/* The identity and simple rotations would fail this. */
	assert_true(perm_at(&p, 0) != 0 || perm_at(&p, 1) != 1);
}

static void test_shards(void **state)
{
	static const uint64_t ns[] = { 1, 2, 3, 7, 16, 17, 100, 1021, 65537 };
	static const uint32_t counts[] = { 1, 2, 3, 7, 16 };

	(void)state;
	for (size_t a = 0; a < ARRAY_SIZE(ns); a++) {
		for (size_t c = 0; c < ARRAY_SIZE(counts); c++) {
			uint64_t n = ns[a], total = 0;
			uint32_t count = counts[c];
			uint8_t *bm = bitmap_new(n);
			struct perm p;

			assert_int_equal(perm_init(&p, n, 5), 0);
			for (uint32_t k = 1; k <= count; k++) {
				uint64_t size = shard_size(n, k, count);

				for (uint64_t j = 0; j < size; j++) {
					uint64_t i = shard_pos(k, count, j);

					assert_true(i < n);
					bitmap_mark(bm, n, perm_at(&p, i));
				}
				/* The next position is past the end. */
				assert_true(shard_pos(k, count, size) >= n);
				total += size;
			}
			assert_int_equal(total, n);
			free(bm);
		}
	}
}

static void test_shard_size(void **state)
{
	(void)state;
	assert_int_equal(shard_size(10, 1, 3), 4); /* 0 3 6 9 */
	assert_int_equal(shard_size(10, 2, 3), 3); /* 1 4 7 */
	assert_int_equal(shard_size(10, 3, 3), 3); /* 2 5 8 */
	assert_int_equal(shard_size(2, 3, 3), 0);
	assert_int_equal(shard_size(1, 1, 1), 1);
	assert_int_equal(shard_size(5, 0, 3), 0);
	assert_int_equal(shard_size(5, 4, 3), 0);
	assert_int_equal(shard_size((uint64_t)1 << 62, 16, 16),
	                 ((uint64_t)1 << 62) / 16);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

static void test_large(void **state)
{
	enum { COUNT = 5000 };
	uint64_t n = (uint64_t)1 << 40, *v = calloc(COUNT, sizeof(*v));
	struct perm p = { 0 };

	(void)state;
	assert_non_null(v);
	assert_int_equal(perm_init(&p, n, 3), 0);
	for (size_t i = 0; i < COUNT; i++) {
		/* Both ends and a stride across the middle. */
		uint64_t pos = i < COUNT / 2 ? i : n - 1 - (i - COUNT / 2) * 1234567;

		v[i] = perm_at(&p, pos);
		assert_true(v[i] < n);
	}
	qsort(v, COUNT, sizeof(*v), cmp_u64);
	for (size_t i = 1; i < COUNT; i++)
		assert_true(v[i] != v[i - 1]);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bijection),
		cmocka_unit_test(test_bijection_all_small),
		cmocka_unit_test(test_n1),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_random_looking),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_shard_size),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
