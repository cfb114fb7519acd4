/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the service probe database loader (db_parse) and
 * the pattern compiler behind it (match_compile, interpreter only: the JIT
 * is exercised by fuzz_svc_match): every accepted database must hold valid
 * names, resolved probe lists and renderable probes; every rejected one
 * must leave nothing behind and say where it failed.
 */
#include <stdlib.h>
#include <string.h>

#include "service/db.h"
#include "service/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= DB_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db db;
	char err[512];
	uint8_t out[DB_SEND_MAX + 64];
	int r = db_parse(&db, (const char *)data, size, "f", err, sizeof(err));

	if (r < 0) {
		CHECK(r == FP_EINVAL || r == FP_ENOMEM);
		CHECK(db.nprobes == 0 && db.nmatches == 0 && !db.probes && !db.matches);
		CHECK(!strncmp(err, "f:", 2));
		return 0;
	}
	CHECK(db.nprobes <= DB_PROBES_MAX && db.nmatches <= DB_MATCHES_MAX);
	for (uint32_t i = 0; i < db.nprobes; i++) {
		const struct db_probe *p = &db.probes[i];
		int n;

		CHECK(name_ok(p->name));
		CHECK(db_probe_find(&db, p->name) == (int)i);
		CHECK(p->send_len <= DB_SEND_MAX);
		CHECK(p->wait_ms >= 1 && p->wait_ms <= DB_WAIT_MAX);
		for (uint32_t k = 0; k < p->nports; k++)
			CHECK(p->ports[k].lo >= 1 && p->ports[k].lo <= p->ports[k].hi);
		for (uint32_t k = 0; k < p->nmatches; k++) {
			CHECK(p->matches[k] < db.nmatches);
			CHECK((db.matches[p->matches[k]].probes >> i) & 1);
			CHECK(k == 0 || p->matches[k] > p->matches[k - 1]);
		}
		n = db_probe_render(p, "[2001:2::1]", "0.1.0", out, sizeof(out));
		CHECK(n >= -1 && n <= (int)sizeof(out));
	}
	for (uint32_t i = 0; i < db.nmatches; i++) {
		const struct db_match *m = &db.matches[i];

		CHECK(m->probes != 0 && name_ok(m->service) && m->pattern && m->pattern[0]);
		CHECK(m->ncpe <= DB_CPE_MAX);
	}
	r = match_compile(&db, false, "f", err, sizeof(err));
	CHECK(r == 0 || r == FP_EINVAL || r == FP_ENOMEM);
	if (r == FP_EINVAL)
		CHECK(!strncmp(err, "f:", 2));
	db_free(&db);
	CHECK(db.nprobes == 0 && !db.probes);
	return 0;
}
