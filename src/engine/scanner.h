/* SPDX-License-Identifier: MIT */
/* The scanner object behind fp_scanner_t and the scan engine's entry. */
#ifndef FP_SCANNER_H
#define FP_SCANNER_H

#include <pthread.h>

#include "plan.h"
#include "resume.h"
#include "../core/perm.h"
#include "../io/pktio.h"
#include "../net/route.h"
#include "../probe/probe.h"
#include "../probe/payloads.h"
#include "../event/event.h"
#include "../event/sink.h"

#define SENDERS_MAX 64

/* One sending thread: its own TX queue (ring or XDP socket) and its slice
 * of the positions. */
struct sender {
	struct fp_scanner *s;
	struct txq tx;
	pthread_t thread;
	uint32_t id;
	uint32_t pass;
	uint64_t done;          /* positions of its slice walked in this pass */
	int err;                /* errno of a send failure, 0 if none */
	int finished;
};

struct fp_scanner {
	fp_config_t cfg;
	char *interface, *source_ip, *router_mac; /* owned copies of cfg strings */
	struct ipset targets;   /* as added */
	struct ipset excludes;  /* as added (the built-in ones join at run time) */
	struct portset ports;
	bool ports_set;
	struct udp_user_payloads udp_user; /* --udp-payload: the probe reads them via pctx */
	char err[512];
	int stop;               /* set by fp_scanner_stop(), read by every loop */
	bool running;

	/* Per run. */
	struct ipset scan_addrs;
	struct plan plan;
	struct perm perm;
	uint64_t shard_n;       /* positions of this shard in one pass */
	uint64_t *answered;     /* one bit per plan index */
	struct probe_ctx pctx;
	struct event_ctx ec;
	struct sink sink;
	bool have_sink;
	int sink_err;
	pthread_mutex_t emit_lock;
	struct jbuf rx_buf, main_buf;
	fp_stats_t st;
	uint64_t t0;
	uint64_t last_new_ns;   /* time of the last new finding (receiver) */
	uint32_t max_rtt_us;    /* largest round trip seen (receiver) */
	/* ICMP rate limits (engine_icmp_wait): UDP and QUIC probes of this
	 * run, how many were answered, when the last closed one was seen. */
	uint64_t dgram_probes, dgram_answered, last_unreach_ns;
	int rx_stop;
	struct rxring rx;
	struct sender *senders;
	uint32_t nsenders;
	int send_path;          /* FP_SEND_RING or FP_SEND_XDP: what the senders use */
	bool xdp_zerocopy;      /* FP_SEND_XDP in zero-copy mode */
	char send_fallback[512];/* auto: why the preferred path could not be set up */
	struct route_info ri;
	uint16_t cpus[64];      /* cfg.pin_cpus: CPUs the process may run on */
	uint32_t ncpus;
	uint64_t tel_last_ns, tel_last_sent;
	uint64_t seed;          /* the order's seed in force (cfg.seed or random) */

	/* Resume (engine/resume.c). A state loaded by fp_scanner_load_state()
	 * is used, and released, by the next run. */
	struct resume_state resume;
	bool have_resume;
	bool resuming;          /* this run continues a saved one */
	uint32_t start_pass;    /* the pass it starts at; that pass skips answered probes */
	/* The last run, for fp_scanner_save_state(); s->answered is kept with
	 * it until the next run or fp_scanner_free(). */
	bool saveable;          /* it ran and was stopped */
	uint32_t last_pass;
	uint64_t last_n, last_fp;
};

/* Runs s->plan (set up by the caller); returns 0 or FP_E* with s->err.
 * Sets up what every method shares (order, bitmap, events), then runs the
 * raw-socket scan or, with cfg.connect, engine_connect_scan(). */
int engine_run(struct fp_scanner *s);

/*
 * What a scan method uses (they run between engine_run's set-up and its
 * closing events):
 *
 * engine_ready, then engine_begin_events: a method calls them once its
 *   sockets are open. The first runs the on_ready hook (privilege drop),
 *   the second opens the sink, emits scan_started and starts the scan
 *   clock (s->t0).
 * engine_record: a finding for a probe of the plan. Sets its bit, counts it
 *   and emits it when its state is wanted. Returns 1 when new, 0 when the
 *   probe was already answered (counted as a duplicate), -1 when it is not
 *   in the plan (counted invalid). b is a buffer owned by the calling
 *   thread. Safe from one thread at a time per probe; the bitmap has one
 *   writer, so a method calls it from a single thread.
 * engine_answered: whether probe index i already has an answer.
 * engine_skip: whether a method skips probe index i in pass pass: it was
 *   answered and this is a retry pass or the first pass of a resumed scan.
 * engine_stopping: whether the scan should stop (fp_scanner_stop, a sink
 *   error, the callback).
 * engine_tick: periodic telemetry; pos = positions of this pass walked.
 * engine_cooldown: waits for late replies after a pass (adaptive, bounded
 *   by --wait); final says whether no retry pass follows (a longer floor).
 * engine_connect_scan: the connect() method (engine/connect.c). Walks the
 *   shard's positions in order (perm_at(&s->perm, shard_pos(...))), records
 *   a finding for every probe, including timeouts after the retries.
 * After the method returns, probes never answered are reported as
 * filtered / open|filtered with reason no-response.
 */
int engine_begin_events(struct fp_scanner *s);
/* Calls cfg.on_ready (privilege drop) once the method's sockets are open. */
int engine_ready(struct fp_scanner *s);
int engine_record(struct fp_scanner *s, struct jbuf *b, const struct finding *f);
bool engine_answered(const struct fp_scanner *s, uint64_t i);
bool engine_skip(const struct fp_scanner *s, uint32_t pass, uint64_t i);
bool engine_stopping(const struct fp_scanner *s);
void engine_tick(struct fp_scanner *s, uint64_t pos, uint64_t now);
void engine_cooldown(struct fp_scanner *s, uint64_t pos, bool final);
void engine_sleep_ns(uint64_t ns);
int engine_connect_scan(struct fp_scanner *s);
/*
 * CPU pinning (cfg.pin_cpus): engine_pin_prepare reads the CPUs the process
 * may use (before the sandbox closes); engine_thread_attr initialises *a
 * for scan thread number slot, bound to one of them round robin. Both
 * return 0 or FP_E* (s->err).
 */
int engine_pin_prepare(struct fp_scanner *s);
int engine_thread_attr(struct fp_scanner *s, pthread_attr_t *a, uint32_t slot);
/* Threads a method runs: cfg.send_threads, or one per CPU (at most 8),
 * fewer at low rates (below 1000 pps per thread) and for few probes. */
uint32_t engine_senders(const struct fp_scanner *s);

/* Records a formatted error message in s->err; returns code. */
int scanner_fail(struct fp_scanner *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
