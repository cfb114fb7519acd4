/* SPDX-License-Identifier: MIT */
/*
 * Stages after discovery. Discovery (the scan method) finds open ports; a
 * stage is fed each new open finding the moment it is recorded, so that it
 * works while discovery goes on (pipelined), and finishes after discovery
 * ended, before scan_completed. The next stage is service identification
 * (src/service/, -sV): a connection pool on its own epoll thread that
 * probes each open port and emits "service" events: scan_stage_service
 * (service_stage.c), chosen by cfg.service_scan.
 */
#ifndef FP_STAGE_H
#define FP_STAGE_H

struct fp_scanner;
struct finding;

struct scan_stage {
	const char *name;
	/*
	 * start: before the scan method runs (so still with the privileges
	 * on_ready drops): opens what the stage needs and starts its threads;
	 * *ctx is its state. Returns 0 or FP_E* (s->err); on failure the scan
	 * does not run.
	 */
	int (*start)(struct fp_scanner *s, void **ctx);
	/*
	 * feed: a new open finding, exactly once per probe, from the thread
	 * that recorded it (the receiver, or several connect workers at
	 * once). It must not block or fail the scan: it copies what it needs
	 * (f->quic_versions points into a frame that lives only for the call)
	 * and queues it.
	 */
	void (*feed)(void *ctx, const struct finding *f);
	/*
	 * finish: after discovery's last answer, on run's thread: completes
	 * what is queued (abandons it when engine_stopping()), emitting its
	 * events through engine_emit(). Returns 0 or FP_E* (s->err).
	 */
	int (*finish)(void *ctx);
	/* free: releases ctx (also when finish was not called). */
	void (*free)(void *ctx);
};

extern const struct scan_stage scan_stage_service;

#endif
