/* SPDX-License-Identifier: MIT */
/*
 * The scan engine: the lifecycle of a run (seed, order, answer bitmap,
 * resume, events around the scan method) and the services every method
 * shares: recording answers against one bit per probe, emitting events,
 * telemetry, the adaptive cooldown after a pass, the report of probes
 * never answered, thread placement and the run's error.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "scanner.h"
#include "method.h"
#include "stage.h"
#include "../core/rate.h"
#include "../event/scan_events.h"

/* Cooldown floors: after the last pass, and before a retry pass (which
 * only costs a duplicate answer when it comes too early). */
#define COOLDOWN_MIN_NS (200ull * 1000 * 1000)
#define COOLDOWN_RETRY_MIN_NS (50ull * 1000 * 1000)
#define RTT_FACTOR 8
/*
 * When targets resend answers we lost (resent_answers), the cooldowns make
 * room for it. A target whose SYN-ACK was lost resends it on its own after
 * its initial retransmission timeout, 1 s (RFC 6298; Linux's SYN-ACK
 * timer); and answers a repeated SYN with its SYN-ACK at once, but then
 * again only 500 ms later (Linux's tcp_invalid_ratelimit), so a second
 * retry pass sooner than that after the first is wasted on it.
 */
#define TARGET_RTO_NS (1000ull * 1000 * 1000)
#define RESYN_GAP_NS (500ull * 1000 * 1000)

int scanner_fail(struct fp_scanner *s, int code, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->err_lock);
	if (!s->err_held) {
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
		s->err_held = s->in_run;
	}
	pthread_mutex_unlock(&s->err_lock);
	return code;
}

int scanner_refuse(struct fp_scanner *s, int code, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->err_lock);
	if (!s->err_held) {
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->err_lock);
	return code;
}

void scanner_clear_error(struct fp_scanner *s)
{
	pthread_mutex_lock(&s->err_lock);
	s->err_held = false;
	pthread_mutex_unlock(&s->err_lock);
}

/* Errors are held from here until run_end (engine_run's own thread). */
static void run_begin(struct fp_scanner *s)
{
	pthread_mutex_lock(&s->err_lock);
	s->in_run = true;
	s->err_held = false;
	pthread_mutex_unlock(&s->err_lock);
}

static void run_end(struct fp_scanner *s)
{
	pthread_mutex_lock(&s->err_lock);
	s->in_run = false;
	s->err_held = false;
	pthread_mutex_unlock(&s->err_lock);
}

static inline void stat_set_double(double *p, double v)
{
	__atomic_store(p, &v, __ATOMIC_RELAXED);
}

bool engine_stopping(const struct fp_scanner *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_RELAXED) != 0;
}

bool engine_answered(const struct fp_scanner *s, uint64_t i)
{
	return (__atomic_load_n(&s->answered[i >> 6], __ATOMIC_RELAXED) >> (i & 63)) & 1;
}

bool engine_skip(const struct fp_scanner *s, uint32_t pass, uint64_t i)
{
	return (pass || s->resuming) && engine_answered(s, i);
}

/* Sets bit i; true when it was clear, for exactly one of several callers
 * (the receiver, connect workers). */
static inline bool bit_set(uint64_t *bm, uint64_t i)
{
	uint64_t m = 1ull << (i & 63);

	if (__atomic_load_n(&bm[i >> 6], __ATOMIC_RELAXED) & m)
		return false;
	return !(__atomic_fetch_or(&bm[i >> 6], m, __ATOMIC_RELAXED) & m);
}

static inline int sink_err(const struct fp_scanner *s)
{
	return __atomic_load_n(&s->sink_err, __ATOMIC_RELAXED);
}

/* The first sink failure stays. */
static void set_sink_err(struct fp_scanner *s, int err)
{
	int none = 0;

	__atomic_compare_exchange_n(&s->sink_err, &none, err, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

/* Marks plan index idx delivered (fp_scanner_checkpoint may copy it). */
static inline void mark_delivered(struct fp_scanner *s, uint64_t idx)
{
	__atomic_fetch_or(&s->delivered[idx >> 6], 1ull << (idx & 63), __ATOMIC_RELEASE);
}

#define NO_INDEX UINT64_MAX

/* Emits one event; when idx is a plan index, marks it delivered under the
 * emit lock, after the sink and the callback took the event. A failed
 * event (out of memory, the sink) is not delivered and marks nothing. */
static void emit_mark(struct fp_scanner *s, const struct jbuf *b, fp_event_t *ev, uint64_t idx)
{
	int stop = 0;

	if (b->oom) {
		set_sink_err(s, ENOMEM);
		fp_scanner_stop(s);
		return;
	}
	ev->json = b->p;
	ev->json_len = b->len;
	pthread_mutex_lock(&s->emit_lock);
	if (s->have_sink && !sink_err(s) && s->sink.ops->event(&s->sink, ev) < 0)
		set_sink_err(s, s->sink.err ? s->sink.err : EIO);
	if (s->cfg.on_event)
		stop = s->cfg.on_event(ev, s->cfg.userdata);
	if (idx != NO_INDEX && !sink_err(s))
		mark_delivered(s, idx);
	pthread_mutex_unlock(&s->emit_lock);
	if (stop || sink_err(s))
		fp_scanner_stop(s);
}

void engine_emit_event(struct fp_scanner *s, const struct jbuf *b, fp_event_t *ev)
{
	emit_mark(s, b, ev, NO_INDEX);
}

void engine_emit_last(struct fp_scanner *s, const struct jbuf *b, fp_event_t *ev, uint64_t idx)
{
	emit_mark(s, b, ev, idx < s->plan.n ? idx : NO_INDEX);
}

static void emit_idx(struct fp_scanner *s, struct jbuf *b, fp_event_kind_t kind,
		     const struct finding *f, uint64_t idx)
{
	char ip[ADDR_STRLEN] = "";
	fp_event_t ev = { .kind = kind };

	if (f) {
		addr_format(f->addr, ip);
		ev.ip = ip;
		ev.port = f->port;
		ev.protocol = f->proto;
		ev.state = (fp_state_t)f->state;
		ev.reason = f->reason;
	}
	emit_mark(s, b, &ev, idx);
}

void engine_emit(struct fp_scanner *s, struct jbuf *b, fp_event_kind_t kind,
		 const struct finding *f)
{
	emit_idx(s, b, kind, f, NO_INDEX);
}

/* A port_state event; idx: the plan index to mark delivered with it, or
 * NO_INDEX when more events of that probe follow (a stage's). */
static void emit_finding(struct fp_scanner *s, struct jbuf *b, const struct finding *f,
			 uint64_t idx)
{
	jbuf_reset(b);
	event_port_state(b, &s->ec, f);
	emit_idx(s, b, FP_EVENT_PORT_STATE, f, idx);
}

static void count_state(struct fp_scanner *s, unsigned state)
{
	switch (state) {
	case FP_STATE_OPEN: STAT_ADD(s, open, 1); break;
	case FP_STATE_CLOSED: STAT_ADD(s, closed, 1); break;
	case FP_STATE_FILTERED: STAT_ADD(s, filtered, 1); break;
	default: STAT_ADD(s, open_filtered, 1); break;
	}
}

/*
 * A round trip for the cooldown, which waits RTT_FACTOR times the largest
 * one. A round trip measures from the probe time an answer echoes, and
 * targets resend lost answers with the first probe's time in them, so two
 * kinds of answer are left out (they are still recorded, and keep the
 * cooldown going while they come in as new findings):
 *  - an answer to a probe of an earlier pass (Karn's rule): a half-open
 *    connection answers our retry with its first SYN-ACK, echoing the
 *    first probe's time, and its own retransmissions do the same; this
 *    measures when that probe was sent, not how long this pass's answers
 *    take;
 *  - one of TARGET_RTO or more, which is what a target's first SYN-ACK
 *    retransmission looks like (within a pass longer than a second).
 * One such answer held every later cooldown at --wait: 11 s instead of
 * 2 s for a /16 x 1 port with --retries 2 and 5% loss each way.
 */
static void learn_rtt(struct fp_scanner *s, int64_t rtt_us, uint64_t now)
{
	uint64_t now_us = (now - s->t0) / 1000;
	uint32_t old = __atomic_load_n(&s->max_rtt_us, __ATOMIC_RELAXED);

	if (rtt_us <= 0 || (uint64_t)rtt_us > now_us || (uint64_t)rtt_us * 1000 >= TARGET_RTO_NS)
		return;
	if (now_us - (uint64_t)rtt_us < __atomic_load_n(&s->pass_t0_us, __ATOMIC_RELAXED)) {
		/* A first answer to an earlier pass's probe: lost, then resent. */
		__atomic_fetch_add(&s->late_answers, 1, __ATOMIC_RELAXED);
		return;
	}
	while (rtt_us > (int64_t)old &&
	       !__atomic_compare_exchange_n(&s->max_rtt_us, &old, (uint32_t)rtt_us, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

int engine_record(struct fp_scanner *s, struct jbuf *b, const struct finding *f)
{
	uint64_t idx, now;
	bool staged;

	if (plan_find(&s->plan, f->addr, f->proto, f->port, &idx) < 0) {
		STAT_ADD(s, invalid, 1);
		return -1;
	}
	if (!bit_set(s->answered, idx)) {
		STAT_ADD(s, duplicates, 1);
		return 0;
	}
	now = clock_ns();
	STAT_ADD(s, valid, 1);
	count_state(s, f->state);
	__atomic_store_n(&s->last_new_ns, now, __ATOMIC_RELAXED);
	if (f->proto != FP_PROTO_TCP) {
		__atomic_fetch_add(&s->dgram_answered, 1, __ATOMIC_RELAXED);
		if (f->state == FP_STATE_CLOSED)
			__atomic_store_n(&s->last_unreach_ns, now, __ATOMIC_RELAXED);
	}
	learn_rtt(s, f->rtt_us, now);
	/* The next stage (stage.h) takes each open port as it is found (the
	 * service stage: TCP ones); its event is the probe's last, and the
	 * stage marks the probe delivered (engine_emit_last). */
	staged = s->stage && f->state == FP_STATE_OPEN && f->proto == FP_PROTO_TCP;
	if (s->cfg.states & (1U << f->state))
		emit_finding(s, b, f, staged ? NO_INDEX : idx);
	else if (!staged)
		mark_delivered(s, idx);
	if (s->stage && f->state == FP_STATE_OPEN)
		s->stage->feed(s->stage_ctx, f);
	return 1;
}

void engine_stats(const struct fp_scanner *s, fp_stats_t *out)
{
#define C(f) out->f = STAT_GET(s, f)
	C(planned); C(sent); C(received); C(valid); C(invalid); C(duplicates); C(dropped);
	C(open); C(closed); C(filtered); C(open_filtered); C(send_errors); C(excluded);
	C(pass); C(elapsed_us);
#undef C
	__atomic_load(&s->st.progress, &out->progress, __ATOMIC_RELAXED);
	__atomic_load(&s->st.rate, &out->rate, __ATOMIC_RELAXED);
}

/* Zeroes the counters, each written atomically (fp_scanner_stats may read
 * them from another thread at any time). */
static void stats_reset(struct fp_scanner *s)
{
#define Z(f) STAT_SET(s, f, 0)
	Z(planned); Z(sent); Z(received); Z(valid); Z(invalid); Z(duplicates); Z(dropped);
	Z(open); Z(closed); Z(filtered); Z(open_filtered); Z(send_errors); Z(excluded);
	Z(pass); Z(elapsed_us);
#undef Z
	stat_set_double(&s->st.progress, 0);
	stat_set_double(&s->st.rate, 0);
}

/* Elapsed time and progress; the method's own counters while it runs. */
static void fill_stats(struct fp_scanner *s, uint64_t pos, bool method_running)
{
	uint32_t passes = s->cfg.retries + 1;
	double done = (double)STAT_GET(s, pass) +
		      (s->shard_n ? (double)pos / (double)s->shard_n : 1);

	STAT_SET(s, elapsed_us, (clock_ns() - s->t0) / 1000);
	stat_set_double(&s->st.progress, done / passes > 1 ? 1 : done / passes);
	if (method_running && s->method->stats)
		s->method->stats(s);
}

static void emit_counters(struct fp_scanner *s, bool completed, bool interrupted)
{
	struct jbuf *b = &s->main_buf;
	fp_stats_t st = { .struct_size = sizeof(st) };

	engine_stats(s, &st);
	jbuf_reset(b);
	event_scan_counters(b, &s->ec, completed ? "scan_completed" : "telemetry", &st, interrupted);
	engine_emit(s, b, completed ? FP_EVENT_SCAN_COMPLETED : FP_EVENT_TELEMETRY, NULL);
}

/* Periodic work of run's thread: telemetry events and the rate. */
void engine_tick(struct fp_scanner *s, uint64_t pos, uint64_t now)
{
	if (now - s->tel_last_ns < 1000000000ull &&
	    (!s->cfg.telemetry_ms || now - s->tel_last_ns < (uint64_t)s->cfg.telemetry_ms * 1000000))
		return;
	if (now - s->tel_last_ns >= 250000000ull) {
		uint64_t sent = STAT_GET(s, sent);

		stat_set_double(&s->st.rate, (double)(sent - s->tel_last_sent) * 1e9 /
					     (double)(now - s->tel_last_ns));
		s->tel_last_sent = sent;
	}
	fill_stats(s, pos, true);
	if (s->cfg.telemetry_ms && now - s->tel_last_ns >= (uint64_t)s->cfg.telemetry_ms * 1000000)
		emit_counters(s, false, false);
	s->tel_last_ns = now;
}

void engine_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

void engine_pass_begin(struct fp_scanner *s, uint32_t pass)
{
	STAT_SET(s, pass, pass);
	__atomic_store_n(&s->pass_t0_us, (clock_ns() - s->t0) / 1000, __ATOMIC_RELAXED);
}

/* Whether targets have resent answers: an answer that came late for its
 * pass, or one we already had (our RST, or their first answer, was lost). */
static bool resent_answers(const struct fp_scanner *s)
{
	return __atomic_load_n(&s->late_answers, __ATOMIC_RELAXED) || STAT_GET(s, duplicates);
}

/*
 * Waits for the replies to the probes just sent: at least the floor
 * (COOLDOWN_MIN after the last pass, COOLDOWN_RETRY_MIN before a retry
 * pass) or RTT_FACTOR times the largest round trip of an answer to a
 * probe of its own pass (learn_rtt), until no new finding came for half
 * that long, and never longer than --wait. Once targets resend answers,
 * the last cooldown also waits for their first retransmission
 * (TARGET_RTO), and a retry pass after the first waits RESYN_GAP after
 * the pass before.
 */
void engine_cooldown(struct fp_scanner *s, uint64_t pos, bool final)
{
	uint64_t start = clock_ns();
	uint64_t bound = (uint64_t)s->cfg.wait_ms * 1000000ull;
	bool later_retry = !final && STAT_GET(s, pass) >= 1;

	while (!engine_stopping(s)) {
		uint64_t now = clock_ns();
		uint32_t rtt = __atomic_load_n(&s->max_rtt_us, __ATOMIC_RELAXED);
		uint64_t last = __atomic_load_n(&s->last_new_ns, __ATOMIC_RELAXED);
		uint64_t floor = final ? COOLDOWN_MIN_NS : COOLDOWN_RETRY_MIN_NS;
		uint64_t target = bound;

		if (resent_answers(s)) {
			if (final)
				floor = TARGET_RTO_NS + (uint64_t)rtt * 1000 * RTT_FACTOR;
			else if (later_retry)
				floor = RESYN_GAP_NS;
		}
		if (rtt || last) {
			target = (uint64_t)rtt * 1000 * RTT_FACTOR;
			if (target < floor)
				target = floor;
			if (target > bound)
				target = bound;
		}
		if (now - start >= bound)
			break;
		if (now - start >= target && (last < start || now - last >= target / 2))
			break;
		engine_tick(s, pos, now);
		engine_sleep_ns(5000000);
	}
}

/*
 * A closed UDP or QUIC port shows only through the target's ICMP port
 * unreachable, and targets rate-limit those (Linux: a burst of 6 per
 * destination, then one per second; docs/UDP.md). When this scan has seen
 * such errors and left UDP/QUIC probes unanswered, a retry pass right away
 * would meet an empty bucket: wait until ICMP_REFILL_NS after the last one
 * (the bucket holds 6 again), never longer than --wait, before it.
 */
#define ICMP_REFILL_NS (6000ull * 1000 * 1000)

static uint64_t dgram_probes(const struct fp_scanner *s)
{
	uint64_t n = 0;

	if (s->plan.list) {
		for (uint64_t i = 0; i < s->plan.n; i++)
			n += (s->plan.list[i].pp >> 16) != FP_PROTO_TCP;
		return n;
	}
	for (uint32_t i = 0; i < s->plan.ports->n; i++)
		n += portset_proto(s->plan.ports->list[i]) != FP_PROTO_TCP;
	return n * s->plan.addrs->count;
}

void engine_icmp_wait(struct fp_scanner *s, uint64_t pos)
{
	uint64_t last = __atomic_load_n(&s->last_unreach_ns, __ATOMIC_RELAXED);
	uint64_t answered = __atomic_load_n(&s->dgram_answered, __ATOMIC_RELAXED);
	uint64_t start = clock_ns(), until;

	if (!last || !s->dgram_probes)
		return;
	/* Every UDP/QUIC probe answered: nothing to retry (a sharded or
	 * resumed run cannot tell, and waits). */
	if (s->shard_n == s->plan.n && !s->resuming && answered >= s->dgram_probes)
		return;
	until = last + ICMP_REFILL_NS;
	if (until > start + (uint64_t)s->cfg.wait_ms * 1000000ull)
		until = start + (uint64_t)s->cfg.wait_ms * 1000000ull;
	while (!engine_stopping(s)) {
		uint64_t now = clock_ns();

		if (now >= until)
			break;
		engine_tick(s, pos, now);
		engine_sleep_ns(5000000);
	}
}

static void report_one_silent(struct fp_scanner *s, struct finding *f, uint64_t idx)
{
	plan_get(&s->plan, idx, &f->addr, &f->proto, &f->port);
	f->state = f->proto == FP_PROTO_TCP ? FP_STATE_FILTERED : FP_STATE_OPEN_FILTERED;
	count_state(s, f->state);
	if (s->cfg.states & (1U << f->state))
		emit_finding(s, &s->main_buf, f, NO_INDEX);
}

/*
 * Reports the probes that never got an answer (only on a finished scan):
 * an unsharded scan owns every index and reports them in plan order (by
 * address, then port), skipping whole answered words of the bitmap; a
 * shard walks its own positions.
 */
static void report_silent(struct fp_scanner *s)
{
	struct finding f = { .reason = "no-response", .rtt_us = -1 };
	uint32_t k = s->cfg.shard, count = s->cfg.shard_count;

	if (count == 1) {
		for (uint64_t idx = 0; idx < s->plan.n && !engine_stopping(s); idx++) {
			if (!(idx & 63) && s->plan.n - idx >= 64 && s->answered[idx >> 6] == UINT64_MAX) {
				idx += 63;
				continue;
			}
			if (!engine_answered(s, idx))
				report_one_silent(s, &f, idx);
		}
		return;
	}
	for (uint64_t j = 0; j < s->shard_n && !engine_stopping(s); j++) {
		uint64_t idx = perm_at(&s->perm, shard_pos(k, count, j));

		if (!engine_answered(s, idx))
			report_one_silent(s, &f, idx);
	}
}

int engine_pin_prepare(struct fp_scanner *s)
{
	cpu_set_t set;

	s->ncpus = 0;
	if (!s->cfg.pin_cpus)
		return 0;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return scanner_fail(s, FP_ESYS, "sched_getaffinity: %s", strerror(errno));
	for (int c = 0; c < CPU_SETSIZE && s->ncpus < ARRAY_SIZE(s->cpus); c++)
		if (CPU_ISSET(c, &set))
			s->cpus[s->ncpus++] = (uint16_t)c;
	return s->ncpus ? 0 : scanner_fail(s, FP_ESYS, "no CPU to pin the scan threads to");
}

int engine_thread_attr(struct fp_scanner *s, pthread_attr_t *a, uint32_t slot)
{
	cpu_set_t set;
	int rc = pthread_attr_init(a);

	if (rc == 0 && s->ncpus) {
		CPU_ZERO(&set);
		CPU_SET(s->cpus[slot % s->ncpus], &set);
		rc = pthread_attr_setaffinity_np(a, sizeof(set), &set);
		if (rc != 0)
			pthread_attr_destroy(a);
	}
	return rc ? scanner_fail(s, FP_ESYS, "thread attributes: %s", strerror(rc)) : 0;
}

uint32_t engine_senders(const struct fp_scanner *s)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t n = s->cfg.send_threads;

	if (!n)
		n = cpus > 0 ? (uint64_t)cpus : 1;
	if (!s->cfg.send_threads && n > 8)
		n = 8;
	if (n > SENDERS_MAX)
		n = SENDERS_MAX;
	/* Below a thousand packets per second one thread paces best. */
	if (s->cfg.rate < 1000 * n)
		n = s->cfg.rate / 1000 ? s->cfg.rate / 1000 : 1;
	if (n > s->shard_n)
		n = s->shard_n ? s->shard_n : 1;
	return (uint32_t)n;
}

int engine_ready(struct fp_scanner *s)
{
	if (s->cfg.on_ready && s->cfg.on_ready(s->cfg.userdata) != 0)
		return scanner_fail(s, FP_EPERM, "dropping privileges before the scan failed");
	return 0;
}

int engine_begin_events(struct fp_scanner *s, struct scan_facts *f)
{
	struct jbuf *b = &s->main_buf;
	int ret;

	s->have_sink = s->cfg.out_fd >= 0;
	if (s->have_sink) {
		s->sink.ops = s->cfg.out_format == FP_FORMAT_LIST ? &sink_list : &sink_ndjson;
		ret = s->sink.ops->open(&s->sink, s->cfg.out_fd);
		if (ret < 0) {
			s->have_sink = false;
			return scanner_fail(s, ret, "opening the event sink: %s", fp_strerror(ret));
		}
	}
	s->t0 = clock_ns();
	s->tel_last_ns = s->t0;
	s->tel_last_sent = 0;
	f->probes = s->shard_n;
	f->rate = s->cfg.rate;
	f->retries = s->cfg.retries;
	f->wait_ms = s->cfg.wait_ms;
	f->seed = s->seed;
	f->seed_source = s->seed_source;
	f->shard = s->cfg.shard;
	f->shard_count = s->cfg.shard_count;
	f->method = s->method->name;
	jbuf_reset(b);
	event_scan_started(b, &s->ec, f);
	engine_emit(s, b, FP_EVENT_SCAN_STARTED, NULL);
	return 0;
}

/*
 * The order's seed: the user's; for a shard without one, the plan's own
 * (engine_plan_seed), so that every shard of one plan walks the same order
 * and together they partition it; else random.
 */
static int choose_seed(struct fp_scanner *s)
{
	s->seed = s->cfg.seed;
	s->seed_source = "user";
	if (s->seed)
		return 0;
	if (s->cfg.shard_count > 1) {
		s->seed = engine_plan_seed(&s->plan);
		s->seed_source = "plan";
		return 0;
	}
	s->seed_source = "random";
	while (!s->seed)
		if (getrandom(&s->seed, sizeof(s->seed), 0) != sizeof(s->seed))
			return scanner_fail(s, FP_ESYS, "getrandom: %s", strerror(errno));
	return 0;
}

/* splitmix64's finaliser: every bit of the fingerprint reaches every bit. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t engine_plan_seed(const struct plan *p)
{
	uint64_t seed = mix64(plan_fingerprint(p));

	return seed ? seed : 1;
}

/*
 * Checks a loaded resume state against the plan about to run and applies
 * it: the seed before the order is set up (seed_only), the bitmap and the
 * pass after the bitmap exists.
 */
static int resume_apply(struct fp_scanner *s, const struct resume_state *rs, bool seed_only)
{
	uint64_t fp;

	if (seed_only) {
		if (s->cfg.seed && s->cfg.seed != rs->seed)
			return scanner_fail(s, FP_EINVAL,
					    "resume file is for a different scan (seed %llu, not %llu)",
					    (unsigned long long)rs->seed,
					    (unsigned long long)s->cfg.seed);
		if (!s->cfg.seed)
			s->seed_source = "resume";
		s->seed = rs->seed;
		return 0;
	}
	fp = resume_fingerprint(&s->plan, s->cfg.shard, s->cfg.shard_count, s->seed);
	if (rs->n != s->plan.n || rs->fingerprint != fp)
		return scanner_fail(s, FP_EINVAL,
				    "resume file is for a different scan (targets, ports, exclusions or shard differ)");
	if (rs->pass > s->cfg.retries)
		return scanner_fail(s, FP_EINVAL,
				    "resume file is at pass %u but the scan has only %u retries",
				    rs->pass, s->cfg.retries);
	memcpy(s->answered, rs->bitmap, resume_bitmap_len(rs->n));
	s->start_pass = rs->pass;
	s->resuming = true;
	return 0;
}

/* Everything a run starts from: nothing of the last one is left. */
static void run_reset(struct fp_scanner *s)
{
	s->have_resume = false;
	s->resuming = false;
	s->start_pass = 0;
	pthread_mutex_lock(&s->ckpt_lock);
	s->saveable = false;
	s->ckpt_live = false;
	free(s->answered);
	s->answered = NULL;
	free(s->delivered);
	s->delivered = NULL;
	pthread_mutex_unlock(&s->ckpt_lock);
	s->have_sink = false;
	s->method_ctx = NULL;
	stats_reset(s);
	s->t0 = 0;
	__atomic_store_n(&s->pass_t0_us, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->max_rtt_us, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->last_new_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->late_answers, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->sink_err, 0, __ATOMIC_RELAXED);
	s->dgram_answered = 0;
	s->last_unreach_ns = 0;
	jbuf_init(&s->main_buf);
}

int engine_run(struct fp_scanner *s)
{
	struct resume_state rs = s->resume;
	bool resume = s->have_resume, interrupted = false, stage_started = false;
	uint64_t *delivered = NULL;
	uint8_t rnd[16];
	int ret;

	/* A loaded state is used by this run only. */
	memset(&s->resume, 0, sizeof(s->resume));
	run_reset(s);
	run_begin(s);
	s->method = s->cfg.connect ? &scan_method_connect : &scan_method_raw;
	s->stage = s->cfg.service_scan ? &scan_stage_service : NULL;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		ret = scanner_fail(s, FP_ESYS, "getrandom: %s", strerror(errno));
		goto out;
	}
	event_ctx_init(&s->ec, rnd);
	if (s->cfg.scan_id) /* checked by fp_scanner_new: 32 hex digits */
		memcpy(s->ec.scan_id, s->cfg.scan_id, sizeof(s->ec.scan_id));
	ret = choose_seed(s);
	if (ret == 0 && resume)
		ret = resume_apply(s, &rs, true);
	if (ret < 0)
		goto out;
	ret = perm_init(&s->perm, s->plan.n, s->seed);
	if (ret < 0) {
		scanner_fail(s, ret, "scan too large: %llu probes", (unsigned long long)s->plan.n);
		goto out;
	}
	s->shard_n = shard_size(s->plan.n, s->cfg.shard, s->cfg.shard_count);
	STAT_SET(s, planned, s->shard_n);
	s->answered = calloc((s->plan.n + 63) / 64, sizeof(uint64_t));
	delivered = calloc((s->plan.n + 63) / 64, sizeof(uint64_t));
	if (!s->answered || !delivered) {
		free(delivered);
		ret = scanner_fail(s, FP_ENOMEM, "out of memory for %llu probes",
				   (unsigned long long)s->plan.n);
		goto out;
	}
	if (resume && (ret = resume_apply(s, &rs, false)) < 0) {
		free(delivered);
		goto out;
	}
	/* What a resumed run skips was delivered by the run it continues. */
	memcpy(delivered, s->answered, resume_bitmap_len(s->plan.n));
	pthread_mutex_lock(&s->ckpt_lock);
	s->delivered = delivered;
	s->last_fp = resume_fingerprint(&s->plan, s->cfg.shard, s->cfg.shard_count, s->seed);
	s->last_n = s->plan.n;
	s->ckpt_live = true;
	pthread_mutex_unlock(&s->ckpt_lock);
	s->dgram_probes = dgram_probes(s);
	if (s->stage) {
		ret = s->stage->start(s, &s->stage_ctx);
		if (ret < 0)
			goto out;
		stage_started = true;
	}
	ret = s->method->run(s);
	s->method_ctx = NULL;
	if (!s->t0) /* failed before the scan started: no events */
		goto out;
	interrupted = engine_stopping(s);
	if (ret == 0 && !interrupted)
		report_silent(s);
	if (stage_started) {
		int r = s->stage->finish(s->stage_ctx);

		if (ret == 0)
			ret = r;
		interrupted = engine_stopping(s);
	}
	fill_stats(s, s->shard_n, false);
	/* The closing event reports the average rate of the whole scan. */
	if (STAT_GET(s, elapsed_us))
		stat_set_double(&s->st.rate, (double)STAT_GET(s, sent) * 1e6 /
					     (double)STAT_GET(s, elapsed_us));
	if (ret == 0 && sink_err(s))
		ret = scanner_fail(s, FP_EIO, "writing events: %s", strerror(sink_err(s)));
	emit_counters(s, true, interrupted || ret < 0);
	if (s->have_sink && s->sink.ops->flush(&s->sink) < 0 && ret == 0)
		ret = scanner_fail(s, FP_EIO, "writing events: %s", strerror(s->sink.err));
out:
	if (stage_started)
		s->stage->free(s->stage_ctx);
	s->stage_ctx = NULL;
	if (s->have_sink) {
		s->sink.ops->close(&s->sink);
		s->have_sink = false;
	}
	jbuf_free(&s->main_buf);
	resume_state_free(&rs);
	/* The bitmap stays for fp_scanner_save_state() when the scan was
	 * stopped; the next run or fp_scanner_free() releases it. */
	pthread_mutex_lock(&s->ckpt_lock);
	s->ckpt_live = false;
	s->saveable = ret == 0 && interrupted && s->answered && s->delivered;
	s->last_pass = STAT_GET(s, pass);
	if (!s->saveable) {
		free(s->answered);
		s->answered = NULL;
		free(s->delivered);
		s->delivered = NULL;
	}
	pthread_mutex_unlock(&s->ckpt_lock);
	s->t0 = 0;
	run_end(s);
	return ret;
}
