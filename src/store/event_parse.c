/* SPDX-License-Identifier: MIT */
/* Reads the fields the store keys on out of one threat_event_v1 line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store.h"
#include "core/addr.h"

struct store_parsed {
	json_t *root;
	char ip[ADDR_STRLEN];
	unsigned shard, shard_count;
	bool interrupted;
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

static void parse_shard(struct store_parsed *p, json_t *scan)
{
	const char *s = str_at(scan, "shard");
	unsigned k, n;
	char end;

	p->shard = p->shard_count = 1;
	if (s && sscanf(s, "%u/%u%c", &k, &n, &end) == 2 && k >= 1 && k <= n && n <= 1000000) {
		p->shard = k;
		p->shard_count = n;
	}
}

int store_parse_event(const char *line, size_t n, struct store_event *ev,
		      struct store_parsed **pp, char *err, size_t errlen)
{
	struct store_parsed *p = calloc(1, sizeof(*p));
	json_error_t je;
	json_t *t, *r, *svc, *tls;
	bool reals = false;
	const char *schema;
	int ret = -1;

	memset(ev, 0, sizeof(*ev));
	*pp = NULL;
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
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
		goto out;
	}
	if (!json_is_object(p->root)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	schema = str_at(p->root, "schema");
	if (!schema || strcmp(schema, "threat_event_v1")) {
		snprintf(err, errlen, "not a threat_event_v1 event (schema member)");
		goto out;
	}
	ev->event_id = str_at(p->root, "event_id");
	ev->scan_id = str_at(p->root, "scan_id");
	ev->kind = str_at(p->root, "kind");
	ev->time = str_at(p->root, "time");
	if (!plain(ev->event_id, 512) || !plain(ev->scan_id, STORE_ID_MAX) ||
	    !plain(ev->kind, 64) || !plain(ev->time, 64)) {
		snprintf(err, errlen, "event_id, scan_id, kind or time missing or malformed");
		goto out;
	}
	t = json_object_get(p->root, "target");
	if (t) {
		const char *ip = str_at(t, "ip");
		json_t *port = json_object_get(t, "port");
		u128 a;

		ev->protocol = str_at(t, "protocol");
		if (!ip || addr_parse(ip, strlen(ip), &a) < 0) {
			snprintf(err, errlen, "target.ip missing or not an IP address");
			goto out;
		}
		if (!port_value(port, reals, &ev->port)) {
			snprintf(err, errlen, "target.port missing or not 0-65535");
			goto out;
		}
		if (!ev->protocol || (strcmp(ev->protocol, "tcp") && strcmp(ev->protocol, "udp") &&
				      strcmp(ev->protocol, "quic"))) {
			snprintf(err, errlen, "target.protocol missing or not tcp, udp or quic");
			goto out;
		}
		addr_format(a, p->ip);
		ev->ip = p->ip;
	}
	r = json_object_get(p->root, "result");
	ev->state = str_at(r, "state");
	ev->reason = str_at(r, "reason");
	ev->service = str_at(r, "service");
	svc = json_object_get(p->root, "service");
	if (json_is_object(svc)) {
		ev->service = str_at(svc, "name");
		ev->product = str_at(svc, "product");
		ev->version = str_at(svc, "version");
		tls = json_object_get(svc, "tls");
		ev->cert_sha256 = str_at(tls, "sha256");
	}
	if (!strcmp(ev->kind, "port_state") && (!ev->ip || !ev->state)) {
		snprintf(err, errlen, "port_state without target or result.state");
		goto out;
	}
	if (!strcmp(ev->kind, "service") && !ev->ip) {
		snprintf(err, errlen, "service event without target");
		goto out;
	}
	parse_shard(p, json_object_get(p->root, "scan"));
	p->interrupted = json_is_true(json_object_get(p->root, "interrupted"));
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

void store_parsed_shard(const struct store_parsed *p, unsigned *k, unsigned *n)
{
	*k = p->shard;
	*n = p->shard_count;
}

bool store_parsed_interrupted(const struct store_parsed *p)
{
	return p->interrupted;
}
