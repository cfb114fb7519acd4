/* SPDX-License-Identifier: MIT */
/* serve's tasks in the store, and exposure changes since a time (serve_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_store.h"
#include "store_int.h"

#define TASK_COLS "id, task, state, created_at, started_at, ended_at, error, idempotency_key," \
		  " scan_id, cancelled"

int store_tasks_init(struct store *s)
{
	int ret = s->ops->query(s, "CREATE TABLE IF NOT EXISTS serve_tasks ("
				" id TEXT PRIMARY KEY,"
				" task TEXT NOT NULL,"
				" state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'complete',"
				" 'interrupted', 'failed')),"
				" created_at TEXT NOT NULL,"
				" started_at TEXT,"
				" ended_at TEXT,"
				" error TEXT,"
				" idempotency_key TEXT,"
				" scan_id TEXT,"
				" cancelled INTEGER NOT NULL DEFAULT 0)", NULL, 0, NULL, NULL);

	if (ret == 0)
		ret = s->ops->query(s, "CREATE INDEX IF NOT EXISTS serve_tasks_created"
				    " ON serve_tasks (created_at, id)", NULL, 0, NULL, NULL);
	return ret;
}

int store_task_put(struct store *s, const struct store_task *t)
{
	struct sqlv p[10] = {
		SQL_T(t->id), SQL_T(t->task), SQL_T(t->state), SQL_T(t->created),
		SQL_T(t->started), SQL_T(t->ended), SQL_T(t->error), SQL_T(t->idempotency_key),
		SQL_T(t->scan_id), SQL_I(t->cancelled ? 1 : 0),
	};

	return s->ops->query(s, "INSERT INTO serve_tasks (" TASK_COLS ")"
			     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
			     " ON CONFLICT (id) DO UPDATE SET task = excluded.task,"
			     " state = excluded.state, created_at = excluded.created_at,"
			     " started_at = excluded.started_at, ended_at = excluded.ended_at,"
			     " error = excluded.error, idempotency_key = excluded.idempotency_key,"
			     " scan_id = excluded.scan_id, cancelled = excluded.cancelled",
			     p, 10, NULL, NULL);
}

struct task_list {
	int (*cb)(const struct store_task *t, void *ud);
	void *ud;
};

static int task_row(int ncol, const char *const *col, void *ud)
{
	struct task_list *l = ud;
	struct store_task t;

	if (ncol < 10 || !col[0] || !col[1] || !col[2] || !col[3])
		return 0;
	t = (struct store_task){ .id = col[0], .task = col[1], .state = col[2],
				 .created = col[3], .started = col[4], .ended = col[5],
				 .error = col[6], .idempotency_key = col[7], .scan_id = col[8],
				 .cancelled = col[9] && strcmp(col[9], "0") };
	return l->cb(&t, l->ud);
}

int store_task_list(struct store *s, int (*cb)(const struct store_task *t, void *ud), void *ud)
{
	struct task_list l = { cb, ud };

	return s->ops->query(s, "SELECT " TASK_COLS " FROM serve_tasks ORDER BY created_at, id",
			     NULL, 0, task_row, &l);
}

struct change_list {
	store_change_cb cb;
	void *ud;
};

static int change_row(int ncol, const char *const *col, void *ud)
{
	struct change_list *l = ud;

	if (ncol < 1 || !col[0])
		return 0;
	return l->cb(col[0], strlen(col[0]), l->ud);
}

int store_changes_since(struct store *s, const char *since, store_change_cb cb, void *ud)
{
	struct change_list l = { cb, ud };
	struct sqlv p[1] = { SQL_T(since ? since : "") };

	return s->ops->query(s, "SELECT c.event FROM changes c JOIN scans s ON s.scan_id = c.to_scan"
			     " WHERE s.ended_at IS NOT NULL AND s.ended_at > $1"
			     " ORDER BY s.ended_at, c.to_scan, c.addr, c.port, c.protocol",
			     p, 1, change_row, &l);
}

static int ended_row(int ncol, const char *const *col, void *ud)
{
	char *out = ud;

	if (ncol >= 1 && col[0])
		snprintf(out, 64, "%s", col[0]);
	return 0;
}

int store_scan_ended_at(struct store *s, const char *scan_id, char out[static 64])
{
	struct sqlv p[1] = { SQL_T(scan_id) };
	int ret;

	out[0] = '\0';
	ret = s->ops->query(s, "SELECT ended_at FROM scans WHERE scan_id = $1", p, 1, ended_row,
			    out);
	if (ret < 0)
		return ret;
	return out[0] ? 1 : 0;
}
