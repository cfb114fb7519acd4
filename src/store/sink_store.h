/* SPDX-License-Identifier: MIT */
/*
 * The store as an event consumer: the CLI hands it each threat_event_v1
 * line of a scan (from its fp_event_cb); a writer thread of its own parses
 * them (src/store/event_fast.c, else jansson) and stores them in batched
 * transactions, so the scan's threads only copy the line into a queue. A
 * batch's transaction is open only while the writer stores it: other
 * writers of the store get the lock between batches.
 *
 * Shape of a sink: open, event..., flush..., finish, close. sink_store_event
 * may be called from any thread but never from two at once (the scanner's
 * callback contract); the others from the thread that opened the sink.
 */
#ifndef FP_STORE_SINK_H
#define FP_STORE_SINK_H

#include "store.h"

struct sink_store_opts {
	const char *scope;       /* scope key (required) */
	const char *scope_desc;  /* readable scope, may be NULL */
	unsigned batch_events;   /* a batch is due at N events (0: 50000) */
	unsigned batch_ms;       /* or N ms after its first (0: 1000) */
	bool strict;             /* a line that does not parse fails the sink
				  * (otherwise it is counted and skipped) */
};

struct sink_store;

/* Starts the writer thread on an open store, which the sink uses until
 * sink_store_close (the caller keeps ownership). 0 or STORE_EFAIL (err). */
int sink_store_open(struct sink_store **out, struct store *st, const struct sink_store_opts *o,
		    char *err, size_t errlen);

/*
 * Queues one event (n bytes, no newline needed). Returns 0, or -1 once the
 * store has failed (sink_store_error says why): the caller should stop the
 * scan. Blocks only while 512 MiB of events wait for the writer.
 */
int sink_store_event(struct sink_store *ss, const char *json, size_t n);

/* Waits until everything queued so far is committed. 0 or -1. */
int sink_store_flush(struct sink_store *ss);

/*
 * Ends the scan: stops the writer after the last event, then marks the
 * scan (shard) ended. Its state is `state` when state >= 0, else taken
 * from the stream: complete after a scan_completed event that is not
 * interrupted, interrupted otherwise. For a complete scan with a confirm
 * callback: the ports open in the baseline and not open now are passed to
 * confirm (n of them), which re-probes them and sets each one's confirmed
 * member; the results are stored before the changes are computed. Each
 * exposure_change event goes to cb. Returns 0 (also when no event came:
 * nothing is stored), or -1 with sink_store_error().
 */
int sink_store_finish(struct sink_store *ss, int state,
		      int (*confirm)(struct store_port *c, size_t n, void *ud), void *cud,
		      store_change_cb cb, void *ud);

/* Stops the writer if finish was not called (what was queued is still
 * committed; the scan stays running until it is marked) and frees. */
void sink_store_close(struct sink_store *ss);

const char *sink_store_error(const struct sink_store *ss);

struct sink_store_stats {
	uint64_t events;    /* stored (put) */
	uint64_t skipped;   /* lines that did not parse (not strict) */
	uint64_t commits;
	char scan_id[STORE_ID_MAX + 1];
	enum store_state state; /* after finish */
	size_t changes;         /* after finish */
};
void sink_store_stats(const struct sink_store *ss, struct sink_store_stats *st);

#endif
