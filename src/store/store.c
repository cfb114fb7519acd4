/* SPDX-License-Identifier: MIT */
/*
 * What both databases share: opening and migrating, scan bookkeeping,
 * baselines, confirmations, exposure changes and the exposure model. All
 * SQL here is one text for SQLite and PostgreSQL (store_int.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_int.h"
#include "diff.h"

int store_fail(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return STORE_EFAIL;
}

void store_now(char buf[static 32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%06ldZ", ts.tv_nsec / 1000);
}

static bool trace_on;
static struct timespec trace_t0;
static pthread_once_t trace_once = PTHREAD_ONCE_INIT;

static void trace_init(void)
{
	trace_on = getenv("FASTPORT_STORE_TRACE") != NULL;
	clock_gettime(CLOCK_MONOTONIC, &trace_t0);
}

void store_trace(const char *fmt, ...)
{
	struct timespec t;
	char buf[256];
	va_list ap;

	pthread_once(&trace_once, trace_init);
	if (!trace_on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fastport: store +%.3f: %s\n",
		(double)(t.tv_sec - trace_t0.tv_sec) + (double)(t.tv_nsec - trace_t0.tv_nsec) / 1e9,
		buf);
}

static const char *const state_names[] = {
	[STORE_RUNNING] = "running",
	[STORE_COMPLETE] = "complete",
	[STORE_INTERRUPTED] = "interrupted",
	[STORE_FAILED] = "failed",
};

const char *store_state_name(enum store_state st)
{
	return (unsigned)st < 4 ? state_names[st] : "unknown";
}

int store_state_parse(const char *s, enum store_state *out)
{
	for (unsigned i = 0; i < 4; i++)
		if (s && !strcmp(s, state_names[i])) {
			*out = (enum store_state)i;
			return 0;
		}
	return -1;
}

const char *store_error(const struct store *s)
{
	return s->err;
}

const char *store_backend_name(const struct store *s)
{
	return s->ops->name;
}

/* ---- small query helpers ---- */

static int q(struct store *s, const char *sql, const struct sqlv *p, int n)
{
	return s->ops->query(s, sql, p, n, NULL, NULL);
}

struct one {
	char *buf[4];
	size_t len[4];
	int ncol;
	bool found;
};

static int one_row(int ncol, const char *const *col, void *ud)
{
	struct one *o = ud;

	if (o->found)
		return 0;
	o->found = true;
	for (int i = 0; i < o->ncol && i < ncol; i++)
		snprintf(o->buf[i], o->len[i], "%s", col[i] ? col[i] : "");
	return 0;
}

/* The first row's first columns into bufs; 1 found, 0 none, <0 error. */
static int q_one(struct store *s, const char *sql, const struct sqlv *p, int n, int ncol,
		 char *b0, size_t l0, char *b1, size_t l1, char *b2, size_t l2)
{
	struct one o = { .buf = { b0, b1, b2 }, .len = { l0, l1, l2 }, .ncol = ncol };
	int ret = s->ops->query(s, sql, p, n, one_row, &o);

	if (ret < 0)
		return ret;
	return o.found;
}

/* ---- writer identity: is the process that began a shard alive? ---- */

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot), or 0. */
static unsigned long long proc_starttime(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold anything */
	if (!p)
		return 0;
	p++;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

static void writer_init(struct store *s)
{
	char host[64] = "";
	long pid = (long)getpid();

	gethostname(host, sizeof(host) - 1);
	host[strcspn(host, " ")] = '\0';
	snprintf(s->writer, sizeof(s->writer), "%s %ld %llu", host, pid, proc_starttime(pid));
}

/* Whether writer names a process of this host that no longer runs. */
static bool writer_dead(const struct store *s, const char *writer)
{
	char host[64], myhost[64];
	long pid;
	unsigned long long start;

	if (sscanf(writer, "%63s %ld %llu", host, &pid, &start) != 3 ||
	    sscanf(s->writer, "%63s", myhost) != 1 || strcmp(host, myhost) || pid <= 0)
		return false;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return true;
	return proc_starttime(pid) != start;
}

/* ---- opening and migrations ---- */

static int migrate(struct store *s)
{
	char buf[32], now[32];
	long have = 0;
	int ret;

	/* Readers of an up-to-date store need no write transaction. */
	ret = q_one(s, "SELECT MAX(version) FROM schema_version", NULL, 0, 1, buf, sizeof(buf),
		    NULL, 0, NULL, 0);
	if (ret > 0 && atol(buf) == STORE_SCHEMA_VERSION)
		return STORE_OK;
	if (ret > 0 && atol(buf) > STORE_SCHEMA_VERSION)
		return store_fail(s, "%s: schema version %ld is newer than this fastport's (%d)",
				  s->where, atol(buf), STORE_SCHEMA_VERSION);
	ret = s->ops->begin(s, true);
	if (ret < 0)
		return ret;
	ret = q(s, "CREATE TABLE IF NOT EXISTS schema_version ("
		   " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)", NULL, 0);
	if (ret == 0)
		ret = q_one(s, "SELECT MAX(version) FROM schema_version", NULL, 0, 1, buf,
			    sizeof(buf), NULL, 0, NULL, 0);
	if (ret < 0)
		goto fail;
	have = atol(buf);
	if (have > STORE_SCHEMA_VERSION) {
		ret = store_fail(s, "%s: schema version %ld is newer than this fastport's (%d)",
				 s->where, have, STORE_SCHEMA_VERSION);
		goto fail;
	}
	store_now(now);
	for (size_t i = 0; i < store_nmigrations; i++) {
		const struct store_migration *m = &store_migrations[i];
		struct sqlv p[2] = { SQL_I(m->version), SQL_T(now) };

		if (m->version <= have)
			continue;
		for (const char *const *sql = m->sql; *sql; sql++)
			if ((ret = q(s, *sql, NULL, 0)) < 0)
				goto fail;
		ret = q(s, "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)", p, 2);
		if (ret < 0)
			goto fail;
	}
	return s->ops->commit(s);
fail:
	s->ops->rollback(s);
	return STORE_EFAIL;
}

static int mark_shard(struct store *s, const char *scan_id, long shard, enum store_state st,
		      const char *at);

struct stale {
	char scan[STORE_ID_MAX + 1];
	long shard;
};

struct stale_list {
	struct store *s;
	struct stale v[64];
	size_t n;
};

static int stale_row(int ncol, const char *const *col, void *ud)
{
	struct stale_list *l = ud;

	if (ncol < 3 || !col[0] || !col[1] || !col[2] || l->n == 64)
		return 0;
	if (writer_dead(l->s, col[2])) {
		snprintf(l->v[l->n].scan, sizeof(l->v[0].scan), "%s", col[0]);
		l->v[l->n++].shard = atol(col[1]);
	}
	return 0;
}

/* Marks shards whose writer died (on this host) interrupted. Best effort:
 * a read-only store keeps them as they are. */
static void sweep_stale(struct store *s)
{
	struct stale_list l = { .s = s };
	char now[32], saved[sizeof(s->err)];

	memcpy(saved, s->err, sizeof(saved));
	if (s->ops->query(s, "SELECT scan_id, shard, writer FROM scan_shards WHERE state = 'running'",
			  NULL, 0, stale_row, &l) == 0) {
		store_now(now);
		for (size_t i = 0; i < l.n; i++)
			if (s->ops->begin(s, false) == 0) {
				if (mark_shard(s, l.v[i].scan, l.v[i].shard, STORE_INTERRUPTED, now) == 0)
					s->ops->commit(s);
				else
					s->ops->rollback(s);
			}
	}
	memcpy(s->err, saved, sizeof(saved));
}

int store_open(const struct store_url *u, unsigned flags, struct store **out,
	       char *err, size_t errlen)
{
	const struct store_ops *ops = u->backend == STORE_POSTGRES ? &store_postgres_ops
								    : &store_sqlite_ops;
	struct store *s = NULL;
	int ret;

	*out = NULL;
	store_trace("opening %s", ops->name);
	store_parse_init();
	ret = ops->open(u, flags, &s, err, errlen);
	if (ret < 0)
		return ret;
	s->ops = ops;
	writer_init(s);
	ret = migrate(s);
	if (ret < 0) {
		snprintf(err, errlen, "%s", s->err);
		ops->close(s);
		return ret;
	}
	sweep_stale(s);
	store_trace("opened");
	*out = s;
	return STORE_OK;
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

/* ---- scans ---- */

/* Recomputes a scan's state from its shards (inside a transaction). */
static int recompute(struct store *s, const char *scan_id, enum store_state *prev,
		     enum store_state *now)
{
	struct sqlv p[3] = { SQL_T(scan_id) };
	char st[16], cnt[24], fail[24], intr[24], done[24], ended[64];
	enum store_state n;
	int ret;

	ret = q_one(s, "SELECT state, shard_count FROM scans WHERE scan_id = $1", p, 1, 2,
		    st, sizeof(st), cnt, sizeof(cnt), NULL, 0);
	if (ret <= 0)
		return ret < 0 ? ret : store_fail(s, "%s: no scan %s", s->where, scan_id);
	if (store_state_parse(st, prev) < 0)
		*prev = STORE_RUNNING;
	ret = q_one(s, "SELECT"
		       " (SELECT COUNT(*) FROM scan_shards WHERE scan_id = $1 AND state = 'failed'),"
		       " (SELECT COUNT(*) FROM scan_shards WHERE scan_id = $1 AND state = 'interrupted'),"
		       " (SELECT COUNT(*) FROM scan_shards WHERE scan_id = $1 AND state = 'complete')",
		    p, 1, 3, fail, sizeof(fail), intr, sizeof(intr), done, sizeof(done));
	if (ret < 0)
		return ret;
	if (atol(fail))
		n = STORE_FAILED;
	else if (atol(intr))
		n = STORE_INTERRUPTED;
	else if (atol(done) >= atol(cnt))
		n = STORE_COMPLETE;
	else
		n = STORE_RUNNING;
	ended[0] = '\0';
	if (n != STORE_RUNNING) {
		ret = q_one(s, "SELECT MAX(ended_at) FROM scan_shards WHERE scan_id = $1", p, 1, 1,
			    ended, sizeof(ended), NULL, 0, NULL, 0);
		if (ret < 0)
			return ret;
	}
	p[1] = SQL_T(store_state_name(n));
	p[2] = SQL_T(ended[0] ? ended : NULL);
	*now = n;
	return q(s, "UPDATE scans SET state = $2, ended_at = $3 WHERE scan_id = $1", p, 3);
}

static int mark_shard(struct store *s, const char *scan_id, long shard, enum store_state st,
		      const char *at)
{
	struct sqlv p[4] = { SQL_T(scan_id), SQL_I(shard), SQL_T(store_state_name(st)), SQL_T(at) };
	enum store_state prev, now;
	int ret;

	ret = q(s, "UPDATE scan_shards SET state = $3, ended_at = $4"
		   " WHERE scan_id = $1 AND shard = $2", p, 4);
	return ret < 0 ? ret : recompute(s, scan_id, &prev, &now);
}

int store_begin_scan(struct store *s, const struct store_scan *sc)
{
	struct sqlv p[5];
	char scope[STORE_ID_MAX + 1];
	enum store_state prev, now;
	unsigned count = sc->shard_count ? sc->shard_count : 1;
	unsigned shard = sc->shard ? sc->shard : 1;
	int ret;

	if (!sc->scan_id || !sc->scope || !sc->started_at || shard > count)
		return store_fail(s, "begin_scan: scan id, scope and start time are required");
	ret = s->ops->begin(s, false);
	if (ret < 0)
		return ret;
	p[0] = SQL_T(sc->scope);
	p[1] = SQL_T(sc->scope_desc ? sc->scope_desc : "");
	ret = q(s, "INSERT INTO scopes (scope, description) VALUES ($1, $2)"
		   " ON CONFLICT (scope) DO NOTHING", p, 2);
	if (ret < 0)
		goto fail;
	p[0] = SQL_T(sc->scan_id);
	ret = q_one(s, "SELECT scope FROM scans WHERE scan_id = $1", p, 1, 1, scope, sizeof(scope),
		    NULL, 0, NULL, 0);
	if (ret < 0)
		goto fail;
	if (ret > 0 && strcmp(scope, sc->scope)) {
		ret = store_fail(s, "%s: scan %s is stored with another scope (%s, not %s)",
				 s->where, sc->scan_id, scope, sc->scope);
		goto fail;
	}
	p[1] = SQL_T(sc->scope);
	p[2] = SQL_I(count);
	p[3] = SQL_T(sc->started_at);
	ret = q(s, "INSERT INTO scans (scan_id, scope, state, shard_count, started_at)"
		   " VALUES ($1, $2, 'running', $3, $4) ON CONFLICT (scan_id) DO NOTHING", p, 4);
	/* What the scan holds may grow now: its stored side goes. */
	if (ret == 0)
		ret = q(s, "DELETE FROM scan_sides WHERE scan_id = $1", p, 1);
	if (ret < 0)
		goto fail;
	p[1] = SQL_I(shard);
	p[2] = SQL_T(sc->started_at);
	p[3] = SQL_T(s->writer);
	ret = q(s, "INSERT INTO scan_shards (scan_id, shard, state, started_at, writer)"
		   " VALUES ($1, $2, 'running', $3, $4) ON CONFLICT (scan_id, shard) DO UPDATE"
		   " SET state = 'running', ended_at = NULL, writer = excluded.writer", p, 4);
	if (ret < 0 || (ret = recompute(s, sc->scan_id, &prev, &now)) < 0)
		goto fail;
	return s->ops->commit(s);
fail:
	s->ops->rollback(s);
	return STORE_EFAIL;
}

int store_put_event(struct store *s, const struct store_event *ev)
{
	if (!ev->scan_id || !ev->event_id || !ev->kind || !ev->time || !ev->json)
		return store_fail(s, "put_event: an event needs event_id, scan_id, kind and time");
	return s->ops->put_event(s, ev);
}

int store_flush(struct store *s)
{
	return s->ops->flush(s);
}

int store_sync(struct store *s)
{
	int ret = s->ops->flush(s);

	/* Any statement reads the outcome of what was sent before it. */
	return ret < 0 ? ret : q(s, "SELECT 1", NULL, 0);
}

int store_mark_scan(struct store *s, const char *scan_id, enum store_state st, const char *at)
{
	struct sqlv p[3] = { SQL_T(scan_id), SQL_T(store_state_name(st)), SQL_T(at) };
	enum store_state prev, now;
	int ret = s->ops->begin(s, false);

	if (ret < 0)
		return ret;
	ret = q(s, "UPDATE scan_shards SET state = $2, ended_at = $3"
		   " WHERE scan_id = $1 AND state = 'running'", p, 3);
	if (ret == 0)
		ret = recompute(s, scan_id, &prev, &now);
	if (ret < 0) {
		s->ops->rollback(s);
		return ret;
	}
	return s->ops->commit(s);
}

/* ---- loading a scan's ports ---- */

#define FINDING_COLS "addr, port, protocol, kind, state, reason, service, product, version," \
		     " cert_sha256, time, event, scan_id"

/* A findings row (FINDING_COLS order) as a store_event. */
static void row_event(int ncol, const char *const *col, struct store_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (ncol < 13)
		return;
	ev->ip = col[0];
	ev->port = (uint16_t)atoi(col[1] ? col[1] : "0");
	ev->protocol = col[2];
	ev->kind = col[3];
	ev->state = col[4];
	ev->reason = col[5];
	ev->service = col[6];
	ev->product = col[7];
	ev->version = col[8];
	ev->cert_sha256 = col[9];
	ev->time = col[10];
	ev->json = col[11];
	ev->json_len = col[11] ? strlen(col[11]) : 0;
	ev->scan_id = col[12];
}

struct side_load {
	struct store *s;
	struct diff_side *d;
	bool failed;
};

static int side_row(int ncol, const char *const *col, void *ud)
{
	struct side_load *l = ud;
	struct store_event ev;

	row_event(ncol, col, &ev);
	if (diff_side_add(l->d, &ev) < 0) {
		l->failed = true;
		return store_fail(l->s, "out of memory loading findings");
	}
	return 0;
}

static int confirm_row(int ncol, const char *const *col, void *ud)
{
	struct side_load *l = ud;

	if (ncol < 4 || !col[0] || !col[1] || !col[2] || !col[3])
		return 0;
	if (diff_side_confirm(l->d, col[0], (uint16_t)atoi(col[1]), col[2], col[3]) < 0) {
		l->failed = true;
		return store_fail(l->s, "out of memory loading confirmations");
	}
	return 0;
}

struct cached {
	struct diff_side *d;
	bool found;
};

static int cached_row(int ncol, const char *const *col, void *ud)
{
	struct cached *c = ud;

	if (ncol >= 1 && col[0] && !c->found && diff_side_undump(c->d, col[0], strlen(col[0])) == 0)
		c->found = true;
	return 0;
}

/* The scan's findings (without the event text) and, with confirmations,
 * its re-probe results, into the empty side d. With confirmations, a
 * complete scan's side is read from scan_sides when it is there (and
 * reads back: else from the findings). */
int store_load_side(struct store *s, const char *scan_id, bool confirmations, struct diff_side *d)
{
	struct sqlv p[1] = { SQL_T(scan_id) };
	struct side_load l = { .s = s, .d = d };
	int ret;

	if (confirmations) {
		struct cached c = { .d = d };

		ret = s->ops->query(s, "SELECT data FROM scan_sides WHERE scan_id = $1", p, 1,
				    cached_row, &c);
		if (ret < 0)
			return ret;
		if (c.found) {
			store_trace("side of %s read from scan_sides: %zu ports", scan_id, d->n);
			return STORE_OK;
		}
	}

	ret = s->ops->query(s, "SELECT addr, port, protocol, kind, state, reason, service, product,"
			       " version, cert_sha256, time, NULL, scan_id FROM findings"
			       " WHERE scan_id = $1", p, 1, side_row, &l);
	if (ret == 0 && confirmations)
		ret = s->ops->query(s, "SELECT addr, port, protocol, state FROM confirmations"
				       " WHERE scan_id = $1", p, 1, confirm_row, &l);
	if (ret < 0 || l.failed)
		return STORE_EFAIL;
	diff_side_finish(d);
	return STORE_OK;
}

/* The scan's scope and start, and its baseline: the last complete scan of
 * the scope that started before it. 0 with base[0] == '\0' when none. */
static int baseline(struct store *s, const char *scan_id, char *scope, size_t scope_len,
		    char base[STORE_ID_MAX + 1])
{
	struct sqlv p[3] = { SQL_T(scan_id) };
	char started[64];
	int ret;

	base[0] = '\0';
	ret = q_one(s, "SELECT scope, started_at FROM scans WHERE scan_id = $1", p, 1, 2,
		    scope, scope_len, started, sizeof(started), NULL, 0);
	if (ret <= 0)
		return ret < 0 ? ret : store_fail(s, "%s: no scan %s", s->where, scan_id);
	p[0] = SQL_T(scope);
	p[1] = SQL_T(started);
	p[2] = SQL_T(scan_id);
	ret = q_one(s, "SELECT scan_id FROM scans WHERE scope = $1 AND state = 'complete'"
		       " AND (started_at < $2 OR (started_at = $2 AND scan_id < $3))"
		       " ORDER BY started_at DESC, scan_id DESC LIMIT 1",
		    p, 3, 1, base, STORE_ID_MAX + 1, NULL, 0, NULL, 0);
	return ret < 0 ? ret : STORE_OK;
}

struct cand {
	int (*cb)(const struct store_port *p, void *ud);
	void *ud;
};

static int cand_cb(const struct diff_port *dp, void *ud)
{
	struct cand *c = ud;
	struct store_port p;

	memset(&p, 0, sizeof(p));
	snprintf(p.ip, sizeof(p.ip), "%s", dp->ip);
	p.port = dp->port;
	snprintf(p.protocol, sizeof(p.protocol), "%s", dp->protocol);
	return c->cb(&p, c->ud);
}

int store_baseline(struct store *s, const char *scan_id, char base[STORE_ID_MAX + 1])
{
	char scope[STORE_ID_MAX + 1];

	return baseline(s, scan_id, scope, sizeof(scope), base);
}

int store_close_candidates(struct store *s, const char *scan_id,
			   int (*cb)(const struct store_port *p, void *ud), void *ud)
{
	char scope[STORE_ID_MAX + 1], base[STORE_ID_MAX + 1];
	struct diff_side b, a;
	struct cand c = { cb, ud };
	int ret;

	diff_side_init(&b);
	diff_side_init(&a);
	ret = baseline(s, scan_id, scope, sizeof(scope), base);
	if (ret == 0 && base[0]) {
		ret = store_load_side(s, base, true, &b);
		if (ret == 0)
			ret = store_load_side(s, scan_id, false, &a);
		if (ret == 0)
			ret = diff_close_candidates(&b, &a, cand_cb, &c);
	}
	diff_side_free(&b);
	diff_side_free(&a);
	return ret;
}

int store_confirm(struct store *s, const char *scan_id, const struct store_port *pt,
		  const char *state)
{
	char now[32];
	struct sqlv p[6] = { SQL_T(scan_id), SQL_T(pt->ip), SQL_I(pt->port), SQL_T(pt->protocol),
			     SQL_T(state), SQL_T(now) };

	int ret;

	store_now(now);
	ret = q(s, "INSERT INTO confirmations (scan_id, addr, port, protocol, state, time)"
		   " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scan_id, addr, port, protocol)"
		   " DO UPDATE SET state = excluded.state, time = excluded.time", p, 6);
	return ret < 0 ? ret : q(s, "DELETE FROM scan_sides WHERE scan_id = $1", p, 1);
}

/* ---- changes and exposure ---- */

struct change {
	char *json;
	const char *name;
	char ip[STORE_ADDR_MAX];
	uint16_t port;
	char protocol[8];
};

struct changes {
	struct change *v;
	size_t n, cap;
};

static void changes_free(struct changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].json);
	free(c->v);
}

static int collect(enum diff_change ch, const struct diff_port *b, const struct diff_port *a,
		   const char *json, size_t len, void *ud)
{
	struct changes *c = ud;
	const struct diff_port *p = a ? a : b;
	struct change *x;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct change *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	x = &c->v[c->n];
	x->json = strndup(json, len);
	if (!x->json)
		return -1;
	x->name = diff_change_name(ch);
	snprintf(x->ip, sizeof(x->ip), "%s", p->ip);
	x->port = p->port;
	snprintf(x->protocol, sizeof(x->protocol), "%s", p->protocol);
	c->n++;
	return 0;
}

/* Computes the changes from `from` to `to` into out. Sides given (not
 * NULL) are used as they are, the others loaded. */
static int compute(struct store *s, const char *from, const char *to, const char *scope,
		   const char *time, struct diff_side *before, struct diff_side *after,
		   struct changes *out)
{
	struct diff_side b, a;
	struct diff_ctx ctx = { .from_scan = from, .to_scan = to, .scope = scope, .time = time };
	int ret = 0;

	diff_side_init(&b);
	diff_side_init(&a);
	if (!before)
		ret = store_load_side(s, from, true, before = &b);
	if (ret == 0 && !after)
		ret = store_load_side(s, to, true, after = &a);
	if (ret == 0 && diff_run(before, after, &ctx, collect, out) != 0)
		ret = store_fail(s, "out of memory comparing scans");
	diff_side_free(&b);
	diff_side_free(&a);
	return ret;
}

#define CHANGE_COLS 7
#define CHANGE_ROWS 64

/* Stores the changes, CHANGE_ROWS per statement. */
static int insert_changes(struct store *s, const char *from, const char *to,
			  const struct changes *c)
{
	struct sqlv p[CHANGE_COLS * CHANGE_ROWS];
	char sql[CHANGE_ROWS * 48 + 256];
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < c->n; i += CHANGE_ROWS) {
		size_t rows = c->n - i < CHANGE_ROWS ? c->n - i : CHANGE_ROWS, len;
		int k = 0;

		len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO changes (to_scan, from_scan, addr,"
				       " port, protocol, change, event) VALUES ");
		for (size_t r = 0; r < rows; r++) {
			const struct change *x = &c->v[i + r];

			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
						"%s($%d, $%d, $%d, $%d, $%d, $%d, $%d)", r ? ", " : "",
						k + 1, k + 2, k + 3, k + 4, k + 5, k + 6, k + 7);
			p[k++] = SQL_T(to);
			p[k++] = SQL_T(from);
			p[k++] = SQL_T(x->ip);
			p[k++] = SQL_I(x->port);
			p[k++] = SQL_T(x->protocol);
			p[k++] = SQL_T(x->name);
			p[k++] = SQL_T(x->json);
		}
		snprintf(sql + len, sizeof(sql) - len, " ON CONFLICT (to_scan, from_scan, addr, port,"
			 " protocol) DO NOTHING");
		ret = q(s, sql, p, k);
	}
	return ret;
}

/*
 * The exposure (schema v2, schema.c): rows per (scope, address, port,
 * protocol) in exposure_rows; an open row's last_seen and last_scan are
 * NULL while the scope's current scan (scopes.cur_scan: its newest
 * complete scan) found it open. A scan that completes and is the newest of
 * its scope brings the rows up to it and becomes the current scan; one
 * that completes after a newer one leaves the exposure as the newer one
 * made it.
 *
 * When the current scan is the completed scan's baseline B (the common
 * case: both sides are in memory), only what changed is written: ports
 * open now and not in B are inserted or reopened (a row's first seen is
 * kept); ports open in both keep their rows, except that a service this
 * scan identified replaces the service fields and a service name from a
 * port_state fills an empty one; ports open in B and not now are closed,
 * with B as their last scan. A scan of 214,304 open ports unchanged
 * writes no row (measured: the upsert of every open port this replaces
 * took 0.5-0.75 s after the scan).
 */
enum exp_kind { EXP_OPEN_SERVICE, EXP_OPEN, EXP_CLOSE, EXP_NKINDS };

#define EXP_COLS 13
#define EXP_ROWS 256

#define EXP_CONFLICT_SERVICE " DO UPDATE SET state = 'open', last_seen = NULL, last_scan = NULL," \
	" service = excluded.service, product = excluded.product, version = excluded.version," \
	" cert_sha256 = excluded.cert_sha256"
#define EXP_CONFLICT_OPEN " DO UPDATE SET state = 'open', last_seen = NULL, last_scan = NULL," \
	" service = COALESCE(exposure_rows.service, excluded.service)"

static const char *const exp_conflict[EXP_NKINDS] = {
	[EXP_OPEN_SERVICE] = EXP_CONFLICT_SERVICE,
	[EXP_OPEN] = EXP_CONFLICT_OPEN,
	[EXP_CLOSE] = " DO UPDATE SET state = 'closed',"
		      " last_seen = COALESCE(exposure_rows.last_seen, excluded.last_seen),"
		      " last_scan = COALESCE(exposure_rows.last_scan, excluded.last_scan)",
};

struct exp_rows {
	struct store *s;
	const char *scope, *scan_id, *ended;  /* the completed scan */
	const char *prev_scan, *prev_seen;    /* the current scan it replaces */
	struct {
		struct sqlv p[EXP_COLS * EXP_ROWS];
		size_t n;
	} k[EXP_NKINDS];
	char sql[EXP_ROWS * EXP_COLS * 8 + 1024]; /* "$3328, " is 7 */
	char *full[EXP_NKINDS]; /* the text of a full statement, once made */
	size_t rows;
};

/* One statement of the rows of a kind gathered so far. Full statements
 * all have the same text (SQLite keeps it prepared). */
static int exp_flush(struct exp_rows *x, enum exp_kind kind)
{
	size_t n = x->k[kind].n, len;
	int k = 0, ret;

	if (!n)
		return STORE_OK;
	if (n == EXP_ROWS && x->full[kind]) {
		x->k[kind].n = 0;
		x->rows += n;
		return q(x->s, x->full[kind], x->k[kind].p, (int)(n * EXP_COLS));
	}
	len = (size_t)snprintf(x->sql, sizeof(x->sql), "INSERT INTO exposure_rows (scope, addr, port,"
			       " protocol, state, service, product, version, cert_sha256, first_seen,"
			       " last_seen, first_scan, last_scan) VALUES ");
	for (size_t r = 0; r < n; r++) {
		len += (size_t)snprintf(x->sql + len, sizeof(x->sql) - len, "%s(", r ? ", " : "");
		for (int c = 0; c < EXP_COLS; c++, k++)
			len += (size_t)snprintf(x->sql + len, sizeof(x->sql) - len, "%s$%d",
						c ? ", " : "", k + 1);
		len += (size_t)snprintf(x->sql + len, sizeof(x->sql) - len, ")");
	}
	snprintf(x->sql + len, sizeof(x->sql) - len, " ON CONFLICT (scope, addr, port, protocol)%s",
		 exp_conflict[kind]);
	x->k[kind].n = 0;
	x->rows += n;
	ret = q(x->s, x->sql, x->k[kind].p, k);
	if (n == EXP_ROWS)
		x->full[kind] = strdup(x->sql); /* NULL: made again next time */
	return ret;
}

static int exp_add(struct exp_rows *x, enum exp_kind kind, const struct diff_port *d,
		   const char *state, const char *first_seen, const char *last_seen,
		   const char *first_scan, const char *last_scan)
{
	struct sqlv *p = &x->k[kind].p[x->k[kind].n++ * EXP_COLS];
	bool svc = kind != EXP_OPEN;

	p[0] = SQL_T(x->scope);
	p[1] = SQL_T(d->ip);
	p[2] = SQL_I(d->port);
	p[3] = SQL_T(d->protocol);
	p[4] = SQL_T(state);
	p[5] = SQL_T(d->service);
	p[6] = SQL_T(svc ? d->product : NULL);
	p[7] = SQL_T(svc ? d->version : NULL);
	p[8] = SQL_T(svc ? d->cert_sha256 : NULL);
	p[9] = SQL_T(first_seen);
	p[10] = SQL_T(last_seen);
	p[11] = SQL_T(first_scan);
	p[12] = SQL_T(last_scan);
	return x->k[kind].n == EXP_ROWS ? exp_flush(x, kind) : STORE_OK;
}

static int exp_port(const struct diff_port *b, const struct diff_port *a, void *ud)
{
	struct exp_rows *x = ud;
	bool was = diff_port_open(b), is = diff_port_open(a);

	if (is) {
		const char *first = a->time ? a->time : x->ended;

		if (a->has_service)
			return exp_add(x, EXP_OPEN_SERVICE, a, "open", first, NULL, x->scan_id, NULL);
		if (!was || a->service)
			return exp_add(x, EXP_OPEN, a, "open", first, NULL, x->scan_id, NULL);
		return STORE_OK;
	}
	if (was)
		return exp_add(x, EXP_CLOSE, b, "closed", b->time ? b->time : x->prev_seen,
			       x->prev_seen, x->prev_scan, x->prev_scan);
	return STORE_OK;
}

/* The rows that changed from before (the current scan, or an empty side
 * when the scope has none) to after. */
static int exposure_delta(struct store *s, const char *scan_id, const char *scope,
			  const char *ended, const char *prev_scan, const char *prev_seen,
			  struct diff_side *before, struct diff_side *after)
{
	struct exp_rows *x = calloc(1, sizeof(*x));
	int ret;

	if (!x)
		return store_fail(s, "out of memory updating the exposure");
	x->s = s;
	x->scope = scope;
	x->scan_id = scan_id;
	x->ended = ended;
	x->prev_scan = prev_scan;
	x->prev_seen = prev_seen[0] ? prev_seen : ended;
	ret = diff_walk(before, after, exp_port, x);
	for (int k = 0; ret == 0 && k < EXP_NKINDS; k++)
		ret = exp_flush(x, (enum exp_kind)k);
	store_trace("exposure: %zu rows written", x->rows);
	for (int k = 0; k < EXP_NKINDS; k++)
		free(x->full[k]);
	free(x);
	return ret;
}

/*
 * The same from the stored findings, for a current scan that is not the
 * baseline (the scan completing again: a rerun shard): the current scan's
 * open rows get their times, every port open in this scan becomes open
 * and current, and rows left with times are closed.
 */
#define EXPOSURE_INS "INSERT INTO exposure_rows (scope, addr, port, protocol, state, service," \
	" product, version, cert_sha256, first_seen, last_seen, first_scan, last_scan)"

static int exposure_sql(struct store *s, const char *scan_id, const char *scope,
			const char *prev_scan, const char *prev_seen)
{
	/* PostgreSQL types every parameter from the text: each statement
	 * gets the ones it uses. */
	struct sqlv p[2] = { SQL_T(scan_id), SQL_T(scope) };
	struct sqlv m[3] = { SQL_T(scope), SQL_T(prev_scan[0] ? prev_scan : NULL),
			     SQL_T(prev_seen[0] ? prev_seen : NULL) };
	int ret;

	ret = q(s, "UPDATE exposure_rows SET last_seen = $3, last_scan = $2 WHERE scope = $1"
		   " AND state = 'open' AND last_scan IS NULL", m, 3);
	if (ret == 0)
		ret = q(s, EXPOSURE_INS " SELECT CAST($2 AS TEXT), addr, port, protocol, 'open', service,"
			   " NULL, NULL, NULL, time, NULL, CAST($1 AS TEXT), NULL FROM findings"
			   " WHERE scan_id = $1 AND kind = 'port_state' AND state = 'open'"
			   " ON CONFLICT (scope, addr, port, protocol)" EXP_CONFLICT_OPEN, p, 2);
	if (ret == 0)
		ret = q(s, EXPOSURE_INS " SELECT CAST($2 AS TEXT), addr, port, protocol, 'open', service,"
			   " product, version, cert_sha256, time, NULL, CAST($1 AS TEXT), NULL"
			   " FROM findings WHERE scan_id = $1 AND kind = 'service'"
			   " ON CONFLICT (scope, addr, port, protocol)" EXP_CONFLICT_SERVICE, p, 2);
	if (ret == 0)
		ret = q(s, EXPOSURE_INS " SELECT CAST($2 AS TEXT), addr, port, protocol, 'open', NULL,"
			   " NULL, NULL, NULL, time, NULL, CAST($1 AS TEXT), NULL FROM confirmations"
			   " WHERE scan_id = $1 AND state = 'open'"
			   " ON CONFLICT (scope, addr, port, protocol)" EXP_CONFLICT_OPEN, p, 2);
	/* What is still open with times was open before and not now. */
	if (ret == 0)
		ret = q(s, "UPDATE exposure_rows SET state = 'closed' WHERE scope = $1 AND state = 'open'"
			   " AND last_scan IS NOT NULL", m, 1);
	return ret;
}

/* Brings the scope's exposure up to the complete scan scan_id (started at
 * started, ended at ended) whose baseline is base (before/after: both
 * sides, sorted). */
static int update_exposure(struct store *s, const char *scan_id, const char *scope,
			   const char *started, const char *ended, const char *base,
			   struct diff_side *before, struct diff_side *after)
{
	struct sqlv p[3] = { SQL_T(scope) };
	char cur[STORE_ID_MAX + 1], cur_seen[64], cur_started[64];
	int ret, c;

	ret = q_one(s, "SELECT p.cur_scan, p.cur_seen, c.started_at FROM scopes p"
		       " LEFT JOIN scans c ON c.scan_id = p.cur_scan WHERE p.scope = $1", p, 1, 3,
		    cur, sizeof(cur), cur_seen, sizeof(cur_seen), cur_started, sizeof(cur_started));
	if (ret <= 0)
		return ret < 0 ? ret : store_fail(s, "%s: no scope %s", s->where, scope);
	c = strcmp(cur_started, started);
	if (cur[0] && strcmp(cur, scan_id) && (c > 0 || (c == 0 && strcmp(cur, scan_id) > 0))) {
		store_trace("exposure: a newer scan (%s) holds it", cur);
		return STORE_OK;
	}
	if (!strcmp(cur, base) && (cur[0] || !s->ops->set_based))
		ret = exposure_delta(s, scan_id, scope, ended, cur, cur_seen, before, after);
	else
		ret = exposure_sql(s, scan_id, scope, cur, cur_seen);
	if (ret < 0)
		return ret;
	p[1] = SQL_T(scan_id);
	p[2] = SQL_T(ended);
	return q(s, "UPDATE scopes SET cur_scan = $2, cur_seen = $3 WHERE scope = $1", p, 3);
}

/* Stores a complete scan's side for the scans that will compare with it.
 * Without times: a baseline's are not read (the exposure of a port that
 * opens takes the time of the scan that found it). */
static int put_side(struct store *s, const char *scan_id, struct diff_side *d)
{
	size_t len;
	char *text = diff_side_dump(d, false, &len);
	struct sqlv p[3] = { SQL_T(scan_id), SQL_I(d->n), SQL_T(text) };
	int ret;

	if (!text)
		return store_fail(s, "out of memory storing the scan's ports");
	ret = q(s, "INSERT INTO scan_sides (scan_id, ports, data) VALUES ($1, $2, $3)"
		   " ON CONFLICT (scan_id) DO UPDATE SET ports = excluded.ports, data = excluded.data",
		p, 3);
	store_trace("side stored: %zu ports, %zu bytes", d->n, len);
	free(text);
	return ret;
}

int store_end_scan(struct store *s, const char *scan_id, unsigned shard, enum store_state st,
		   const char *ended_at, store_change_cb cb, void *ud, size_t *nchanges)
{
	return store_end_scan_sides(s, scan_id, shard, st, ended_at, NULL, NULL, NULL, cb, ud,
				    nchanges);
}

int store_end_scan_sides(struct store *s, const char *scan_id, unsigned shard,
			 enum store_state st, const char *ended_at, const char *before_id,
			 struct diff_side *before, struct diff_side *after, store_change_cb cb,
			 void *ud, size_t *nchanges)
{
	struct sqlv p[4] = { SQL_T(scan_id), SQL_I(shard ? shard : 1), SQL_T(store_state_name(st)),
			     SQL_T(ended_at) };
	char scope[STORE_ID_MAX + 1], base[STORE_ID_MAX + 1], started[64], ended[64], one[8];
	struct changes c = { 0 };
	struct diff_side lb, la;
	enum store_state prev, now;
	int ret;

	if (nchanges)
		*nchanges = 0;
	diff_side_init(&lb);
	diff_side_init(&la);
	ret = s->ops->flush(s);
	if (ret < 0)
		return ret;
	ret = s->ops->begin(s, false);
	if (ret < 0)
		return ret;
	ret = q_one(s, "SELECT state FROM scan_shards WHERE scan_id = $1 AND shard = $2", p, 2, 1,
		    one, sizeof(one), NULL, 0, NULL, 0);
	if (ret == 0)
		ret = store_fail(s, "%s: scan %s (shard %u) was never begun", s->where, scan_id,
				 shard ? shard : 1);
	if (ret < 0)
		goto fail;
	ret = q(s, "UPDATE scan_shards SET state = $3, ended_at = $4 WHERE scan_id = $1 AND shard = $2",
		p, 4);
	if (ret < 0 || (ret = recompute(s, scan_id, &prev, &now)) < 0)
		goto fail;
	if (now == STORE_COMPLETE) {
		ret = baseline(s, scan_id, scope, sizeof(scope), base);
		if (ret < 0)
			goto fail;
		/* Both sides in memory: the sink's, else loaded. */
		if (!base[0] || !before_id || strcmp(before_id, base) || !before) {
			before = &lb;
			if (base[0] && (ret = store_load_side(s, base, true, &lb)) < 0)
				goto fail;
		}
		if (!after && (ret = store_load_side(s, scan_id, true, after = &la)) < 0)
			goto fail;
		if (base[0]) {
			ret = compute(s, base, scan_id, scope, ended_at, before, after, &c);
			store_trace("%zu changes computed", c.n);
			if (ret < 0 || (ret = insert_changes(s, base, scan_id, &c)) < 0)
				goto fail;
			store_trace("changes stored");
		}
		ret = q_one(s, "SELECT started_at, COALESCE(ended_at, started_at) FROM scans"
			       " WHERE scan_id = $1", p, 1, 2, started, sizeof(started), ended,
			    sizeof(ended), NULL, 0);
		if (ret < 0 || (ret = update_exposure(s, scan_id, scope, started, ended, base, before,
						      after)) < 0)
			goto fail;
		store_trace("exposure updated");
		if ((ret = put_side(s, scan_id, after)) < 0)
			goto fail;
	}
	ret = s->ops->commit(s);
	store_trace("scan ended, committed");
	if (ret < 0)
		goto out;
	if (nchanges)
		*nchanges = c.n;
	for (size_t i = 0; cb && i < c.n; i++)
		if ((ret = cb(c.v[i].json, strlen(c.v[i].json), ud)) != 0)
			break;
	goto out;
fail:
	s->ops->rollback(s);
	ret = STORE_EFAIL;
out:
	changes_free(&c);
	diff_side_free(&lb);
	diff_side_free(&la);
	return ret;
}

/* ---- reading ---- */

struct list_ctx {
	store_scan_cb cb;
	void *ud;
};

static int scan_row(int ncol, const char *const *col, void *ud)
{
	struct list_ctx *l = ud;
	struct store_scan sc;

	if (ncol < 10)
		return 0;
	memset(&sc, 0, sizeof(sc));
	sc.scan_id = col[0];
	sc.scope = col[1];
	sc.scope_desc = col[2];
	if (store_state_parse(col[3], &sc.state) < 0)
		sc.state = STORE_RUNNING;
	sc.shard_count = (unsigned)atol(col[4] ? col[4] : "1");
	sc.started_at = col[5];
	sc.ended_at = col[6];
	sc.findings = strtoull(col[7] ? col[7] : "0", NULL, 10);
	sc.open = strtoull(col[8] ? col[8] : "0", NULL, 10);
	sc.shards_complete = (unsigned)atol(col[9] ? col[9] : "0");
	return l->cb(&sc, l->ud);
}

#define SCAN_SELECT \
	"SELECT s.scan_id, s.scope, p.description, s.state, s.shard_count, s.started_at," \
	" s.ended_at, (SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.scan_id)," \
	" (SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.scan_id" \
	"  AND f.kind = 'port_state' AND f.state = 'open')," \
	" (SELECT COUNT(*) FROM scan_shards h WHERE h.scan_id = s.scan_id" \
	"  AND h.state = 'complete')" \
	" FROM scans s JOIN scopes p ON p.scope = s.scope"

int store_scope_has_complete(struct store *s, const char *scope)
{
	struct sqlv p[1] = { SQL_T(scope) };
	char one[8];

	return q_one(s, "SELECT 1 FROM scans WHERE scope = $1 AND state = 'complete' LIMIT 1", p, 1,
		     1, one, sizeof(one), NULL, 0, NULL, 0);
}

int store_list_scans(struct store *s, const char *scope, store_scan_cb cb, void *ud)
{
	struct list_ctx l = { cb, ud };
	struct sqlv p[1] = { SQL_T(scope) };

	if (scope)
		return s->ops->query(s, SCAN_SELECT " WHERE s.scope = $1"
				     " ORDER BY s.started_at, s.scan_id", p, 1, scan_row, &l);
	return s->ops->query(s, SCAN_SELECT " ORDER BY s.started_at, s.scan_id", NULL, 0,
			     scan_row, &l);
}

struct resolve {
	char *out;
	int n;
};

static int resolve_row(int ncol, const char *const *col, void *ud)
{
	struct resolve *r = ud;

	if (ncol >= 1 && col[0] && r->n++ == 0)
		snprintf(r->out, STORE_ID_MAX + 1, "%s", col[0]);
	return 0;
}

int store_resolve_scan(struct store *s, const char *id, char out[STORE_ID_MAX + 1])
{
	struct sqlv p[1] = { SQL_T(id) };
	struct resolve r = { out, 0 };
	size_t n = strlen(id);
	char pat[STORE_ID_MAX + 2];
	int ret;

	if (!n || n > STORE_ID_MAX)
		return store_fail(s, "'%.*s' is not a scan id", STORE_ID_MAX, id);
	ret = s->ops->query(s, "SELECT scan_id FROM scans WHERE scan_id = $1", p, 1,
			    resolve_row, &r);
	if (ret < 0 || r.n == 1)
		return ret;
	/* A unique prefix; the id's own characters are not LIKE wildcards. */
	if (n < 4 || strpbrk(id, "%_\\"))
		return store_fail(s, "%s: no scan %s", s->where, id);
	snprintf(pat, sizeof(pat), "%s%%", id);
	p[0] = SQL_T(pat);
	ret = s->ops->query(s, "SELECT scan_id FROM scans WHERE scan_id LIKE $1 ORDER BY scan_id",
			    p, 1, resolve_row, &r);
	if (ret < 0)
		return ret;
	if (r.n > 1)
		return store_fail(s, "%s: scan id prefix %s is ambiguous (%d scans)", s->where, id,
				  r.n);
	if (!r.n)
		return store_fail(s, "%s: no scan %s", s->where, id);
	return STORE_OK;
}

int store_diff_pair(struct store *s, char from[STORE_ID_MAX + 1], char to[STORE_ID_MAX + 1])
{
	char scope[STORE_ID_MAX + 1], started[64], st[16], base[STORE_ID_MAX + 1];
	struct sqlv p[3];
	int ret;

	if (from[0] && (ret = store_resolve_scan(s, from, from)) < 0)
		return ret;
	if (to[0] && (ret = store_resolve_scan(s, to, to)) < 0)
		return ret;
	if (!to[0] && from[0]) {
		/* The latest complete scan of from's scope after it. */
		p[0] = SQL_T(from);
		ret = q_one(s, "SELECT scope, started_at FROM scans WHERE scan_id = $1", p, 1, 2,
			    scope, sizeof(scope), started, sizeof(started), NULL, 0);
		if (ret <= 0)
			return ret < 0 ? ret : store_fail(s, "%s: no scan %s", s->where, from);
		p[0] = SQL_T(scope);
		p[1] = SQL_T(started);
		p[2] = SQL_T(from);
		ret = q_one(s, "SELECT scan_id FROM scans WHERE scope = $1 AND state = 'complete'"
			       " AND scan_id <> $3 AND started_at >= $2"
			       " ORDER BY started_at DESC, scan_id DESC LIMIT 1",
			    p, 3, 1, to, STORE_ID_MAX + 1, NULL, 0, NULL, 0);
		if (ret <= 0)
			return ret < 0 ? ret : store_fail(s, "%s: no complete scan of the same scope"
							  " after %s", s->where, from);
		return STORE_OK;
	}
	if (!to[0]) {
		ret = q_one(s, "SELECT scan_id FROM scans WHERE state = 'complete'"
			       " ORDER BY started_at DESC, scan_id DESC LIMIT 1", NULL, 0, 1,
			    to, STORE_ID_MAX + 1, NULL, 0, NULL, 0);
		if (ret <= 0)
			return ret < 0 ? ret : store_fail(s, "%s: no complete scan stored", s->where);
	}
	if (from[0])
		return STORE_OK;
	p[0] = SQL_T(to);
	ret = q_one(s, "SELECT state FROM scans WHERE scan_id = $1", p, 1, 1, st, sizeof(st), NULL,
		    0, NULL, 0);
	if (ret < 0)
		return ret;
	ret = baseline(s, to, scope, sizeof(scope), base);
	if (ret < 0)
		return ret;
	if (!base[0])
		return store_fail(s, "%s: no complete scan of the same scope before %s", s->where, to);
	snprintf(from, STORE_ID_MAX + 1, "%s", base);
	return STORE_OK;
}

struct ev_ctx {
	store_event_cb cb;
	void *ud;
};

static int finding_row(int ncol, const char *const *col, void *ud)
{
	struct ev_ctx *e = ud;
	struct store_event ev;

	row_event(ncol, col, &ev);
	return e->cb(&ev, e->ud);
}

static int other_row(int ncol, const char *const *col, void *ud)
{
	struct ev_ctx *e = ud;
	struct store_event ev;

	memset(&ev, 0, sizeof(ev));
	if (ncol < 5)
		return 0;
	ev.event_id = col[0];
	ev.kind = col[1];
	ev.time = col[2];
	ev.json = col[3];
	ev.json_len = col[3] ? strlen(col[3]) : 0;
	ev.scan_id = col[4];
	return e->cb(&ev, e->ud);
}

int store_load_findings(struct store *s, const char *scan_id, store_event_cb cb, void *ud)
{
	struct sqlv p[1] = { SQL_T(scan_id) };
	struct ev_ctx e = { cb, ud };

	return s->ops->query(s, "SELECT " FINDING_COLS " FROM findings WHERE scan_id = $1"
			     " ORDER BY addr, port, protocol, kind", p, 1, finding_row, &e);
}

int store_load_events(struct store *s, const char *scan_id, store_event_cb cb, void *ud)
{
	struct sqlv p[1] = { SQL_T(scan_id) };
	struct ev_ctx e = { cb, ud };
	int ret;

	ret = s->ops->query(s, "SELECT event_id, kind, time, event, scan_id FROM scan_events"
			       " WHERE scan_id = $1 AND kind = 'scan_started' ORDER BY time, event_id",
			    p, 1, other_row, &e);
	if (ret == 0)
		ret = s->ops->query(s, "SELECT " FINDING_COLS " FROM findings WHERE scan_id = $1"
				       " ORDER BY time, addr, port, protocol, kind", p, 1, finding_row, &e);
	if (ret == 0)
		ret = s->ops->query(s, "SELECT event_id, kind, time, event, scan_id FROM scan_events"
				       " WHERE scan_id = $1 AND kind <> 'scan_started'"
				       " ORDER BY time, event_id", p, 1, other_row, &e);
	return ret;
}

int store_diff(struct store *s, const char *from, const char *to, store_change_cb cb, void *ud)
{
	struct sqlv p[1] = { SQL_T(to) };
	char scope[STORE_ID_MAX + 1], time[64], started[64];
	struct changes c = { 0 };
	int ret;

	ret = q_one(s, "SELECT scope, ended_at, started_at FROM scans WHERE scan_id = $1", p, 1, 3,
		    scope, sizeof(scope), time, sizeof(time), started, sizeof(started));
	if (ret <= 0)
		return ret < 0 ? ret : store_fail(s, "%s: no scan %s", s->where, to);
	ret = compute(s, from, to, scope, time[0] ? time : started, NULL, NULL, &c);
	for (size_t i = 0; ret == 0 && i < c.n; i++)
		ret = cb(c.v[i].json, strlen(c.v[i].json), ud);
	changes_free(&c);
	return ret;
}

/* ---- continuing a scan ---- */

struct resumable {
	uint64_t seed;
	unsigned shard, shard_count;
	char *out;
};

/* The value of a member "name":123 of a line fastport wrote, read as text:
 * a seed may exceed what JSON parsers keep exactly. */
static bool member_u64(const char *json, const char *name, uint64_t *v)
{
	const char *p = strstr(json, name);
	char *end;

	if (!p)
		return false;
	p += strlen(name);
	if (*p < '0' || *p > '9')
		return false;
	errno = 0;
	*v = strtoull(p, &end, 10);
	return !errno && end != p;
}

static int resumable_row(int ncol, const char *const *col, void *ud)
{
	struct resumable *r = ud;
	char want[48];
	uint64_t seed;

	if (ncol < 2 || !col[0] || !col[1] || r->out[0])
		return 0;
	snprintf(want, sizeof(want), "\"shard\":\"%u/%u\"", r->shard, r->shard_count);
	if (member_u64(col[1], "\"seed\":", &seed) && seed == r->seed &&
	    (strstr(col[1], want) || (r->shard_count == 1 && !strstr(col[1], "\"shard\":"))))
		snprintf(r->out, STORE_ID_MAX + 1, "%s", col[0]);
	return 0;
}

int store_find_resumable(struct store *s, const char *scope, uint64_t seed, unsigned shard,
			 unsigned shard_count, char out[STORE_ID_MAX + 1])
{
	struct sqlv p[1] = { SQL_T(scope) };
	struct resumable r = { seed, shard, shard_count, out };

	out[0] = '\0';
	return s->ops->query(s,
			     "SELECT e.scan_id, e.event FROM scan_events e JOIN scans c "
			     "ON c.scan_id = e.scan_id WHERE c.scope = $1 AND c.state <> 'complete' "
			     "AND e.kind = 'scan_started' ORDER BY e.time DESC",
			     p, 1, resumable_row, &r);
}

int store_scan_info(struct store *s, const char *scan_id, char scope[STORE_ID_MAX + 1],
		    enum store_state *st)
{
	struct sqlv p[1] = { SQL_T(scan_id) };
	char state[32];
	int ret;

	ret = q_one(s, "SELECT scope, state FROM scans WHERE scan_id = $1", p, 1, 2, scope,
		    STORE_ID_MAX + 1, state, sizeof(state), NULL, 0);
	if (ret <= 0)
		return ret;
	if (store_state_parse(state, st) < 0)
		return store_fail(s, "%s: scan %s has an unknown state '%s'", s->where, scan_id, state);
	return 1;
}
