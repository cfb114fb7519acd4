/* SPDX-License-Identifier: MIT */
/*
 * A scan task as posted to `fastport serve` (DESIGN.md, "Sensor contracts"):
 * the JSON object read into plain C, every member checked for its type and
 * bounds. Nothing here knows addresses or ports: the targets and ports are
 * kept as text for the library's own parsers (scope.c, the scanner).
 */
#ifndef FP_SERVE_TASK_H
#define FP_SERVE_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds of a task: a body is at most SERVE_BODY_MAX bytes anyway. */
#define TASK_LIST_MAX 1024     /* targets, exclude */
#define TASK_STR_MAX 4096      /* one target, exclude or the port spec */
#define TASK_NAME_MAX 256
#define TASK_KEY_MAX 128       /* idempotency_key */
#define TASK_SHARDS_MAX 100000 /* shards (more than one: serve --nats only) */

struct serve_task {
	char **targets;            /* ntargets >= 1 strings */
	size_t ntargets;
	char **exclude;
	size_t nexclude;
	char *ports;               /* NULL: the library's default list */
	uint64_t rate;             /* 0: not given */
	uint32_t retries;          /* valid when has_retries */
	bool has_retries;
	uint64_t seed;             /* 0: random */
	uint32_t states;           /* 1U << FP_STATE_*; 0: not given (open) */
	uint32_t shards;           /* 0: not given; more than 1: serve --nats only */
	bool service_scan;
	bool connect;              /* connect() scan instead of raw SYN */
	bool allow_reserved;       /* the task asks for reserved ranges */
	char *name;                /* NULL when not given */
	char *idempotency_key;     /* NULL when not given */
};

/*
 * Parses a task of len bytes (need not be NUL-terminated). Unknown members
 * are refused (a typo must not silently widen or change a scan). Returns 0
 * and fills *t (release with task_free), or -1 with the reason in err;
 * then *t holds nothing to free.
 */
int task_parse(const char *buf, size_t len, struct serve_task *t, char *err, size_t errlen);
void task_free(struct serve_task *t);

/* "open,closed" etc. for the states bits (buf of 64). */
void task_states_format(uint32_t states, char buf[static 64]);

#endif
