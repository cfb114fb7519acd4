/* SPDX-License-Identifier: MIT */
/* The monotonic clock and the probe rate limiter. */
#include <time.h>

#include "rate.h"

#define NS_PER_S 1000000000ULL
/* Lag beyond which the schedule is moved rather than caught up. */
#define RATE_MAX_LAG_NS (NS_PER_S / 10)

uint64_t clock_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t sat64(u128 v)
{
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

void rate_init(struct ratectl *r, uint64_t pps, uint32_t max_batch, uint64_t now_ns)
{
	uint64_t burst = pps / 1000;

	if (pps < 1)
		pps = 1;
	if (burst > max_batch)
		burst = max_batch;
	if (burst < 1)
		burst = 1;
	r->pps = pps;
	r->start_ns = now_ns;
	r->released = 0;
	r->burst = (uint32_t)burst;
}

/*
 * Probe k (counting from 0) is due at start + ceil(k * 1e9 / pps), so the
 * number due by 'now' is floor((now - start) * pps / 1e9) + 1.
 */
static uint64_t rate_due(const struct ratectl *r, uint64_t now_ns)
{
	if (now_ns < r->start_ns)
		return 0;
	return sat64((u128)(now_ns - r->start_ns) * r->pps / NS_PER_S + 1);
}

/* ceil(k * 1e9 / pps): the offset of probe k from the start. */
static uint64_t rate_offset(const struct ratectl *r, u128 k)
{
	return sat64((k * NS_PER_S + r->pps - 1) / r->pps);
}

uint32_t rate_take(struct ratectl *r, uint64_t now_ns, uint64_t *wait_ns)
{
	uint64_t due = rate_due(r, now_ns), backlog, lag_max;

	if (due <= r->released) {
		if (wait_ns) {
			u128 at = (u128)r->start_ns + rate_offset(r, r->released);

			*wait_ns = at > now_ns ? sat64(at - now_ns) : 0;
		}
		return 0;
	}
	backlog = due - r->released;
	lag_max = sat64((u128)r->pps * RATE_MAX_LAG_NS / NS_PER_S);
	if (lag_max < r->burst)
		lag_max = r->burst;
	if (unlikely(backlog > lag_max)) {
		/*
		 * More than 100 ms behind (a stall): catching up would send
		 * far above the rate, so move the start forward until only
		 * 'burst' probes are due, i.e. until probe released+burst-1 is
		 * due exactly now. 'released' is left alone.
		 */
		uint64_t off = rate_offset(r, (u128)r->released + r->burst - 1);

		if (off < now_ns - r->start_ns)
			r->start_ns = now_ns - off;
		backlog = rate_due(r, now_ns) - r->released;
	}
	if (backlog > r->burst)
		backlog = r->burst;
	r->released += backlog;
	return (uint32_t)backlog;
}
