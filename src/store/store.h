/* SPDX-License-Identifier: MIT */
/*
 * The results store: every scan's events kept in SQLite or PostgreSQL with
 * one schema, and the exposure changes between complete scans of a scope.
 *
 * Layers. store.c holds everything that is the same for both databases:
 * the schema and its migrations, scan bookkeeping, baselines, confirmations,
 * changes and exposure, all as SQL text that runs unchanged on both. A
 * backend (sqlite.c, postgres.c) is one `const struct store_ops`: it
 * connects, runs that SQL (exec, query, transactions) and has its own fast
 * path for the bulk of the work, put_event and flush. The store links
 * SQLite, libpq and jansson, so it lives in the fastport program only,
 * never in libfastport.
 *
 * Errors. Functions return 0 or STORE_EFAIL (a runtime failure: the
 * caller exits 1) or STORE_EUSAGE (bad input such as a URL: exit 2); the
 * reason is in store_error() or the err buffer given. Nothing here prints
 * or exits. A store handle is used by one thread at a time.
 */
#ifndef FP_STORE_H
#define FP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	STORE_OK = 0,
	STORE_EFAIL = -1,
	STORE_EUSAGE = -2,
};

/* The schema version this build writes (migrations 1..N, see store.c). */
#define STORE_SCHEMA_VERSION 2

/* Longest scan id, scope key, address text the store accepts. */
#define STORE_ID_MAX 128
#define STORE_ADDR_MAX 46

enum store_backend {
	STORE_SQLITE = 1,
	STORE_POSTGRES = 2,
};

/* ---- URLs (url.c) ---- */

struct store_url {
	enum store_backend backend;
	char *target;      /* SQLite: the file's path; PostgreSQL: the URL as given */
	bool default_path; /* "sqlite:" alone: its directory is created (0700) */
};

/*
 * Parses a --store URL: "sqlite:PATH", "sqlite:///ABS/PATH", "sqlite:"
 * alone (the default file $XDG_STATE_HOME/fastport/fastport.db, or
 * ~/.local/state/fastport/fastport.db), "postgresql://..." or
 * "postgres://..." (checked with libpq's own parser, nothing connects).
 * Returns 0, STORE_EUSAGE with the reason in err (never echoing a
 * password), or STORE_EFAIL when memory ran out. u->target is freed by
 * store_url_free().
 */
int store_url_parse(const char *url, struct store_url *u, char *err, size_t errlen);
void store_url_free(struct store_url *u);

/* The current UTC time as RFC 3339 with microseconds (buf holds 32). */
void store_now(char buf[static 32]);

/* With FASTPORT_STORE_TRACE set in the environment (read once, at the
 * first call): "fastport: store +SECONDS: what" on standard error, the
 * seconds counted from that first call. A diagnostic of where a stored
 * scan's time goes; nothing otherwise. */
void store_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- What is stored ---- */

enum store_state {
	STORE_RUNNING = 0,
	STORE_COMPLETE = 1,
	STORE_INTERRUPTED = 2,
	STORE_FAILED = 3,
};

/* "running", "complete", "interrupted", "failed". */
const char *store_state_name(enum store_state st);
/* 0 and *out, or -1 for any other text. */
int store_state_parse(const char *s, enum store_state *out);

/*
 * One event to store (put) or one stored finding (load). A finding is an
 * event with a target whose kind is "port_state" or "service"; it is
 * identified by (scan_id, ip, port, protocol, kind) and stored once, however
 * often it is put. Other events (scan_started, telemetry, scan_completed,
 * kinds added later) are stored once per event_id. Every pointer is owned
 * by the caller and read only during the call (put) or the callback (load).
 */
struct store_event {
	const char *event_id;
	const char *scan_id;
	const char *kind;
	const char *time;      /* RFC 3339 UTC, as in the event */
	const char *ip;        /* canonical text; NULL: the event has no target */
	uint16_t port;
	const char *protocol;  /* "tcp", "udp", "quic" */
	const char *state;     /* port_state: result.state */
	const char *reason;    /* port_state: result.reason */
	const char *service;   /* port_state: result.service; service: service.name */
	const char *product;   /* service: service.product */
	const char *version;   /* service: service.version */
	const char *cert_sha256; /* service: service.tls.sha256 */
	const char *json;      /* the whole event, one line without its newline */
	size_t json_len;
};

static inline bool store_event_is_finding(const struct store_event *ev)
{
	return ev->ip && ev->kind && (!__builtin_strcmp(ev->kind, "port_state") ||
				      !__builtin_strcmp(ev->kind, "service"));
}

/* A scan (or one shard of it) as begun, and as listed. */
struct store_scan {
	const char *scan_id;
	const char *scope;       /* scope key (store_scope_key) */
	const char *scope_desc;  /* readable scope; NULL or "" if unknown */
	const char *started_at;  /* RFC 3339 */
	const char *ended_at;    /* NULL while running */
	enum store_state state;
	unsigned shard, shard_count; /* 1/1 when not sharded */
	/* list_scans only: */
	uint64_t findings, open;
	unsigned shards_complete;
};

/* A port of the exposure model: open before, what is known now. */
struct store_port {
	char ip[STORE_ADDR_MAX];
	uint16_t port;
	char protocol[8];
	/* store_close_candidates: the confirmation callback sets this to the
	 * state the re-probe found ("open", "closed", "filtered", ...), or
	 * leaves it empty when the port was not re-probed. */
	char confirmed[16];
};

struct store;

typedef int (*store_scan_cb)(const struct store_scan *sc, void *ud);
typedef int (*store_event_cb)(const struct store_event *ev, void *ud);
/* One exposure_change event line (no newline). */
typedef int (*store_change_cb)(const char *json, size_t len, void *ud);

/* ---- Opening ---- */

enum store_open_flags {
	STORE_OPEN_CREATE = 1U << 0, /* a writer: create the SQLite file if missing */
};

/*
 * Opens the store u names and applies pending migrations (in one
 * transaction, under a lock, so concurrent openers migrate once). Scans
 * left "running" by a writer on this host that no longer exists are marked
 * interrupted. Without STORE_OPEN_CREATE a missing SQLite file is an error.
 * Returns 0 and *out, or STORE_EFAIL with the reason in err.
 */
int store_open(const struct store_url *u, unsigned flags, struct store **out,
	       char *err, size_t errlen);
void store_close(struct store *s);
const char *store_error(const struct store *s);
const char *store_backend_name(const struct store *s);

/* ---- Writing a scan ---- */

/*
 * Records the scan (its scope first) and marks shard sc->shard of
 * sc->shard_count running, written by this process. Beginning a scan that
 * is already stored (a retried, resumed or redelivered shard) keeps what
 * it holds. Commits.
 */
int store_begin_scan(struct store *s, const struct store_scan *sc);

/*
 * Stores one event of a begun scan in the current batch (a transaction
 * opened by the first put after a flush). Nothing is visible to readers
 * until store_flush(). A finding already stored (same key) is left as it
 * is: the first delivery wins.
 */
int store_put_event(struct store *s, const struct store_event *ev);

/* Commits the current batch. On failure the batch is rolled back (no part
 * of it is stored) and the store stays usable for reading. PostgreSQL
 * pipelines: the batch is sent and its outcome read by the next call on
 * the store, so a failed batch may be reported one call later. */
int store_flush(struct store *s);

/* store_flush, then waits for the outcome of every batch sent. */
int store_sync(struct store *s);

/* Ports open in the baseline (the last complete scan of scan_id's scope
 * that ended before scan_id began) and not open in scan_id. cb returns
 * non-zero to stop. Store the re-probe results with store_confirm(). */
int store_close_candidates(struct store *s, const char *scan_id,
			   int (*cb)(const struct store_port *p, void *ud), void *ud);

/* Records a re-probe of one candidate: state "open" means it is still open
 * (no "closed" change; the exposure keeps it), anything else confirms it
 * closed. Stored once per (scan, ip, port, protocol); the last result wins. */
int store_confirm(struct store *s, const char *scan_id, const struct store_port *p,
		  const char *state);

/*
 * Flushes, then marks the shard ended in state st at ended_at (RFC 3339).
 * The scan is complete when every one of its shards is; failed when one
 * failed, else interrupted when one was. When this call makes the scan
 * complete: compares it with its baseline, stores the exposure_change
 * events (once per scan pair and port), updates the scope's exposure and
 * passes each change to cb (may be NULL). All of that is one transaction.
 * *nchanges (may be NULL) receives how many changes there were.
 */
int store_end_scan(struct store *s, const char *scan_id, unsigned shard, enum store_state st,
		   const char *ended_at, store_change_cb cb, void *ud, size_t *nchanges);

/* The comparison's sides (diff.h): what one scan found per port. */
struct diff_side;

/* The baseline of a begun scan: the last complete scan of its scope that
 * started before it; 0 with base "" when there is none. */
int store_baseline(struct store *s, const char *scan_id, char base[STORE_ID_MAX + 1]);

/* Loads a scan's findings (and, with confirmations, its re-probe results)
 * into d, which the caller initialized and frees. */
int store_load_side(struct store *s, const char *scan_id, bool confirmations,
		    struct diff_side *d);

/*
 * store_end_scan with sides already at hand, so nothing is loaded twice:
 * before (may be NULL) is used when the baseline is before_id, after (may
 * be NULL) must hold every finding and confirmation the store holds for
 * scan_id. Sides not given are loaded. The sides are sorted in place.
 */
int store_end_scan_sides(struct store *s, const char *scan_id, unsigned shard,
			 enum store_state st, const char *ended_at, const char *before_id,
			 struct diff_side *before, struct diff_side *after, store_change_cb cb,
			 void *ud, size_t *nchanges);

/* ---- Reading ---- */

/* Every scan, oldest first (scope NULL) or those of one scope. */
int store_list_scans(struct store *s, const char *scope, store_scan_cb cb, void *ud);
/* Whether the scope has a complete scan (a baseline for the next): 1 yes,
 * 0 no, <0 error. Reads the scans table only. */
int store_scope_has_complete(struct store *s, const char *scope);

/* The scan whose id is id or starts with id (at least 4 characters, one
 * match). 0 and the full id in out; STORE_EFAIL when none or several. */
int store_resolve_scan(struct store *s, const char *id, char out[STORE_ID_MAX + 1]);

/* Scan ids for a diff: the latest complete scan of the scope of `to` (or
 * of the latest complete scan when to is empty) and the complete scan
 * before it. Either id given is kept; a missing from is the baseline of to.
 * STORE_EFAIL when there is no such pair. */
int store_diff_pair(struct store *s, char from[STORE_ID_MAX + 1], char to[STORE_ID_MAX + 1]);

/* The findings of a scan ordered by (ip, port, protocol, kind). */
int store_load_findings(struct store *s, const char *scan_id, store_event_cb cb, void *ud);

/* Every stored event of a scan: scan_started, the findings, then the other
 * events by time. Only json/kind/time/event_id are set for non-findings. */
int store_load_events(struct store *s, const char *scan_id, store_event_cb cb, void *ud);

/* Computes the exposure_change events from `from` to `to` (confirmations
 * of `to` applied) without storing anything. */
int store_diff(struct store *s, const char *from, const char *to, store_change_cb cb, void *ud);

/* Marks a scan's running shards as st (interrupted or failed) and
 * recomputes the scan's state. */
int store_mark_scan(struct store *s, const char *scan_id, enum store_state st, const char *at);

/* ---- Continuing a scan ---- */

/*
 * The scan a resumed run continues: the latest scan of scope that is not
 * complete and whose scan_started event has this seed and shard K/N (a
 * resume file keeps the seed). 0 and the id in out, "" when there is none;
 * STORE_EFAIL on a store error.
 */
int store_find_resumable(struct store *s, const char *scope, uint64_t seed, unsigned shard,
			 unsigned shard_count, char out[STORE_ID_MAX + 1]);

/* The scope key and state of a stored scan: 1, 0 when there is no such
 * scan, or STORE_EFAIL. */
int store_scan_info(struct store *s, const char *scan_id, char scope[STORE_ID_MAX + 1],
		    enum store_state *st);

/* ---- Scope (scope.c) ---- */

/*
 * The scope key of a scan: the first 32 hex digits of the SHA-256 of its
 * normalized description, written to desc (the effective address ranges
 * after exclusions, then the port list, e.g. "198.19.0.0-198.19.0.255
 * ports T:22,80 U:53"). targets/excludes are target specs, ports a port
 * spec as on the command line; allow_reserved as the scan's option.
 * Returns 0, STORE_EUSAGE with the reason in err, or STORE_EFAIL.
 * *desc is malloc'ed.
 */
int store_scope_key(const char *const *targets, size_t ntargets,
		    const char *const *excludes, size_t nexcludes, const char *ports,
		    bool allow_reserved, char key[33], char **desc, char *err, size_t errlen);

/* SHA-256 of n bytes (scope.c). */
void store_sha256(const void *data, size_t n, uint8_t out[static 32]);

/* ---- Parsing an event line (event_parse.c) ---- */

struct store_parsed;

/*
 * Parses one threat_event_v1 line (n bytes, need not be NUL-terminated)
 * into ev, whose pointers stay valid until store_parsed_free(*pp). Checks
 * what the store relies on: an object with schema "threat_event_v1",
 * string event_id, scan_id (1..STORE_ID_MAX printable characters), kind and
 * time; a target, when present, with a valid IP (canonicalized), a port
 * 0..65535 and a protocol tcp/udp/quic. Returns 0, or -1 with the reason in
 * err. ev->json points at the line itself.
 */
int store_parse_event(const char *line, size_t n, struct store_event *ev,
		      struct store_parsed **pp, char *err, size_t errlen);
void store_parsed_free(struct store_parsed *p);

/* Seeds the JSON parser's hash tables now (it reads /dev/urandom on first
 * use, which a sandbox may forbid later). store_open() calls it. */
void store_parse_init(void);

/* scan_started: the shard "K/N" (1/1 if absent). scan_completed: whether
 * "interrupted" is true. Valid for the event last parsed into p. */
void store_parsed_shard(const struct store_parsed *p, unsigned *k, unsigned *n);
bool store_parsed_interrupted(const struct store_parsed *p);

#endif
