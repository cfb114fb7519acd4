/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the store's reader of threat_event_v1 lines
 * (src/store/event_parse.c) and the exposure comparison fed by it
 * (src/store/diff.c): each input line is parsed; what is accepted must meet
 * the reader's contract (plain ids, a canonical address, a port and a known
 * protocol), and the findings, split between two scans, are compared; every
 * exposure_change event produced must be valid JSON naming the scan pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/addr.h"
#include "store/event_fast.c"
#include "store/event_parse.c"
#include "store/diff.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static bool plain_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static int check_change(enum diff_change c, const struct diff_port *b, const struct diff_port *a,
			const char *json, size_t len, void *ud)
{
	json_t *e = json_loadb(json, len, 0, NULL);

	(void)ud;
	CHECK(e);
	CHECK(!strcmp(json_string_value(json_object_get(e, "from_scan_id")), "from"));
	CHECK(!strcmp(json_string_value(json_object_get(e, "change")), diff_change_name(c)));
	CHECK(c != DIFF_CLOSED || (b && diff_port_open(b) && !diff_port_open(a)));
	CHECK(c != DIFF_OPENED || (a && diff_port_open(a) && !diff_port_open(b)));
	json_decref(e);
	return 0;
}

static int count(const struct diff_port *p, void *ud)
{
	CHECK(diff_port_open(p));
	++*(size_t *)ud;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct diff_ctx ctx = { .from_scan = "from", .to_scan = "to", .scope = "s",
				      .time = "2026-01-01T00:00:00Z" };
	const char *p = (const char *)data, *end = p + size;
	struct diff_side side[2];
	size_t nline = 0, ncand = 0;

	diff_side_init(&side[0]);
	diff_side_init(&side[1]);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct store_event ev;
		struct store_parsed *pp = NULL;
		char err[200];

		if (store_parse_event(p, n, &ev, &pp, err, sizeof(err)) == 0) {
			CHECK(pp && ev.json == p && ev.json_len == n);
			CHECK(plain_ok(ev.scan_id, STORE_ID_MAX) && plain_ok(ev.event_id, 512));
			CHECK(plain_ok(ev.kind, 64) && plain_ok(ev.time, 64));
			if (ev.ip) {
				u128 a;
				char again[ADDR_STRLEN];

				CHECK(addr_parse(ev.ip, strlen(ev.ip), &a) == 0);
				addr_format(a, again);
				CHECK(!strcmp(again, ev.ip));
				CHECK(!strcmp(ev.protocol, "tcp") || !strcmp(ev.protocol, "udp") ||
				      !strcmp(ev.protocol, "quic"));
			}
			if (store_event_is_finding(&ev))
				CHECK(diff_side_add(&side[nline & 1], &ev) == 0);
			store_parsed_free(pp);
		} else {
			CHECK(!pp && err[0]);
		}
		nline++;
		p += n + 1;
	}
	CHECK(diff_close_candidates(&side[0], &side[1], count, &ncand) == 0);
	CHECK(diff_run(&side[0], &side[1], &ctx, check_change, NULL) == 0);
	diff_side_free(&side[0]);
	diff_side_free(&side[1]);
	return 0;
}
