/* SPDX-License-Identifier: MIT */
/* The store as an event consumer: a queue and a writer thread. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink_store.h"
#include "diff.h"

/* Events waiting for the writer: at most this many bytes (the /16 x 5
 * figure, 327,680 events, is about 115 MB of text). Past it the producer
 * waits, which would slow the scan: the bound is for memory only. */
#define MAX_QUEUED ((size_t)512 << 20)
/* A batch is due at this many bytes of events too (large events). */
#define BATCH_BYTES (MAX_QUEUED / 8)

struct qbuf {
	char *p;
	size_t len, cap;
};

struct sink_store {
	struct store *st;
	struct sink_store_opts o;
	char *scope, *scope_desc;

	pthread_t thr;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cv_data, cv_space, cv_done;
	struct qbuf in;            /* lines queued by the producer (mu) */
	uint64_t in_events;        /* lines in it (mu) */
	struct timespec in_first;  /* when its first line came (mu) */
	uint64_t flush_req, flush_done; /* (mu) */
	bool stop;                 /* (mu) */
	bool failed;               /* (mu) */
	char err[600];             /* (mu once failed) */

	/* The writer thread's own state. */
	struct qbuf work;
	bool begun, completed, interrupted;
	char scan_id[STORE_ID_MAX + 1];
	unsigned shard, shard_count;
	char ended_at[64];
	uint64_t events, skipped, commits, uncommitted, lineno;
	enum store_state final_state;
	size_t changes;
	/* The comparison's sides, kept in memory so that ending the scan
	 * loads nothing: the baseline's ports (loaded when the scan begins)
	 * and this scan's (built as its findings are stored). Only for a
	 * scan this stream begins (a scan stored before holds findings the
	 * stream does not bring) with one shard (the others are not here). */
	bool mem;
	char base_id[STORE_ID_MAX + 1];
	struct diff_side before, after;
};

/* Records the first failure (writer thread) and wakes everyone. */
static void fail(struct sink_store *ss, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct sink_store *ss, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&ss->mu);
	if (!ss->failed) {
		va_start(ap, fmt);
		vsnprintf(ss->err, sizeof(ss->err), fmt, ap);
		va_end(ap);
		ss->failed = true;
	}
	pthread_cond_broadcast(&ss->cv_space);
	pthread_cond_broadcast(&ss->cv_done);
	pthread_mutex_unlock(&ss->mu);
}

static bool has_failed(struct sink_store *ss)
{
	bool f;

	pthread_mutex_lock(&ss->mu);
	f = ss->failed;
	pthread_mutex_unlock(&ss->mu);
	return f;
}

static int commit(struct sink_store *ss)
{
	if (!ss->uncommitted)
		return 0;
	if (store_flush(ss->st) < 0) {
		fail(ss, "storing events: %s", store_error(ss->st));
		return -1;
	}
	ss->uncommitted = 0;
	ss->commits++;
	store_trace("commit %llu: %llu events stored", (unsigned long long)ss->commits,
		    (unsigned long long)ss->events);
	return 0;
}

static int begin(struct sink_store *ss, const struct store_event *ev, struct store_parsed *p)
{
	struct store_scan sc = { 0 };
	char scope[STORE_ID_MAX + 1];
	enum store_state state;
	int known;

	snprintf(ss->scan_id, sizeof(ss->scan_id), "%s", ev->scan_id);
	ss->shard = ss->shard_count = 1;
	if (!strcmp(ev->kind, "scan_started"))
		store_parsed_shard(p, &ss->shard, &ss->shard_count);
	sc.scan_id = ev->scan_id;
	sc.scope = ss->scope;
	sc.scope_desc = ss->scope_desc;
	sc.started_at = ev->time;
	sc.shard = ss->shard;
	sc.shard_count = ss->shard_count;
	/* The sides in memory only for a scan new to the store, of one shard. */
	known = store_scan_info(ss->st, ev->scan_id, scope, &state);
	if (known < 0)
		goto fail;
	ss->mem = !known && ss->shard_count == 1;
	if (store_begin_scan(ss->st, &sc) < 0)
		goto fail;
	store_trace("scan recorded");
	ss->begun = true;
	if (ss->mem) {
		if (store_baseline(ss->st, ss->scan_id, ss->base_id) < 0)
			goto fail;
		if (ss->base_id[0] && store_load_side(ss->st, ss->base_id, true, &ss->before) < 0)
			goto fail;
	}
	store_trace("scan %s begun%s%s", ss->scan_id, ss->base_id[0] ? ", baseline loaded: " : "",
		    ss->base_id);
	return 0;
fail:
	fail(ss, "recording scan %s: %s", ev->scan_id, store_error(ss->st));
	return -1;
}

/* Adds a stored finding to this scan's side; out of memory only costs the
 * side (the end then loads it from the store). */
static void mem_add(struct sink_store *ss, const struct store_event *ev)
{
	if (ss->mem && store_event_is_finding(ev) && diff_side_add(&ss->after, ev) < 0) {
		ss->mem = false;
		diff_side_free(&ss->after);
		diff_side_free(&ss->before);
	}
}

/* Parses and stores one line (writer thread). */
static int handle(struct sink_store *ss, const char *line, size_t n)
{
	struct store_event ev;
	struct store_parsed *p = NULL;
	char perr[200];
	int ret = -1;

	ss->lineno++;
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (!n)
		return 0;
	if (store_parse_event(line, n, &ev, &p, perr, sizeof(perr)) < 0) {
		if (ss->o.strict) {
			fail(ss, "event %llu: %s", (unsigned long long)ss->lineno, perr);
			return -1;
		}
		ss->skipped++;
		return 0;
	}
	if (!ss->begun && begin(ss, &ev, p) < 0)
		goto out;
	if (strcmp(ev.scan_id, ss->scan_id)) {
		fail(ss, "event %llu belongs to scan %s, not %s: one scan per stream",
		     (unsigned long long)ss->lineno, ev.scan_id, ss->scan_id);
		goto out;
	}
	if (!strcmp(ev.kind, "scan_completed")) {
		ss->completed = true;
		ss->interrupted = store_parsed_interrupted(p);
		snprintf(ss->ended_at, sizeof(ss->ended_at), "%s", ev.time);
	}
	if (store_put_event(ss->st, &ev) < 0) {
		ss->uncommitted = 0; /* the batch was rolled back */
		fail(ss, "storing events: %s", store_error(ss->st));
		goto out;
	}
	mem_add(ss, &ev);
	ss->events++;
	ss->uncommitted++;
	/* A queue that grew past a batch while the writer was busy is
	 * stored in batches too. */
	if (ss->uncommitted >= ss->o.batch_events && commit(ss) < 0)
		goto out;
	ret = 0;
out:
	store_parsed_free(p);
	return ret;
}

static void *writer(void *arg)
{
	struct sink_store *ss = arg;
	struct qbuf t;

	for (;;) {
		uint64_t want;
		bool stop, failed;

		/* A batch is what the queue holds once it is due: batch_events
		 * lines, batch_ms after its first line, a flush or the end. Its
		 * write transaction is open only while the writer stores it,
		 * so other writers of the store (serve's tasks, another scan)
		 * get their turn between batches. */
		pthread_mutex_lock(&ss->mu);
		while (!ss->stop && ss->flush_req == ss->flush_done &&
		       ss->in_events < ss->o.batch_events && ss->in.len < BATCH_BYTES) {
			struct timespec dl;

			if (!ss->in_events) {
				pthread_cond_wait(&ss->cv_data, &ss->mu);
				continue;
			}
			dl = ss->in_first;
			dl.tv_sec += ss->o.batch_ms / 1000;
			dl.tv_nsec += (long)(ss->o.batch_ms % 1000) * 1000000;
			if (dl.tv_nsec >= 1000000000) {
				dl.tv_sec++;
				dl.tv_nsec -= 1000000000;
			}
			if (pthread_cond_timedwait(&ss->cv_data, &ss->mu, &dl) == ETIMEDOUT)
				break;
		}
		t = ss->in;
		ss->in = ss->work;
		ss->in.len = 0;
		ss->in_events = 0;
		ss->work = t;
		want = ss->flush_req;
		stop = ss->stop;
		failed = ss->failed;
		pthread_cond_broadcast(&ss->cv_space);
		pthread_mutex_unlock(&ss->mu);

		if (!failed) {
			size_t off = 0;

			while (off < ss->work.len) {
				char *nl = memchr(ss->work.p + off, '\n', ss->work.len - off);
				size_t n = (size_t)(nl - (ss->work.p + off));

				if (handle(ss, ss->work.p + off, n) < 0)
					break;
				off += n + 1;
			}
			if (!has_failed(ss) && ss->uncommitted)
				commit(ss);
			/* sink_store_flush promises committed, not only sent. */
			if (!has_failed(ss) && want != ss->flush_done && ss->begun &&
			    store_sync(ss->st) < 0)
				fail(ss, "storing events: %s", store_error(ss->st));
		}
		ss->work.len = 0;
		pthread_mutex_lock(&ss->mu);
		if (want != ss->flush_done) {
			ss->flush_done = want;
			pthread_cond_broadcast(&ss->cv_done);
		}
		if (stop && !ss->in.len) {
			pthread_mutex_unlock(&ss->mu);
			break;
		}
		pthread_mutex_unlock(&ss->mu);
	}
	return NULL;
}

int sink_store_open(struct sink_store **out, struct store *st, const struct sink_store_opts *o,
		    char *err, size_t errlen)
{
	struct sink_store *ss = calloc(1, sizeof(*ss));
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!ss || !o->scope || !(ss->scope = strdup(o->scope)) ||
	    (o->scope_desc && !(ss->scope_desc = strdup(o->scope_desc)))) {
		if (ss)
			free(ss->scope);
		free(ss);
		snprintf(err, errlen, o->scope ? "out of memory" : "the store needs a scope key");
		return STORE_EFAIL;
	}
	ss->st = st;
	ss->o = *o;
	if (!ss->o.batch_events)
		ss->o.batch_events = 50000;
	if (!ss->o.batch_ms)
		ss->o.batch_ms = 1000;
	pthread_mutex_init(&ss->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ss->cv_data, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&ss->cv_space, NULL);
	pthread_cond_init(&ss->cv_done, NULL);
	diff_side_init(&ss->before);
	diff_side_init(&ss->after);
	rc = pthread_create(&ss->thr, NULL, writer, ss);
	if (rc) {
		snprintf(err, errlen, "starting the store's writer thread: %s", strerror(rc));
		ss->running = false;
		sink_store_close(ss);
		return STORE_EFAIL;
	}
	ss->running = true;
	*out = ss;
	return STORE_OK;
}

static bool qbuf_put(struct qbuf *b, const char *s, size_t n)
{
	if (b->cap - b->len < n + 1) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		char *p;

		while (cap - b->len < n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return false;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->p[b->len + n] = '\n';
	b->len += n + 1;
	return true;
}

int sink_store_event(struct sink_store *ss, const char *json, size_t n)
{
	int ret = 0;

	/* A newline inside would split the event: JSON text never has one
	 * outside strings, and strings escape it. */
	if (memchr(json, '\n', n))
		n = (size_t)((const char *)memchr(json, '\n', n) - json);
	pthread_mutex_lock(&ss->mu);
	while (!ss->failed && ss->in.len && ss->in.len + n > MAX_QUEUED) {
		pthread_cond_signal(&ss->cv_data);
		pthread_cond_wait(&ss->cv_space, &ss->mu);
	}
	if (ss->failed) {
		ret = -1;
	} else if (!qbuf_put(&ss->in, json, n)) {
		snprintf(ss->err, sizeof(ss->err), "out of memory queuing events for the store");
		ss->failed = true;
		ret = -1;
	} else if (++ss->in_events == 1) {
		/* The writer waits batch_ms from now, or for a full batch. */
		clock_gettime(CLOCK_MONOTONIC, &ss->in_first);
		pthread_cond_signal(&ss->cv_data);
	} else if (ss->in_events == ss->o.batch_events ||
		   (ss->in.len >= BATCH_BYTES && ss->in.len - n - 1 < BATCH_BYTES)) {
		pthread_cond_signal(&ss->cv_data);
	}
	pthread_mutex_unlock(&ss->mu);
	return ret;
}

int sink_store_flush(struct sink_store *ss)
{
	int ret;

	pthread_mutex_lock(&ss->mu);
	if (ss->running) {
		uint64_t want = ++ss->flush_req;

		pthread_cond_signal(&ss->cv_data);
		while (!ss->failed && ss->flush_done < want)
			pthread_cond_wait(&ss->cv_done, &ss->mu);
	}
	ret = ss->failed ? -1 : 0;
	pthread_mutex_unlock(&ss->mu);
	return ret;
}

static void stop_writer(struct sink_store *ss)
{
	if (!ss->running)
		return;
	pthread_mutex_lock(&ss->mu);
	ss->stop = true;
	pthread_cond_signal(&ss->cv_data);
	pthread_mutex_unlock(&ss->mu);
	pthread_join(ss->thr, NULL);
	ss->running = false;
}

struct cand_list {
	struct store_port *v;
	size_t n, cap;
	bool oom;
};

static int cand_add(const struct store_port *p, void *ud)
{
	struct cand_list *l = ud;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct store_port *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->oom = true;
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}

static int mem_cand(const struct diff_port *p, void *ud)
{
	struct store_port sp;

	memset(&sp, 0, sizeof(sp));
	snprintf(sp.ip, sizeof(sp.ip), "%s", p->ip);
	sp.port = p->port;
	snprintf(sp.protocol, sizeof(sp.protocol), "%s", p->protocol);
	return cand_add(&sp, ud);
}

int sink_store_finish(struct sink_store *ss, int state,
		      int (*confirm)(struct store_port *c, size_t n, void *ud), void *cud,
		      store_change_cb cb, void *ud)
{
	struct cand_list l = { 0 };
	enum store_state st;
	char now[32];
	int ret = -1;

	store_trace("the scan returned");
	stop_writer(ss);
	store_trace("writer drained: %llu events", (unsigned long long)ss->events);
	if (ss->failed)
		return -1;
	if (!ss->begun)
		return 0;
	if (state >= 0)
		st = (enum store_state)state;
	else
		st = ss->completed && !ss->interrupted ? STORE_COMPLETE : STORE_INTERRUPTED;
	if (!ss->ended_at[0] || state >= 0) {
		store_now(now);
		if (!ss->ended_at[0])
			snprintf(ss->ended_at, sizeof(ss->ended_at), "%s", now);
	}
	if (st == STORE_COMPLETE && confirm) {
		int rc;

		if (ss->mem)
			rc = ss->base_id[0] ? diff_close_candidates(&ss->before, &ss->after, mem_cand,
								   &l) : 0;
		else
			rc = store_close_candidates(ss->st, ss->scan_id, cand_add, &l);
		if (rc < 0) {
			fail(ss, "%s", l.oom || ss->mem ? "out of memory" : store_error(ss->st));
			goto out;
		}
		store_trace("%zu close candidates", l.n);
		if (l.n && confirm(l.v, l.n, cud) != 0) {
			fail(ss, "confirming closed ports failed");
			goto out;
		}
		for (size_t i = 0; i < l.n; i++) {
			const struct store_port *c = &l.v[i];

			if (!c->confirmed[0])
				continue;
			if (store_confirm(ss->st, ss->scan_id, c, c->confirmed) < 0) {
				fail(ss, "storing a confirmation: %s", store_error(ss->st));
				goto out;
			}
			if (ss->mem && diff_side_confirm(&ss->after, c->ip, c->port, c->protocol,
							 c->confirmed) < 0) {
				fail(ss, "out of memory");
				goto out;
			}
		}
	}
	if (st == STORE_RUNNING) {
		ret = 0;
		goto out;
	}
	if (store_end_scan_sides(ss->st, ss->scan_id, ss->shard, st, ss->ended_at,
				 ss->mem ? ss->base_id : NULL, ss->mem ? &ss->before : NULL,
				 ss->mem ? &ss->after : NULL, cb, ud, &ss->changes) != 0) {
		fail(ss, "ending scan %s: %s", ss->scan_id, store_error(ss->st));
		goto out;
	}
	ss->final_state = st;
	ret = 0;
out:
	free(l.v);
	return ret;
}

void sink_store_close(struct sink_store *ss)
{
	if (!ss)
		return;
	stop_writer(ss);
	pthread_mutex_destroy(&ss->mu);
	pthread_cond_destroy(&ss->cv_data);
	pthread_cond_destroy(&ss->cv_space);
	pthread_cond_destroy(&ss->cv_done);
	free(ss->in.p);
	free(ss->work.p);
	free(ss->scope);
	free(ss->scope_desc);
	diff_side_free(&ss->before);
	diff_side_free(&ss->after);
	free(ss);
}

const char *sink_store_error(const struct sink_store *ss)
{
	return ss->err;
}

void sink_store_stats(const struct sink_store *ss, struct sink_store_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->events = ss->events;
	st->skipped = ss->skipped;
	st->commits = ss->commits;
	snprintf(st->scan_id, sizeof(st->scan_id), "%s", ss->scan_id);
	st->state = ss->final_state;
	st->changes = ss->changes;
}
