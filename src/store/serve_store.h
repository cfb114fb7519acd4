/* SPDX-License-Identifier: MIT */
/*
 * What `fastport serve` keeps in the results store beside the scans: its
 * tasks (so a restarted serve lists them and resumes the unfinished ones)
 * and the reading of exposure changes for GET /v1/changes.
 *
 * The tasks table is serve's own: created on first use with CREATE TABLE
 * IF NOT EXISTS (one text for SQLite and PostgreSQL, as store.c's), not a
 * migration of the scan schema, which readers of the store never need.
 * Functions return 0 or STORE_EFAIL with store_error(); a store handle is
 * used by one thread at a time, as everywhere.
 */
#ifndef FP_STORE_SERVE_STORE_H
#define FP_STORE_SERVE_STORE_H

#include <stdbool.h>

#include "store.h"

/* One task as stored. Strings may be NULL (SQL NULL) except id, task,
 * state and created. */
struct store_task {
	const char *id;          /* serve's id of the task (32 hex digits) */
	const char *task;        /* the task as JSON (serve's task object) */
	const char *state;       /* queued, running, complete, interrupted, failed */
	const char *created, *started, *ended; /* RFC 3339 */
	const char *error;       /* failed: why */
	const char *idempotency_key;
	const char *scan_id;     /* the store's scan id of its events */
	bool cancelled;          /* interrupted by DELETE: not resumed at start */
};

/* Creates the tasks table when missing. */
int store_tasks_init(struct store *s);

/* Inserts the task or replaces every column of the stored one with id. */
int store_task_put(struct store *s, const struct store_task *t);

/* Every task, oldest first; cb's non-zero return stops (and is returned). */
int store_task_list(struct store *s, int (*cb)(const struct store_task *t, void *ud), void *ud);

/*
 * The exposure_change events of scans that ended after `since`: an RFC
 * 3339 time in the stored form (UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ"), or
 * NULL for every change; ordered by the end of their scan, then address,
 * port and protocol. cb gets each event's JSON (no newline).
 */
int store_changes_since(struct store *s, const char *since, store_change_cb cb, void *ud);

/* When scan_id ended: 1 and the time in out, 0 when it has not ended (or
 * is unknown), or STORE_EFAIL. */
int store_scan_ended_at(struct store *s, const char *scan_id, char out[static 64]);

#endif
