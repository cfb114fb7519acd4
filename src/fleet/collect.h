/* SPDX-License-Identifier: MIT */
/*
 * The fleet collector of `fastport serve --nats` (src/fleet/collect.c):
 * publishes a scan's shard tasks to FASTPORT_TASKS as `fastport submit`
 * does and collects its findings and shard records from FASTPORT_EVENTS.
 * No NATS type here: serve includes it whatever its build.
 */
#ifndef FP_FLEET_COLLECT_H
#define FP_FLEET_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fastport.h"
#include "serve/task.h"

/* The kind serve's event callback gets for a shard status record (not an
 * FP_EVENT_*: it is neither kept nor stored, it moves the shard counters). */
#define FLEET_EVENT_SHARD 31

/* Shards of a task without "shards": one per FLEET_PROBES_PER_SHARD
 * probes of the estimated plan (fleet_shards_for), 1..FLEET_AUTO_SHARDS_MAX. */
#define FLEET_PROBES_PER_SHARD 65536
#define FLEET_AUTO_SHARDS_MAX 64

struct fleet_collect {
	const char *url, *creds, *user_file, *tls_ca; /* as the agent's options */
	const char *scan_id;     /* 32 hex digits: the fleet's and the store's scan id */
	const struct serve_task *t; /* with its seed (non-zero) and shards (>= 1) */
	/* Each finding once (kind FP_EVENT_PORT_STATE or FP_EVENT_SERVICE),
	 * each first shard record (FLEET_EVENT_SHARD), then a scan_completed;
	 * from one thread. Non-zero asks to stop. */
	int (*on_event)(const fp_event_t *ev, void *ud);
	void *ud;
	/* Polled about twice a second: true stops collecting (DELETE). */
	bool (*stopped)(void *stop_ud);
	void *stop_ud;
};

/*
 * Publishes the shards and collects until every shard is complete (0),
 * one failed or was refused (-1, the first reason in err), or a stop
 * (0; the scan's queued shard tasks are purged and the scan_completed
 * event says interrupted). -1 with err when NATS cannot be reached.
 */
int fleet_collect_run(const struct fleet_collect *fc, char *err, size_t errlen);

/*
 * The scan id of an idempotency key (SHA-256, 32 hex digits): `submit
 * --idempotency-key K` and a task of `serve --nats` with "idempotency_key"
 * K name one scan. id has 33 bytes. 0 or -1.
 */
int fleet_scan_id_for_key(const char *key, char id[static 33]);

/* The estimated probes of t (addresses in the targets, exclusions not
 * subtracted, times the ports; the default port list counts 1000) and the
 * shards: ceil(probes / FLEET_PROBES_PER_SHARD) within 1..FLEET_AUTO_SHARDS_MAX. */
uint32_t fleet_shards_for(const struct serve_task *t);

#endif
