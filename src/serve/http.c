/* SPDX-License-Identifier: MIT */
/* The HTTP side of `fastport serve`: routing, authentication, the JSON and NDJSON bodies, /metrics (libmicrohttpd, jansson). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "serve/serve.h"

/* Connections at once, and the idle time after which one is closed. */
#define HTTP_CONN_MAX 64
#define HTTP_IDLE_SECONDS 60

struct req {
	char *body;
	size_t len;
	bool too_big;
};

void serve_now(char buf[static 32])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + 19, 13, ".%06uZ", (unsigned)(ts.tv_nsec / 1000) % 1000000u);
}

static enum MHD_Result send_body(struct MHD_Connection *c, unsigned status, char *body,
				 size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"fastport\"");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Sends j (stolen) as the body. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	size_t n;

	json_decref(j);
	if (!s)
		return MHD_NO;
	n = strlen(s);
	/* One line, as every JSON body: a newline for the terminal. */
	s = realloc(s, n + 2);
	if (!s)
		return MHD_NO;
	s[n] = '\n';
	s[n + 1] = '\0';
	return send_body(c, status, s, n + 1, "application/json");
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return send_json(c, status, json_pack("{s:i,s:s}", "status", (int)status, "error", msg));
}

/* Constant time in the token's length: every byte is compared. */
static bool token_ok(const struct serve *sv, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t n;
	unsigned char d = 0;

	if (!sv->token)
		return true;
	if (!h || strncasecmp(h, "Bearer ", 7))
		return false;
	h += 7;
	n = strlen(h);
	d = n != sv->token_len;
	for (size_t i = 0; i < sv->token_len; i++)
		d |= (unsigned char)(sv->token[i] ^ (i < n ? h[i] : 0));
	return d == 0;
}

static json_t *str_array(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *nullable(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* The scan as GET /v1/scans/{id} returns it. Under sv->lock. */
static json_t *scan_json(const struct serve *sv, const struct serve_scan *sc)
{
	const struct serve_task *t = &sc->task;
	char self[64], events[80], states[64];
	fp_stats_t st;
	double progress = 0, eta = -1;
	json_t *j;

	serve_scan_stats(sc, &st);
	if (sc->state == SCAN_COMPLETE)
		progress = 1;
	else if (sc->state != SCAN_QUEUED && sc->shards)
		progress = (double)(sc->shards_complete + sc->shards_failed) / sc->shards;
	else if (sc->state != SCAN_QUEUED)
		progress = st.progress;
	if (sc->state == SCAN_RUNNING && st.progress > 0.001) {
		double el = (double)st.elapsed_us / 1e6;

		eta = el / st.progress - el;
		if (eta < 0)
			eta = 0;
	}
	snprintf(self, sizeof(self), "/v1/scans/%s", sc->id);
	snprintf(events, sizeof(events), "/v1/scans/%s/events", sc->id);
	task_states_format(t->states ? t->states : FP_STATES_DEFAULT, states);
	j = json_pack("{s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:f,s:o,"
		      "s:{s:o,s:o,s:o,s:I,s:i,s:I,s:s,s:b,s:b,s:b,s:o},"
		      "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
		      "s:{s:s,s:s}}",
		      "id", sc->id, "state", serve_state_name(sc->state),
		      "name", nullable(t->name), "created", sc->created,
		      "started", nullable(sc->started), "ended", nullable(sc->ended),
		      "scan_id", nullable(sc->scan_id), "error", nullable(sc->error),
		      "idempotency_key", nullable(t->idempotency_key),
		      "progress", progress, "eta_seconds", eta >= 0 ? json_real(eta) : json_null(),
		      "task",
		      "targets", str_array(t->targets, t->ntargets),
		      "exclude", str_array(t->exclude, t->nexclude),
		      "ports", nullable(t->ports),
		      "rate", (json_int_t)(t->rate ? t->rate : (sv->o.max_rate < 10000 ? sv->o.max_rate : 10000)),
		      "retries", t->has_retries ? (int)t->retries : 1,
		      "seed", (json_int_t)t->seed, "states", states,
		      "service_scan", t->service_scan, "connect", t->connect || !sv->raw_ok,
		      "allow_reserved", t->allow_reserved,
		      "shards", json_integer(sc->shards ? (json_int_t)sc->shards : 1),
		      "counters",
		      "planned", (json_int_t)st.planned, "sent", (json_int_t)st.sent,
		      "received", (json_int_t)st.received, "valid", (json_int_t)st.valid,
		      "open", (json_int_t)st.open, "closed", (json_int_t)st.closed,
		      "filtered", (json_int_t)st.filtered, "open_filtered", (json_int_t)st.open_filtered,
		      "findings", (json_int_t)sc->findings, "events", (json_int_t)sc->events_seen,
		      "events_dropped", (json_int_t)sc->events_dropped,
		      "stored", (json_int_t)sc->stored,
		      "store_errors", (json_int_t)__atomic_load_n(&sc->store_errors, __ATOMIC_RELAXED),
		      "links", "self", self, "events", events);
	if (j && sc->shards) /* a fleet scan (serve --nats): its shards so far */
		json_object_set_new(j, "fleet", json_pack("{s:I,s:I,s:I,s:I}", "shards",
			(json_int_t)sc->shards, "done", (json_int_t)(sc->shards_complete + sc->shards_failed),
			"complete", (json_int_t)sc->shards_complete, "failed", (json_int_t)sc->shards_failed));
	return j;
}

/* serve_scan_submit's snapshot: the scan as it is when posted, under sv->lock. */
static void *scan_snapshot(const struct serve *sv, const struct serve_scan *sc)
{
	return scan_json(sv, sc);
}

/* ---- Events (NDJSON, optionally followed) ---- */

struct ev_reader {
	struct serve *sv;
	struct serve_scan *sc;
	size_t idx, off;  /* next event, and bytes of it already sent */
	int kind;         /* -1: every kind */
	bool follow;
	bool stored;      /* sc->sev, the store's events (serve_durable_events) */
};

static const char *const kind_names[] = {
	"scan_started", "port_state", "telemetry", "scan_completed", "service",
};

static ssize_t ev_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct ev_reader *r = cls;
	struct serve *sv = r->sv;
	struct serve_scan *sc = r->sc;
	size_t n = 0;
	ssize_t ret;

	(void)pos;
	pthread_mutex_lock(&sv->lock);
	for (;;) {
		const struct serve_event *evs = r->stored ? sc->sev : sc->ev;
		size_t nev = r->stored ? sc->nsev : sc->nev;

		while (r->idx < nev && n < max) {
			const struct serve_event *e = &evs[r->idx];
			size_t left, take;

			if (r->kind >= 0 && e->kind != r->kind) {
				r->idx++;
				continue;
			}
			/* The line and its newline: e->len + 1 bytes. */
			left = e->len + 1 - r->off;
			take = left < max - n ? left : max - n;
			for (size_t i = 0; i < take; i++)
				buf[n + i] = r->off + i < e->len ? e->json[r->off + i] : '\n';
			n += take;
			r->off += take;
			if (r->off == e->len + 1) {
				r->off = 0;
				r->idx++;
			}
		}
		if (n) {
			ret = (ssize_t)n;
			break;
		}
		if (r->stored || !r->follow || sc->state >= SCAN_COMPLETE || sv->shutdown) {
			ret = MHD_CONTENT_READER_END_OF_STREAM;
			break;
		}
		/* Nothing yet: wait a second at most, so MHD looks at the
		 * connection in between (a reader that went away). */
		{
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			if (pthread_cond_timedwait(&sv->events, &sv->lock, &ts) &&
			    r->idx >= sc->nev && sc->state < SCAN_COMPLETE && !sv->shutdown) {
				ret = 0;
				break;
			}
		}
	}
	pthread_mutex_unlock(&sv->lock);
	return ret;
}

static enum MHD_Result get_events(struct serve *sv, struct MHD_Connection *c, struct serve_scan *sc)
{
	const char *kind = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "kind");
	const char *follow = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "follow");
	struct ev_reader *r;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	bool stored = serve_durable_events(sv, sc);

	r = calloc(1, sizeof(*r));
	if (!r)
		return MHD_NO;
	r->sv = sv;
	r->sc = sc;
	/* A scan that ran before this start of serve: the store's events. */
	r->stored = stored;
	r->kind = -1;
	if (kind) {
		for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
			if (!strcmp(kind, kind_names[i]))
				r->kind = (int)i;
		if (r->kind < 0) {
			free(r);
			return send_error(c, 400, "kind: unknown event kind '%.64s' (scan_started, "
					  "port_state, service, telemetry, scan_completed)", kind);
		}
	}
	if (follow && strcmp(follow, "0") && strcmp(follow, "1") && strcmp(follow, "true") &&
	    strcmp(follow, "false")) {
		free(r);
		return send_error(c, 400, "follow: expected 0 or 1");
	}
	r->follow = follow && (!strcmp(follow, "1") || !strcmp(follow, "true"));
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, ev_read, r, free);
	if (!resp) {
		free(r);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- /metrics ---- */

struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && b->n + (size_t)n < b->cap) {
			b->n += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
			char *p = realloc(b->p, cap);

			if (!p) {
				b->oom = true;
				return;
			}
			b->p = p;
			b->cap = cap;
		}
	}
}

/* A label value: backslash, quote and newline escaped. */
static void label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			bprintf(b, "\\%c", *s);
		else if (*s == '\n')
			bprintf(b, "\\n");
		else
			bprintf(b, "%c", *s);
	}
}

static void metric_head(struct buf *b, const char *name, const char *type, const char *help)
{
	bprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static enum MHD_Result get_metrics(struct serve *sv, struct MHD_Connection *c)
{
	static const char *const rstates[4] = { "open", "closed", "filtered", "open_filtered" };
	struct buf b = { 0 };
	uint64_t sent, replies[4], findings, stored, store_errors, events_mem = 0;
	uint64_t by_state[SCAN_NSTATES] = { 0 };
	size_t queued;

	pthread_mutex_lock(&sv->lock);
	sent = sv->sent_done;
	memcpy(replies, sv->replies_done, sizeof(replies));
	findings = sv->findings_done;
	stored = sv->stored_done;
	store_errors = sv->store_errors_done;
	queued = sv->nqueued;
	for (struct serve_scan *sc = sv->scans; sc; sc = sc->next) {
		by_state[sc->state]++;
		events_mem += sc->nev;
		if (sc->state == SCAN_RUNNING) {
			fp_stats_t st;

			serve_scan_stats(sc, &st);
			sent += st.sent;
			replies[0] += st.open;
			replies[1] += st.closed;
			replies[2] += st.filtered;
			replies[3] += st.open_filtered;
			findings += sc->findings;
			store_errors += __atomic_load_n(&sc->store_errors, __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&sv->lock);

	metric_head(&b, "fastport_build_info", "gauge", "The build of this sensor (always 1).");
	bprintf(&b, "fastport_build_info{version=\"");
	label(&b, fp_version());
	bprintf(&b, "\",build_id=\"");
	label(&b, fp_build_id());
	bprintf(&b, "\",mode=\"");
	label(&b, fp_build_mode());
	bprintf(&b, "\",revision=\"");
	label(&b, fp_source_rev());
	bprintf(&b, "\"} 1\n");
	metric_head(&b, "fastport_probes_sent_total", "counter", "Probes sent by this sensor's scans, retries included.");
	bprintf(&b, "fastport_probes_sent_total %" PRIu64 "\n", sent);
	metric_head(&b, "fastport_replies_total", "counter", "Validated replies by the port state they gave.");
	for (int i = 0; i < 4; i++)
		bprintf(&b, "fastport_replies_total{state=\"%s\"} %" PRIu64 "\n", rstates[i], replies[i]);
	metric_head(&b, "fastport_findings_total", "counter", "Findings reported (port_state and service events).");
	bprintf(&b, "fastport_findings_total %" PRIu64 "\n", findings);
	metric_head(&b, "fastport_scans", "gauge", "Scans known to this process by state.");
	for (int i = 0; i < SCAN_NSTATES; i++)
		bprintf(&b, "fastport_scans{state=\"%s\"} %" PRIu64 "\n", serve_state_name((enum scan_state)i),
			by_state[i]);
	metric_head(&b, "fastport_queue_length", "gauge", "Scans waiting for a worker.");
	bprintf(&b, "fastport_queue_length %zu\n", queued);
	metric_head(&b, "fastport_events_kept", "gauge", "Events held in memory for the events endpoint.");
	bprintf(&b, "fastport_events_kept %" PRIu64 "\n", events_mem);
	metric_head(&b, "fastport_events_stored_total", "counter", "Events written to the results store by scans that ended.");
	bprintf(&b, "fastport_events_stored_total %" PRIu64 "\n", stored);
	metric_head(&b, "fastport_store_errors_total", "counter", "Failures to open or write the results store.");
	bprintf(&b, "fastport_store_errors_total %" PRIu64 "\n", store_errors);
	metric_head(&b, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
	bprintf(&b, "process_start_time_seconds %.3f\n", sv->start_time);
	if (b.oom) {
		free(b.p);
		return MHD_NO;
	}
	return send_body(c, 200, b.p, b.n, "text/plain; version=0.0.4; charset=utf-8");
}

/* ---- Routing ---- */

static enum MHD_Result post_scan(struct serve *sv, struct MHD_Connection *c, struct req *rq)
{
	struct serve_task t;
	struct serve_scan *sc;
	char err[768];
	int r, status;
	json_t *j;
	void *snap = NULL;

	if (task_parse(rq->body ? rq->body : "", rq->len, &t, err, sizeof(err)) < 0)
		return send_error(c, 400, "%s", err);
	if (t.rate && t.rate > sv->o.max_rate) {
		task_free(&t);
		return send_error(c, 400, "rate: %" PRIu64 " is above this sensor's --max-rate %" PRIu64,
				  t.rate, sv->o.max_rate);
	}
	r = scope_check(sv->scope, t.targets, t.ntargets, t.exclude, t.nexclude, t.allow_reserved,
			err, sizeof(err));
	if (r) {
		task_free(&t);
		return send_error(c, r > 0 ? 403 : 400, "%s", err);
	}
	if (serve_scan_submit(sv, &t, &sc, &status, err, sizeof(err), scan_snapshot, &snap) < 0) {
		task_free(&t);
		return send_error(c, (unsigned)status, "%s", err);
	}
	task_free(&t); /* empty when moved into the scan */
	j = snap;
	if (!j)
		return MHD_NO;
	{
		struct MHD_Response *resp;
		char *s = json_dumps(j, JSON_COMPACT), loc[64];
		enum MHD_Result ret;

		json_decref(j);
		if (!s)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(s);
			return MHD_NO;
		}
		snprintf(loc, sizeof(loc), "/v1/scans/%s", sc->id);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, loc);
		ret = MHD_queue_response(c, (unsigned)status, resp);
		MHD_destroy_response(resp);
		return ret;
	}
}

static enum MHD_Result list_scans(struct serve *sv, struct MHD_Connection *c)
{
	json_t *a = json_array();

	pthread_mutex_lock(&sv->lock);
	for (struct serve_scan *sc = sv->scans; a && sc; sc = sc->next)
		json_array_append_new(a, scan_json(sv, sc));
	pthread_mutex_unlock(&sv->lock);
	return send_json(c, 200, json_pack("{s:o}", "scans", a));
}

/* ---- /v1/changes ---- */

static int change_line(const char *json, size_t len, void *ud)
{
	struct buf *b = ud;

	bprintf(b, "%.*s\n", (int)len, json);
	return b->oom ? -1 : 0;
}

/* The exposure_change events since ?since= (durable.c), NDJSON. */
static enum MHD_Result get_changes(struct serve *sv, struct MHD_Connection *c)
{
	const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	struct buf b = { 0 };
	char err[512];
	int status;

	if (serve_changes(sv, since, change_line, &b, &status, err, sizeof(err)) < 0) {
		free(b.p);
		return b.oom ? MHD_NO : send_error(c, (unsigned)status, "%s", err);
	}
	if (!b.p && !(b.p = strdup("")))
		return MHD_NO;
	return send_body(c, 200, b.p, b.n, "application/x-ndjson");
}

enum route { R_NONE, R_HEALTH, R_VERSION, R_METRICS, R_SCANS, R_SCAN, R_EVENTS, R_CHANGES };

/* The route of url; id (SERVE_ID_LEN + 1 bytes) receives a scan id. */
static enum route route_of(const char *url, char *id)
{
	const char *p;
	size_t n;

	if (!strcmp(url, "/healthz"))
		return R_HEALTH;
	if (!strcmp(url, "/v1/version"))
		return R_VERSION;
	if (!strcmp(url, "/metrics"))
		return R_METRICS;
	if (!strcmp(url, "/v1/changes"))
		return R_CHANGES;
	if (!strcmp(url, "/v1/scans") || !strcmp(url, "/v1/scans/"))
		return R_SCANS;
	if (strncmp(url, "/v1/scans/", 10))
		return R_NONE;
	p = url + 10;
	n = strcspn(p, "/");
	if (!n || n > SERVE_ID_LEN)
		return R_NONE;
	memcpy(id, p, n);
	id[n] = '\0';
	if (!p[n])
		return R_SCAN;
	if (!strcmp(p + n, "/events"))
		return R_EVENTS;
	return R_NONE;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **req_cls)
{
	struct serve *sv = cls;
	struct req *rq = *req_cls;
	char id[SERVE_ID_LEN + 1] = "";
	enum route rt = route_of(url, id);
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool post = !strcmp(method, "POST"), del = !strcmp(method, "DELETE");
	const char *allow;
	struct serve_scan *sc;
	enum MHD_Result ret;

	(void)version;
	if (!rq) {
		const char *cl;

		/* First call: headers only. Refuse early what needs no body. */
		__atomic_add_fetch(&sv->http_requests, 1, __ATOMIC_RELAXED);
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*req_cls = rq;
		if (rt == R_NONE)
			return send_error(c, 404, "no such resource: %.128s", url);
		if (rt != R_HEALTH && !token_ok(sv, c))
			return send_error(c, 401, "a valid bearer token is needed");
		allow = rt == R_SCANS ? "GET, POST" : rt == R_SCAN ? "GET, DELETE" : "GET";
		if (!(get || (post && rt == R_SCANS) || (del && rt == R_SCAN))) {
			struct MHD_Response *r;
			char *b = NULL;

			if (asprintf(&b, "{\"status\":405,\"error\":\"method %.16s not allowed on %.64s "
				     "(allowed: %s)\"}\n", method, url, allow) < 0)
				return MHD_NO;
			r = MHD_create_response_from_buffer(strlen(b), b, MHD_RESPMEM_MUST_FREE);
			if (!r) {
				free(b);
				return MHD_NO;
			}
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
			MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
			ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
			MHD_destroy_response(r);
			return ret;
		}
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > SERVE_BODY_MAX)
			return send_error(c, 413, "request body over %d bytes", SERVE_BODY_MAX);
		return MHD_YES;
	}
	if (*upload_size) {
		/* A body: only POST /v1/scans takes one; kept up to the limit. */
		if (rq->len + *upload_size > SERVE_BODY_MAX || !post) {
			rq->too_big = true;
		} else {
			char *p = realloc(rq->body, rq->len + *upload_size + 1);

			if (!p)
				return MHD_NO;
			rq->body = p;
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			rq->body[rq->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return send_error(c, 413, "request body over %d bytes", SERVE_BODY_MAX);

	switch (rt) {
	case R_HEALTH:
		return send_json(c, 200, json_pack("{s:s}", "status", "ok"));
	case R_VERSION:
		return send_json(c, 200, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "version", fp_version(),
						   "build_id", fp_build_id(), "mode", fp_build_mode(),
						   "revision", fp_source_rev(), "compiler", fp_compiler(),
						   "cpu_target", fp_cpu_target()));
	case R_METRICS:
		return get_metrics(sv, c);
	case R_CHANGES:
		return get_changes(sv, c);
	case R_SCANS:
		return post ? post_scan(sv, c, rq) : list_scans(sv, c);
	case R_SCAN:
	case R_EVENTS:
		pthread_mutex_lock(&sv->lock);
		sc = serve_scan_find(sv, id);
		if (sc && del)
			serve_scan_cancel(sv, sc);
		if (sc && rt == R_SCAN) {
			json_t *j = scan_json(sv, sc);

			pthread_mutex_unlock(&sv->lock);
			if (del) /* a queued scan ends here; a running one when it stops */
				serve_durable_put(sv, sc);
			return send_json(c, 200, j);
		}
		pthread_mutex_unlock(&sv->lock);
		if (!sc)
			return send_error(c, 404, "no scan %s", id);
		/* Scans are never freed while the server runs. */
		return get_events(sv, c, sc);
	case R_NONE:
		break;
	}
	return send_error(c, 404, "no such resource");
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
		      enum MHD_RequestTerminationCode code)
{
	struct req *rq = *req_cls;

	(void)cls;
	(void)c;
	(void)code;
	if (rq) {
		free(rq->body);
		free(rq);
		*req_cls = NULL;
	}
}

struct MHD_Daemon *serve_http_start(struct serve *sv, char *err, size_t errlen)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG;
	/* A socket made before the privilege drop (cmd_serve.c), or the address. */
	struct MHD_OptionItem where[] = {
		sv->listen_fd >= 0 ? (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, sv->listen_fd, NULL }
				   : (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &sv->addr },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_Daemon *d;

	if (sv->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (sv->tls_cert_pem)
		flags |= MHD_USE_TLS;
	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, sv,
			     MHD_OPTION_ARRAY, where,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONN_MAX,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_SECONDS,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, sv,
			     sv->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, sv->tls_cert_pem,
			     MHD_OPTION_HTTPS_MEM_KEY, sv->tls_key_pem,
			     MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "cannot start the HTTP server on %s (address in use, or "
			 "the certificate or key not valid)", sv->o.listen);
	return d;
}
