/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend (libpq). Statements run with text parameters and
 * results row by row (single-row mode: memory stays flat on big scans). A
 * batch of events is sent with one COPY into a temporary staging table,
 * then moved into findings and scan_events by INSERT ... ON CONFLICT DO
 * NOTHING, all in one transaction: a batch is stored whole or not at all,
 * and a batch delivered twice is stored once. The moves and the COMMIT are
 * sent without waiting: the server works on one batch while the writer
 * parses the next, and the outcome is read before anything else is sent
 * (the next flush, any statement, close). So a failed batch is reported by
 * the call after the flush that sent it, and store_end_scan's first flush
 * confirms the last one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store_int.h"

#define MAX_COLS 16
/* pg_advisory_xact_lock key of migrations ("fpst"). */
#define MIGRATION_LOCK "1718645620"

struct pg {
	struct store base;
	PGconn *c;
	char *buf;   /* COPY text of the batch */
	size_t len, cap;
	size_t rows;
	bool stage;  /* the staging table exists in this session */
	bool oom;
	bool pending; /* a batch's moves and COMMIT were sent, not yet read */
};

static int pg_drain(struct pg *g);

static struct pg *to_pg(struct store *s)
{
	return (struct pg *)s;
}

/* s->err: "WHERE: what: libpq's message" (one line). */
static int pg_fail(struct pg *g, const char *what, const PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : "";
	char msg[384];
	size_t n;

	if (!m || !m[0])
		m = PQerrorMessage(g->c);
	snprintf(msg, sizeof(msg), "%s", m && m[0] ? m : "unknown error");
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	if (PQstatus(g->c) == CONNECTION_BAD)
		return store_fail(&g->base, "%s: %s: connection to the server lost: %s",
				  g->base.where, what, msg);
	return store_fail(&g->base, "%s: %s: %s", g->base.where, what, msg);
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void pg_close(struct store *s)
{
	struct pg *g = to_pg(s);

	if (!g)
		return;
	if (g->c)
		pg_drain(g);
	PQfinish(g->c);
	free(g->buf);
	free(g);
}

/* "postgresql://USER@HOST:PORT/DB" of the connection, never the password. */
static void set_where(struct pg *g)
{
	const char *h = PQhost(g->c), *p = PQport(g->c), *d = PQdb(g->c), *u = PQuser(g->c);

	snprintf(g->base.where, sizeof(g->base.where), "postgresql://%s%s%s%s%s/%s",
		 u && u[0] ? u : "", u && u[0] ? "@" : "", h ? h : "", p && p[0] ? ":" : "",
		 p ? p : "", d ? d : "");
}

static int pg_exec(struct pg *g, const char *sql, const char *what)
{
	PGresult *r = PQexec(g->c, sql);
	int ret = STORE_OK;

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		ret = pg_fail(g, what, r);
	PQclear(r);
	return ret;
}

/* Reads the outcome of the batch sent last; a failure there fails now. */
static int pg_drain(struct pg *g)
{
	PGresult *r;
	int ret = STORE_OK;

	if (!g->pending)
		return STORE_OK;
	g->pending = false;
	while ((r = PQgetResult(g->c))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && ret == 0)
			ret = pg_fail(g, "storing a batch", r);
		PQclear(r);
	}
	if (ret == 0 && PQstatus(g->c) == CONNECTION_BAD)
		ret = pg_fail(g, "storing a batch", NULL);
	if (ret == 0 && PQtransactionStatus(g->c) != PQTRANS_IDLE)
		ret = store_fail(&g->base, "%s: storing a batch: the transaction did not commit",
				 g->base.where);
	if (ret < 0 && PQstatus(g->c) == CONNECTION_OK &&
	    PQtransactionStatus(g->c) != PQTRANS_IDLE)
		PQclear(PQexec(g->c, "ROLLBACK"));
	return ret;
}

static int pg_open(const struct store_url *u, unsigned flags, struct store **out,
		   char *err, size_t errlen)
{
	/* The URL comes last so that its own settings win. */
	const char *const keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *const vals[] = { "10", "fastport", u->target, NULL };
	struct pg *g = calloc(1, sizeof(*g));

	(void)flags;
	*out = NULL;
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return STORE_EFAIL;
	}
	g->c = PQconnectdbParams(keys, vals, 1);
	if (!g->c) {
		snprintf(err, errlen, "postgresql: out of memory");
		goto fail;
	}
	set_where(g);
	if (PQstatus(g->c) != CONNECTION_OK) {
		pg_fail(g, "cannot connect", NULL);
		snprintf(err, errlen, "%s", g->base.err);
		goto fail;
	}
	PQsetNoticeProcessor(g->c, quiet, NULL);
	if (pg_exec(g, "SET client_min_messages = warning", "setting up the session") < 0) {
		snprintf(err, errlen, "%s", g->base.err);
		goto fail;
	}
	*out = &g->base;
	return STORE_OK;
fail:
	pg_close(&g->base);
	return STORE_EFAIL;
}

static int pg_query(struct store *s, const char *sql, const struct sqlv *p, int n,
		    store_row_cb cb, void *ud)
{
	struct pg *g = to_pg(s);
	const char **vals = NULL;
	char (*ints)[24] = NULL;
	const char *col[MAX_COLS];
	PGresult *r;
	int ret = pg_drain(g);

	if (ret < 0)
		return ret;
	if (n > 0) {
		vals = calloc((size_t)n, sizeof(*vals));
		ints = calloc((size_t)n, sizeof(*ints));
		if (!vals || !ints) {
			ret = store_fail(s, "%s: out of memory", s->where);
			goto out;
		}
	}
	for (int i = 0; i < n; i++) {
		if (p[i].t == SQLV_INT) {
			snprintf(ints[i], sizeof(ints[i]), "%" PRId64, p[i].i);
			vals[i] = ints[i];
		} else {
			vals[i] = p[i].t == SQLV_TEXT ? p[i].s : NULL;
		}
	}
	if (!PQsendQueryParams(g->c, sql, n, NULL, vals, NULL, NULL, 0)) {
		ret = pg_fail(g, "sending a statement", NULL);
		goto out;
	}
	PQsetSingleRowMode(g->c);
	/* Every result is read, even after an error or a stop. */
	while ((r = PQgetResult(g->c))) {
		ExecStatusType t = PQresultStatus(r);

		if (t == PGRES_SINGLE_TUPLE && ret == 0 && cb) {
			int nc = PQnfields(r);

			if (nc > MAX_COLS)
				nc = MAX_COLS;
			for (int i = 0; i < nc; i++)
				col[i] = PQgetisnull(r, 0, i) ? NULL : PQgetvalue(r, 0, i);
			ret = cb(nc, col, ud);
		} else if (t != PGRES_SINGLE_TUPLE && t != PGRES_TUPLES_OK &&
			   t != PGRES_COMMAND_OK && ret == 0) {
			ret = pg_fail(g, "running a statement", r);
		}
		PQclear(r);
	}
	if (ret == 0 && PQstatus(g->c) == CONNECTION_BAD)
		ret = pg_fail(g, "running a statement", NULL);
out:
	free(vals);
	free(ints);
	return ret;
}

static int pg_begin(struct store *s, bool exclusive)
{
	struct pg *g = to_pg(s);
	int ret = pg_drain(g);

	if (ret == 0)
		ret = pg_exec(g, "BEGIN", "starting a transaction");
	if (ret == 0 && exclusive)
		ret = pg_exec(g, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", "locking the schema");
	return ret;
}

static void pg_rollback(struct store *s)
{
	struct pg *g = to_pg(s);

	if (g->pending) {
		char saved[sizeof(s->err)];

		memcpy(saved, s->err, sizeof(saved));
		pg_drain(g);
		memcpy(s->err, saved, sizeof(saved));
	}
	if (PQstatus(g->c) == CONNECTION_OK && PQtransactionStatus(g->c) != PQTRANS_IDLE)
		PQclear(PQexec(g->c, "ROLLBACK"));
}

static int pg_commit(struct store *s)
{
	struct pg *g = to_pg(s);

	/* COMMIT of a failed transaction "succeeds" as a rollback. */
	if (PQtransactionStatus(g->c) != PQTRANS_INTRANS) {
		pg_rollback(s);
		return store_fail(s, "%s: committing: the transaction had failed%s", s->where,
				  PQstatus(g->c) == CONNECTION_BAD ? " (connection lost)" : "");
	}
	if (pg_exec(g, "COMMIT", "committing") < 0) {
		pg_rollback(s);
		return STORE_EFAIL;
	}
	return STORE_OK;
}

static void put_raw(struct pg *g, const char *s, size_t n)
{
	if (g->oom)
		return;
	if (g->cap - g->len < n) {
		size_t cap = g->cap ? g->cap : 1 << 20;
		char *b;

		while (cap - g->len < n)
			cap *= 2;
		b = realloc(g->buf, cap);
		if (!b) {
			g->oom = true;
			return;
		}
		g->buf = b;
		g->cap = cap;
	}
	memcpy(g->buf + g->len, s, n);
	g->len += n;
}

/* One COPY text field and its delimiter (tab, or newline after the last). */
static void put_field(struct pg *g, const char *v, size_t n, bool last)
{
	size_t run = 0;

	if (!v) {
		put_raw(g, "\\N", 2);
	} else {
		for (size_t i = 0; i < n; i++) {
			const char *esc = NULL;

			switch (v[i]) {
			case '\\': esc = "\\\\"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			}
			if (!esc)
				continue;
			put_raw(g, v + run, i - run);
			put_raw(g, esc, 2);
			run = i + 1;
		}
		put_raw(g, v + run, n - run);
	}
	put_raw(g, last ? "\n" : "\t", 1);
}

static void put_str(struct pg *g, const char *v)
{
	put_field(g, v, v ? strlen(v) : 0, false);
}

static int pg_put_event(struct store *s, const struct store_event *ev)
{
	struct pg *g = to_pg(s);
	bool finding = store_event_is_finding(ev);
	char port[8];

	snprintf(port, sizeof(port), "%u", ev->port);
	put_str(g, finding ? "1" : "0");
	put_str(g, ev->scan_id);
	put_str(g, finding ? ev->ip : NULL);
	put_str(g, finding ? port : NULL);
	put_str(g, finding ? ev->protocol : NULL);
	put_str(g, ev->kind);
	put_str(g, ev->state);
	put_str(g, ev->reason);
	put_str(g, ev->service);
	put_str(g, ev->product);
	put_str(g, ev->version);
	put_str(g, ev->cert_sha256);
	put_str(g, ev->time);
	put_str(g, ev->event_id);
	put_field(g, ev->json, ev->json_len, true);
	g->rows++;
	if (g->oom) {
		g->len = g->rows = 0;
		g->oom = false;
		return store_fail(s, "%s: out of memory for the batch", s->where);
	}
	return STORE_OK;
}

static int copy_batch(struct pg *g)
{
	PGresult *r = PQexec(g->c, "COPY fp_stage FROM STDIN");
	int ret = STORE_OK;

	if (PQresultStatus(r) != PGRES_COPY_IN) {
		ret = pg_fail(g, "starting COPY", r);
		PQclear(r);
		return ret;
	}
	PQclear(r);
	for (size_t off = 0; off < g->len; off += 1 << 20) {
		size_t n = g->len - off < (1 << 20) ? g->len - off : 1 << 20;

		if (PQputCopyData(g->c, g->buf + off, (int)n) != 1) {
			ret = pg_fail(g, "sending the batch", NULL);
			break;
		}
	}
	if (PQputCopyEnd(g->c, ret == 0 ? NULL : "aborted") != 1 && ret == 0)
		ret = pg_fail(g, "ending COPY", NULL);
	while ((r = PQgetResult(g->c))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && ret == 0)
			ret = pg_fail(g, "storing the batch", r);
		PQclear(r);
	}
	return ret;
}

static int pg_flush(struct store *s)
{
	struct pg *g = to_pg(s);
	int ret = pg_drain(g);

	if (ret < 0 || !g->rows)
		goto out;
	if (!g->stage) {
		ret = pg_exec(g, "CREATE TEMP TABLE IF NOT EXISTS fp_stage (is_finding INTEGER,"
			      " scan_id TEXT, addr TEXT, port INTEGER, protocol TEXT, kind TEXT,"
			      " state TEXT, reason TEXT, service TEXT, product TEXT, version TEXT,"
			      " cert_sha256 TEXT, time TEXT, event_id TEXT, event TEXT)"
			      " ON COMMIT DELETE ROWS", "creating the staging table");
		if (ret < 0)
			goto out;
		g->stage = true;
	}
	ret = pg_exec(g, "BEGIN", "starting a batch");
	if (ret == 0)
		ret = copy_batch(g);
	if (ret < 0) {
		pg_rollback(s);
		goto out;
	}
	/* One simple query of three statements inside the transaction: an
	 * error skips the rest, COMMIT included (pg_drain rolls back). */
	if (!PQsendQuery(g->c, "INSERT INTO findings (scan_id, addr, port, protocol, kind, state,"
			 " reason, service, product, version, cert_sha256, time, event)"
			 " SELECT scan_id, addr, port, protocol, kind, state, reason, service,"
			 " product, version, cert_sha256, time, event FROM fp_stage"
			 " WHERE is_finding = 1"
			 " ON CONFLICT (scan_id, addr, port, protocol, kind) DO NOTHING;"
			 " INSERT INTO scan_events (event_id, scan_id, kind, time, event)"
			 " SELECT event_id, scan_id, kind, time, event FROM fp_stage"
			 " WHERE is_finding = 0 ON CONFLICT (event_id) DO NOTHING;"
			 " COMMIT")) {
		ret = pg_fail(g, "sending a batch", NULL);
		pg_rollback(s);
		goto out;
	}
	g->pending = true;
out:
	g->len = g->rows = 0;
	return ret;
}

const struct store_ops store_postgres_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.set_based = true,
	.query = pg_query,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.put_event = pg_put_event,
	.flush = pg_flush,
};
