/* SPDX-License-Identifier: MIT */
/*
 * Event sinks: each output format is one const vtable. The scanner calls
 * them one at a time (never concurrently) in the order open, event...,
 * flush..., close.
 */
#ifndef FP_SINK_H
#define FP_SINK_H

#include "json.h"

struct sink;

struct sink_ops {
	const char *name;
	/* Called once before any event; fd stays owned by the caller. */
	int (*open)(struct sink *s, int fd);
	/* One complete event. May buffer; returns 0 or FP_EIO (s->err is set). */
	int (*event)(struct sink *s, const fp_event_t *ev);
	/* Writes everything buffered, whole lines only. */
	int (*flush)(struct sink *s);
	void (*close)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	int fd;
	int err;         /* errno of the first write failure, 0 if none */
	struct jbuf out;
};

extern const struct sink_ops sink_ndjson;
extern const struct sink_ops sink_list;

/* Shared by the sinks: writes out.p fully, keeping lines whole on a
 * regular file when the disk fills (the file is cut back to the last
 * complete line). Returns 0 or FP_EIO. */
int sink_write_out(struct sink *s);

#endif
