/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the matcher over the built-in database, JIT on:
 * the input is a server's answer, tried against every probe's matches (and
 * inside a tunnel, with the null probe's after); the substituted fields
 * must be printable ASCII within their sizes, and the result must encode
 * (svc_result_json) with its banner escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "service/match.h"
#include "service/svc.h"
#include "event/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct db g_db;
static struct matcher *g_mt;

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	CHECK(n < cap);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	int null_probe;

	if (!g_mt) {
		char err[256];

		if (db_load_embedded(&g_db, err, sizeof(err)) < 0 ||
		    match_compile(&g_db, true, "embedded", err, sizeof(err)) < 0 ||
		    matcher_new(&g_mt) < 0)
			abort();
	}
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	null_probe = db_probe_find(&g_db, "null");
	for (uint32_t p = 0; p < g_db.nprobes; p++) {
		for (int also = 0; also < 2; also++) {
			struct svc_result r;
			struct jbuf b;
			int mi;

			memset(&r, 0, sizeof(r));
			mi = match_run(g_mt, &g_db, (int)p, also ? null_probe : -1, NULL, copy, size, &r);
			CHECK(mi >= -1 && mi < (int)g_db.nmatches);
			if (mi < 0)
				continue;
			CHECK(!strcmp(r.name, g_db.matches[mi].service));
			check_text(r.product, sizeof(r.product));
			check_text(r.version, sizeof(r.version));
			check_text(r.info, sizeof(r.info));
			CHECK(r.ncpe <= SVC_CPE_MAX);
			for (uint32_t c = 0; c < r.ncpe; c++)
				check_text(r.cpe[c], sizeof(r.cpe[c]));
			r.banner_len = size < SVC_BANNER_MAX ? (uint32_t)size : SVC_BANNER_MAX;
			memcpy(r.banner, copy, r.banner_len);
			jbuf_init(&b);
			CHECK(svc_result_json(&b, &r) == 0);
			CHECK(b.len > 2 && b.p[0] == '{' && b.p[b.len - 1] == '}');
			jbuf_free(&b);
		}
	}
	free(copy);
	return 0;
}
