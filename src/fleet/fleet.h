/* SPDX-License-Identifier: MIT */
/*
 * The fleet on NATS JetStream (docs/SCALING.md): the names the agents,
 * `submit` and `results` agree on, the shard task they pass, and the
 * connection and stream set-up they share. Part of the fastport program
 * only (mk/fleet.mk), never of libfastport.
 *
 * Subjects and streams:
 *   fastport.task.<scan>.<K>          one shard task (FASTPORT_TASKS, a
 *                                     work queue, file storage); the
 *                                     durable pull consumer "agents"
 *   fastport.events.<scan>.finding    port_state and service events
 *   fastport.events.<scan>.shard      shard status records
 *                                     (both FASTPORT_EVENTS, file storage)
 *   fastport.telemetry.<agent>        heartbeats (core NATS, not stored)
 *   FASTPORT_CKPT (key-value bucket)  key <scan>.<K>: the resume state
 *                                     of a running shard
 */
#ifndef FP_FLEET_FLEET_H
#define FP_FLEET_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <nats/nats.h>

#include "cli/cli.h"
#include "fleet/collect.h"
#include "serve/task.h"

#define FLEET_TASKS_STREAM "FASTPORT_TASKS"
#define FLEET_EVENTS_STREAM "FASTPORT_EVENTS"
#define FLEET_CKPT_BUCKET "FASTPORT_CKPT"
#define FLEET_CONSUMER "agents"
#define FLEET_TASK_PREFIX "fastport.task."
#define FLEET_EVENTS_PREFIX "fastport.events."
#define FLEET_TELEMETRY_PREFIX "fastport.telemetry."
/*
 * JetStream's de-duplication windows (nanoseconds): a resubmission with
 * one idempotency key, and a finding published again by a redelivered
 * shard, are dropped by the server when they come within them. The
 * server keeps every id of the window in memory, so the events' window
 * only covers a redelivery (ack wait, then the shard's rerun from its
 * checkpoint); a later duplicate is still dropped by `results`, which
 * keeps the ids it printed (docs/SCALING.md).
 */
#define FLEET_TASK_DUP_WINDOW (24LL * 3600 * 1000000000)
#define FLEET_EVENT_DUP_WINDOW (15LL * 60 * 1000000000)
#define FLEET_SCAN_ID_LEN 32
#define FLEET_SHARDS_MAX 1000000

/* How to reach NATS: from --nats, --creds, --user-file, --tls-ca. */
struct fleet_conn_opts {
	const char *url;
	const char *creds;      /* NATS credentials file (JWT + nkey seed) */
	const char *user_file;  /* first line "user:password" */
	const char *tls_ca;     /* PEM CA bundle: the server must present TLS */
	const char *name;       /* the connection's name on the server */
};

/*
 * Connects (then keeps reconnecting, buffering what is published
 * meanwhile) and opens a JetStream context with *jso, which the caller
 * initialised (jsOptions_Init) and may have filled. On failure prints
 * "fastport: CMD: ..." naming the URL and the server's reason (an
 * authorization violation, no server) and returns -1.
 */
int fleet_connect(const char *cmd, const struct fleet_conn_opts *o, natsConnection **nc,
		  jsCtx **js, jsOptions *jso);

/*
 * Creates the two streams when missing (file storage, replicas copies: 1,
 * or 3 in a cluster), trying for about 30 s while JetStream is not ready
 * (a cluster still electing its leaders). 0 or -1 (printed).
 */
int fleet_ensure_streams(const char *cmd, jsCtx *js, int replicas);

/* One shard task, as on fastport.task.<scan>.<K>. */
struct fleet_task {
	char scan_id[FLEET_SCAN_ID_LEN + 1];
	uint32_t shard;         /* 1..shards */
	uint32_t shards;
	struct serve_task t;    /* the scan, in the task format of `serve` */
};

/*
 * Reads a shard task of len bytes: {"scan_id": 32 hex digits, "shard": K,
 * "shards": N, "task": {...}}, where "task" is a task of `fastport serve`
 * (src/serve/task.c, every member checked there) with a non-zero seed and
 * no "shards". Unknown members are refused. Returns 0 (release with
 * fleet_task_free) or -1 with the reason in err.
 */
int fleet_task_parse(const char *buf, size_t len, struct fleet_task *ft, char *err, size_t errlen);
void fleet_task_free(struct fleet_task *ft);

/*
 * Publishing a scan's shard tasks: what `fastport submit` and the
 * collector of `serve --nats` (src/fleet/collect.c) share. Filled by the
 * caller up to stop_after_try; the members after it are results.
 */
struct fleet_publish {
	jsCtx *js;
	const char *scan;        /* 32 hex digits */
	json_t *task;            /* the scan, a task of `serve` (src/serve/task.c) */
	uint32_t shards;         /* N: 1..FLEET_SHARDS_MAX */
	bool check;              /* refuse an envelope an agent would refuse (fleet_task_parse) */
	/*
	 * NULL, or asked whether to give up the shard being published. When
	 * stop_after_try is false it is asked before each try, so that a stop
	 * leaves the shard untried (status NATS_ERR); when true, only after a
	 * failed try, so that every shard is tried at least once.
	 */
	bool (*stopped)(void *stop_ud);
	void *stop_ud;
	bool stop_after_try;
	uint32_t dups;           /* out: shards the server had already (same message id) */
	uint32_t failed;         /* out, on FLEET_PUB_FAILED: the shard K */
	natsStatus status;       /* out, on FLEET_PUB_FAILED: its last js_Publish status */
};

enum {
	FLEET_PUB_NOMEM = -1,    /* an envelope could not be made */
	FLEET_PUB_REFUSED = -2,  /* check: fleet_task_parse's reason in err */
	FLEET_PUB_FAILED = -3,   /* failed, status (and nats_GetLastError) say why */
};

/*
 * Publishes shards 1..N of p->scan in order, each to FASTPORT_TASKS on
 * fastport.task.<scan>.<K> as the compact JSON {"scan_id":<scan>,
 * "shard":K,"shards":N,"task":<p->task>} (members in this order) with the
 * message id (Nats-Msg-Id) "<scan>.<K>", so that JetStream drops a shard
 * published again within FLEET_TASK_DUP_WINDOW. A failed try is retried
 * after 0.5 s, 60 tries per shard at most (a cluster may be electing a
 * leader; the id makes a retry safe), unless p->stopped says stop.
 * Stops at the first shard that fails: 0 when all are out, else one of
 * FLEET_PUB_* (the shards before it stay published). Prints nothing.
 */
int fleet_publish_shards(struct fleet_publish *p, char *err, size_t errlen);

/* "fastport.events.<scan>.finding" etc. into buf (of 96). */
void fleet_subject(char buf[static 96], const char *prefix, const char *scan, const char *tail);

/*
 * The message id of a finding: 32 hex digits of SHA-256 over scan id,
 * address, port, protocol and kind, so that a redelivered shard's second
 * report of one finding is dropped by JetStream. id has 33 bytes.
 */
void fleet_finding_id(char id[static 33], const char *scan, const char *ip, unsigned port,
		      unsigned proto, unsigned kind);

/* A status record's JSON: {"kind":"shard_status","scan_id":..,"shard":K,
 * "shards":N,"status":..,"agent":..,"reason":..}; malloc'd, NULL on
 * failure. reason may be NULL. */
char *fleet_status_json(const char *scan, uint32_t k, uint32_t n, const char *status,
			const char *agent, const char *reason);

/* The MAX_DELIVERIES advisory of the agents' consumer: a shard task
 * delivered --max-deliver times without an acknowledgement. */
#define FLEET_MAXDELIV_ADVISORY "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." \
	FLEET_TASKS_STREAM "." FLEET_CONSUMER

/* Whether an advisory waits on sub (without blocking). */
static inline bool advisory_pending(natsSubscription *sub)
{
	int msgs = 0, bytes = 0;

	return natsSubscription_GetPending(sub, &msgs, &bytes) == NATS_OK && msgs > 0;
}

/* Subcommands (src/fleet/agent.c, src/fleet/submit.c). */
cli_main_fn cmd_agent, cmd_submit, cmd_results, cmd_agents;
cli_usage_fn cmd_agent_usage, cmd_submit_usage, cmd_results_usage, cmd_agents_usage;

/* The message ids seen (findings once): a set of 128-bit keys, open
 * addressing. fleet_idset_add takes a 32-hex-digit id (other text is
 * hashed) and returns 1 when new, 0 when seen, -1 on no memory; free k. */
struct fleet_idset {
	uint64_t (*k)[2];
	size_t cap, n;
};
int fleet_idset_add(struct fleet_idset *st, const char *id);

#endif
