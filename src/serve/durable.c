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
#include "serve/since.h"
#include "store/serve_store.h"
#include "store/sink_store.h"
#include "store/store.h"

#define CKPT_PERIOD_MS 1000
#define PUT_TRIES 12 /* writes of a task's row, each waiting the store's busy timeout */

struct serve_durable {
	pthread_mutex_t lock;        /* the store handle; taken before sv->lock, never inside */
	struct store *st;            /* NULL: tasks are not kept (--store none) */
	char *ckpt_dir;              /* STATE/checkpoints */
	int ckpt_fd;                 /* that directory, opened at start; -1 */
};

/* A resume state is about n / 8 bytes for n probes: far below this. */
#define CKPT_MAX_BYTES (1ULL << 30)

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
	if (t->shards > 1) /* a fleet scan (serve --nats) */
		json_object_set_new(o, "shards", json_integer((json_int_t)t->shards));
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
	/*
	 * The id, the task and its key never change once the scan exists.
	 * SQLite has one writer at a time, and a running scan's store sink
	 * holds that lock most of the time (a batch stays open while events
	 * come): one wait of the backend's busy timeout may miss every gap
	 * between its commits, so a few more are tried before giving up.
	 */
	for (int i = 0; t.task && i < PUT_TRIES; i++) {
		if (store_task_put(d->st, &t) == 0)
			break;
		if (i + 1 == PUT_TRIES) {
			fprintf(stderr, "fastport: serve: scan %s: storing the task: %s\n", sc->id,
				store_error(d->st));
			__atomic_add_fetch(&sc->store_errors, 1, __ATOMIC_RELAXED);
		}
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

static void ckpt_read(struct serve_durable *d, struct serve_scan *sc);

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
		ckpt_read(sv->dur, sc);
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
	d->ckpt_fd = -1;
	sv->dur = d;
	if (asprintf(&d->ckpt_dir, "%s/checkpoints", state_dir) < 0) {
		d->ckpt_dir = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (mkdirs(d->ckpt_dir, err, errlen) < 0)
		return -1;
	d->ckpt_fd = open(d->ckpt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->ckpt_fd < 0) {
		snprintf(err, errlen, "%s: %s", d->ckpt_dir, strerror(errno));
		return -1;
	}
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
	if (d->ckpt_fd >= 0)
		close(d->ckpt_fd);
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

/*
 * STATE/checkpoints/ID.state, one per unfinished scan. Written by the
 * process that runs the HTTP side, which under privilege separation is
 * unprivileged and sandboxed: so every access after the start goes
 * through d->ckpt_fd (openat, renameat, unlinkat), the directory is given
 * to that user before the drop (serve_durable_chown) and a requeued scan's
 * checkpoint is read at start (restore_row), never afterwards.
 */
static int ckpt_name(const struct serve_scan *sc, bool tmp, char *out, size_t len)
{
	int n = snprintf(out, len, "%s.state%s", sc->id, tmp ? ".tmp" : "");

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* A requeued scan's checkpoint into sc->resume_state (none: starts again,
 * with the same scan id). Bounded by the largest state a plan can have. */
static void ckpt_read(struct serve_durable *d, struct serve_scan *sc)
{
	char name[SERVE_ID_LEN + 16];
	struct stat st;
	void *buf;
	int fd;

	if (d->ckpt_fd < 0 || ckpt_name(sc, false, name, sizeof(name)) < 0)
		return;
	fd = openat(d->ckpt_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > CKPT_MAX_BYTES || !(buf = malloc((size_t)st.st_size))) {
		close(fd);
		return;
	}
	if (read(fd, buf, (size_t)st.st_size) != (ssize_t)st.st_size) {
		fprintf(stderr, "fastport: serve: scan %s: checkpoint unreadable: starting again\n",
			sc->id);
		free(buf);
	} else {
		sc->resume_state = buf;
		sc->resume_len = (size_t)st.st_size;
	}
	close(fd);
}

void serve_durable_forget(struct serve *sv, struct serve_scan *sc)
{
	char name[SERVE_ID_LEN + 16];

	if (sv->dur && sv->dur->ckpt_fd >= 0 && ckpt_name(sc, false, name, sizeof(name)) == 0)
		unlinkat(sv->dur->ckpt_fd, name, 0);
}

int serve_durable_chown(struct serve *sv, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (!sv->dur || sv->dur->ckpt_fd < 0)
		return 0;
	if (fchown(sv->dur->ckpt_fd, uid, gid) < 0) {
		snprintf(err, errlen, "%s: %s", sv->dur->ckpt_dir, strerror(errno));
		return -1;
	}
	return 0;
}

int serve_durable_dirfd(const struct serve *sv)
{
	return sv->dur ? sv->dur->ckpt_fd : -1;
}

struct serve_ckpt {
	struct serve *sv;
	struct serve_scan *sc;
	struct sink_store *sink;
	uint64_t written, failed;
};

/* io->on_checkpoint: the executor's thread, one call at a time. */
static void ckpt_take(const void *state, size_t len, void *ud)
{
	struct serve_ckpt *c = ud;
	int dfd = c->sv->dur->ckpt_fd, fd;
	char tmp[SERVE_ID_LEN + 16], name[SERVE_ID_LEN + 16];
	const char *p = state;
	size_t off = 0;
	int ret = 0;

	if (ckpt_name(c->sc, true, tmp, sizeof(tmp)) < 0 ||
	    ckpt_name(c->sc, false, name, sizeof(name)) < 0)
		return;
	/* First the store: every event the state marks answered is kept. */
	if (c->sink && sink_store_flush(c->sink) < 0) {
		c->failed++;
		return;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fprintf(stderr, "fastport: serve: checkpoint %s: %s\n", tmp, strerror(errno));
		c->failed++;
		return;
	}
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = -1;
			break;
		}
		off += (size_t)n;
	}
	if (ret == 0 && fsync(fd) < 0)
		ret = -1;
	if (close(fd) < 0)
		ret = -1;
	if (ret == 0 && renameat(dfd, tmp, dfd, name) < 0)
		ret = -1;
	if (ret < 0) {
		fprintf(stderr, "fastport: serve: checkpoint %s: %s\n", name, strerror(errno));
		unlinkat(dfd, tmp, 0);
		c->failed++;
		return;
	}
	fsync(dfd);
	c->written++;
}

struct serve_ckpt *serve_ckpt_start(struct serve *sv, struct serve_scan *sc,
				    struct sink_store *sink, struct serve_exec_io *io)
{
	struct serve_ckpt *c;

	if (sc->resume_state) {
		io->resume = sc->resume_state;
		io->resume_len = sc->resume_len;
	}
	/* Without the store nothing of the events outlives the process:
	 * a checkpoint would skip what no one kept. */
	if (!sv->dur || !sv->dur->st || sv->dur->ckpt_fd < 0 || !sink)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = (struct serve_ckpt){ .sv = sv, .sc = sc, .sink = sink };
	io->on_checkpoint = ckpt_take;
	io->ud = c;
	io->checkpoint_ms = CKPT_PERIOD_MS;
	return c;
}

void serve_ckpt_stop(struct serve_ckpt *c)
{
	free(c);
}

/* ---- a scan's events of earlier runs ---- */

struct ev_load {
	struct serve *sv;
	struct serve_scan *sc;
};

static int ev_loaded(const struct store_event *ev, void *ud)
{
	static const char *const kinds[] = {
		[FP_EVENT_SCAN_STARTED] = "scan_started", [FP_EVENT_PORT_STATE] = "port_state",
		[FP_EVENT_TELEMETRY] = "telemetry", [FP_EVENT_SCAN_COMPLETED] = "scan_completed",
		[FP_EVENT_SERVICE] = "service",
	};
	struct ev_load *l = ud;
	struct serve_scan *sc = l->sc;
	int kind = -1;
	char *copy;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i] && ev->kind && !strcmp(ev->kind, kinds[i]))
			kind = (int)i;
	if (kind < 0 || !ev->json || !ev->json_len)
		return 0; /* exposure changes and kinds of later versions: not scan events */
	if (sc->sev_bytes + ev->json_len > l->sv->o.max_events_bytes)
		return 1; /* --max-events: the rest stays in the store (export) */
	if (sc->nsev == sc->capsev) {
		size_t cap = sc->capsev ? 2 * sc->capsev : 64;
		struct serve_event *n = realloc(sc->sev, cap * sizeof(*n));

		if (!n)
			return 1;
		sc->sev = n;
		sc->capsev = cap;
	}
	copy = malloc(ev->json_len + 1);
	if (!copy)
		return 1;
	memcpy(copy, ev->json, ev->json_len);
	copy[ev->json_len] = '\0';
	sc->sev[sc->nsev++] = (struct serve_event){ copy, ev->json_len, kind };
	sc->sev_bytes += ev->json_len;
	return 0;
}

bool serve_durable_events(struct serve *sv, struct serve_scan *sc)
{
	struct serve_durable *d = sv->dur;
	struct ev_load l = { sv, sc };
	char id[sizeof(sc->scan_id)];
	bool from_store, load;

	if (!d || !d->st)
		return false;
	/* A second reader waits here for the first to have read them all;
	 * sc->sev is written only here, under d->lock, before ev_loaded. */
	pthread_mutex_lock(&d->lock);
	pthread_mutex_lock(&sv->lock);
	from_store = sc->scan_id[0] && sc->state >= SCAN_COMPLETE && (sc->resumed || !sc->nev);
	load = from_store && !sc->ev_loaded;
	memcpy(id, sc->scan_id, sizeof(id));
	pthread_mutex_unlock(&sv->lock);
	if (load) {
		if (store_load_events(d->st, id, ev_loaded, &l) < 0)
			fprintf(stderr, "fastport: serve: scan %s: its stored events: %s\n", sc->id,
				store_error(d->st));
		pthread_mutex_lock(&sv->lock);
		sc->ev_loaded = true;
		pthread_mutex_unlock(&sv->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return from_store;
}

/* ---- GET /v1/changes ---- */

int serve_changes(struct serve *sv, const char *since, int (*cb)(const char *json, size_t len,
								 void *ud),
		  void *ud, int *status, char *err, size_t errlen)
{
	struct serve_durable *d = sv->dur;
	char from[64] = "", id[STORE_ID_MAX + 1], name[STORE_ID_MAX + 1];
	enum since_kind kind = SINCE_BAD;
	int ret;

	*status = 400;
	if (since && !since[0])
		since = NULL;
	if (since && (kind = since_parse(since, from)) == SINCE_BAD) {
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
	if (since && kind == SINCE_SCAN) {
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
