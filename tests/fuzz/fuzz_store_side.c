/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the reader of a side as text (src/store/diff.c,
 * diff_side_undump: the store's scan_sides rows): any input is read or
 * refused without a fault; a side read is sorted, without two records of a
 * port, and written again (diff_side_dump) it reads back to the same text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "store/diff.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diff_side a, b;
	char *t1, *t2;
	size_t n1, n2;

	if (diff_side_undump(&a, (const char *)data, size) < 0) {
		CHECK(a.n == 0 && !a.v && !a.arena);
		return 0;
	}
	CHECK(a.sorted);
	for (size_t i = 1; i < a.n; i++)
		CHECK(port_cmp(&a.v[i - 1], &a.v[i]) < 0);
	t1 = diff_side_dump(&a, true, &n1);
	CHECK(t1 && strlen(t1) == n1);
	CHECK(diff_side_undump(&b, t1, n1) == 0);
	CHECK(b.n == a.n);
	t2 = diff_side_dump(&b, true, &n2);
	CHECK(t2 && n2 == n1 && !memcmp(t1, t2, n1));
	free(t1);
	free(t2);
	diff_side_free(&a);
	diff_side_free(&b);
	return 0;
}
