/* SPDX-License-Identifier: MIT */
/*
 * The SQLite backend: one file in WAL mode (one writer at a time, readers
 * never blocked), synchronous=NORMAL (a commit survives a crash of the
 * program; a power loss may lose the last commits, never consistency),
 * foreign keys on, a bounded wait for a lock held by another process.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_int.h"

/* How long a writer waits for another process's write transaction. */
#define BUSY_MS 5000
/* A batch's commit asks for a checkpoint once the WAL holds this many
 * pages (16 MiB: the WAL starts over more often, so a store opened after a
 * scan recovers less of it); past the second figure, 1 GiB (the
 * checkpoints never caught up with the writer), it starts the WAL over
 * itself, waiting for readers. */
#define CKPT_FRAMES 4096
#define CKPT_FRAMES_MAX 262144
#define MAX_COLS 16
/* Statements kept prepared: the exposure's row statements are long (256
 * rows of 13 parameters) and the same text again and again. */
#define STMT_CACHE 8

struct sq {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *ins_finding, *ins_event;
	bool batch; /* a put_event transaction is open */
	struct {
		char *sql;
		sqlite3_stmt *st;
		bool busy; /* stepping (a row callback may query again) */
	} cache[STMT_CACHE];
	unsigned cache_next;
	int wal_frames; /* pages in the WAL after the last commit */
	/* The checkpointer: a connection of its own (opened with the store,
	 * before any sandbox) and a thread (started by the first batch that
	 * needs a checkpoint, so after the sandbox) that copies the WAL into
	 * the database while the writer goes on: the writer never waits for
	 * the copy or its fsyncs. NULL for a reader. */
	sqlite3 *ck;
	pthread_mutex_t ck_mu;
	pthread_cond_t ck_cv;
	pthread_t ck_thr;
	bool ck_started, ck_want, ck_stop;
};

static struct sq *to_sq(struct store *s)
{
	return (struct sq *)s;
}

/* s->err: "sqlite:PATH: what: SQLite's message", plus what it means. */
static int sq_fail(struct sq *q, const char *what)
{
	int code = sqlite3_extended_errcode(q->db);
	int sys = sqlite3_system_errno(q->db);
	const char *hint = "";

	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		hint = " (another process holds a write transaction; waited 5 s)";
		break;
	case SQLITE_READONLY:
		hint = " (no write permission on the file or its directory)";
		break;
	case SQLITE_FULL:
		hint = " (no space left on the device)";
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (sys)
			hint = strerror(sys);
		break;
	}
	return store_fail(&q->base, "%s: %s: %s%s%s", q->base.where, what, sqlite3_errmsg(q->db),
			  (code & 0xff) == SQLITE_IOERR || (code & 0xff) == SQLITE_CANTOPEN
				  ? (sys ? ": " : "") : "", hint);
}

static int sq_exec(struct sq *q, const char *sql, const char *what)
{
	if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(q, what);
	return STORE_OK;
}

/* mkdir -p of path's directory, 0700 (the default store's directory). */
static int make_parent(const char *path, char *err, size_t errlen)
{
	char *d = strdup(path), *p;
	int ret = 0;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return STORE_EFAIL;
	}
	for (p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "sqlite:%s: cannot create %s: %s", path, d, strerror(errno));
			ret = STORE_EFAIL;
			break;
		}
		*p = '/';
	}
	free(d);
	return ret;
}

static void *ck_main(void *arg)
{
	struct sq *q = arg;

	/* Background work: this thread (Linux: PRIO_PROCESS 0 is the
	 * calling thread) yields to the scan's threads and the writer. */
	if (setpriority(PRIO_PROCESS, 0, 19) < 0)
		store_trace("checkpointer: setpriority: %s", strerror(errno));

	pthread_mutex_lock(&q->ck_mu);
	for (;;) {
		while (!q->ck_want && !q->ck_stop)
			pthread_cond_wait(&q->ck_cv, &q->ck_mu);
		if (q->ck_stop)
			break;
		q->ck_want = false;
		pthread_mutex_unlock(&q->ck_mu);
		/* Passive: never waits for the writer or readers; what they
		 * still use is copied by a later checkpoint. A failure loses
		 * nothing committed. The WAL starts over (and is cut to
		 * journal_size_limit) only when a write transaction begins
		 * after a checkpoint copied all of it: so again while the
		 * writer appends and each pass copies more (at most 16). */
		for (int pass = 0, done = -1; pass < 16; pass++) {
			int nlog = 0, nckpt = 0;

			store_trace("checkpoint pass %d", pass);
			if (sqlite3_wal_checkpoint_v2(q->ck, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
						      &nckpt) != SQLITE_OK ||
			    nckpt >= nlog || nckpt <= done ||
			    __atomic_load_n(&q->ck_stop, __ATOMIC_RELAXED))
				break;
			done = nckpt;
		}
		store_trace("checkpointed");
		pthread_mutex_lock(&q->ck_mu);
	}
	pthread_mutex_unlock(&q->ck_mu);
	return NULL;
}

/* Asks for a checkpoint (writer thread); done inline when the thread
 * cannot start. */
static void ck_request(struct sq *q)
{
	bool inline_ck = false;

	pthread_mutex_lock(&q->ck_mu);
	if (!q->ck_started && pthread_create(&q->ck_thr, NULL, ck_main, q) == 0)
		q->ck_started = true;
	if (q->ck_started) {
		q->ck_want = true;
		pthread_cond_signal(&q->ck_cv);
	} else {
		inline_ck = true;
	}
	pthread_mutex_unlock(&q->ck_mu);
	if (inline_ck)
		sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

/* Stops the checkpointer; a checkpoint under way is interrupted (the WAL
 * keeps what it did not copy). */
static void ck_close(struct sq *q)
{
	if (!q->ck)
		return;
	if (q->ck_started) {
		pthread_mutex_lock(&q->ck_mu);
		__atomic_store_n(&q->ck_stop, true, __ATOMIC_RELAXED);
		pthread_cond_signal(&q->ck_cv);
		pthread_mutex_unlock(&q->ck_mu);
		sqlite3_interrupt(q->ck);
		pthread_join(q->ck_thr, NULL);
		store_trace("checkpointer stopped");
	}
	sqlite3_close_v2(q->ck);
	q->ck = NULL;
	pthread_mutex_destroy(&q->ck_mu);
	pthread_cond_destroy(&q->ck_cv);
}

/* The checkpointer's connection, with its files open now (the WAL and its
 * index are opened by the first read). Without it the writer checkpoints
 * itself. */
static void ck_open(struct sq *q, const char *path)
{
	int one = 1;

	if (sqlite3_open_v2(path, &q->ck, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(q->ck, BUSY_MS);
	sqlite3_db_config(q->ck, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_file_control(q->ck, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	if (sqlite3_exec(q->ck, "SELECT COUNT(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	pthread_mutex_init(&q->ck_mu, NULL);
	pthread_cond_init(&q->ck_cv, NULL);
	return;
fail:
	sqlite3_close_v2(q->ck);
	q->ck = NULL;
}

static void sq_close(struct store *s)
{
	struct sq *q = to_sq(s);

	if (!q)
		return;
	ck_close(q);
	if (q->batch)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(q->ins_finding);
	sqlite3_finalize(q->ins_event);
	for (int i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(q->cache[i].st);
		free(q->cache[i].sql);
	}
	sqlite3_close_v2(q->db);
	free(q);
}

/* Replaces SQLite's automatic checkpoint (after any commit that leaves
 * 1,000 pages in the WAL): only sq_flush checkpoints. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((struct sq *)ud)->wal_frames = frames;
	return SQLITE_OK;
}

static int sq_open(const struct store_url *u, unsigned flags, struct store **out,
		   char *err, size_t errlen)
{
	struct sq *q = calloc(1, sizeof(*q));
	bool create = flags & STORE_OPEN_CREATE;
	struct stat st;
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return STORE_EFAIL;
	}
	snprintf(q->base.where, sizeof(q->base.where), "sqlite:%s", u->target);
	if (!create && stat(u->target, &st) < 0) {
		snprintf(err, errlen, "%s: %s", q->base.where, errno == ENOENT
			 ? "no store there (nothing was ever stored in it)" : strerror(errno));
		goto fail;
	}
	if (create) {
		oflags |= SQLITE_OPEN_CREATE;
		if (u->default_path && make_parent(u->target, err, errlen) < 0)
			goto fail;
	}
	if (sqlite3_open_v2(u->target, &q->db, oflags, NULL) != SQLITE_OK) {
		int sys = q->db ? sqlite3_system_errno(q->db) : 0;

		snprintf(err, errlen, "%s: cannot open: %s%s%s", q->base.where,
			 q->db ? sqlite3_errmsg(q->db) : "out of memory", sys ? ": " : "",
			 sys ? strerror(sys) : "");
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, BUSY_MS);
	if (create && sqlite3_db_readonly(q->db, "main") == 1) {
		snprintf(err, errlen, "%s: read-only (no write permission on the file)",
			 q->base.where);
		goto fail;
	}
	if (sqlite3_db_readonly(q->db, "main") != 1 &&
	    (sq_exec(q, "PRAGMA journal_mode = WAL", "setting WAL mode") < 0 ||
	     sq_exec(q, "PRAGMA synchronous = NORMAL", "setting synchronous mode") < 0)) {
		snprintf(err, errlen, "%s", q->base.err);
		goto fail;
	}
	/* What a scan's sandbox (src/cli/sandbox.c) forbids once the store is
	 * open: opening files (sorts and temporary tables stay in memory; the
	 * random generator, which reads /dev/urandom on first use, is seeded
	 * now) and removing them (the WAL and its index stay when the last
	 * connection closes, the WAL cut to 64 MiB). */
	{
		int one = 1;
		unsigned char seed;

		sqlite3_randomness(1, &seed);
		if (sqlite3_db_readonly(q->db, "main") != 1)
			sqlite3_file_control(q->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	}
	/*
	 * Checkpoints (copying the WAL into the database, with an fsync of
	 * each) are left to the ingest's batches, which run while the scan
	 * does: every 16,384 pages (64 MiB), not every 1,000, and not at the
	 * commit that ends a scan nor when the connection closes, which a
	 * scan's wall would wait for (measured: 0.4 s after the exposure of
	 * 214,304 ports). What is left in the WAL is committed (readers see
	 * it, a crash keeps it); the next scan's batches checkpoint it.
	 */
	sqlite3_wal_hook(q->db, wal_hook, q);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (sq_exec(q, "PRAGMA foreign_keys = ON", "enabling foreign keys") < 0 ||
	    sq_exec(q, "PRAGMA temp_store = MEMORY", "keeping temporary data in memory") < 0 ||
	    sq_exec(q, "PRAGMA journal_size_limit = 67108864", "limiting the WAL's size") < 0 ||
	    sq_exec(q, "PRAGMA cache_size = -65536", "sizing the page cache") < 0) {
		snprintf(err, errlen, "%s", q->base.err);
		goto fail;
	}
	if (create)
		ck_open(q, u->target);
	*out = &q->base;
	return STORE_OK;
fail:
	sq_close(&q->base);
	return STORE_EFAIL;
}

static int bind_all(struct sq *q, sqlite3_stmt *st, const struct sqlv *p, int n)
{
	for (int i = 0; i < n; i++) {
		int idx, rc;

		/* ?N (sq_prepare) is parameter N: no name lookup, which is
		 * a linear search. One the text does not use is skipped. */
		idx = i + 1;
		if (idx > sqlite3_bind_parameter_count(st))
			continue;
		if (!idx)
			continue;
		switch (p[i].t) {
		case SQLV_TEXT:
			rc = sqlite3_bind_text(st, idx, p[i].s, -1, SQLITE_STATIC);
			break;
		case SQLV_INT:
			rc = sqlite3_bind_int64(st, idx, p[i].i);
			break;
		default:
			rc = sqlite3_bind_null(st, idx);
		}
		if (rc != SQLITE_OK)
			return sq_fail(q, "binding a parameter");
	}
	return STORE_OK;
}

/* Prepares the shared SQL text with its $N parameters written ?N, which
 * SQLite numbers N (a $N is named, numbered in order of appearance). The
 * store's SQL has no '$' in a literal. */
static int sq_prepare(struct sq *q, const char *sql, sqlite3_stmt **st)
{
	char *t = strdup(sql);
	int rc;

	if (!t)
		return store_fail(&q->base, "%s: out of memory", q->base.where);
	for (char *c = t; *c; c++)
		if (*c == '$' && c[1] >= '0' && c[1] <= '9')
			*c = '?';
	rc = sqlite3_prepare_v3(q->db, t, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	free(t);
	return rc == SQLITE_OK ? STORE_OK : sq_fail(q, "preparing a statement");
}

static int sq_query(struct store *s, const char *sql, const struct sqlv *p, int n,
		    store_row_cb cb, void *ud)
{
	struct sq *q = to_sq(s);
	sqlite3_stmt *st = NULL;
	const char *col[MAX_COLS];
	int rc = SQLITE_OK, ret, slot = -1;

	for (int i = 0; i < STMT_CACHE; i++)
		if (q->cache[i].sql && !q->cache[i].busy && !strcmp(q->cache[i].sql, sql)) {
			st = q->cache[i].st;
			slot = i;
			break;
		}
	if (!st) {
		char *copy = NULL;

		if (sq_prepare(q, sql, &st) < 0)
			return STORE_EFAIL;
		for (int i = 0; i < STMT_CACHE && slot < 0; i++) {
			int k = (int)(q->cache_next++ % STMT_CACHE);

			if (!q->cache[k].busy)
				slot = k;
		}
		if (slot >= 0 && !(copy = strdup(sql)))
			slot = -1;
		if (slot >= 0) {
			sqlite3_finalize(q->cache[slot].st);
			free(q->cache[slot].sql);
			q->cache[slot].sql = copy;
			q->cache[slot].st = st;
		}
	}
	if (slot >= 0)
		q->cache[slot].busy = true;
	ret = bind_all(q, st, p, n);
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int nc = sqlite3_column_count(st);

		if (nc > MAX_COLS)
			nc = MAX_COLS;
		for (int i = 0; i < nc; i++)
			col[i] = (const char *)sqlite3_column_text(st, i);
		if (cb)
			ret = cb(nc, col, ud);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_fail(q, "running a statement");
	if (slot >= 0) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		q->cache[slot].busy = false;
	} else {
		sqlite3_finalize(st);
	}
	return ret;
}

static int sq_begin(struct store *s, bool exclusive)
{
	(void)exclusive; /* every SQLite write transaction excludes the others */
	return sq_exec(to_sq(s), "BEGIN IMMEDIATE", "starting a transaction");
}

static void sq_rollback(struct store *s)
{
	sqlite3_exec(to_sq(s)->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_commit(struct store *s)
{
	struct sq *q = to_sq(s);

	if (sq_exec(q, "COMMIT", "committing") < 0) {
		sq_rollback(s);
		return STORE_EFAIL;
	}
	return STORE_OK;
}

static int prepare(struct sq *q, sqlite3_stmt **st, const char *sql)
{
	if (*st)
		return STORE_OK;
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return sq_fail(q, "preparing the insert");
	return STORE_OK;
}

static int bind_text(sqlite3_stmt *st, int i, const char *v, int n)
{
	return v ? sqlite3_bind_text(st, i, v, n, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int sq_put_event(struct store *s, const struct store_event *ev)
{
	struct sq *q = to_sq(s);
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (!q->batch) {
		if (sq_exec(q, "BEGIN IMMEDIATE", "starting a batch") < 0)
			return STORE_EFAIL;
		q->batch = true;
	}
	if (store_event_is_finding(ev)) {
		if (prepare(q, &q->ins_finding, "INSERT INTO findings (scan_id, addr, port, protocol,"
			    " kind, state, reason, service, product, version, cert_sha256, time, event)"
			    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
			    " ON CONFLICT (scan_id, addr, port, protocol, kind) DO NOTHING") < 0)
			goto fail;
		st = q->ins_finding;
		rc |= bind_text(st, 1, ev->scan_id, -1);
		rc |= bind_text(st, 2, ev->ip, -1);
		rc |= sqlite3_bind_int(st, 3, ev->port);
		rc |= bind_text(st, 4, ev->protocol, -1);
		rc |= bind_text(st, 5, ev->kind, -1);
		rc |= bind_text(st, 6, ev->state, -1);
		rc |= bind_text(st, 7, ev->reason, -1);
		rc |= bind_text(st, 8, ev->service, -1);
		rc |= bind_text(st, 9, ev->product, -1);
		rc |= bind_text(st, 10, ev->version, -1);
		rc |= bind_text(st, 11, ev->cert_sha256, -1);
		rc |= bind_text(st, 12, ev->time, -1);
		rc |= bind_text(st, 13, ev->json, (int)ev->json_len);
	} else {
		if (prepare(q, &q->ins_event, "INSERT INTO scan_events (event_id, scan_id, kind, time,"
			    " event) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING") < 0)
			goto fail;
		st = q->ins_event;
		rc |= bind_text(st, 1, ev->event_id, -1);
		rc |= bind_text(st, 2, ev->scan_id, -1);
		rc |= bind_text(st, 3, ev->kind, -1);
		rc |= bind_text(st, 4, ev->time, -1);
		rc |= bind_text(st, 5, ev->json, (int)ev->json_len);
	}
	if (rc != SQLITE_OK || ev->json_len > INT32_MAX) {
		sq_fail(q, "binding an event");
		sqlite3_reset(st);
		goto fail;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		sq_fail(q, "storing an event");
		sqlite3_reset(st);
		goto fail;
	}
	sqlite3_reset(st);
	return STORE_OK;
fail:
	sq_rollback(s);
	q->batch = false;
	return STORE_EFAIL;
}

static int sq_flush(struct store *s)
{
	struct sq *q = to_sq(s);

	if (!q->batch)
		return STORE_OK;
	q->batch = false;
	if (sq_commit(s) < 0)
		return STORE_EFAIL;
	if (q->wal_frames >= CKPT_FRAMES_MAX)
		sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	else if (q->wal_frames >= CKPT_FRAMES) {
		if (q->ck)
			ck_request(q);
		else
			sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
						  NULL);
	}
	return STORE_OK;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.query = sq_query,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.put_event = sq_put_event,
	.flush = sq_flush,
};
