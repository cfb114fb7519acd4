/* SPDX-License-Identifier: MIT */
/*
 * Differential libFuzzer harness for the store's fast event reader
 * (src/store/event_fast.c) against jansson (src/store/event_parse.c): for
 * every line the fast reader accepts, jansson must accept it too and read
 * the same members (strings byte for byte, NULL where jansson has none),
 * and store_parse_event must give the same event and the same verdict
 * with and without the fast reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/addr.h"
#include "store/event_fast.c"
#include "store/event_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); abort(); } } while (0)

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void same_fields(const struct event_fields *a, const struct event_fields *b)
{
	CHECK(same(a->schema, b->schema) && same(a->event_id, b->event_id));
	CHECK(same(a->scan_id, b->scan_id) && same(a->kind, b->kind) && same(a->time, b->time));
	CHECK(a->target == b->target && same(a->ip, b->ip) && same(a->protocol, b->protocol));
	CHECK(a->port_ok == b->port_ok && (!a->port_ok || a->port == b->port));
	CHECK(same(a->state, b->state) && same(a->reason, b->reason));
	CHECK(same(a->rservice, b->rservice) && a->svc == b->svc && same(a->name, b->name));
	CHECK(same(a->product, b->product) && same(a->version, b->version));
	CHECK(same(a->sha256, b->sha256) && same(a->shard, b->shard));
	CHECK(a->interrupted == b->interrupted);
}

static void same_event(const struct store_event *a, const struct store_event *b)
{
	CHECK(same(a->event_id, b->event_id) && same(a->scan_id, b->scan_id));
	CHECK(same(a->kind, b->kind) && same(a->time, b->time) && same(a->ip, b->ip));
	CHECK(a->port == b->port && same(a->protocol, b->protocol) && same(a->state, b->state));
	CHECK(same(a->reason, b->reason) && same(a->service, b->service));
	CHECK(same(a->product, b->product) && same(a->version, b->version));
	CHECK(same(a->cert_sha256, b->cert_sha256));
	CHECK(a->json == b->json && a->json_len == b->json_len);
}

static void one(const char *line, size_t n)
{
	struct store_parsed *pj = malloc(sizeof(*pj) + 1), *pa = NULL, *pb = NULL;
	struct event_fields ff, fj;
	struct store_event ea, eb;
	char *buf = malloc(n + 1), err[200];
	int ra, rb;

	CHECK(pj && buf);
	memset(pj, 0, sizeof(*pj));
	if (event_fast_read(line, n, &ff, buf)) {
		CHECK(jansson_fields(pj, line, n, &fj, err, sizeof(err)) == 0);
		same_fields(&ff, &fj);
	}
	ra = parse_event(line, n, &ea, &pa, err, sizeof(err), true);
	rb = parse_event(line, n, &eb, &pb, err, sizeof(err), false);
	CHECK(ra == rb);
	if (ra == 0) {
		same_event(&ea, &eb);
		CHECK(store_parsed_interrupted(pa) == store_parsed_interrupted(pb));
		CHECK(pa->shard == pb->shard && pa->shard_count == pb->shard_count);
	}
	store_parsed_free(pa);
	store_parsed_free(pb);
	store_parsed_free(pj);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	one(p, size);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (nl)
			one(p, n);
		p += n + 1;
	}
	return 0;
}
