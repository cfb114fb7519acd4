/* SPDX-License-Identifier: MIT */
/*
 * Scan methods: how the probes of a plan reach the targets and how their
 * answers come back. One file per method, each a const vtable, chosen by
 * engine_run(): scan_method_raw (raw.c: stateless packets on AF_PACKET or
 * AF_XDP, answers from an RX ring) and scan_method_connect (connect.c:
 * non-blocking connect() on epoll, no privileges needed).
 *
 * engine_run() has set up everything methods share before it calls run:
 * the plan (s->plan), the order (s->perm, s->seed, s->shard_n), the answer
 * bitmap (s->answered, loaded when resuming: s->resuming, s->start_pass),
 * the event context and the counters. After run returns it reports the
 * probes never answered and emits scan_completed; the method reports
 * nothing of that itself.
 */
#ifndef FP_METHOD_H
#define FP_METHOD_H

struct fp_scanner;

struct scan_method {
	const char *name;       /* scan_started's "method" */
	/*
	 * run: the whole scan on the calling thread. In order it
	 *  - opens what it sends and receives with (sockets, rings) and may
	 *    fail before any event with FP_E* and s->err (scanner_fail);
	 *  - calls engine_ready() (the caller's on_ready hook: privilege drop)
	 *    once nothing more needs privileges, then engine_begin_events()
	 *    with its own facts for scan_started (this starts the scan clock,
	 *    s->t0);
	 *  - walks the shard's positions (perm_at(&s->perm, shard_pos(...)))
	 *    for every pass (or retries inside one walk), skipping what
	 *    engine_skip() says, until done or engine_stopping();
	 *  - hands every answer to engine_record() (from any of its threads)
	 *    and calls engine_tick() from this thread only, at least every few
	 *    milliseconds while it waits;
	 *  - calls engine_pass_begin() at the start of each pass;
	 *  - closes everything it opened and joins its threads before it
	 *    returns 0 or FP_E* (s->err).
	 * While it runs, s->method_ctx may point at its own state.
	 */
	int (*run)(struct fp_scanner *s);
	/*
	 * stats (may be NULL): adds counters only the method knows (packets
	 * its receive ring dropped) to s->st. Called by engine_tick(), so on
	 * run's thread and only while run runs.
	 */
	void (*stats)(struct fp_scanner *s);
};

extern const struct scan_method scan_method_raw;
extern const struct scan_method scan_method_connect;

#endif
