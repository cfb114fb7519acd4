/* SPDX-License-Identifier: MIT */
/*
 * The scanner object behind fp_scanner_t and the engine's services: the
 * lifecycle of a run (engine_run) and what every scan method shares
 * (record, emit, tick, cooldown, errors). The methods themselves are in
 * method.h; stages fed by discovery in stage.h.
 */
#ifndef FP_SCANNER_H
#define FP_SCANNER_H

#include <pthread.h>

#include "plan.h"
#include "resume.h"
#include "../core/perm.h"
#include "../probe/probe.h"
#include "../probe/payloads.h"
#include "../event/event.h"
#include "../event/sink.h"

struct scan_method;
struct scan_stage;
struct scan_facts;

struct fp_scanner {
	fp_config_t cfg;
	char *interface, *source_ip, *router_mac, *sv_db, *scan_id; /* owned copies of cfg strings */
	struct ipset targets;   /* as added */
	struct ipset excludes;  /* as added (the built-in ones join at run time) */
	struct portset ports;   /* as set with fp_scanner_set_ports() */
	bool ports_set;
	struct portset default_ports; /* a run's ports when none were set */
	struct udp_user_payloads udp_user; /* --udp-payload: the raw method's probes read them */
	/* The last error's text. Within a run the first error wins (scanner_fail,
	 * under err_lock): several threads of a method may fail at once. */
	char err[512];
	pthread_mutex_t err_lock;
	bool err_held;          /* a run recorded its error: keep it */
	bool in_run;            /* engine_run is running: errors are held */
	int stop;               /* set by fp_scanner_stop(), read by every loop */
	bool running;           /* atomic: a run or batch is in progress */

	/* Per run. */
	const struct scan_method *method;
	void *method_ctx;       /* the method's state while its run runs */
	const struct scan_stage *stage; /* fed with open findings; NULL: none */
	void *stage_ctx;
	struct ipset scan_addrs;
	struct plan plan;
	struct perm perm;
	uint64_t seed;          /* the order's seed in force */
	const char *seed_source;/* "user", "plan" (shards), "random", "resume" */
	uint64_t shard_n;       /* positions of this shard in one pass */
	uint64_t *answered;     /* one bit per plan index */
	struct event_ctx ec;
	struct sink sink;
	bool have_sink;
	int sink_err;           /* atomic: errno of the first sink failure */
	pthread_mutex_t emit_lock;
	struct jbuf main_buf;   /* events of run's thread */
	fp_stats_t st;          /* every member read and written atomically */
	uint64_t t0;            /* clock_ns() at scan start (engine_begin_events) */
	uint64_t pass_t0_us;    /* atomic: start of the current pass, from t0 */
	uint64_t last_new_ns;   /* atomic: time of the last new finding */
	uint32_t max_rtt_us;    /* atomic: largest round trip (learn_rtt) */
	uint64_t late_answers;  /* atomic: first answers to an earlier pass's probes */
	/* ICMP rate limits (engine_icmp_wait): UDP and QUIC probes of this
	 * run, how many were answered, when the last closed one was seen. */
	uint64_t dgram_probes, dgram_answered, last_unreach_ns;
	uint16_t cpus[64];      /* cfg.pin_cpus: CPUs the process may run on */
	uint32_t ncpus;
	uint64_t tel_last_ns, tel_last_sent; /* engine_tick's, on run's thread */

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
	/*
	 * Live checkpoints (fp_scanner_checkpoint, any thread). delivered has
	 * one bit per plan index, set once the probe's answer was recorded
	 * and every event it gives (port_state; with a stage, the stage's
	 * event too) was handed to the sink and the callback: under emit_lock
	 * right after the last of them, so a checkpoint taken while a callback
	 * runs marks exactly the events whose callbacks returned. ckpt_lock
	 * guards the pointers and ckpt_live (a run's plan facts are set);
	 * the send path never takes it.
	 */
	pthread_mutex_t ckpt_lock;
	uint64_t *delivered;
	bool ckpt_live;
};

/*
 * Runs s->plan (set up by the caller) and returns 0 or FP_E* with s->err:
 * sets up what every method shares (seed, order, bitmap, resume, events),
 * runs the method (cfg.connect: scan_method_connect, else
 * scan_method_raw), then reports the probes never answered
 * (filtered / open|filtered, reason no-response) and scan_completed.
 */
int engine_run(struct fp_scanner *s);

/*
 * The seed of a plan: a hash of what defines it (the address set after
 * exclusions and the ports, or the batch's sorted targets), so every
 * shard of the same plan computes the same order. Never 0.
 */
uint64_t engine_plan_seed(const struct plan *p);

/*
 * What a scan method uses (method.h says when):
 *
 * engine_ready: runs cfg.on_ready (privilege drop).
 * engine_begin_events: opens the sink, emits scan_started with the
 *   method's facts (f's second group; the engine fills the first) and
 *   starts the scan clock (s->t0).
 * engine_pass_begin: pass starts now (telemetry's "pass"; answers to
 *   probes sent before it no longer say how long this pass's take).
 * engine_record: a finding for a probe of the plan. Sets its bit, counts it
 *   and emits it when its state is wanted. Returns 1 when new, 0 when the
 *   probe was already answered (counted as a duplicate), -1 when it is not
 *   in the plan (counted invalid). b is a buffer owned by the calling
 *   thread. Any thread; one bit per probe decides which call is first.
 * engine_emit: hands a finished event in b to the sink and the callback
 *   (f for the callback's fields, or NULL); any thread, one at a time.
 * engine_answered: whether probe index i already has an answer.
 * engine_skip: whether a method skips probe index i in pass pass: it was
 *   answered and this is a retry pass or the first pass of a resumed scan.
 * engine_stopping: whether the scan should stop (fp_scanner_stop, a sink
 *   error, the callback).
 * engine_tick: periodic telemetry; pos = positions of this pass walked.
 *   Only on run's thread.
 * engine_cooldown: waits for late replies after a pass (adaptive, bounded
 *   by --wait); final says whether no retry pass follows (a longer floor).
 * engine_icmp_wait: before a retry pass, waits for the targets' ICMP
 *   rate limits to refill when UDP/QUIC probes met them.
 */
int engine_ready(struct fp_scanner *s);
int engine_begin_events(struct fp_scanner *s, struct scan_facts *f);
void engine_pass_begin(struct fp_scanner *s, uint32_t pass);
int engine_record(struct fp_scanner *s, struct jbuf *b, const struct finding *f);
void engine_emit(struct fp_scanner *s, struct jbuf *b, fp_event_kind_t kind,
		 const struct finding *f);
/* engine_emit for an event the caller described itself (ev's json and
 * json_len are set from b). */
void engine_emit_event(struct fp_scanner *s, const struct jbuf *b, fp_event_t *ev);
/* engine_emit_event for the last event of plan index idx (a stage's
 * result): marks idx delivered for checkpoints once the callback returned. */
void engine_emit_last(struct fp_scanner *s, const struct jbuf *b, fp_event_t *ev, uint64_t idx);
bool engine_answered(const struct fp_scanner *s, uint64_t i);
bool engine_skip(const struct fp_scanner *s, uint32_t pass, uint64_t i);
bool engine_stopping(const struct fp_scanner *s);
void engine_tick(struct fp_scanner *s, uint64_t pos, uint64_t now);
void engine_cooldown(struct fp_scanner *s, uint64_t pos, bool final);
void engine_icmp_wait(struct fp_scanner *s, uint64_t pos);
void engine_sleep_ns(uint64_t ns);
/*
 * CPU pinning (cfg.pin_cpus): engine_pin_prepare reads the CPUs the process
 * may use (before the sandbox closes); engine_thread_attr initialises *a
 * for scan thread number slot, bound to one of them round robin. Both
 * return 0 or FP_E* (s->err).
 */
int engine_pin_prepare(struct fp_scanner *s);
int engine_thread_attr(struct fp_scanner *s, pthread_attr_t *a, uint32_t slot);
/* Threads a method runs: cfg.send_threads, or one per CPU (at most 8),
 * fewer at low rates (below 1000 pps per thread) and for few probes;
 * never more than SENDERS_MAX. */
#define SENDERS_MAX 64
uint32_t engine_senders(const struct fp_scanner *s);

/* A copy of the counters (fp_scanner_stats), each read atomically. */
void engine_stats(const struct fp_scanner *s, fp_stats_t *out);

/* Counters have several writers (senders, the receiver, connect workers)
 * and readers on other threads (fp_scanner_stats). */
#define STAT_ADD(s, field, n) __atomic_fetch_add(&(s)->st.field, (n), __ATOMIC_RELAXED)
#define STAT_SET(s, field, v) __atomic_store_n(&(s)->st.field, (v), __ATOMIC_RELAXED)
#define STAT_GET(s, field) __atomic_load_n(&(s)->st.field, __ATOMIC_RELAXED)

/*
 * Records a formatted error message in s->err and returns code. Any
 * thread. During a run the first message stays (a method's threads may
 * fail at once, and the first failure is the cause); outside one each
 * call replaces the last.
 */
int scanner_fail(struct fp_scanner *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As scanner_fail for an API call refused because a run is going on (on
 * another thread): never holds, never replaces the run's held error. */
int scanner_refuse(struct fp_scanner *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Forgets a run's error so the next scanner_fail records its own (a
 * method that recovers from a failure, as send-path fallback does). */
void scanner_clear_error(struct fp_scanner *s);

#endif
