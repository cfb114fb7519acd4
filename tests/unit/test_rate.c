/* SPDX-License-Identifier: MIT */
/* Unit tests of the rate limiter on a simulated clock, and of clock_ns. */
#include "unit.h"
#include "core/rate.h"

#define MS 1000000ULL
#define S 1000000000ULL
#define T0 (1000 * S) /* an arbitrary start on the simulated clock */

/* Calls rate_take every 'step' ns in [from, to); returns the total released. */
static uint64_t run(struct ratectl *r, uint64_t from, uint64_t to, uint64_t step)
{
	uint64_t total = 0;

	for (uint64_t t = from; t < to; t += step) {
		uint32_t got = rate_take(r, t, NULL);

		assert_true(got <= r->burst);
		total += got;
	}
	return total;
}

static void test_burst(void **state)
{
	struct ratectl r;

	(void)state;
	rate_init(&r, 10, 64, T0);
	assert_int_equal(r.burst, 1);
	rate_init(&r, 1000000, 256, T0);
	assert_int_equal(r.burst, 256);
	rate_init(&r, 1000000, 4096, T0);
	assert_int_equal(r.burst, 1000);
	rate_init(&r, 1000000, 0, T0);
	assert_int_equal(r.burst, 1);
	rate_init(&r, 0, 64, T0);
	assert_int_equal(r.pps, 1);
	assert_int_equal(r.burst, 1);
}

static void test_slow(void **state)
{
	struct ratectl r;

	(void)state;
	rate_init(&r, 10, 64, T0);
	assert_int_equal(run(&r, T0, T0 + 10 * S, MS), 100);
	assert_int_equal(r.released, 100);
}

static void test_fast(void **state)
{
	struct ratectl r;
	uint64_t got;

	(void)state;
	/* A sender that polls every 50 us. */
	rate_init(&r, 1000000, 4096, T0);
	got = run(&r, T0, T0 + S, 50000);
	assert_in_range(got, 999000, 1001000);

	/* Irregular wakeups 1..2000 us apart, each draining what is due. */
	rate_init(&r, 1000000, 4096, T0);
	got = 0;
	for (uint64_t t = T0, x = 88172645463325252ULL; t < T0 + S;) {
		uint32_t n;

		while ((n = rate_take(&r, t, NULL)) > 0)
			got += n;
		assert_int_equal(got, (t - T0) / 1000 + 1);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		t += 1000 + x % 2000000;
	}
	assert_in_range(got, 998000, 1000001);
}

/* Lags under 100 ms are caught up, so the long-run rate stays exact. */
static void test_catch_up(void **state)
{
	struct ratectl r;
	uint64_t total = 0;

	(void)state;
	rate_init(&r, 1000000, 4096, T0);
	for (uint64_t t = T0; t < T0 + S; t += 5 * MS) {
		uint32_t got;

		/* Wakes every 5 ms and drains all that is due. */
		while ((got = rate_take(&r, t, NULL)) > 0) {
			assert_true(got <= 1000);
			total += got;
		}
	}
	/* Due by T0 + 995 ms: 995001 probes. */
	assert_int_equal(total, 995001);
}

static void test_stall(void **state)
{
	struct ratectl r;
	uint64_t t, before, got;

	(void)state;
	rate_init(&r, 100000, 4096, T0);
	assert_int_equal(r.burst, 100);
	before = run(&r, T0, T0 + S, 100000);
	assert_in_range(before, 99900, 100001);

	/* Five seconds without a call, then resume. */
	t = T0 + 6 * S;
	got = rate_take(&r, t, NULL);
	assert_true(got >= 1 && got <= r.burst);
	/* Nothing more is due at the same instant. */
	assert_int_equal(rate_take(&r, t, NULL), 0);

	/* The next second is paced at the rate, not above it. */
	got += run(&r, t + 10000, t + S, 10000);
	assert_in_range(got, 100000 - 2 * r.burst, 100000 + r.burst);

	/* Draining at one instant never beats the burst either. */
	t += 2 * S;
	got = rate_take(&r, t, NULL);
	assert_true(got <= r.burst);
	assert_int_equal(rate_take(&r, t, NULL), 0);
}

static void test_wait(void **state)
{
	struct ratectl r;
	uint64_t wait = 0;

	(void)state;
	rate_init(&r, 10, 64, T0);
	assert_int_equal(rate_take(&r, T0, &wait), 1);
	assert_int_equal(rate_take(&r, T0, &wait), 0);
	assert_int_equal(wait, 100 * MS);
	assert_int_equal(rate_take(&r, T0 + 30 * MS, &wait), 0);
	assert_int_equal(wait, 70 * MS);
	assert_int_equal(rate_take(&r, T0 + 100 * MS - 1, &wait), 0);
	assert_int_equal(wait, 1);
	assert_int_equal(rate_take(&r, T0 + 100 * MS, &wait), 1);

	/* 1/3 s does not divide: probe 1 is due at ceil(1e9 / 3) ns. */
	rate_init(&r, 3, 64, T0);
	assert_int_equal(rate_take(&r, T0, NULL), 1);
	assert_int_equal(rate_take(&r, T0, &wait), 0);
	assert_int_equal(wait, 333333334);
	assert_int_equal(rate_take(&r, T0 + 333333333, &wait), 0);
	assert_int_equal(wait, 1);
	assert_int_equal(rate_take(&r, T0 + 333333334, &wait), 1);
	assert_int_equal(rate_take(&r, T0 + 666666666, &wait), 0);
	assert_int_equal(wait, 1);
	assert_int_equal(rate_take(&r, T0 + 666666667, &wait), 1);

	/* A sender that sleeps exactly wait_ns sends exactly at the rate. */
	rate_init(&r, 7, 64, T0);
	for (uint64_t t = T0, sent = 0; t < T0 + 10 * S;) {
		uint32_t got = rate_take(&r, t, &wait);

		sent += got;
		if (got == 0) {
			assert_true(wait > 0);
			t += wait;
		}
		/* Never ahead of the schedule: probe k at T0 + k/7 s. */
		assert_true(sent <= (t - T0) * 7 / S + 1);
		if (t >= T0 + 10 * S - 1)
			assert_int_equal(sent, 70);
	}
	assert_int_equal(r.released, 70);
}

/* At 1e9 pps, (now - start) * pps passes 2^64 after 18.4 s. */
static void test_huge_rate(void **state)
{
	struct ratectl r;
	uint64_t t0 = (uint64_t)1 << 62, total = 0, wait;

	(void)state;
	rate_init(&r, 1000000000, 1u << 20, t0);
	assert_int_equal(r.burst, 1000000);
	/* Each 1 ms step makes exactly one burst due. */
	for (uint64_t t = t0; t < t0 + 40 * S; t += MS)
		total += rate_take(&r, t, NULL);
	assert_int_equal(total, 39999 * MS + 1);
	assert_int_equal(rate_take(&r, t0 + 39999 * MS, &wait), 0);
	assert_int_equal(wait, 1);
	assert_int_equal(rate_take(&r, t0 + 39999 * MS + 1, &wait), 1);

	/* Absurd rates and clocks saturate instead of wrapping. */
	rate_init(&r, UINT64_MAX, UINT32_MAX, 0);
	assert_int_equal(r.burst, UINT32_MAX);
	assert_int_equal(rate_take(&r, UINT64_MAX, NULL), UINT32_MAX);
	rate_init(&r, 1, 1, UINT64_MAX - 10);
	assert_int_equal(rate_take(&r, UINT64_MAX - 10, NULL), 1);
	assert_int_equal(rate_take(&r, UINT64_MAX, &wait), 0);
	assert_int_equal(wait, S - 10);
}

static void test_clock(void **state)
{
	uint64_t a = clock_ns(), b = clock_ns();

	(void)state;
	assert_true(a > 0);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_slow),
		cmocka_unit_test(test_fast),
		cmocka_unit_test(test_catch_up),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_huge_rate),
		cmocka_unit_test(test_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
