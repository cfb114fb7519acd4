/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the caller-sized structures of the public ABI: a caller of
 * fp_scanner_stats() built against an older fp_stats_t (a copy of its first
 * sized layout, below) gets every member it knows filled in and not one
 * byte written past its struct; a caller built against a newer, longer one
 * finds the members this library lacks untouched; sizes below the first
 * layout are refused without a write.
 */
#include "unit.h"
#include "engine/scanner.h"

/*
 * fp_stats_t as it was when struct_size was put in front: what a program
 * compiled against that header allocates. Never change this copy; members
 * appended to fp_stats_t since are not in it, which makes it shorter than
 * the library's own struct.
 */
struct stats_first {
	uint32_t struct_size;
	uint64_t planned;
	uint64_t sent;
	uint64_t received;
	uint64_t valid;
	uint64_t invalid;
	uint64_t duplicates;
	uint64_t dropped;
	uint64_t open, closed, filtered, open_filtered;
	uint64_t send_errors;
	uint64_t excluded;
	uint32_t pass;
	uint64_t elapsed_us;
	double progress;
	double rate;
};

/* The first layout is a prefix of today's: same members at the same offsets. */
#define SAME(m) _Static_assert(offsetof(struct stats_first, m) == offsetof(fp_stats_t, m), #m)
SAME(struct_size); SAME(planned); SAME(sent); SAME(received); SAME(valid);
SAME(invalid); SAME(duplicates); SAME(dropped); SAME(open); SAME(closed);
SAME(filtered); SAME(open_filtered); SAME(send_errors); SAME(excluded);
SAME(pass); SAME(elapsed_us); SAME(progress); SAME(rate);
#undef SAME
_Static_assert(sizeof(struct stats_first) <= sizeof(fp_stats_t), "fp_stats_t only grows");

#define GUARD 0xa5
#define GUARD_LEN 64

/* A scanner with a distinct value in every counter. */
static fp_scanner_t *scanner_with_counters(void)
{
	fp_config_t cfg;
	fp_scanner_t *s = NULL;
	char err[256] = "";

	fp_config_init(&cfg);
	assert_int_equal(fp_scanner_new(&cfg, &s, err, sizeof(err)), 0);
	s->st.planned = 0x0101010101010101ULL;
	s->st.sent = 0x0202020202020202ULL;
	s->st.received = 0x0303030303030303ULL;
	s->st.valid = 0x0404040404040404ULL;
	s->st.invalid = 0x0505050505050505ULL;
	s->st.duplicates = 0x0606060606060606ULL;
	s->st.dropped = 0x0707070707070707ULL;
	s->st.open = 0x0808080808080808ULL;
	s->st.closed = 0x0909090909090909ULL;
	s->st.filtered = 0x0a0a0a0a0a0a0a0aULL;
	s->st.open_filtered = 0x0b0b0b0b0b0b0b0bULL;
	s->st.send_errors = 0x0c0c0c0c0c0c0c0cULL;
	s->st.excluded = 0x0d0d0d0d0d0d0d0dULL;
	s->st.pass = 0x0e0e0e0e;
	s->st.elapsed_us = 0x0f0f0f0f0f0f0f0fULL;
	s->st.progress = 0.25;
	s->st.rate = 12345.5;
	return s;
}

static void assert_counters(const void *p)
{
	struct stats_first f, *st = &f;

	memcpy(&f, p, sizeof(f));
	assert_int_equal(st->planned, 0x0101010101010101ULL);
	assert_int_equal(st->sent, 0x0202020202020202ULL);
	assert_int_equal(st->received, 0x0303030303030303ULL);
	assert_int_equal(st->valid, 0x0404040404040404ULL);
	assert_int_equal(st->invalid, 0x0505050505050505ULL);
	assert_int_equal(st->duplicates, 0x0606060606060606ULL);
	assert_int_equal(st->dropped, 0x0707070707070707ULL);
	assert_int_equal(st->open, 0x0808080808080808ULL);
	assert_int_equal(st->closed, 0x0909090909090909ULL);
	assert_int_equal(st->filtered, 0x0a0a0a0a0a0a0a0aULL);
	assert_int_equal(st->open_filtered, 0x0b0b0b0b0b0b0b0bULL);
	assert_int_equal(st->send_errors, 0x0c0c0c0c0c0c0c0cULL);
	assert_int_equal(st->excluded, 0x0d0d0d0d0d0d0d0dULL);
	assert_int_equal(st->pass, 0x0e0e0e0e);
	assert_int_equal(st->elapsed_us, 0x0f0f0f0f0f0f0f0fULL);
	assert_true(st->progress == 0.25);
	assert_true(st->rate == 12345.5);
}

/* Every one of the len bytes at p is the guard pattern. */
static void assert_guard(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != GUARD)
			fail_msg("byte %zu past the caller's struct was written (0x%02x)", i, p[i]);
}

/* A caller compiled against the first sized layout. */
static void test_stats_old_caller(void **state)
{
	union {
		struct stats_first st;
		uint8_t b[sizeof(struct stats_first) + GUARD_LEN];
	} u;
	fp_scanner_t *s = scanner_with_counters();

	(void)state;
	memset(&u, GUARD, sizeof(u));
	u.st.struct_size = sizeof(u.st);
	assert_int_equal(fp_scanner_stats(s, (fp_stats_t *)(void *)&u), 0);
	assert_counters(&u.st);
	assert_int_equal(u.st.struct_size, sizeof(u.st));
	assert_guard(u.b + sizeof(u.st), GUARD_LEN);
	fp_scanner_free(s);
}

/* A caller compiled against a newer header with members appended that this
 * library does not have: they stay as the caller left them, and struct_size
 * says how much was filled in. */
static void test_stats_newer_caller(void **state)
{
	struct stats_newer {
		fp_stats_t st;
		uint64_t future[4];
	};
	union {
		struct stats_newer n;
		uint8_t b[sizeof(struct stats_newer) + GUARD_LEN];
	} u;
	fp_scanner_t *s = scanner_with_counters();

	(void)state;
	memset(&u, GUARD, sizeof(u));
	u.n.st.struct_size = sizeof(u.n);
	assert_int_equal(fp_scanner_stats(s, &u.n.st), 0);
	assert_counters(&u.n.st);
	assert_int_equal(u.n.st.struct_size, sizeof(fp_stats_t));
	assert_guard(u.b + sizeof(fp_stats_t), sizeof(u) - sizeof(fp_stats_t));
	fp_scanner_free(s);
}

/* The current header's own struct, as every caller in this tree uses it. */
static void test_stats_current_caller(void **state)
{
	fp_stats_t st = { .struct_size = sizeof(st) };
	fp_scanner_t *s = scanner_with_counters();

	(void)state;
	assert_int_equal(fp_scanner_stats(s, &st), 0);
	assert_int_equal(st.struct_size, sizeof(st));
	assert_counters(&st);
	fp_scanner_free(s);
}

/* Sizes below the first layout (0: a caller that never set it) are refused
 * and nothing is written. */
static void test_stats_too_small(void **state)
{
	union {
		struct stats_first st;
		uint8_t b[sizeof(struct stats_first)];
	} u;
	uint32_t sizes[] = { 0, 4, offsetof(struct stats_first, rate),
	                     sizeof(struct stats_first) - 1 };
	fp_scanner_t *s = scanner_with_counters();

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&u, GUARD, sizeof(u));
		u.st.struct_size = sizes[i];
		assert_int_equal(fp_scanner_stats(s, (fp_stats_t *)(void *)&u), FP_EINVAL);
		assert_int_equal(u.st.struct_size, sizes[i]);
		assert_guard(u.b + sizeof(u.st.struct_size), sizeof(u) - sizeof(u.st.struct_size));
	}
	memset(&u, GUARD, sizeof(u));
	u.st.struct_size = sizeof(u.st);
	assert_int_equal(fp_scanner_stats(NULL, (fp_stats_t *)(void *)&u), FP_EINVAL);
	assert_guard(u.b + sizeof(u.st.struct_size), sizeof(u) - sizeof(u.st.struct_size));
	assert_int_equal(fp_scanner_stats(s, NULL), FP_EINVAL);
	fp_scanner_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_old_caller),
		cmocka_unit_test(test_stats_newer_caller),
		cmocka_unit_test(test_stats_current_caller),
		cmocka_unit_test(test_stats_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
