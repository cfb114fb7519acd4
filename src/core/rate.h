/* SPDX-License-Identifier: MIT */
/* Clock and rate control. */
#ifndef FP_RATE_H
#define FP_RATE_H

#include "common.h"

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t clock_ns(void);

/*
 * A rate limiter that releases probes in batches. It paces against the
 * ideal schedule (start + sent/pps), so rounding never accumulates and the
 * long-run rate is exact; no call releases more than 'burst' probes.
 */
struct ratectl {
	uint64_t pps;
	uint64_t start_ns;
	uint64_t released; /* probes released; probe k is due at start_ns + k/pps */
	uint32_t burst;    /* most probes released by one call */
};

/* pps >= 1. burst is derived: about 1 ms worth, clamped to [1, max_batch]. */
void rate_init(struct ratectl *r, uint64_t pps, uint32_t max_batch, uint64_t now_ns);

/*
 * How many probes may go now (0..burst); adds them to 'released'. When it
 * returns 0, *wait_ns (if not NULL) says how long until the next one.
 * A sender up to 100 ms behind schedule catches up, one burst per call, so
 * short delays do not lower the long-run rate. When it falls further behind
 * (a stall), the schedule is moved forward so that only one burst is due
 * and no catch-up above the rate follows.
 */
uint32_t rate_take(struct ratectl *r, uint64_t now_ns, uint64_t *wait_ns);

#endif
