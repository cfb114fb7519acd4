/* SPDX-License-Identifier: MIT */
/*
 * The tools of `fastport mcp`: one table, from which both tools/list (the
 * JSON Schema of each tool's arguments, its annotations) and the checks of
 * tools/call come, so a tool cannot take an argument its schema does not
 * list. Each call becomes requests to serve through the backend; serve
 * keeps every rule of scope, rate and size (its 4xx answers become tool
 * errors carrying its reason).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

enum arg_type { ARG_STR, ARG_STRS, ARG_INT, ARG_BOOL, ARG_ENUM, ARG_ENUMS };

struct tool_arg {
	const char *name;
	enum arg_type type;
	bool required;
	/* ARG_INT: the bounds. ARG_STR: max is maxLength. ARG_STRS, ARG_ENUMS:
	 * minItems and maxItems (each string of ARG_STRS at most STR_ITEM_MAX). */
	json_int_t min, max;
	const char *const *choices;   /* ARG_ENUM, ARG_ENUMS: NULL-terminated */
	bool scan_id;                 /* ARG_STR: 32 lowercase hex digits */
	const char *desc;
};

#define STR_ITEM_MAX 4096
#define SCAN_ID_PATTERN "^[0-9a-f]{32}$"
#define NARGS_MAX 16

struct call {
	struct mcp *m;
	json_t *args;
	char err[MCP_ERR_MAX + 128];
};

typedef json_t *tool_fn(struct call *c);

struct tool {
	const char *name, *title, *desc;
	bool read_only, destructive, idempotent, open_world;
	tool_fn *run;
	struct tool_arg args[NARGS_MAX]; /* ends at the first without a name */
};

static const char *const states[] = { "open", "closed", "filtered", "open|filtered", "all", NULL };
static const char *const kinds[] = { "findings", "port_state", "service", "scan_started", "telemetry",
				     "scan_completed", "all", NULL };
static const char *const scan_states[] = { "queued", "running", "complete", "interrupted", "failed", NULL };

static tool_fn start_scan, get_scan, get_findings, get_changes, list_scans;

#define ID_ARG { "id", ARG_STR, true, 0, 32, NULL, true, \
	"the scan's id (32 hex digits), as start_scan or list_scans gave it" }

static const struct tool tools[] = {
	{ "start_scan", "Start a port scan",
	  "Task the sensor with a port scan of the given targets. The sensor refuses targets "
	  "outside its allowed scope (the reason names the range) and rates above its ceiling. "
	  "Returns the scan object (id, state queued); poll get_scan until its state is "
	  "complete, interrupted or failed, then read get_findings. The probes go out to the "
	  "network: scan only what you are authorised to scan.",
	  false, false, false, true, start_scan, {
		{ "targets", ARG_STRS, true, 1, 1024, NULL, false,
		  "IPv4/IPv6 addresses, CIDR blocks or A-B ranges to scan" },
		{ "exclude", ARG_STRS, false, 0, 1024, NULL, false, "addresses, blocks or ranges never to probe" },
		{ "ports", ARG_STR, false, 0, STR_ITEM_MAX, NULL, false,
		  "port spec as on the fastport command line: 22,80-90 (TCP), U:53 (UDP), Q:443 (QUIC)" },
		{ "rate", ARG_INT, false, 1, 100000000, NULL, false,
		  "packets per second (the sensor refuses more than its --max-rate)" },
		{ "retries", ARG_INT, false, 0, 100, NULL, false, "extra probes to targets that did not answer" },
		{ "states", ARG_ENUMS, false, 1, 5, states, false, "which port states to report (default open)" },
		{ "service_scan", ARG_BOOL, false, 0, 0, NULL, false,
		  "identify the service behind each open port (connects to it)" },
		{ "seed", ARG_INT, false, 0, INT64_MAX, NULL, false, "seed of the probe order (reproducible scans)" },
		{ "connect", ARG_BOOL, false, 0, 0, NULL, false, "use TCP connect() instead of raw SYN probes" },
		{ "allow_reserved", ARG_BOOL, false, 0, 0, NULL, false,
		  "permit targets in the reserved, documentation and benchmark ranges (the sensor must allow it too)" },
		{ "name", ARG_STR, false, 0, 256, NULL, false, "a name for the scan" },
		{ "idempotency_key", ARG_STR, false, 0, 128, NULL, false,
		  "a key: the same key again returns the first scan instead of starting another" },
	  } },
	{ "get_scan", "Read a scan's status",
	  "The scan object: state (queued, running, complete, interrupted, failed), progress "
	  "(0 to 1), eta_seconds, counters (planned, sent, open, closed, findings, ...), the "
	  "task as run and the scan_id its events carry.",
	  true, false, true, false, get_scan, { ID_ARG } },
	{ "get_findings", "Read a scan's findings",
	  "The scan's threat_event_v1 events, oldest first, at most limit of them from offset "
	  "on. kind findings (the default) gives port_state and service events; all gives "
	  "every event. more is true when further events follow: call again with offset + "
	  "returned.",
	  true, false, true, false, get_findings, {
		ID_ARG,
		{ "kind", ARG_ENUM, false, 0, 0, kinds, false, "which events (default findings)" },
		{ "limit", ARG_INT, false, 1, MCP_EVENTS_MAX, NULL, false, "events to return at most (default 1000)" },
		{ "offset", ARG_INT, false, 0, INT32_MAX, NULL, false, "matching events to skip first (default 0)" },
	  } },
	{ "get_changes", "Read exposure changes",
	  "Exposure changes (exposure_change events: a port opened, closed, or its service "
	  "changed) between stored scans, from the sensor's store, oldest first, at most limit "
	  "of them from offset on.",
	  true, false, true, false, get_changes, {
		{ "since", ARG_STR, false, 1, 256, NULL, false,
		  "changes after this point: an RFC 3339 time (2026-12-01T00:00:00Z) or a scan id, as "
		  "the sensor's GET /v1/changes?since= takes it" },
		{ "limit", ARG_INT, false, 1, MCP_EVENTS_MAX, NULL, false, "changes to return at most (default 1000)" },
		{ "offset", ARG_INT, false, 0, INT32_MAX, NULL, false, "changes to skip first (default 0)" },
	  } },
	{ "list_scans", "List scans",
	  "The sensor's scans, oldest first (the last limit of them), each with its id, state, "
	  "name, progress and counters.",
	  true, false, true, false, list_scans, {
		{ "state", ARG_ENUM, false, 0, 0, scan_states, false, "only scans in this state" },
		{ "limit", ARG_INT, false, 1, 1000, NULL, false, "scans to return at most, the newest (default 100)" },
	  } },
};

#define NTOOLS (sizeof(tools) / sizeof(tools[0]))

/* ---- tools/list ---- */

static json_t *choices_json(const char *const *c)
{
	json_t *a = json_array();

	for (; a && *c; c++)
		json_array_append_new(a, json_string(*c));
	return a;
}

static json_t *arg_schema(const struct tool_arg *a)
{
	json_t *s = NULL;

	switch (a->type) {
	case ARG_STR:
		s = json_pack("{s:s,s:I}", "type", "string", "maxLength", a->max);
		if (s && a->min)
			json_object_set_new(s, "minLength", json_integer(a->min));
		if (s && a->scan_id)
			json_object_set_new(s, "pattern", json_string(SCAN_ID_PATTERN));
		break;
	case ARG_STRS:
		s = json_pack("{s:s,s:{s:s,s:i,s:i},s:I,s:I}", "type", "array", "items", "type", "string",
			      "minLength", 1, "maxLength", STR_ITEM_MAX, "minItems", a->min, "maxItems", a->max);
		break;
	case ARG_INT:
		s = json_pack("{s:s,s:I,s:I}", "type", "integer", "minimum", a->min, "maximum", a->max);
		break;
	case ARG_BOOL:
		s = json_pack("{s:s}", "type", "boolean");
		break;
	case ARG_ENUM:
		s = json_pack("{s:s,s:o}", "type", "string", "enum", choices_json(a->choices));
		break;
	case ARG_ENUMS:
		s = json_pack("{s:s,s:{s:s,s:o},s:I,s:b}", "type", "array", "items", "type", "string", "enum",
			      choices_json(a->choices), "minItems", a->min, "uniqueItems", 1);
		break;
	}
	if (s)
		json_object_set_new(s, "description", json_string(a->desc));
	return s;
}

static json_t *tool_json(const struct tool *t)
{
	json_t *props = json_object(), *req = json_array();

	for (const struct tool_arg *a = t->args; a < t->args + NARGS_MAX && a->name; a++) {
		json_object_set_new(props, a->name, arg_schema(a));
		if (a->required)
			json_array_append_new(req, json_string(a->name));
	}
	return json_pack("{s:s,s:s,s:s,s:{s:s,s:o,s:o,s:b},s:{s:s,s:b,s:b,s:b,s:b}}",
			 "name", t->name, "title", t->title, "description", t->desc,
			 "inputSchema", "type", "object", "properties", props, "required", req,
			 "additionalProperties", 0,
			 "annotations", "title", t->title, "readOnlyHint", t->read_only,
			 "destructiveHint", t->destructive, "idempotentHint", t->idempotent,
			 "openWorldHint", t->open_world);
}

json_t *mcp_tools_list(void)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < NTOOLS; i++)
		json_array_append_new(a, tool_json(&tools[i]));
	return a ? json_pack("{s:o}", "tools", a) : NULL;
}

/* ---- argument checks (the schemas above, in C) ---- */

static bool is_scan_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 32;
}

static bool in_choices(const char *s, const char *const *c)
{
	for (; s && *c; c++)
		if (!strcmp(s, *c))
			return true;
	return false;
}

/* Whether v fits a; if not, why in err. */
static bool arg_ok(const struct tool_arg *a, json_t *v, char *err, size_t errlen)
{
	size_t i;
	json_t *e;

	switch (a->type) {
	case ARG_STR:
		if (!json_is_string(v))
			goto type;
		if (json_string_length(v) > (size_t)a->max || json_string_length(v) < (size_t)a->min) {
			snprintf(err, errlen, "argument %s: length must be %" PRId64 " to %" PRId64, a->name,
				 (int64_t)a->min, (int64_t)a->max);
			return false;
		}
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(err, errlen, "argument %s: holds a NUL character", a->name);
			return false;
		}
		if (a->scan_id && !is_scan_id(json_string_value(v))) {
			snprintf(err, errlen, "argument %s: not a scan id (32 lowercase hex digits)", a->name);
			return false;
		}
		return true;
	case ARG_INT:
		if (!json_is_integer(v))
			goto type;
		if (json_integer_value(v) < a->min || json_integer_value(v) > a->max) {
			snprintf(err, errlen, "argument %s: must be %" PRId64 " to %" PRId64, a->name,
				 (int64_t)a->min, (int64_t)a->max);
			return false;
		}
		return true;
	case ARG_BOOL:
		if (!json_is_boolean(v))
			goto type;
		return true;
	case ARG_ENUM:
		if (!json_is_string(v))
			goto type;
		if (!in_choices(json_string_value(v), a->choices))
			goto choice;
		return true;
	case ARG_STRS:
	case ARG_ENUMS:
		if (!json_is_array(v))
			goto type;
		if (json_array_size(v) < (size_t)a->min || json_array_size(v) > (size_t)a->max) {
			snprintf(err, errlen, "argument %s: must hold %" PRId64 " to %" PRId64 " items", a->name,
				 (int64_t)a->min, (int64_t)a->max);
			return false;
		}
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				goto type;
			if (a->type == ARG_ENUMS) {
				if (!in_choices(json_string_value(e), a->choices))
					goto choice;
				for (size_t k = 0; k < i; k++)
					if (json_equal(e, json_array_get(v, k))) {
						snprintf(err, errlen, "argument %s: '%s' twice", a->name,
							 json_string_value(e));
						return false;
					}
			} else if (json_string_length(e) < 1 || json_string_length(e) > STR_ITEM_MAX ||
				   strlen(json_string_value(e)) != json_string_length(e)) {
				snprintf(err, errlen, "argument %s: each item must be 1 to %d characters, no NUL",
					 a->name, STR_ITEM_MAX);
				return false;
			}
		}
		return true;
	}
type:
	snprintf(err, errlen, "argument %s: must be %s", a->name,
		 a->type == ARG_STR || a->type == ARG_ENUM ? "a string" : a->type == ARG_INT ? "an integer" :
		 a->type == ARG_BOOL ? "a boolean" : "an array of strings");
	return false;
choice:
	snprintf(err, errlen, "argument %s: not one of the allowed values", a->name);
	return false;
}

static bool args_ok(const struct tool *t, json_t *args, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v) {
		const struct tool_arg *a = t->args;

		while (a < t->args + NARGS_MAX && a->name && strcmp(a->name, key))
			a++;
		if (a == t->args + NARGS_MAX || !a->name) {
			snprintf(err, errlen, "unknown argument '%.64s'", key);
			return false;
		}
		if (!arg_ok(a, v, err, errlen))
			return false;
	}
	for (const struct tool_arg *a = t->args; a < t->args + NARGS_MAX && a->name; a++)
		if (a->required && !json_object_get(args, a->name)) {
			snprintf(err, errlen, "argument %s is required", a->name);
			return false;
		}
	return true;
}

/* ---- results ---- */

/* A CallToolResult: the object as structuredContent and as its JSON text. */
static json_t *result(json_t *obj, bool is_error)
{
	char *text;
	json_t *r;

	if (!obj)
		return NULL;
	text = json_dumps(obj, JSON_COMPACT);
	if (!text) {
		json_decref(obj);
		return NULL;
	}
	/* "o" takes obj's reference, also when the packing fails. */
	r = json_pack("{s:[{s:s,s:s}],s:o,s:b}", "content", "type", "text", "text", text,
		      "structuredContent", obj, "isError", is_error);
	free(text);
	return r;
}

/* A tool error: the reason as text (and structured, with serve's status when there was one). */
static json_t *tool_error(long status, const char *msg)
{
	json_t *o = status ? json_pack("{s:s,s:i}", "error", msg, "status", (int)status) :
		json_pack("{s:s}", "error", msg);

	return result(o, true);
}

/* ---- talking to serve ---- */

struct body {
	char *p;
	size_t len, max;
	bool over;
};

static bool body_add(void *arg, const char *p, size_t n)
{
	struct body *b = arg;
	char *q;

	if (n > b->max - b->len) {
		b->over = true;
		return false;
	}
	q = realloc(b->p, b->len + n + 1);
	if (!q) {
		b->over = true;
		return false;
	}
	b->p = q;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

/*
 * serve's reason from an error answer ({"status":N,"error":"..."}), or a
 * generic one when the body is not that.
 */
static json_t *serve_refused(long status, const char *body, size_t len)
{
	json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
	const char *why = json_string_value(json_object_get(j, "error"));
	char msg[MCP_ERR_MAX + 96];

	snprintf(msg, sizeof(msg), "serve refused the request (HTTP %ld): %.*s", status, MCP_ERR_MAX,
		 why ? why : status == 401 ? "no or wrong token (see --token-file)" : "no reason given");
	json_decref(j);
	return tool_error(status, msg);
}

static json_t *unreachable(struct call *c, const char *why)
{
	char msg[MCP_ERR_MAX + 256];

	snprintf(msg, sizeof(msg), "cannot reach serve at %.200s: %.*s", c->m->be->url ? c->m->be->url : "?",
		 MCP_ERR_MAX, why);
	return tool_error(0, msg);
}

/*
 * A request whose answer is one JSON object: on success *out is it and
 * NULL is returned; otherwise the tool error to return.
 */
static json_t *request_json(struct call *c, const char *method, const char *path, const char *body,
			    json_t **out)
{
	struct body b = { .max = MCP_JSON_BODY_MAX };
	json_t *r = NULL;
	long status = 0;
	char err[256] = "";

	*out = NULL;
	if (c->m->be->request(c->m->be->ctx, method, path, body, body_add, &b, &status, err, sizeof(err)) < 0) {
		r = unreachable(c, err);
		goto out;
	}
	if (status >= 400 || status < 200) {
		r = serve_refused(status, b.p, b.len);
		goto out;
	}
	if (b.over) {
		r = tool_error(status, "serve's answer is larger than 8 MiB");
		goto out;
	}
	*out = b.p ? json_loadb(b.p, b.len, 0, NULL) : NULL;
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		r = tool_error(status, "serve's answer is not a JSON object");
	}
out:
	free(b.p);
	return r;
}

static json_int_t int_arg(struct call *c, const char *name, json_int_t dflt)
{
	json_t *v = json_object_get(c->args, name);

	return v ? json_integer_value(v) : dflt;
}

static const char *str_arg(struct call *c, const char *name)
{
	return json_string_value(json_object_get(c->args, name));
}

static json_t *start_scan(struct call *c)
{
	char *task = json_dumps(c->args, JSON_COMPACT);
	json_t *r, *scan;

	if (!task)
		return NULL;
	r = request_json(c, "POST", "/v1/scans", task, &scan);
	free(task);
	return r ? r : result(scan, false);
}

static json_t *get_scan(struct call *c)
{
	char path[64];
	json_t *r, *scan;

	snprintf(path, sizeof(path), "/v1/scans/%s", str_arg(c, "id"));
	r = request_json(c, "GET", path, NULL, &scan);
	return r ? r : result(scan, false);
}

static json_t *list_scans(struct call *c)
{
	const char *state = str_arg(c, "state");
	json_int_t limit = int_arg(c, "limit", 100);
	json_t *r, *list, *scans, *out, *sc;
	size_t i, total = 0;

	r = request_json(c, "GET", "/v1/scans", NULL, &list);
	if (r)
		return r;
	scans = json_object_get(list, "scans");
	out = json_array();
	if (!json_is_array(scans) || !out) {
		json_decref(list);
		json_decref(out);
		return tool_error(200, "serve's scan list has no scans array");
	}
	json_array_foreach(scans, i, sc) {
		if (state && strcmp(json_string_value(json_object_get(sc, "state")) ?: "", state))
			continue;
		total++;
		json_array_append(out, sc);
		if (json_array_size(out) > (size_t)limit)
			json_array_remove(out, 0);
	}
	json_decref(list);
	return result(json_pack("{s:o,s:I,s:I}", "scans", out, "returned", (json_int_t)json_array_size(out),
				"total", (json_int_t)total), false);
}

/*
 * The events of an NDJSON answer that pass a filter, from offset on, at
 * most limit of them and MCP_EVENTS_TEXT_MAX bytes: kept as the text serve
 * sent (a JSON array's members), each checked to be a JSON object first.
 */
struct events {
	struct body txt;    /* "e1,e2,..." */
	json_int_t n;       /* events in txt */
	const char *kind;   /* NULL: every kind; "findings": port_state and service */
	json_int_t skip, limit;
	bool more;          /* one more matched after the limit */
	size_t bad;         /* lines too long or not JSON objects */
};

static bool event_line(void *arg, const char *s, size_t n)
{
	struct events *ev = arg;
	const char *kind;
	json_error_t jerr;
	bool want;
	json_t *e;

	if (!s) {
		ev->bad++;
		return true;
	}
	/* A 64-bit integer above INT64_MAX (scan_started's seed) is valid
	 * JSON beyond jansson's integers: checked as a real then, passed on
	 * as written. */
	e = json_loadb(s, n, 0, &jerr);
	if (!e && !strncmp(jerr.text, "too big ", 8))
		e = json_loadb(s, n, JSON_DECODE_INT_AS_REAL, &jerr);
	if (!json_is_object(e)) {
		json_decref(e);
		ev->bad++;
		return true;
	}
	kind = json_string_value(json_object_get(e, "kind"));
	want = !ev->kind || (kind && (!strcmp(ev->kind, kind) || (!strcmp(ev->kind, "findings") &&
		(!strcmp(kind, "port_state") || !strcmp(kind, "service")))));
	json_decref(e);
	if (!want)
		return true;
	if (ev->skip > 0) {
		ev->skip--;
		return true;
	}
	if (ev->n >= ev->limit || n + 1 > ev->txt.max - ev->txt.len) {
		ev->more = true;
		return false; /* enough: the transfer stops here */
	}
	if ((ev->n && !body_add(&ev->txt, ",", 1)) || !body_add(&ev->txt, s, n))
		return false;
	ev->n++;
	return true;
}

/*
 * GET an NDJSON path; on success the events in evs and NULL returned,
 * otherwise the tool error to return.
 */
static json_t *request_events(struct call *c, const char *path, struct events *evs)
{
	struct ndjson nd;
	json_t *r = NULL;
	long status = 0;
	char err[256] = "";

	evs->txt.max = MCP_EVENTS_TEXT_MAX;
	if (ndjson_init(&nd, MCP_EVENT_LINE_MAX, event_line, evs) < 0)
		return tool_error(0, "out of memory");
	if (c->m->be->request(c->m->be->ctx, "GET", path, NULL, ndjson_feed, &nd, &status, err, sizeof(err)) < 0) {
		r = unreachable(c, err);
		goto out;
	}
	if (status >= 400 || status < 200) {
		r = serve_refused(status, nd.head, nd.head_len);
		goto out;
	}
	ndjson_finish(&nd);
	if (evs->txt.over)
		r = tool_error(status, "out of memory");
out:
	ndjson_free(&nd);
	return r;
}

/*
 * The result of an events tool: {"events":[...], "returned", "offset",
 * "more", key: val, "skipped_lines"}, the events as serve wrote them. The
 * structured content goes out through c->m->raw (see struct mcp).
 */
static json_t *events_result(struct call *c, struct events *evs, json_int_t offset, const char *key,
			     const char *val)
{
	json_t *o = json_pack("{s:I,s:I,s:b}", "returned", evs->n, "offset", offset, "more", evs->more), *r;
	char *env, *text = NULL;

	if (o && evs->bad)
		json_object_set_new(o, "skipped_lines", json_integer((json_int_t)evs->bad));
	if (o && val)
		json_object_set_new(o, key, json_string(val));
	env = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	/* env is "{...}" with at least "returned": the events go first. */
	if (!env || asprintf(&text, "{\"events\":[%s],%s", evs->txt.p ? evs->txt.p : "", env + 1) < 0)
		text = NULL;
	free(env);
	free(evs->txt.p);
	evs->txt.p = NULL;
	if (!text)
		return NULL;
	r = json_pack("{s:[{s:s,s:s}],s:o,s:b}", "content", "type", "text", "text", text, "structuredContent",
		      json_stringn(MCP_RAW_VALUE, MCP_RAW_VALUE_LEN), "isError", 0);
	if (!r) {
		free(text);
		return NULL;
	}
	free(c->m->raw);
	c->m->raw = text;
	return r;
}

static json_t *get_findings(struct call *c)
{
	const char *kind = str_arg(c, "kind") ?: "findings";
	struct events evs = { .skip = int_arg(c, "offset", 0), .limit = int_arg(c, "limit", 1000) };
	char path[128];
	json_t *r;

	/* serve filters one kind itself; findings (two kinds) and all are filtered here. */
	if (!strcmp(kind, "findings") || !strcmp(kind, "all")) {
		snprintf(path, sizeof(path), "/v1/scans/%s/events", str_arg(c, "id"));
		evs.kind = strcmp(kind, "all") ? kind : NULL;
	} else {
		snprintf(path, sizeof(path), "/v1/scans/%s/events?kind=%s", str_arg(c, "id"), kind);
		evs.kind = kind;
	}
	r = request_events(c, path, &evs);
	if (r) {
		free(evs.txt.p);
		return r;
	}
	return events_result(c, &evs, int_arg(c, "offset", 0), "id", str_arg(c, "id"));
}

/* Percent-encodes s (every byte but RFC 3986's unreserved ones) into out. */
static bool url_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (o + 4 > outlen)
			return false;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return true;
}

static json_t *get_changes(struct call *c)
{
	const char *since = str_arg(c, "since");
	struct events evs = { .skip = int_arg(c, "offset", 0), .limit = int_arg(c, "limit", 1000),
			      .kind = "exposure_change" };
	char path[32 + 3 * 256 + 1], esc[3 * 256 + 1];
	json_t *r;

	if (since && !url_escape(since, esc, sizeof(esc)))
		return tool_error(0, "argument since: too long");
	snprintf(path, sizeof(path), "/v1/changes%s%s", since ? "?since=" : "", since ? esc : "");
	r = request_events(c, path, &evs);
	if (r) {
		free(evs.txt.p);
		return r;
	}
	return events_result(c, &evs, int_arg(c, "offset", 0), "since", since);
}

json_t *mcp_tools_call(struct mcp *m, const char *name, json_t *args, int *code, char *msg, size_t msglen)
{
	const struct tool *t = NULL;
	struct call c = { .m = m };
	json_t *empty = NULL, *r;

	for (size_t i = 0; i < NTOOLS; i++)
		if (!strcmp(tools[i].name, name))
			t = &tools[i];
	if (!t) {
		*code = RPC_INVALID_PARAMS;
		snprintf(msg, msglen, "unknown tool: %.100s", name);
		return NULL;
	}
	if (!args)
		args = empty = json_object();
	if (!args)
		return NULL;
	c.args = args;
	if (!args_ok(t, args, c.err, sizeof(c.err))) {
		json_decref(empty);
		/* Revisions before 2025-11-25 call bad arguments a protocol error. */
		if (m->version[0] && strcmp(m->version, "2025-11-25") < 0) {
			*code = RPC_INVALID_PARAMS;
			snprintf(msg, msglen, "%s: %s", t->name, c.err);
			return NULL;
		}
		return tool_error(0, c.err);
	}
	r = t->run(&c);
	json_decref(empty);
	return r;
}
