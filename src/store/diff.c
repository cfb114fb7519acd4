/* SPDX-License-Identifier: MIT */
/* Exposure comparison of two scans and its exposure_change events. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diff.h"
#include "core/addr.h"
#include "event/json.h"

struct diff_chunk {
	struct diff_chunk *next;
	size_t used, cap;
	char data[];
};

void diff_side_init(struct diff_side *d)
{
	memset(d, 0, sizeof(*d));
}

void diff_side_free(struct diff_side *d)
{
	struct diff_chunk *c = d->arena, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* A copy of s in the side's arena; NULL stays NULL. */
static const char *arena_dup(struct diff_side *d, const char *s, bool *oom)
{
	size_t n;
	struct diff_chunk *c = d->arena;
	char *p;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c) {
			*oom = true;
			return NULL;
		}
		c->next = d->arena;
		c->used = 0;
		c->cap = cap;
		d->arena = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	c->used += n;
	return p;
}

static struct diff_port *side_new(struct diff_side *d, const char *ip, uint16_t port,
				  const char *protocol, bool *oom)
{
	struct diff_port *p;
	u128 key;

	if (!ip || !protocol || strlen(protocol) >= sizeof(p->protocol) ||
	    addr_parse(ip, strlen(ip), &key) < 0)
		return NULL;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 256;
		struct diff_port *v = realloc(d->v, cap * sizeof(*v));

		if (!v) {
			*oom = true;
			return NULL;
		}
		d->v = v;
		d->cap = cap;
	}
	p = &d->v[d->n];
	memset(p, 0, sizeof(*p));
	p->seq = d->n++;
	p->key = key;
	p->ip = arena_dup(d, ip, oom);
	p->port = port;
	strcpy(p->protocol, protocol);
	d->sorted = false;
	return *oom ? NULL : p;
}

int diff_side_add(struct diff_side *d, const struct store_event *ev)
{
	struct diff_port *p;
	bool oom = false;

	if (!store_event_is_finding(ev))
		return 0;
	p = side_new(d, ev->ip, ev->port, ev->protocol, &oom);
	if (!p)
		return -1;
	p->time = arena_dup(d, ev->time, &oom);
	if (!strcmp(ev->kind, "port_state")) {
		p->state = arena_dup(d, ev->state, &oom);
		p->reason = arena_dup(d, ev->reason, &oom);
		if (ev->service)
			p->service = arena_dup(d, ev->service, &oom);
	} else {
		p->has_service = true;
		p->service = arena_dup(d, ev->service, &oom);
		p->product = arena_dup(d, ev->product, &oom);
		p->version = arena_dup(d, ev->version, &oom);
		p->cert_sha256 = arena_dup(d, ev->cert_sha256, &oom);
	}
	return oom ? -1 : 0;
}

int diff_side_confirm(struct diff_side *d, const char *ip, uint16_t port,
		      const char *protocol, const char *state)
{
	bool oom = false;
	struct diff_port *p = side_new(d, ip, port, protocol, &oom);

	if (!p)
		return -1;
	p->confirmed = arena_dup(d, state, &oom);
	return oom ? -1 : 0;
}

static int port_cmp(const struct diff_port *a, const struct diff_port *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return strcmp(a->protocol, b->protocol);
}

/* Port order, then the order of adding (a stable sort). */
static int port_qcmp(const void *a, const void *b)
{
	const struct diff_port *x = a, *y = b;
	int c = port_cmp(x, y);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Merges the fields b (added after a) knows into a (records of one port).
 * The first finding of each kind counts, as in the store, which keeps the
 * first delivery of a finding (a side loaded from it has one of each). */
static void port_merge(struct diff_port *a, const struct diff_port *b)
{
	if (b->state && !a->state) {
		a->state = b->state;
		a->reason = b->reason;
	}
	if (!a->time || (b->time && strcmp(b->time, a->time) < 0))
		a->time = b->time;
	if (b->has_service && !a->has_service) {
		a->has_service = true;
		a->product = b->product;
		a->version = b->version;
		a->cert_sha256 = b->cert_sha256;
		if (b->service)
			a->service = b->service;
	} else if (!a->service && b->service) {
		a->service = b->service;
	}
	if (b->confirmed)
		a->confirmed = b->confirmed;
}

void diff_side_finish(struct diff_side *d)
{
	size_t w = 0;

	if (d->sorted)
		return;
	if (d->n)
		qsort(d->v, d->n, sizeof(d->v[0]), port_qcmp);
	for (size_t i = 0; i < d->n; i++) {
		if (w && !port_cmp(&d->v[w - 1], &d->v[i]))
			port_merge(&d->v[w - 1], &d->v[i]);
		else
			d->v[w++] = d->v[i];
	}
	d->n = w;
	d->sorted = true;
}

bool diff_port_open(const struct diff_port *p)
{
	return p && ((p->state && !strcmp(p->state, "open")) || p->has_service ||
		     (p->confirmed && !strcmp(p->confirmed, "open")));
}

const char *diff_change_name(enum diff_change c)
{
	switch (c) {
	case DIFF_OPENED: return "opened";
	case DIFF_CLOSED: return "closed";
	case DIFF_SERVICE_CHANGED: return "service_changed";
	}
	return "unknown";
}

static bool str_differs(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

static int set_str(json_t *o, const char *k, const char *v)
{
	if (!v)
		return 0;
	return json_object_set_new(o, k, json_string(v));
}

/* The "before"/"after" object of one side: state ("absent" when that scan
 * reported nothing for the port), reason, confirmation, service. */
static json_t *snapshot(const struct diff_port *p)
{
	json_t *o = json_object(), *svc, *tls;
	int r = 0;

	if (!o)
		return NULL;
	r |= json_object_set_new(o, "state", json_string(p && p->state ? p->state
							   : diff_port_open(p) ? "open" : "absent"));
	if (p) {
		r |= set_str(o, "reason", p->reason);
		r |= set_str(o, "confirmed", p->confirmed);
		if (p->has_service || p->service) {
			svc = json_object();
			r |= json_object_set_new(o, "service", svc);
			if (svc) {
				r |= set_str(svc, "name", p->service);
				r |= set_str(svc, "product", p->product);
				r |= set_str(svc, "version", p->version);
				if (p->cert_sha256) {
					tls = json_object();
					r |= json_object_set_new(svc, "tls", tls);
					if (tls)
						r |= set_str(tls, "sha256", p->cert_sha256);
				}
			}
		}
	}
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *sensor(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "fastport", "version", fp_version(),
			 "build_id", fp_build_id(), "build_mode", fp_build_mode(),
			 "source_rev", fp_source_rev());
}

/* The exposure_change event, malloc'ed, or NULL (out of memory). */
static char *change_json(enum diff_change c, const struct diff_port *before,
			 const struct diff_port *after, const struct diff_ctx *ctx)
{
	const struct diff_port *p = after ? after : before;
	json_t *o, *changed = NULL;
	char *id = NULL, *out = NULL;

	if (asprintf(&id, "%s:%s:%s/%s/%u", ctx->to_scan, ctx->from_scan, p->protocol, p->ip,
		     p->port) < 0)
		return NULL;
	if (c == DIFF_SERVICE_CHANGED) {
		changed = json_array();
		if (!changed)
			goto out;
		if (str_differs(before->service, after->service))
			json_array_append_new(changed, json_string("name"));
		if (str_differs(before->product, after->product))
			json_array_append_new(changed, json_string("product"));
		if (str_differs(before->version, after->version))
			json_array_append_new(changed, json_string("version"));
		if (str_differs(before->cert_sha256, after->cert_sha256))
			json_array_append_new(changed, json_string("cert_sha256"));
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s, s:i, s:s}, s:s, s:o, s:o, s:s, s:s}",
		      "schema", "threat_event_v1", "event_id", id, "time", ctx->time,
		      "kind", "exposure_change", "scan_id", ctx->to_scan, "sensor", sensor(),
		      "target", "ip", p->ip, "port", (int)p->port, "protocol", p->protocol,
		      "change", diff_change_name(c), "before", snapshot(before),
		      "after", snapshot(after), "from_scan_id", ctx->from_scan,
		      "to_scan_id", ctx->to_scan);
	if (!o)
		goto out;
	if (changed) {
		json_object_set(o, "changed", changed);
	}
	if (ctx->scope)
		json_object_set_new(o, "scope", json_string(ctx->scope));
	out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
out:
	json_decref(changed);
	free(id);
	return out;
}

static int emit(enum diff_change c, const struct diff_port *b, const struct diff_port *a,
		const struct diff_ctx *ctx, diff_cb cb, void *ud)
{
	char *j = change_json(c, b, a, ctx);
	int ret;

	if (!j)
		return -1;
	ret = cb(c, b, a, j, strlen(j), ud);
	free(j);
	return ret;
}

int diff_walk(struct diff_side *before, struct diff_side *after,
	      int (*cb)(const struct diff_port *before, const struct diff_port *after, void *ud),
	      void *ud)
{
	size_t i = 0, j = 0;
	int ret = 0;

	diff_side_finish(before);
	diff_side_finish(after);
	while (ret == 0 && (i < before->n || j < after->n)) {
		const struct diff_port *b = NULL, *a = NULL;
		int c;

		if (i == before->n)
			c = 1;
		else if (j == after->n)
			c = -1;
		else
			c = port_cmp(&before->v[i], &after->v[j]);
		if (c <= 0)
			b = &before->v[i++];
		if (c >= 0)
			a = &after->v[j++];
		ret = cb(b, a, ud);
	}
	return ret;
}

struct run_ctx {
	const struct diff_ctx *ctx;
	diff_cb cb;
	void *ud;
};

static int run_port(const struct diff_port *b, const struct diff_port *a, void *ud)
{
	const struct run_ctx *r = ud;

	if (diff_port_open(b) && !diff_port_open(a))
		return emit(DIFF_CLOSED, b, a, r->ctx, r->cb, r->ud);
	if (!diff_port_open(b) && diff_port_open(a))
		return emit(DIFF_OPENED, b, a, r->ctx, r->cb, r->ud);
	if (diff_port_open(b) && b->has_service && a->has_service &&
	    (str_differs(b->service, a->service) || str_differs(b->product, a->product) ||
	     str_differs(b->version, a->version) || str_differs(b->cert_sha256, a->cert_sha256)))
		return emit(DIFF_SERVICE_CHANGED, b, a, r->ctx, r->cb, r->ud);
	return 0;
}

int diff_run(struct diff_side *before, struct diff_side *after, const struct diff_ctx *ctx,
	     diff_cb cb, void *ud)
{
	struct run_ctx r = { ctx, cb, ud };

	return diff_walk(before, after, run_port, &r);
}

int diff_close_candidates(struct diff_side *before, struct diff_side *after,
			  int (*cb)(const struct diff_port *p, void *ud), void *ud)
{
	size_t j = 0;
	int ret = 0;

	diff_side_finish(before);
	diff_side_finish(after);
	for (size_t i = 0; ret == 0 && i < before->n; i++) {
		const struct diff_port *b = &before->v[i], *a = NULL;

		if (!diff_port_open(b))
			continue;
		while (j < after->n && port_cmp(&after->v[j], b) < 0)
			j++;
		if (j < after->n && !port_cmp(&after->v[j], b))
			a = &after->v[j];
		if (!a || !((a->state && !strcmp(a->state, "open")) || a->has_service))
			ret = cb(b, ud);
	}
	return ret;
}

/* ---- a side as text ---- */

enum {
	SF_STATE = 1 << 0,
	SF_REASON = 1 << 1,
	SF_SERVICE = 1 << 2,
	SF_PRODUCT = 1 << 3,
	SF_VERSION = 1 << 4,
	SF_CERT = 1 << 5,
	SF_CONFIRMED = 1 << 6,
	SF_TIME = 1 << 7,
	SF_HAS_SERVICE = 1 << 8,
	SF_ALL = (1 << 9) - 1,
};

#define SIDE_MAGIC "fastport-side 1 "
#define SIDE_FIELDS 12

/* A string field, escaped; absent: nothing. */
static void tb_str(struct jbuf *b, const char *s)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *e = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n"
			      : *s == '\r' ? "\\r" : NULL;

		if (!e)
			continue;
		jbuf_raw(b, run, (size_t)(s - run));
		jbuf_raw(b, e, 2);
		run = s + 1;
	}
	jbuf_raw(b, run, (size_t)(s - run));
}

char *diff_side_dump(struct diff_side *d, bool times, size_t *len)
{
	struct jbuf b;
	char num[48];

	jbuf_init(&b);
	diff_side_finish(d);
	jbuf_lit(&b, SIDE_MAGIC);
	jbuf_u64(&b, d->n);
	jbuf_char(&b, '\n');
	for (size_t i = 0; i < d->n && !b.oom; i++) {
		const struct diff_port *p = &d->v[i];
		const char *f[8] = { p->state, p->reason, p->service, p->product, p->version,
				     p->cert_sha256, p->confirmed, times ? p->time : NULL };
		unsigned flags = p->has_service ? SF_HAS_SERVICE : 0;

		for (int k = 0; k < 8; k++)
			if (f[k])
				flags |= 1U << k;
		tb_str(&b, p->ip);
		jbuf_raw(&b, num, (size_t)snprintf(num, sizeof(num), "\t%u\t", p->port));
		tb_str(&b, p->protocol);
		jbuf_raw(&b, num, (size_t)snprintf(num, sizeof(num), "\t%x", flags));
		for (int k = 0; k < 8; k++) {
			jbuf_char(&b, '\t');
			tb_str(&b, f[k]);
		}
		jbuf_char(&b, '\n');
	}
	if (b.oom) {
		jbuf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* Unescapes [s, e) into out (room for e - s + 1); its length, or -1. */
static long unescape(const char *s, const char *e, char *out)
{
	char *o = out;

	for (; s < e; s++) {
		if (*s != '\\') {
			if (*s == '\t' || *s == '\n' || *s == '\r' || !*s)
				return -1;
			*o++ = *s;
			continue;
		}
		if (++s == e)
			return -1;
		switch (*s) {
		case '\\': *o++ = '\\'; break;
		case 't': *o++ = '\t'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		default: return -1;
		}
	}
	*o = '\0';
	return (long)(o - out);
}

/* A decimal number of at most max in [s, e). */
static bool dec_field(const char *s, const char *e, unsigned long max, unsigned long *v)
{
	*v = 0;
	if (s == e || e - s > 10)
		return false;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return false;
		*v = *v * 10 + (unsigned long)(*s - '0');
	}
	return *v <= max;
}

int diff_side_undump(struct diff_side *d, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	unsigned long n, line = 0;
	char *buf = NULL;
	bool oom = false;
	int ret = -1;

	diff_side_init(d);
	nl = memchr(p, '\n', len);
	if (!nl || (size_t)(nl - p) < sizeof(SIDE_MAGIC) - 1 ||
	    memcmp(p, SIDE_MAGIC, sizeof(SIDE_MAGIC) - 1) ||
	    !dec_field(p + sizeof(SIDE_MAGIC) - 1, nl, 100000000UL, &n))
		goto out;
	buf = malloc(len + 1);
	if (!buf)
		goto out;
	for (p = nl + 1; p < end; p = nl + 1, line++) {
		const char *f[SIDE_FIELDS + 1], *q = p;
		const char *val[8];
		unsigned long port, flags;
		struct diff_port *dp;
		int nf = 0;
		char *w = buf, *ip, *proto;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || line == n)
			goto out;
		f[nf++] = p;
		for (; q < nl && nf <= SIDE_FIELDS; q++)
			if (*q == '\t')
				f[nf++] = q + 1;
		if (nf != SIDE_FIELDS)
			goto out;
		f[nf] = nl + 1; /* field k is [f[k], f[k + 1] - 1) */
		ip = w;
		if (unescape(f[0], f[1] - 1, ip) <= 0)
			goto out;
		w = ip + strlen(ip) + 1;
		proto = w;
		if (unescape(f[2], f[3] - 1, proto) <= 0)
			goto out;
		w = proto + strlen(proto) + 1;
		if (!dec_field(f[1], f[2] - 1, 65535, &port) || f[3] + 1 > f[4] - 1 ||
		    f[4] - 1 - f[3] > 3)
			goto out;
		flags = 0;
		for (const char *h = f[3]; h < f[4] - 1; h++) {
			int v = *h >= '0' && *h <= '9' ? *h - '0' : *h >= 'a' && *h <= 'f' ? *h - 'a' + 10
												 : -1;

			if (v < 0)
				goto out;
			flags = flags << 4 | (unsigned long)v;
		}
		if (flags & ~(unsigned long)SF_ALL)
			goto out;
		for (int k = 0; k < 8; k++) {
			const char *s = f[4 + k], *e = f[5 + k] - 1;

			val[k] = NULL;
			if (!(flags & (1UL << k))) {
				if (s != e)
					goto out;
				continue;
			}
			if (unescape(s, e, w) < 0)
				goto out;
			val[k] = w;
			w += strlen(w) + 1;
		}
		dp = side_new(d, ip, (uint16_t)port, proto, &oom);
		if (!dp)
			goto out;
		dp->state = arena_dup(d, val[0], &oom);
		dp->reason = arena_dup(d, val[1], &oom);
		dp->service = arena_dup(d, val[2], &oom);
		dp->product = arena_dup(d, val[3], &oom);
		dp->version = arena_dup(d, val[4], &oom);
		dp->cert_sha256 = arena_dup(d, val[5], &oom);
		dp->confirmed = arena_dup(d, val[6], &oom);
		dp->time = arena_dup(d, val[7], &oom);
		dp->has_service = flags & SF_HAS_SERVICE;
		if (oom || (d->n > 1 && port_cmp(&d->v[d->n - 2], dp) >= 0))
			goto out;
	}
	if (line != n)
		goto out;
	d->sorted = true;
	ret = 0;
out:
	free(buf);
	if (ret < 0)
		diff_side_free(d);
	return ret;
}
