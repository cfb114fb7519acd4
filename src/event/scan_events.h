/* SPDX-License-Identifier: MIT */
/*
 * The events that frame a scan: scan_started (what runs, how) and the
 * counter events telemetry and scan_completed. They take plain facts, not
 * the scanner, so the encoding has no part in the engine's lifecycle.
 */
#ifndef FP_SCAN_EVENTS_H
#define FP_SCAN_EVENTS_H

#include "event.h"

/*
 * What scan_started says. The first group is the run's (the engine fills
 * it); the second the scan method's, each member left out of the event
 * when NULL, empty or 0.
 */
struct scan_facts {
	uint64_t probes;          /* positions of this shard in one pass */
	uint64_t rate;
	uint32_t retries;
	uint32_t wait_ms;
	uint64_t seed;
	const char *seed_source;  /* "user", "plan", "random" or "resume" */
	uint32_t shard, shard_count;
	const char *method;       /* "raw", "connect" */

	const char *cookie_impl;  /* cookie code the senders use */
	const char *send_path;    /* "ring", "xdp" */
	const char *xdp_mode;     /* "zerocopy", "copy" */
	uint32_t send_threads;    /* with send_path */
	const char *send_fallback;/* with send_path: why the preferred path was not used */
	const char *interface;
	const char *source_ip;
};

/* A whole scan_started event (no newline). */
void event_scan_started(struct jbuf *b, struct event_ctx *ec, const struct scan_facts *f);

/*
 * A whole telemetry or scan_completed event (kind) with the counters of st;
 * scan_completed also says whether the scan was interrupted.
 */
void event_scan_counters(struct jbuf *b, struct event_ctx *ec, const char *kind,
			 const fp_stats_t *st, bool interrupted);

#endif
