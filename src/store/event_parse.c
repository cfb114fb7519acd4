/* SPDX-License-Identifier: MIT */
/* Reads the fields the store keys on out of one threat_event_v1 line: the
 * fast reader (event_fast.c) for what it is sure of, else jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store.h"
#include "core/addr.h"
#include "event_fields.h"

struct store_parsed {
	json_t *root;
	char ip[ADDR_STRLEN];
	unsigned shard, shard_count;
	bool interrupted;
	char buf[]; /* the fast reader's strings */
};

void store_parsed_free(struct store_parsed *p)
{
	if (!p)
		return;
	json_decref(p->root);
	free(p);
}

void store_parse_init(void)
{
	json_object_seed(0);
}

/* A string member of o, or NULL when absent or not a string. */
static const char *str_at(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Printable ASCII, 1..max bytes, no quote or backslash: ids and kinds go
 * into SQL parameters and event ids verbatim. */
static bool plain(const char *s, size_t max)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (n >= max || s[n] <= ' ' || s[n] > '~' || s[n] == '"' || s[n] == '\\')
			return false;
	return n > 0;
}

/* A port: an integer 0..65535 (a real with an integral value when the
 * line was read with JSON_DECODE_INT_AS_REAL). */
static bool port_value(json_t *v, bool reals, uint16_t *out)
{
	double d;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > 65535)
			return false;
		*out = (uint16_t)json_integer_value(v);
		return true;
	}
	if (!reals || !json_is_real(v))
		return false;
	d = json_real_value(v);
	if (!(d >= 0 && d <= 65535) || d != (double)(uint16_t)d)
		return false;
	*out = (uint16_t)d;
	return true;
}

/* The members the store reads, with jansson. 0, or -1 with the reason. */
static int jansson_fields(struct store_parsed *p, const char *line, size_t n,
			  struct event_fields *f, char *err, size_t errlen)
{
	json_error_t je;
	json_t *t, *r, *svc;
	bool reals = false;

	memset(f, 0, sizeof(*f));
	p->root = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	/* A 64-bit seed above INT64_MAX is valid JSON that jansson's integers
	 * cannot hold: read the numbers as reals then (the store keys on no
	 * large number; the line itself is kept as it came). */
	if (!p->root && !strncmp(je.text, "too big integer", 15)) {
		reals = true;
		p->root = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
	}
	if (!p->root) {
		snprintf(err, errlen, "not JSON: %s (column %d)", je.text, je.column);
		return -1;
	}
	if (!json_is_object(p->root)) {
		snprintf(err, errlen, "not a JSON object");
		return -1;
	}
	f->schema = str_at(p->root, "schema");
	f->event_id = str_at(p->root, "event_id");
	f->scan_id = str_at(p->root, "scan_id");
	f->kind = str_at(p->root, "kind");
	f->time = str_at(p->root, "time");
	t = json_object_get(p->root, "target");
	if (t) {
		f->target = true;
		f->ip = str_at(t, "ip");
		f->protocol = str_at(t, "protocol");
		f->port_ok = port_value(json_object_get(t, "port"), reals, &f->port);
	}
	r = json_object_get(p->root, "result");
	f->state = str_at(r, "state");
	f->reason = str_at(r, "reason");
	f->rservice = str_at(r, "service");
	svc = json_object_get(p->root, "service");
	if (json_is_object(svc)) {
		f->svc = true;
		f->name = str_at(svc, "name");
		f->product = str_at(svc, "product");
		f->version = str_at(svc, "version");
		f->sha256 = str_at(json_object_get(svc, "tls"), "sha256");
	}
	f->shard = str_at(json_object_get(p->root, "scan"), "shard");
	f->interrupted = json_is_true(json_object_get(p->root, "interrupted"));
	return 0;
}

static void parse_shard(struct store_parsed *p, const char *s)
{
	unsigned k, n;
	char end;

	p->shard = p->shard_count = 1;
	if (s && sscanf(s, "%u/%u%c", &k, &n, &end) == 2 && k >= 1 && k <= n && n <= 1000000) {
		p->shard = k;
		p->shard_count = n;
	}
}

/* Checks the members read and fills ev. 0, or -1 with the reason. */
static int check_fields(struct store_parsed *p, const struct event_fields *f,
			struct store_event *ev, char *err, size_t errlen)
{
	if (!f->schema || strcmp(f->schema, "threat_event_v1")) {
		snprintf(err, errlen, "not a threat_event_v1 event (schema member)");
		return -1;
	}
	ev->event_id = f->event_id;
	ev->scan_id = f->scan_id;
	ev->kind = f->kind;
	ev->time = f->time;
	if (!plain(ev->event_id, 512) || !plain(ev->scan_id, STORE_ID_MAX) ||
	    !plain(ev->kind, 64) || !plain(ev->time, 64)) {
		snprintf(err, errlen, "event_id, scan_id, kind or time missing or malformed");
		return -1;
	}
	if (f->target) {
		u128 a;

		ev->protocol = f->protocol;
		if (!f->ip || addr_parse(f->ip, strlen(f->ip), &a) < 0) {
			snprintf(err, errlen, "target.ip missing or not an IP address");
			return -1;
		}
		if (!f->port_ok) {
			snprintf(err, errlen, "target.port missing or not 0-65535");
			return -1;
		}
		ev->port = f->port;
		if (!ev->protocol || (strcmp(ev->protocol, "tcp") && strcmp(ev->protocol, "udp") &&
				      strcmp(ev->protocol, "quic"))) {
			snprintf(err, errlen, "target.protocol missing or not tcp, udp or quic");
			return -1;
		}
		addr_format(a, p->ip);
		ev->ip = p->ip;
	}
	ev->state = f->state;
	ev->reason = f->reason;
	ev->service = f->rservice;
	if (f->svc) {
		ev->service = f->name;
		ev->product = f->product;
		ev->version = f->version;
		ev->cert_sha256 = f->sha256;
	}
	if (!strcmp(ev->kind, "port_state") && (!ev->ip || !ev->state)) {
		snprintf(err, errlen, "port_state without target or result.state");
		return -1;
	}
	if (!strcmp(ev->kind, "service") && !ev->ip) {
		snprintf(err, errlen, "service event without target");
		return -1;
	}
	parse_shard(p, f->shard);
	p->interrupted = f->interrupted;
	return 0;
}

/* store_parse_event with a choice of reader: fast (the fast reader, then
 * jansson for what it declines) or jansson alone. */
static int parse_event(const char *line, size_t n, struct store_event *ev,
		       struct store_parsed **pp, char *err, size_t errlen, bool fast)
{
	struct store_parsed *p = malloc(sizeof(*p) + n + 1);
	struct event_fields f;
	int ret = -1;

	memset(ev, 0, sizeof(*ev));
	*pp = NULL;
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(p, 0, sizeof(*p));
	if (!(fast && event_fast_read(line, n, &f, p->buf)) &&
	    jansson_fields(p, line, n, &f, err, errlen) < 0)
		goto out;
	if (check_fields(p, &f, ev, err, errlen) < 0)
		goto out;
	ev->json = line;
	ev->json_len = n;
	ret = 0;
out:
	if (ret < 0) {
		store_parsed_free(p);
		memset(ev, 0, sizeof(*ev));
	} else {
		*pp = p;
	}
	return ret;
}

int store_parse_event(const char *line, size_t n, struct store_event *ev,
		      struct store_parsed **pp, char *err, size_t errlen)
{
	return parse_event(line, n, ev, pp, err, errlen, true);
}

void store_parsed_shard(const struct store_parsed *p, unsigned *k, unsigned *n)
{
	*k = p->shard;
	*n = p->shard_count;
}

bool store_parsed_interrupted(const struct store_parsed *p)
{
	return p->interrupted;
}
