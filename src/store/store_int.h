/* SPDX-License-Identifier: MIT */
/* The store's backend interface: what sqlite.c and postgres.c implement. */
#ifndef FP_STORE_INT_H
#define FP_STORE_INT_H

#include <stdarg.h>

#include "store.h"

/* One SQL parameter. Text is bound as text, integers as integers (SQLite
 * compares a text '1' and an integer 1 as different values). */
struct sqlv {
	enum { SQLV_NULL, SQLV_TEXT, SQLV_INT } t;
	const char *s;
	int64_t i;
};

/* Text (NULL: SQL NULL) and integer parameters. */
static inline struct sqlv sqlv_text(const char *s)
{
	return (struct sqlv){ .t = s ? SQLV_TEXT : SQLV_NULL, .s = s };
}

static inline struct sqlv sqlv_int(int64_t i)
{
	return (struct sqlv){ .t = SQLV_INT, .i = i };
}

#define SQL_T(x) sqlv_text(x)
#define SQL_I(x) sqlv_int((int64_t)(x))

/* One result row: ncol columns as text, NULL for SQL NULL; valid during
 * the call. Non-zero stops the query (the query then returns that value). */
typedef int (*store_row_cb)(int ncol, const char *const *col, void *ud);

/*
 * A backend. SQL given to query uses $1..$n placeholders (each backend
 * binds them by number) and only syntax both SQLite >= 3.24 and
 * PostgreSQL >= 10 accept, so store.c's SQL is one text for both. Every
 * member fills s->err (a complete sentence naming the store) on failure
 * and returns STORE_EFAIL.
 */
struct store_ops {
	const char *name; /* "sqlite", "postgresql" */
	/* Rows computed by the program cost a round trip and a plan per
	 * statement: a scope's first exposure is better inserted by the
	 * server from the stored findings (PostgreSQL). */
	bool set_based;
	/* Allocates the backend's handle (struct store first), connects or
	 * opens u->target. Nothing of the schema is assumed yet. On failure
	 * returns STORE_EFAIL, *out NULL and the reason in err. */
	int (*open)(const struct store_url *u, unsigned flags, struct store **out,
		    char *err, size_t errlen);
	void (*close)(struct store *s);
	/* One statement with n parameters; each row (if any) goes to cb,
	 * which may be NULL. Outside a transaction the statement commits. */
	int (*query)(struct store *s, const char *sql, const struct sqlv *p, int n,
		     store_row_cb cb, void *ud);
	/* A write transaction. exclusive: also serializes with every other
	 * exclusive transaction on the store (migrations). */
	int (*begin)(struct store *s, bool exclusive);
	int (*commit)(struct store *s);
	void (*rollback)(struct store *s);
	/* The ingest fast path: put_event adds one event to the current batch
	 * (which may be held in memory), flush writes and commits the batch,
	 * or sends it (the outcome of a batch sent is then read by the next
	 * call of any member). A failed batch leaves nothing of it stored.
	 * Never called inside begin/commit. */
	int (*put_event)(struct store *s, const struct store_event *ev);
	int (*flush)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	char where[160];  /* "sqlite:/path" or "postgresql://host/db" (no password) */
	char writer[128]; /* "host pid starttime" of this process */
	char err[512];
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_postgres_ops;

/* Formats s->err; returns STORE_EFAIL. */
int store_fail(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Migrations, one array of statements per version, in order (schema.c). */
struct store_migration {
	int version;
	const char *const *sql; /* NULL-terminated */
};
extern const struct store_migration store_migrations[];
extern const size_t store_nmigrations;

#endif
