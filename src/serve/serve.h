/* SPDX-License-Identifier: MIT */
/*
 * `fastport serve`: the tasking and telemetry API of one sensor.
 *
 * Threads. libmicrohttpd runs the HTTP side (a thread per connection, a
 * bounded number of connections); --max-scans worker threads take queued
 * scans in order and run each on its own fp_scanner; the main thread waits
 * for SIGINT/SIGTERM. Every scan and the registry are guarded by the
 * registry's one mutex; a scan's events are appended under it by the
 * scanner's callback and read under it by the HTTP threads (a condition
 * variable wakes the followers).
 */
#ifndef FP_SERVE_SERVE_H
#define FP_SERVE_SERVE_H

#include <pthread.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fastport.h"
#include "serve/scope.h"
#include "serve/task.h"

#define SERVE_BODY_MAX (64 * 1024)       /* request bodies: 413 beyond */
#define SERVE_ID_LEN 32                  /* hex digits of a scan id */

enum scan_state { SCAN_QUEUED, SCAN_RUNNING, SCAN_COMPLETE, SCAN_INTERRUPTED, SCAN_FAILED,
		  SCAN_NSTATES };

struct serve_event {
	char *json;      /* one line, no newline */
	size_t len;
	int kind;        /* FP_EVENT_* */
};

struct serve_scan {
	char id[SERVE_ID_LEN + 1];
	struct serve_task task;
	enum scan_state state;
	bool cancel;                 /* DELETE asked; the worker stops the scan */
	char created[32], started[32], ended[32]; /* RFC 3339; "" while not yet */
	char scan_id[64];            /* the library's scan_id (events), "" until known */
	char error[512];             /* failed: why */
	fp_scanner_t *scanner;       /* while running */
	fp_stats_t last;             /* counters when the scan ended */
	uint64_t findings;           /* port_state and service events */
	uint64_t events_seen;
	uint64_t events_dropped;     /* beyond the memory bound (still stored) */
	size_t events_bytes;
	struct serve_event *ev;      /* the events kept in memory, in order */
	size_t nev, capev;
	struct serve_scan *next;     /* registry order (oldest first) */
	struct serve_scan *qnext;    /* queue */
	struct sink_store *sink;     /* while running, when the store is on */
	uint64_t stored, store_errors;
	/* While running in a scan child (privsep.c): its pid (0 before it is
	 * spawned and after it ended) and its latest counters. */
	const struct serve_exec *exec; /* while running: how (stop, stats) */
	int exec_pid;
	bool exec_stop;              /* a stop was asked before the pid was known */
	fp_stats_t live;
	bool live_ok;
	char *task_json;             /* the task as kept in the store (durable.c) */
	bool resumed;                /* requeued at start: continue from its checkpoint */
	/* The store's events of the scan, read for GET .../events once a scan
	 * that ran before this start of serve (ended then, or resumed since)
	 * has ended: each finding once, whatever ran twice. */
	bool ev_loaded;
	struct serve_event *sev;
	size_t nsev, capsev, sev_bytes;
	void *resume_state;          /* that checkpoint, read at start (before the drop) */
	size_t resume_len;
	/* A fleet scan (serve --nats): its shards, those reported complete
	 * and those failed or refused (src/fleet/collect.h). */
	uint32_t shards, shards_complete, shards_failed;
};

struct serve;

/* What a scan gets and gives besides its events (resume states). */
struct serve_exec_io {
	const void *resume;          /* a state to continue (fp_scanner_load_state's bytes), or NULL */
	size_t resume_len;
	/* Each resume state the scan saves (may be NULL); any thread of the
	 * executor, one call at a time. */
	void (*on_checkpoint)(const void *state, size_t len, void *ud);
	void *ud;
	uint32_t checkpoint_ms;      /* between live states (fp_scanner_checkpoint); 0: 1000 */
};

/*
 * How a scan runs: in this process (scans.c, serve_exec_inproc) or in a
 * scan child of the privileged parent (privsep.c, serve_exec_privsep).
 *
 * run: runs sc's task with cfg (cfg->on_event and cfg->userdata get every
 * event, one at a time; the privsep executor fills kind, json and
 * json_len only) until it completes, is stopped or fails. Called by a
 * worker thread under no lock. Before returning it sets sc->last (under
 * sv->lock) to the final counters. Returns 0 (completed or stopped) or
 * -1 with the reason in err.
 * stop: asks a running scan to stop; under sv->lock, any thread.
 * stats: the live counters of a running scan; under sv->lock; false when
 * there are none yet.
 */
struct serve_exec {
	const char *name;
	int (*run)(struct serve *sv, struct serve_scan *sc, fp_config_t *cfg,
		   const struct serve_exec_io *io, char *err, size_t errlen);
	void (*stop)(struct serve *sv, struct serve_scan *sc);
	bool (*stats)(const struct serve_scan *sc, fp_stats_t *st);
};

extern const struct serve_exec serve_exec_inproc;

struct serve_opts {
	const char *listen;          /* ADDR:PORT */
	char **allow;
	size_t nallow;
	bool allow_reserved;
	const char *token_file;
	const char *store_url;       /* "none": no store */
	const char *tls_cert, *tls_key;
	const char *user;            /* privsep: the unprivileged user (default nobody) */
	uint64_t max_rate;
	unsigned max_scans;
	size_t max_events_bytes;     /* per scan, in memory */
	const char *state_dir;       /* --state-dir; NULL: XDG_STATE_HOME/fastport */
	/* --nats: every task goes to the fleet (src/fleet/collect.h); with
	 * the agent's connection options. NULL: scans run here. */
	const char *nats, *nats_creds, *nats_user_file, *nats_tls_ca;
};

struct serve {
	struct serve_opts o;
	struct serve_scope *scope;
	char *token;                 /* NULL: no authentication (loopback only) */
	size_t token_len;
	struct store_url *store_url; /* NULL: no store */
	bool raw_ok;                 /* raw sockets permitted: SYN scans */
	struct sockaddr_storage addr; /* --listen */
	char *tls_cert_pem, *tls_key_pem; /* NULL: plain HTTP */
	int listen_fd;               /* bound and listening before any drop; -1: MHD binds */
	const struct serve_exec *exec; /* how scans run */
	struct privsep *ps;          /* privsep.c: the channel to the privileged parent */
	struct serve_store_pool *pool; /* store handles opened before the drop (store_pool.c) */

	pthread_mutex_t lock;
	pthread_cond_t work;         /* a scan was queued, or shutdown */
	pthread_cond_t events;       /* events appended or a scan ended */
	struct serve_scan *scans, *last;
	struct serve_scan *qhead, *qtail;
	size_t nqueued, nscans;
	bool shutdown;
	pthread_t *workers;
	unsigned nworkers;
	struct serve_durable *dur;   /* tasks and checkpoints (durable.c); NULL: none */

	/* Counters of scans that ended (running ones are read live). */
	uint64_t sent_done, replies_done[4], findings_done, stored_done, store_errors_done;
	uint64_t http_requests;
	double start_time;           /* process_start_time_seconds */
};

/* scans.c */
int serve_scans_start(struct serve *sv);
void serve_scans_stop(struct serve *sv);
/* Creates and queues a scan for a checked task (moved into the scan on
 * success). Under no lock. 0 and *out; -1 with err (a 400 or 500:
 * *status says which). *snap is snapshot(sv, the scan) taken under sv->lock
 * as it is queued (or found by its idempotency key), before any worker
 * can take it: the answer to the POST. */
int serve_scan_submit(struct serve *sv, struct serve_task *t, struct serve_scan **out,
		      int *status, char *err, size_t errlen,
		      void *(*snapshot)(const struct serve *, const struct serve_scan *), void **snap);
/* The caller holds sv->lock. */
struct serve_scan *serve_scan_find(struct serve *sv, const char *id);
struct serve_scan *serve_scan_find_key(struct serve *sv, const char *key);
void serve_scan_cancel(struct serve *sv, struct serve_scan *sc);
const char *serve_state_name(enum scan_state st);
/* A scanner configured for the task and cfg; -1 with err naming the bad spec. */
int serve_scanner_for(const struct serve *sv, const struct serve_task *t, fp_config_t *cfg,
		      fp_scanner_t **out, char *err, size_t errlen);
/* A fleet scan (sv->o.nats): runs the collector for sc's task, the
 * events to cfg->on_event, until stopped(ud) (fleet_collect_run). */
int serve_fleet_run(const struct serve *sv, const char *scan_id, const struct serve_task *t,
		    fp_config_t *cfg, bool (*stopped)(void *), void *ud, char *err, size_t errlen);
/* The scan's counters now (live while running). Under sv->lock. */
void serve_scan_stats(const struct serve_scan *sc, fp_stats_t *st);

/* store_pool.c: a store handle for a scan. With a pool (serve_store_pool_open,
 * before the privilege drop: the unprivileged process may not reach the
 * store's files by name) one of its handles, else a new one. 0, or -1
 * with err. */
int serve_store_pool_open(struct serve *sv, unsigned n, char *err, size_t errlen);
void serve_store_pool_close(struct serve *sv);
struct store;
int serve_store_acquire(struct serve *sv, struct store **out, char *err, size_t errlen);
void serve_store_release(struct serve *sv, struct store *st);

/*
 * durable.c: tasks in the store, checkpoints under the state directory.
 *
 * serve_state_dir: the state directory (opt, else $XDG_STATE_HOME/fastport
 *   or ~/.local/state/fastport), created 0700; *out malloc'ed. 0 or -1 (err).
 * serve_durable_open: before the workers start: STATE/checkpoints, and with
 *   a store its tasks table; restores the stored tasks into the registry
 *   and queues the unfinished ones (running or interrupted by a stop of
 *   serve first, then the queued). 0 or -1 (err).
 * serve_durable_task: the task's JSON for the store (sc->task_json); 0/-1.
 * serve_durable_put: writes sc's row (state, times, error, scan id). Not
 *   under sv->lock (it takes it to read sc).
 * serve_durable_scan_id: gives sc a store scan id if it has none (the
 *   scanner's cfg.scan_id: one id across resumes). Not under sv->lock.
 * serve_ckpt_start: what a run needs for durability: io->resume (a
 *   requeued scan's checkpoint, read at start) and io->on_checkpoint, which
 *   has the store commit every event delivered so far (each event a
 *   checkpoint marks: fp_scanner_checkpoint's contract; the privsep stream
 *   brings them before the state), then writes STATE/checkpoints/ID.state
 *   (temporary file, fsync, rename, fsync of the directory; a failure keeps
 *   the previous one). NULL (no store or state directory): nothing kept.
 * serve_ckpt_stop: ends that; frees the resume state. NULL is fine.
 * serve_durable_chown: before the privilege drop: gives the checkpoint
 *   directory to the unprivileged user (it writes there through an fd,
 *   serve_durable_dirfd, the one fd its seccomp filter lets it open at).
 * serve_durable_events: for a scan that ran before this start of serve and
 *   has ended: reads its stored events into sc->sev, once, and returns
 *   true; false when the scan's own memory (sc->ev) is the record. Not
 *   under sv->lock.
 * serve_durable_forget: removes the scan's checkpoint (complete, failed).
 * serve_changes: GET /v1/changes: each exposure_change event since an
 *   RFC 3339 time or the end of a scan (store or serve id) to cb. 0, or -1
 *   with *status (400 bad since, 404 no store, 500) and err.
 */
struct serve_ckpt;
struct sink_store;
int serve_state_dir(const char *opt, char **out, char *err, size_t errlen);
int serve_durable_open(struct serve *sv, const char *state_dir, char *err, size_t errlen);
void serve_durable_close(struct serve *sv);
int serve_durable_task(struct serve_scan *sc);
void serve_durable_put(struct serve *sv, struct serve_scan *sc);
int serve_durable_scan_id(struct serve *sv, struct serve_scan *sc);
void serve_durable_forget(struct serve *sv, struct serve_scan *sc);
bool serve_durable_events(struct serve *sv, struct serve_scan *sc);
struct serve_ckpt *serve_ckpt_start(struct serve *sv, struct serve_scan *sc,
				    struct sink_store *sink, struct serve_exec_io *io);
void serve_ckpt_stop(struct serve_ckpt *c);
int serve_durable_chown(struct serve *sv, uid_t uid, gid_t gid, char *err, size_t errlen);
int serve_durable_dirfd(const struct serve *sv); /* the checkpoint directory, or -1 */
int serve_changes(struct serve *sv, const char *since,
		  int (*cb)(const char *json, size_t len, void *ud), void *ud, int *status,
		  char *err, size_t errlen);

/* http.c */
struct MHD_Daemon;
struct MHD_Daemon *serve_http_start(struct serve *sv, char *err, size_t errlen);
void serve_now(char buf[static 32]);

#endif
