/* SPDX-License-Identifier: MIT */
/* The scans of `fastport serve`: the registry, the queue, the workers that run each scan on its own fp_scanner. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "serve/serve.h"
#ifdef FP_FLEET
#include "fleet/collect.h"
#endif
#include "store/sink_store.h"
#include "store/store.h"

/* More queued scans than this: 503. */
#define SERVE_QUEUE_MAX 1000

static const char *const state_names[SCAN_NSTATES] = {
	"queued", "running", "complete", "interrupted", "failed",
};

const char *serve_state_name(enum scan_state st)
{
	return st < SCAN_NSTATES ? state_names[st] : "unknown";
}

struct serve_scan *serve_scan_find(struct serve *sv, const char *id)
{
	for (struct serve_scan *sc = sv->scans; sc; sc = sc->next)
		if (!strcmp(sc->id, id))
			return sc;
	return NULL;
}

struct serve_scan *serve_scan_find_key(struct serve *sv, const char *key)
{
	for (struct serve_scan *sc = sv->scans; sc; sc = sc->next)
		if (sc->task.idempotency_key && !strcmp(sc->task.idempotency_key, key))
			return sc;
	return NULL;
}

void serve_scan_stats(const struct serve_scan *sc, fp_stats_t *st)
{
	if (sc->state == SCAN_RUNNING && sc->exec && sc->exec->stats(sc, st))
		return;
	*st = sc->last;
}

/* Under sv->lock. A queued scan leaves the queue interrupted; a running
 * one is stopped (its callback also stops it, should the stop come
 * before the scan began and be forgotten). */
void serve_scan_cancel(struct serve *sv, struct serve_scan *sc)
{
	struct serve_scan **pp;

	sc->cancel = true;
	if (sc->state == SCAN_QUEUED) {
		for (pp = &sv->qhead; *pp; pp = &(*pp)->qnext)
			if (*pp == sc) {
				*pp = sc->qnext;
				break;
			}
		sv->qtail = NULL;
		for (struct serve_scan *q = sv->qhead; q; q = q->qnext)
			sv->qtail = q;
		sv->nqueued--;
		sc->state = SCAN_INTERRUPTED;
		serve_now(sc->ended);
		pthread_cond_broadcast(&sv->events);
	} else if (sc->state == SCAN_RUNNING && sc->exec) {
		sc->exec->stop(sv, sc);
	}
}

/* What the scanner's callback needs. */
struct run_ctx {
	struct serve *sv;
	struct serve_scan *sc;
	bool interrupted;
};

/* Keeps one event in sc's memory, within --max-events; under sv->lock. */
static void serve_event_append(struct serve *sv, struct serve_scan *sc, const char *json, size_t len,
			int kind)
{
	sc->events_seen++;
	if (kind == FP_EVENT_PORT_STATE || kind == FP_EVENT_SERVICE)
		sc->findings++;
	if (sc->events_bytes + len > sv->o.max_events_bytes && kind != FP_EVENT_SCAN_COMPLETED) {
		sc->events_dropped++;
	} else {
		char *copy = NULL;

		if (sc->nev == sc->capev) {
			size_t cap = sc->capev ? 2 * sc->capev : 64;
			struct serve_event *n = realloc(sc->ev, cap * sizeof(*n));

			if (n) {
				sc->ev = n;
				sc->capev = cap;
			}
		}
		if (sc->nev < sc->capev)
			copy = malloc(len + 1);
		if (copy) {
			memcpy(copy, json, len);
			copy[len] = '\0';
			sc->ev[sc->nev++] = (struct serve_event){ copy, len, kind };
			sc->events_bytes += len;
		} else {
			sc->events_dropped++;
		}
	}
}

static int on_event(const fp_event_t *ev, void *ud)
{
	struct run_ctx *rc = ud;
	struct serve *sv = rc->sv;
	struct serve_scan *sc = rc->sc;
	int stop;

#ifdef FP_FLEET
	if ((int)ev->kind == FLEET_EVENT_SHARD) {
		/* A shard's first record (the collector passes each once). */
		bool ok = strstr(ev->json, "\"status\":\"complete\"") != NULL;

		pthread_mutex_lock(&sv->lock);
		if (ok)
			sc->shards_complete++;
		else
			sc->shards_failed++;
		pthread_cond_broadcast(&sv->events);
		stop = sc->cancel || sv->shutdown;
		pthread_mutex_unlock(&sv->lock);
		return stop;
	}
#endif
	if (ev->kind == FP_EVENT_SCAN_STARTED) {
		/* The library's scan_id names the scan in its events and the store. */
		const char *p = strstr(ev->json, "\"scan_id\":\"");

		if (p) {
			size_t n = strcspn(p + 11, "\"");

			pthread_mutex_lock(&sv->lock);
			if (n < sizeof(sc->scan_id))
				snprintf(sc->scan_id, sizeof(sc->scan_id), "%.*s", (int)n, p + 11);
			pthread_mutex_unlock(&sv->lock);
		}
	}
	if (ev->kind == FP_EVENT_SCAN_COMPLETED && strstr(ev->json, "\"interrupted\":true"))
		rc->interrupted = true;
	if (sc->sink && sink_store_event(sc->sink, ev->json, ev->json_len) < 0)
		__atomic_add_fetch(&sc->store_errors, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&sv->lock);
	serve_event_append(sv, sc, ev->json, ev->json_len, (int)ev->kind);
	pthread_cond_broadcast(&sv->events);
	stop = sc->cancel || sv->shutdown;
	pthread_mutex_unlock(&sv->lock);
	return stop;
}

int serve_fleet_run(const struct serve *sv, const char *scan_id, const struct serve_task *t,
		    fp_config_t *cfg, bool (*stopped)(void *), void *ud, char *err, size_t errlen)
{
#ifdef FP_FLEET
	struct fleet_collect fc = { .url = sv->o.nats, .creds = sv->o.nats_creds,
				    .user_file = sv->o.nats_user_file, .tls_ca = sv->o.nats_tls_ca,
				    .scan_id = scan_id, .t = t, .on_event = cfg->on_event,
				    .ud = cfg->userdata, .stopped = stopped, .stop_ud = ud };

	return fleet_collect_run(&fc, err, errlen);
#else
	(void)sv, (void)scan_id, (void)t, (void)cfg, (void)stopped, (void)ud;
	snprintf(err, errlen, "this fastport was built without the fleet (FLEET=0)");
	return -1;
#endif
}

static void config_for(const struct serve *sv, const struct serve_task *t, fp_config_t *cfg)
{
	fp_config_init(cfg);
	cfg->out_fd = -1;
	cfg->rate = t->rate ? t->rate : (sv->o.max_rate < cfg->rate ? sv->o.max_rate : cfg->rate);
	if (t->has_retries)
		cfg->retries = t->retries;
	cfg->seed = t->seed;
	if (t->states)
		cfg->states = t->states;
	cfg->service_scan = t->service_scan;
	cfg->connect = t->connect || !sv->raw_ok;
	cfg->allow_reserved = t->allow_reserved && sv->o.allow_reserved;
}

int serve_scanner_for(const struct serve *sv, const struct serve_task *t, fp_config_t *cfg,
		      fp_scanner_t **out, char *err, size_t errlen)
{
	fp_scanner_t *s;

	if (fp_scanner_new(cfg, &s, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < t->ntargets; i++)
		if (fp_scanner_add_targets(s, t->targets[i]) < 0)
			goto bad;
	for (size_t i = 0; i < t->nexclude; i++)
		if (fp_scanner_add_exclude(s, t->exclude[i]) < 0)
			goto bad;
	if (t->ports && fp_scanner_set_ports(s, t->ports) < 0)
		goto bad;
	(void)sv;
	*out = s;
	return 0;
bad:
	snprintf(err, errlen, "%s", fp_scanner_error(s));
	fp_scanner_free(s);
	return -1;
}

/* Opens the store and a sink for the scan; on failure the scan runs
 * without it and the error is counted. */
static struct sink_store *store_for(struct serve *sv, struct serve_scan *sc, struct store **stp)
{
	const struct serve_task *t = &sc->task;
	struct sink_store_opts so = { 0 };
	struct sink_store *sink = NULL;
	char key[33], err[512], *desc = NULL;

	*stp = NULL;
	if (!sv->store_url)
		return NULL;
	if (store_scope_key((const char *const *)t->targets, t->ntargets,
			    (const char *const *)t->exclude, t->nexclude, t->ports ? t->ports : "",
			    t->allow_reserved && sv->o.allow_reserved, key, &desc, err, sizeof(err)) < 0 ||
	    serve_store_acquire(sv, stp, err, sizeof(err)) < 0)
		goto fail;
	so.scope = key;
	so.scope_desc = desc;
	if (sink_store_open(&sink, *stp, &so, err, sizeof(err)) < 0)
		goto fail;
	free(desc);
	return sink;
fail:
	fprintf(stderr, "fastport: serve: scan %s: store: %s\n", sc->id, err);
	__atomic_add_fetch(&sc->store_errors, 1, __ATOMIC_RELAXED);
	if (*stp)
		serve_store_release(sv, *stp);
	*stp = NULL;
	free(desc);
	return NULL;
}

/*
 * Durability around one run (durable.c): the scan keeps one store scan id
 * across restarts (cfg.scan_id), a requeued scan continues from its
 * checkpoint, a thread checkpoints the running scan every second, and a
 * stopped one is checkpointed once more before the store marks it.
 */
static int durable_begin(struct serve *sv, struct serve_scan *sc, fp_config_t *cfg,
			 char *err, size_t errlen)
{
	if (serve_durable_scan_id(sv, sc) < 0) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	cfg->scan_id = sc->scan_id; /* copied by fp_scanner_new */
	serve_durable_put(sv, sc);
	return 0;
}

static void durable_end(struct serve *sv, struct serve_scan *sc)
{
	if (sc->state == SCAN_COMPLETE || sc->state == SCAN_FAILED)
		serve_durable_forget(sv, sc);
	serve_durable_put(sv, sc);
}

static void scan_run(struct serve *sv, struct serve_scan *sc)
{
	struct run_ctx rc = { .sv = sv, .sc = sc };
	struct serve_exec_io io = { 0 };
	struct store *st = NULL;
	struct serve_ckpt *ck = NULL;
	fp_config_t cfg;
	char err[512] = "";
	int ret;

	config_for(sv, &sc->task, &cfg);
	cfg.on_event = on_event;
	cfg.userdata = &rc;
	if (sv->o.nats) /* a restored fleet scan: its shards from its task */
		sc->shards = sc->task.shards ? sc->task.shards : 1;
	ret = durable_begin(sv, sc, &cfg, err, sizeof(err));
	if (ret == 0) {
		sc->sink = store_for(sv, sc, &st);
		ck = serve_ckpt_start(sv, sc, sc->sink, &io);
		pthread_mutex_lock(&sv->lock);
		sc->exec = sv->exec;
		pthread_mutex_unlock(&sv->lock);
		/* A stopped scan (DELETE, SIGTERM) gives its last state through
		 * io.on_checkpoint before run returns. */
		ret = sv->exec->run(sv, sc, &cfg, &io, err, sizeof(err));
	}
	serve_ckpt_stop(ck);
	free(sc->resume_state);
	sc->resume_state = NULL;
	sc->resume_len = 0;
	if (sc->sink) {
		struct sink_store_stats ss;

		if (sink_store_finish(sc->sink, ret < 0 ? STORE_FAILED : -1, NULL, NULL, NULL,
				      NULL) < 0) {
			fprintf(stderr, "fastport: serve: scan %s: store: %s\n", sc->id,
				sink_store_error(sc->sink));
			__atomic_add_fetch(&sc->store_errors, 1, __ATOMIC_RELAXED);
		}
		sink_store_stats(sc->sink, &ss);
		sc->stored = ss.events;
		sink_store_close(sc->sink);
		sc->sink = NULL;
	}
	if (st)
		serve_store_release(sv, st);

	pthread_mutex_lock(&sv->lock);
	sc->exec = NULL;
	if (ret < 0) {
		sc->state = SCAN_FAILED;
		snprintf(sc->error, sizeof(sc->error), "%s", err);
	} else {
		sc->state = rc.interrupted || sc->cancel ? SCAN_INTERRUPTED : SCAN_COMPLETE;
	}
	serve_now(sc->ended);
	sv->sent_done += sc->last.sent;
	sv->replies_done[0] += sc->last.open;
	sv->replies_done[1] += sc->last.closed;
	sv->replies_done[2] += sc->last.filtered;
	sv->replies_done[3] += sc->last.open_filtered;
	sv->findings_done += sc->findings;
	sv->stored_done += sc->stored;
	sv->store_errors_done += sc->store_errors;
	pthread_cond_broadcast(&sv->events);
	pthread_mutex_unlock(&sv->lock);
	durable_end(sv, sc);
}

static void *worker_main(void *arg)
{
	struct serve *sv = arg;

	pthread_mutex_lock(&sv->lock);
	for (;;) {
		struct serve_scan *sc;

		while (!sv->shutdown && !sv->qhead)
			pthread_cond_wait(&sv->work, &sv->lock);
		if (sv->shutdown)
			break;
		sc = sv->qhead;
		sv->qhead = sc->qnext;
		if (!sv->qhead)
			sv->qtail = NULL;
		sv->nqueued--;
		sc->state = SCAN_RUNNING;
		if (!sc->started[0]) /* a resumed scan keeps its first start */
			serve_now(sc->started);
		pthread_cond_broadcast(&sv->events);
		pthread_mutex_unlock(&sv->lock);
		scan_run(sv, sc);
		pthread_mutex_lock(&sv->lock);
	}
	pthread_mutex_unlock(&sv->lock);
	return NULL;
}

int serve_scans_start(struct serve *sv)
{
	sv->workers = calloc(sv->o.max_scans, sizeof(*sv->workers));
	if (!sv->workers)
		return -1;
	for (; sv->nworkers < sv->o.max_scans; sv->nworkers++)
		if (pthread_create(&sv->workers[sv->nworkers], NULL, worker_main, sv))
			return -1;
	return 0;
}

/* Shutdown (SIGTERM drains): running scans are stopped, checkpointed and
 * end interrupted, to be resumed at the next start; queued ones stay
 * queued (in the store); the workers are joined. A stop that comes
 * before a scan began is repeated by its callback (sv->shutdown). */
void serve_scans_stop(struct serve *sv)
{
	pthread_mutex_lock(&sv->lock);
	sv->shutdown = true;
	for (struct serve_scan *sc = sv->scans; sc; sc = sc->next)
		if (sc->state == SCAN_RUNNING && sc->scanner)
			fp_scanner_stop(sc->scanner);
	pthread_cond_broadcast(&sv->work);
	pthread_cond_broadcast(&sv->events);
	pthread_mutex_unlock(&sv->lock);
	for (unsigned i = 0; i < sv->nworkers; i++)
		pthread_join(sv->workers[i], NULL);
	free(sv->workers);
	sv->workers = NULL;
	sv->nworkers = 0;
}

int serve_scan_submit(struct serve *sv, struct serve_task *t, struct serve_scan **out,
		      int *status, char *err, size_t errlen,
		      void *(*snapshot)(const struct serve *, const struct serve_scan *), void **snap)
{
	struct serve_scan *sc, *old;
	uint8_t rnd[SERVE_ID_LEN / 2];
	fp_config_t cfg;
	fp_scanner_t *s;

	if (t->shards > 1 && !sv->o.nats) {
		snprintf(err, errlen, "shards: this sensor runs a scan as one shard (serve --nats "
			 "splits scans for the fleet)");
		*status = 400;
		return -1;
	}
#ifdef FP_FLEET
	if (sv->o.nats) {
		/* A fleet scan: its shards, one seed for all of them. */
		if (!t->shards)
			t->shards = fleet_shards_for(t);
		while (!t->seed) {
			if (getrandom(&t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed)) {
				snprintf(err, errlen, "getrandom: %s", strerror(errno));
				*status = 500;
				return -1;
			}
			t->seed &= (uint64_t)INT64_MAX;
		}
	}
#endif
	/* The library's parsers have the last word on targets and ports. */
	config_for(sv, t, &cfg);
	if (serve_scanner_for(sv, t, &cfg, &s, err, errlen) < 0) {
		*status = 400;
		return -1;
	}
	fp_scanner_free(s);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		*status = 500;
		return -1;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		snprintf(err, errlen, "out of memory");
		*status = 500;
		return -1;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(sc->id + 2 * i, 3, "%02x", rnd[i]);
#ifdef FP_FLEET
	/* A fleet scan: the fleet's scan id is the store's; an idempotency
	 * key gives the id `fastport submit --idempotency-key` gives. */
	if (sv->o.nats) {
		if (!t->idempotency_key || fleet_scan_id_for_key(t->idempotency_key, sc->scan_id) < 0)
			memcpy(sc->scan_id, sc->id, sizeof(sc->id));
		sc->shards = t->shards;
	}
#endif
	serve_now(sc->created);
	sc->task = *t; /* moved below, once the scan is registered */
	if (serve_durable_task(sc) < 0) {
		free(sc);
		snprintf(err, errlen, "out of memory");
		*status = 500;
		return -1;
	}
	pthread_mutex_lock(&sv->lock);
	if (t->idempotency_key && (old = serve_scan_find_key(sv, t->idempotency_key))) {
		*snap = snapshot(sv, old);
		pthread_mutex_unlock(&sv->lock);
		free(sc->task_json);
		free(sc);
		*out = old;
		*status = 200;
		return 0;
	}
	if (sv->shutdown || sv->nqueued >= SERVE_QUEUE_MAX) {
		pthread_mutex_unlock(&sv->lock);
		free(sc->task_json);
		free(sc);
		snprintf(err, errlen, "%s", sv->shutdown ? "shutting down" : "queue is full");
		*status = 503;
		return -1;
	}
	sc->task = *t;
	memset(t, 0, sizeof(*t));
	sc->state = SCAN_QUEUED;
	if (sv->last)
		sv->last->next = sc;
	else
		sv->scans = sc;
	sv->last = sc;
	sv->nscans++;
	if (sv->qtail)
		sv->qtail->qnext = sc;
	else
		sv->qhead = sc;
	sv->qtail = sc;
	sv->nqueued++;
	/* The answer is the scan as posted (queued), whatever a worker does next. */
	*snap = snapshot(sv, sc);
	pthread_cond_signal(&sv->work);
	pthread_mutex_unlock(&sv->lock);
	/* A worker may already have taken it: each write stores the scan as
	 * it is then, in the order of the writes, so the last one wins. */
	serve_durable_put(sv, sc);
	*out = sc;
	*status = 201;
	return 0;
}
