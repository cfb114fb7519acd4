/* SPDX-License-Identifier: MIT */
/*
 * Durability of `fastport serve`: the state directory, the tasks kept in
 * the store (restored and requeued at start), and the checkpoints of a
 * running scan (a thread per scan writes STATE/checkpoints/ID.state every
 * second, after the store committed every event delivered so far).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "serve/serve.h"
#include "store/serve_store.h"
#include "store/sink_store.h"
#include "store/store.h"

#define CKPT_PERIOD_MS 1000

struct serve_durable {
	pthread_mutex_t lock;        /* the store handle; taken before sv->lock, never inside */
	struct store *st;            /* NULL: tasks are not kept (--store none) */
	char *ckpt_dir;              /* STATE/checkpoints */
};

/* mkdir -p, each missing directory 0700. */
static int mkdirs(const char *path, char *err, size_t errlen)
{
	char *d = strdup(path);
	int ret = 0;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (char *p = d + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", d, strerror(errno));
			ret = -1;
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(d);
	return ret;
}

int serve_state_dir(const char *opt, char **out, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	*out = NULL;
	if (opt && opt[0] != '/') {
		snprintf(err, errlen, "--state-dir: '%s' is not an absolute path", opt);
		return -1;
	}
	if (opt)
		n = asprintf(out, "%s", opt);
	else if (xdg && xdg[0] == '/')
		n = asprintf(out, "%s/fastport", xdg);
	else if (home && home[0] == '/')
		n = asprintf(out, "%s/.local/state/fastport", home);
	else {
		snprintf(err, errlen, "no state directory: give --state-dir, or set $XDG_STATE_HOME "
			 "or $HOME (absolute paths)");
		return -1;
	}
	if (n < 0) {
		*out = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (strlen(*out) > 1 && (*out)[strlen(*out) - 1] == '/')
		(*out)[strlen(*out) - 1] = '\0';
	return mkdirs(*out, err, errlen);
}

/* ---- the task as JSON ---- */

static json_t *str_list(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The task in the form task_parse() reads (malloc'ed), or NULL. */
static char *task_json(const struct serve_task *t)
{
	json_t *o = json_object();
	char *s = NULL;

	if (!o)
		return NULL;
	json_object_set_new(o, "targets", str_list(t->targets, t->ntargets));
	if (t->nexclude)
		json_object_set_new(o, "exclude", str_list(t->exclude, t->nexclude));
	if (t->ports)
		json_object_set_new(o, "ports", json_string(t->ports));
	if (t->rate)
		json_object_set_new(o, "rate", json_integer((json_int_t)t->rate));
	if (t->has_retries)
		json_object_set_new(o, "retries", json_integer(t->retries));
	if (t->seed)
		json_object_set_new(o, "seed", json_integer((json_int_t)t->seed));
	if (t->states) {
		char buf[64], *save = NULL;
		json_t *a = json_array();

		task_states_format(t->states, buf);
		for (char *w = strtok_r(buf, ",", &save); a && w; w = strtok_r(NULL, ",", &save))
			json_array_append_new(a, json_string(w));
		json_object_set_new(o, "states", a);
	}
	if (t->service_scan)
		json_object_set_new(o, "service_scan", json_true());
	if (t->connect)
		json_object_set_new(o, "connect", json_true());
	if (t->allow_reserved)
		json_object_set_new(o, "allow_reserved", json_true());
	if (t->name)
		json_object_set_new(o, "name", json_string(t->name));
	if (t->idempotency_key)
		json_object_set_new(o, "idempotency_key", json_string(t->idempotency_key));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* ---- tasks in the store ---- */

void serve_durable_put(struct serve *sv, struct serve_scan *sc)
{
	struct serve_durable *d = sv->dur;
	struct store_task t;
	char created[32], started[32], ended[32], scan_id[64], error[512];

	if (!d || !d->st)
		return;
	pthread_mutex_lock(&d->lock);
	pthread_mutex_lock(&sv->lock);
	memcpy(created, sc->created, sizeof(created));
	memcpy(started, sc->started, sizeof(started));
	memcpy(ended, sc->ended, sizeof(ended));
	memcpy(scan_id, sc->scan_id, sizeof(scan_id));
	memcpy(error, sc->error, sizeof(error));
	t = (struct store_task){
		.id = sc->id, .task = sc->task_json, .state = serve_state_name(sc->state),
		.created = created, .started = started[0] ? started : NULL,
		.ended = ended[0] ? ended : NULL, .error = error[0] ? error : NULL,
		.idempotency_key = sc->task.idempotency_key,
		.scan_id = scan_id[0] ? scan_id : NULL, .cancelled = sc->cancel,
	};
	pthread_mutex_unlock(&sv->lock);
	/* The id, the task and its key never change once the scan exists. */
	if (t.task && store_task_put(d->st, &t) < 0) {
		fprintf(stderr, "fastport: serve: scan %s: storing the task: %s\n", sc->id,
			store_error(d->st));
		__atomic_add_fetch(&sc->store_errors, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&d->lock);
}

int serve_durable_task(struct serve_scan *sc)
{
	sc->task_json = task_json(&sc->task);
	return sc->task_json ? 0 : -1;
}

static enum scan_state state_of(const char *s)
{
	for (int i = 0; i < SCAN_NSTATES; i++)
		if (!strcmp(s, serve_state_name((enum scan_state)i)))
			return (enum scan_state)i;
	return SCAN_FAILED;
}

struct restore {
	struct serve *sv;
	struct serve_scan *resume_head, **resume_tail; /* were running: first */
	struct serve_scan *queued_head, **queued_tail;
	struct serve_scan *refused;    /* no longer allowed: failed now */
	size_t n, requeued;
};

static int restore_row(const struct store_task *t, void *ud)
{
	struct restore *r = ud;
	struct serve *sv = r->sv;
	struct serve_scan *sc;
	char err[256];
	enum scan_state st = state_of(t->state);
	bool resume = st == SCAN_RUNNING || (st == SCAN_INTERRUPTED && !t->cancelled);

	if (strlen(t->id) != SERVE_ID_LEN || serve_scan_find(sv, t->id))
		return 0;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -1;
	if (task_parse(t->task, strlen(t->task), &sc->task, err, sizeof(err)) < 0 ||
	    !(sc->task_json = strdup(t->task))) {
		fprintf(stderr, "fastport: serve: stored task %s: %s\n", t->id, err);
		task_free(&sc->task);
		free(sc);
		return 0;
	}
	memcpy(sc->id, t->id, SERVE_ID_LEN + 1);
	snprintf(sc->created, sizeof(sc->created), "%s", t->created);
	snprintf(sc->started, sizeof(sc->started), "%s", t->started ? t->started : "");
	snprintf(sc->ended, sizeof(sc->ended), "%s", t->ended ? t->ended : "");
	snprintf(sc->error, sizeof(sc->error), "%s", t->error ? t->error : "");
	snprintf(sc->scan_id, sizeof(sc->scan_id), "%s", t->scan_id ? t->scan_id : "");
	sc->cancel = t->cancelled;
	sc->state = st;
	sc->last.struct_size = sizeof(sc->last);
	if (sv->last)
		sv->last->next = sc;
	else
		sv->scans = sc;
	sv->last = sc;
	sv->nscans++;
	r->n++;
	/* The --allow and --max-rate of this start apply to what runs again. */
	if ((resume || st == SCAN_QUEUED) &&
	    ((sc->task.rate && sc->task.rate > sv->o.max_rate) ||
	     scope_check(sv->scope, sc->task.targets, sc->task.ntargets, sc->task.exclude,
			 sc->task.nexclude, sc->task.allow_reserved, err, sizeof(err)) != 0)) {
		if (sc->task.rate > sv->o.max_rate)
			snprintf(err, sizeof(err), "rate %llu is above --max-rate",
				 (unsigned long long)sc->task.rate);
		snprintf(sc->error, sizeof(sc->error), "not run again at restart: %s", err);
		sc->state = SCAN_FAILED;
		serve_now(sc->ended);
		sc->qnext = r->refused;
		r->refused = sc;
	} else if (resume) {
		sc->state = SCAN_QUEUED;
		sc->ended[0] = '\0';
		sc->resumed = true;
		*r->resume_tail = sc;
		r->resume_tail = &sc->qnext;
		r->requeued++;
	} else if (st == SCAN_QUEUED) {
		*r->queued_tail = sc;
		r->queued_tail = &sc->qnext;
		r->requeued++;
	}
	return 0;
}

int serve_durable_open(struct serve *sv, const char *state_dir, char *err, size_t errlen)
{
	struct serve_durable *d = calloc(1, sizeof(*d));
	struct restore r = { .sv = sv };

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&d->lock, NULL);
	sv->dur = d;
	if (asprintf(&d->ckpt_dir, "%s/checkpoints", state_dir) < 0) {
		d->ckpt_dir = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (mkdirs(d->ckpt_dir, err, errlen) < 0)
		return -1;
	if (!sv->store_url)
		return 0;
	if (store_open(sv->store_url, STORE_OPEN_CREATE, &d->st, err, errlen) < 0)
		return -1;
	r.resume_tail = &r.resume_head;
	r.queued_tail = &r.queued_head;
	if (store_tasks_init(d->st) < 0 || store_task_list(d->st, restore_row, &r) != 0) {
		snprintf(err, errlen, "the tasks in the store: %s", store_error(d->st));
		return -1;
	}
	/* The scans that ran when serve last stopped go first, then the
	 * queue as it was, each in the order they were posted. */
	*r.resume_tail = r.queued_head;
	sv->qhead = r.resume_head;
	sv->qtail = NULL;
	for (struct serve_scan *q = sv->qhead; q; q = q->qnext)
		sv->qtail = q;
	sv->nqueued = r.requeued;
	while (r.refused) {
		struct serve_scan *sc = r.refused;

		r.refused = sc->qnext;
		sc->qnext = NULL;
		fprintf(stderr, "fastport: serve: scan %s: %s\n", sc->id, sc->error);
		serve_durable_forget(sv, sc);
		serve_durable_put(sv, sc);
	}
	if (r.n)
		fprintf(stderr, "fastport: serve: %zu stored tasks, %zu queued again\n", r.n,
			r.requeued);
	return 0;
}

void serve_durable_close(struct serve *sv)
{
	struct serve_durable *d = sv->dur;

	if (!d)
		return;
	if (d->st)
		store_close(d->st);
	pthread_mutex_destroy(&d->lock);
	free(d->ckpt_dir);
	free(d);
	sv->dur = NULL;
}

/* ---- the store's scan id ---- */

int serve_durable_scan_id(struct serve *sv, struct serve_scan *sc)
{
	uint8_t rnd[16];
	char id[33];

	pthread_mutex_lock(&sv->lock);
	if (sc->scan_id[0]) {
		pthread_mutex_unlock(&sv->lock);
		return 0;
	}
	pthread_mutex_unlock(&sv->lock);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	pthread_mutex_lock(&sv->lock);
	memcpy(sc->scan_id, id, sizeof(id));
	pthread_mutex_unlock(&sv->lock);
	return 0;
}

/* ---- checkpoints ---- */

static int ckpt_path(const struct serve *sv, const struct serve_scan *sc, bool tmp,
		     char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s.state%s", sv->dur->ckpt_dir, sc->id, tmp ? ".tmp" : "");

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int serve_durable_load(struct serve *sv, struct serve_scan *sc, fp_scanner_t *s, char *err,
		       size_t errlen)
{
	char path[4096];
	int fd, ret;

	if (!sv->dur || !sc->resumed || ckpt_path(sv, sc, false, path, sizeof(path)) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* never checkpointed: the scan starts again (same scan id) */
	ret = fp_scanner_load_state(s, fd);
	close(fd);
	if (ret == FP_EEMPTY)
		return 0;
	if (ret < 0) {
		snprintf(err, errlen, "checkpoint %s: %s", path, fp_scanner_error(s));
		return -1;
	}
	return 1;
}

void serve_durable_forget(struct serve *sv, struct serve_scan *sc)
{
	char path[4096];

	if (sv->dur && ckpt_path(sv, sc, false, path, sizeof(path)) == 0)
		unlink(path);
}

struct serve_ckpt {
	struct serve *sv;
	struct serve_scan *sc;
	fp_scanner_t *s;
	struct sink_store *sink;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, started;
	uint64_t written, failed;
};

/*
 * One checkpoint: the scanner's state into ID.state.tmp; then the store
 * commits every event queued so far, which includes every event the
 * checkpoint marks (fp_scanner_checkpoint's contract); then fsync and
 * rename over ID.state, and fsync of the directory. A failure anywhere
 * keeps the previous checkpoint. 0, or -1 (nothing to checkpoint yet, or
 * a failure: errno-style text on stderr for real failures).
 */
static int ckpt_write(struct serve_ckpt *c)
{
	char tmp[4096], path[4096];
	int fd, ret, dfd;

	if (ckpt_path(c->sv, c->sc, true, tmp, sizeof(tmp)) < 0 ||
	    ckpt_path(c->sv, c->sc, false, path, sizeof(path)) < 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "fastport: serve: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	ret = fp_scanner_checkpoint(c->s, fd);
	if (ret == 0 && c->sink && sink_store_flush(c->sink) < 0)
		ret = -1;
	if (ret == 0 && fsync(fd) < 0) {
		fprintf(stderr, "fastport: serve: fsync %s: %s\n", tmp, strerror(errno));
		ret = -1;
	}
	if (close(fd) < 0 && ret == 0)
		ret = -1;
	if (ret == 0 && rename(tmp, path) < 0) {
		fprintf(stderr, "fastport: serve: rename %s: %s\n", tmp, strerror(errno));
		ret = -1;
	}
	if (ret < 0) {
		unlink(tmp);
		return -1;
	}
	dfd = open(c->sv->dur->ckpt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	c->written++;
	return 0;
}

static void *ckpt_main(void *arg)
{
	struct serve_ckpt *c = arg;
	struct timespec dl;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += CKPT_PERIOD_MS / 1000;
		dl.tv_nsec += (long)(CKPT_PERIOD_MS % 1000) * 1000000;
		if (dl.tv_nsec >= 1000000000) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000;
		}
		while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &dl) != ETIMEDOUT)
			;
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		ckpt_write(c);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct serve_ckpt *serve_ckpt_start(struct serve *sv, struct serve_scan *sc, fp_scanner_t *s,
				    struct sink_store *sink)
{
	struct serve_ckpt *c;
	pthread_condattr_t ca;

	/* Without the store nothing of the events outlives the process:
	 * a checkpoint would skip what no one kept. */
	if (!sv->dur || !sv->dur->st || !sink)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = (struct serve_ckpt){ .sv = sv, .sc = sc, .s = s, .sink = sink };
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&c->thr, NULL, ckpt_main, c) == 0)
		c->started = true;
	else
		fprintf(stderr, "fastport: serve: scan %s: no checkpoint thread\n", sc->id);
	return c;
}

int serve_ckpt_stop(struct serve_ckpt *c, bool final)
{
	int ret = 0;

	if (!c)
		return 0;
	if (c->started) {
		pthread_mutex_lock(&c->mu);
		c->stop = true;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thr, NULL);
	}
	/* The scan stopped: its last state, for the next start or a resume. */
	if (final)
		ret = ckpt_write(c);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	return ret;
}

/* ---- GET /v1/changes ---- */

/*
 * An RFC 3339 time ("2026-12-05T10:00:00Z", fractions and offsets allowed)
 * in the stored form: UTC with microseconds. 0, or -1 when it is none.
 */
static int rfc3339_utc(const char *s, char out[static 32])
{
	struct tm tm = { 0 };
	const char *p;
	long usec = 0, scale = 100000;
	int off = 0;
	time_t t;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't'))
		return -1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			if (scale)
				usec += (*p - '0') * scale;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '2' && p[2] >= '0' &&
		   p[2] <= '9' && p[3] == ':' && p[4] >= '0' && p[4] <= '5' && p[5] >= '0' &&
		   p[5] <= '9') {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else {
		return -1;
	}
	if (*p || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	t -= off;
	gmtime_r(&t, &tm);
	if (strftime(out, 21, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		return -1;
	snprintf(out + 19, 13, ".%06ldZ", usec);
	return 0;
}

static bool is_hex_id(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && n <= STORE_ID_MAX && strspn(s, "0123456789abcdef") == n;
}

int serve_changes(struct serve *sv, const char *since, int (*cb)(const char *json, size_t len,
								 void *ud),
		  void *ud, int *status, char *err, size_t errlen)
{
	struct serve_durable *d = sv->dur;
	char from[64] = "", id[STORE_ID_MAX + 1], name[STORE_ID_MAX + 1];
	int ret;

	*status = 400;
	if (since && !since[0])
		since = NULL;
	if (since && rfc3339_utc(since, from) < 0 && !is_hex_id(since)) {
		snprintf(err, errlen, "since: expected an RFC 3339 time (2026-12-05T10:00:00Z) or a "
			 "scan id, got '%.64s'", since);
		return -1;
	}
	if (!d || !d->st) {
		*status = 404;
		snprintf(err, errlen, "no store (--store none): no exposure changes are kept");
		return -1;
	}
	pthread_mutex_lock(&d->lock);
	if (since && !from[0]) {
		/* A serve scan's id names its store scan. */
		struct serve_scan *sc;

		pthread_mutex_lock(&sv->lock);
		sc = strlen(since) == SERVE_ID_LEN ? serve_scan_find(sv, since) : NULL;
		snprintf(name, sizeof(name), "%s", sc && sc->scan_id[0] ? sc->scan_id : since);
		pthread_mutex_unlock(&sv->lock);
		if (store_resolve_scan(d->st, name, id) < 0) {
			snprintf(err, errlen, "since: %s", store_error(d->st));
			ret = -1;
			goto out;
		}
		ret = store_scan_ended_at(d->st, id, from);
		if (ret <= 0) {
			snprintf(err, errlen, "since: scan %s %s", id,
				 ret < 0 ? store_error(d->st) : "has not ended");
			ret = -1;
			goto out;
		}
	}
	*status = 500;
	ret = store_changes_since(d->st, since ? from : NULL, cb, ud);
	if (ret < 0)
		snprintf(err, errlen, "%s", store_error(d->st));
	else
		*status = 200;
out:
	pthread_mutex_unlock(&d->lock);
	return ret < 0 ? -1 : 0;
}
