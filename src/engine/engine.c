/* SPDX-License-Identifier: MIT */
/*
 * The scan engine: resolves the path to the targets, then a sender (the
 * calling thread) walks the keyed permutation of the plan at the set rate
 * while a receiver thread validates replies, de-duplicates them against one
 * bit per probe and emits findings. Retries resend only to probes that got
 * no answer; the cooldown after each pass adapts to the round trips seen.
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
#include "../core/cookie.h"
#include "../core/rate.h"

/* Counters have several writers (the receiver, connect workers). */
#define STAT_ADD(s, field, n) __atomic_fetch_add(&(s)->st.field, (n), __ATOMIC_RELAXED)
#define STAT_SET(s, field, v) __atomic_store_n(&(s)->st.field, (v), __ATOMIC_RELAXED)

#define TX_BATCH 256u
#define COOKIE_BATCH 16u
/* Cooldown floors: after the last pass, and before a retry pass (which
 * only costs a duplicate answer when it comes too early). */
#define COOLDOWN_MIN_NS (200ull * 1000 * 1000)
#define COOLDOWN_RETRY_MIN_NS (50ull * 1000 * 1000)
#define RTT_FACTOR 8

static inline uint32_t now_us(const struct fp_scanner *s)
{
	return (uint32_t)((clock_ns() - s->t0) / 1000);
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

/* Hands one finished event to the sink and the callback, one at a time. */
static void emit(struct fp_scanner *s, struct jbuf *b, fp_event_kind_t kind,
		 const struct finding *f)
{
	char ip[ADDR_STRLEN] = "";
	fp_event_t ev = { .kind = kind, .json = b->p, .json_len = b->len };
	int stop = 0;

	if (b->oom) {
		s->sink_err = ENOMEM;
		fp_scanner_stop(s);
		return;
	}
	if (f) {
		addr_format(f->addr, ip);
		ev.ip = ip;
		ev.port = f->port;
		ev.protocol = f->proto;
		ev.state = (fp_state_t)f->state;
		ev.reason = f->reason;
	}
	pthread_mutex_lock(&s->emit_lock);
	if (s->have_sink && !s->sink_err && s->sink.ops->event(&s->sink, &ev) < 0)
		s->sink_err = s->sink.err ? s->sink.err : EIO;
	if (s->cfg.on_event)
		stop = s->cfg.on_event(&ev, s->cfg.userdata);
	pthread_mutex_unlock(&s->emit_lock);
	if (stop || s->sink_err)
		fp_scanner_stop(s);
}

static void emit_finding(struct fp_scanner *s, struct jbuf *b, const struct finding *f)
{
	jbuf_reset(b);
	event_port_state(b, &s->ec, f);
	emit(s, b, FP_EVENT_PORT_STATE, f);
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

int engine_record(struct fp_scanner *s, struct jbuf *b, const struct finding *f)
{
	uint64_t idx;

	if (plan_find(&s->plan, f->addr, f->proto, f->port, &idx) < 0) {
		STAT_ADD(s, invalid, 1);
		return -1;
	}
	if (!bit_set(s->answered, idx)) {
		STAT_ADD(s, duplicates, 1);
		return 0;
	}
	STAT_ADD(s, valid, 1);
	count_state(s, f->state);
	__atomic_store_n(&s->last_new_ns, clock_ns(), __ATOMIC_RELAXED);
	if (f->proto != FP_PROTO_TCP) {
		__atomic_fetch_add(&s->dgram_answered, 1, __ATOMIC_RELAXED);
		if (f->state == FP_STATE_CLOSED)
			__atomic_store_n(&s->last_unreach_ns, clock_ns(), __ATOMIC_RELAXED);
	}
	if (f->rtt_us > 0) {
		uint32_t old = __atomic_load_n(&s->max_rtt_us, __ATOMIC_RELAXED);

		while (f->rtt_us > (int64_t)old &&
		       !__atomic_compare_exchange_n(&s->max_rtt_us, &old, (uint32_t)f->rtt_us, true,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	if (s->cfg.states & (1U << f->state))
		emit_finding(s, b, f);
	return 1;
}

/* Receive path: one frame from the ring. */
static void on_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct fp_scanner *s = arg;
	struct finding f;
	struct pkt p;
	int r;

	STAT_ADD(s, received, 1);
	if (pkt_parse_eth(frame, len, &p) != PKT_OK) {
		STAT_ADD(s, invalid, 1);
		return;
	}
	r = probe_classify(&s->pctx, &p, now_us(s), &f);
	if (r < 0)
		STAT_ADD(s, invalid, 1);
	else if (r > 0)
		engine_record(s, &s->rx_buf, &f);
}

static void *rx_main(void *arg)
{
	struct fp_scanner *s = arg;

	while (!__atomic_load_n(&s->rx_stop, __ATOMIC_ACQUIRE))
		rxring_poll(&s->rx, 20, on_frame, s);
	/* Whatever is already in the ring still counts. */
	while (rxring_poll(&s->rx, 0, on_frame, s) > 0)
		;
	return NULL;
}

static void fill_stats(struct fp_scanner *s, uint64_t pos)
{
	uint32_t passes = s->cfg.retries + 1;
	double done = (double)s->st.pass + (s->shard_n ? (double)pos / (double)s->shard_n : 1);

	STAT_SET(s, elapsed_us, (clock_ns() - s->t0) / 1000);
	s->st.progress = done / passes > 1 ? 1 : done / passes;
	if (s->rx.fd >= 0)
		STAT_SET(s, dropped, s->st.dropped + rxring_drops(&s->rx));
}

static void emit_counters(struct fp_scanner *s, const char *kind, fp_event_kind_t k,
			  bool interrupted)
{
	struct jbuf *b = &s->main_buf;
	fp_stats_t st = { .struct_size = sizeof(st) };

	fp_scanner_stats(s, &st);
	jbuf_reset(b);
	event_head(b, &s->ec, kind);
	event_counters(b, &st, st.rate, st.progress);
	if (k == FP_EVENT_SCAN_COMPLETED) {
		jbuf_lit(b, ",\"interrupted\":");
		jbuf_lit(b, interrupted ? "true" : "false");
	}
	jbuf_char(b, '}');
	emit(s, b, k, NULL);
}

/* Periodic work of the sending thread: telemetry events and the rate. */
void engine_tick(struct fp_scanner *s, uint64_t pos, uint64_t now)
{
	if (now - s->tel_last_ns < 1000000000ull &&
	    (!s->cfg.telemetry_ms || now - s->tel_last_ns < (uint64_t)s->cfg.telemetry_ms * 1000000))
		return;
	if (now - s->tel_last_ns >= 250000000ull) {
		s->st.rate = (double)(s->st.sent - s->tel_last_sent) * 1e9 /
			     (double)(now - s->tel_last_ns);
		s->tel_last_sent = s->st.sent;
	}
	fill_stats(s, pos);
	if (s->cfg.telemetry_ms && now - s->tel_last_ns >= (uint64_t)s->cfg.telemetry_ms * 1000000)
		emit_counters(s, "telemetry", FP_EVENT_TELEMETRY, false);
	s->tel_last_ns = now;
}

void engine_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

/*
 * Waits for the replies to the probes just sent: at least the floor
 * (COOLDOWN_MIN after the last pass, COOLDOWN_RETRY_MIN before a retry
 * pass) or RTT_FACTOR times the largest round trip seen, until no new
 * finding came for half that long, and never longer than --wait.
 */
void engine_cooldown(struct fp_scanner *s, uint64_t pos, bool final)
{
	uint64_t start = clock_ns();
	uint64_t bound = (uint64_t)s->cfg.wait_ms * 1000000ull;
	uint64_t floor = final ? COOLDOWN_MIN_NS : COOLDOWN_RETRY_MIN_NS;

	while (!engine_stopping(s)) {
		uint64_t now = clock_ns();
		uint32_t rtt = __atomic_load_n(&s->max_rtt_us, __ATOMIC_RELAXED);
		uint64_t last = __atomic_load_n(&s->last_new_ns, __ATOMIC_RELAXED);
		uint64_t target = bound;

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

static void engine_icmp_wait(struct fp_scanner *s, uint64_t pos)
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

/* Resolves interface, source addresses and next-hop MAC for the plan. */
static int setup_path(struct fp_scanner *s)
{
	u128 first, last, dsts[2];
	int ret, nd = 0;

	/* The plan is sorted by address; IPv4-mapped addresses sort before
	 * every routable IPv6 address, so its two ends show both families. */
	if (s->plan.list) {
		first = s->plan.list[0].addr;
		last = s->plan.list[s->plan.n - 1].addr;
	} else {
		first = s->plan.addrs->r[0].lo;
		last = s->plan.addrs->r[s->plan.addrs->n - 1].hi;
	}
	dsts[nd++] = first;
	if (addr_is_v4(first) != addr_is_v4(last))
		dsts[nd++] = last;
	for (int i = 0; i < nd; i++) {
		struct route_info ri;
		bool v4 = addr_is_v4(dsts[i]);
		u128 hop, src;
		char a[ADDR_STRLEN];

		ret = route_get(dsts[i], s->interface, &ri, s->err, sizeof(s->err));
		if (ret < 0)
			return ret;
		if (i && ri.ifindex != s->ri.ifindex)
			return scanner_fail(s, FP_ENOTSUP,
					    "IPv4 and IPv6 targets route through different interfaces (%s, %s): scan them separately",
					    s->ri.ifname, ri.ifname);
		src = ri.src;
		if (s->source_ip) {
			u128 o;

			if (addr_parse(s->source_ip, strlen(s->source_ip), &o) < 0)
				return scanner_fail(s, FP_EINVAL, "invalid source address '%s'", s->source_ip);
			if (addr_is_v4(o) == v4)
				src = o;
		}
		if (v4)
			s->pctx.src4 = src;
		else
			s->pctx.src6 = src;
		if (!src) {
			addr_format(dsts[i], a);
			return scanner_fail(s, FP_ENOROUTE, "no source address to reach %s on %s", a, ri.ifname);
		}
		if (!i)
			s->ri = ri;
		if (s->router_mac) {
			if (mac_parse(s->router_mac, s->pctx.dst_mac) < 0)
				return scanner_fail(s, FP_EINVAL, "invalid router MAC '%s'", s->router_mac);
			continue;
		}
		hop = ri.has_gw ? ri.gw : dsts[i];
		ret = neigh_resolve(&ri, hop, s->pctx.dst_mac, 1500, s->err, sizeof(s->err));
		if (ret < 0)
			return ret;
	}
	memcpy(s->pctx.src_mac, s->ri.if_mac, 6);
	return 0;
}

static void report_one_silent(struct fp_scanner *s, struct finding *f, uint64_t idx)
{
	plan_get(&s->plan, idx, &f->addr, &f->proto, &f->port);
	f->state = f->proto == FP_PROTO_TCP ? FP_STATE_FILTERED : FP_STATE_OPEN_FILTERED;
	count_state(s, f->state);
	if (s->cfg.states & (1U << f->state))
		emit_finding(s, &s->main_buf, f);
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

/*
 * One sender's share of a pass: positions id, id + n, id + 2n, ... of this
 * shard, at rate / n. Probes already answered are skipped in later passes
 * without using up the rate.
 */
static void *sender_main(void *arg)
{
	struct sender *se = arg;
	struct fp_scanner *s = se->s;
	struct ratectl rc;
	uint32_t k = s->cfg.shard, count = s->cfg.shard_count, n = s->nsenders;
	uint64_t j = se->id, rate = s->cfg.rate / n + (se->id < s->cfg.rate % n);
	int err = 0;

	rate_init(&rc, rate ? rate : 1, TX_BATCH, clock_ns());
	while (j < s->shard_n && !engine_stopping(s)) {
		uint64_t now = clock_ns(), wait = 0;
		uint32_t allow = rate_take(&rc, now, &wait), sent = 0;
		uint32_t t = (uint32_t)((now - s->t0) / 1000);

		if (!allow) {
			txq_kick(&se->tx, false);
			if (wait > 50000)
				engine_sleep_ns(wait > 1000000 ? 1000000 : wait);
			continue;
		}
		while (sent < allow && j < s->shard_n) {
			u128 dst[COOKIE_BATCH];
			uint16_t port[COOKIE_BATCH];
			uint8_t proto[COOKIE_BATCH];
			uint64_t ck[COOKIE_BATCH];
			uint32_t nb = 0, want = allow - sent < COOKIE_BATCH ? allow - sent : COOKIE_BATCH;

			/* The slice's next probes, answered ones skipped, then
			 * their cookies in one batch (SIMD where the CPU has it). */
			while (nb < want && j < s->shard_n) {
				uint64_t idx = perm_at(&s->perm, shard_pos(k, count, j));

				j += n;
				if (engine_skip(s, se->pass, idx))
					continue;
				plan_get(&s->plan, idx, &dst[nb], &proto[nb], &port[nb]);
				nb++;
			}
			cookie_batch(&s->pctx.ck, nb, dst, port, proto, ck);
			for (uint32_t b = 0; b < nb; b++) {
				const struct probe *pr = probe_for(proto[b]);
				bool v6 = !addr_is_v4(dst[b]);
				uint8_t *frame, *tag, want_tag = (uint8_t)(((proto[b] + 1) << 1) | v6);

				while (!(frame = txq_next(&se->tx, &tag)))
					if (txq_kick(&se->tx, true) < 0) {
						err = errno;
						goto out;
					}
				if (*tag != want_tag) {
					pr->prepare(&s->pctx, v6, frame, PROBE_MAX_FRAME);
					*tag = want_tag;
				}
				txq_commit(&se->tx, (uint32_t)pr->make(&s->pctx, frame, dst[b], port[b],
								      t, ck[b]));
				sent++;
			}
		}
		rc.released -= allow - sent;
		if (txq_kick(&se->tx, false) < 0) {
			err = errno;
			goto out;
		}
		__atomic_fetch_add(&s->st.sent, sent, __ATOMIC_RELAXED);
		__atomic_store_n(&se->done, j / n, __ATOMIC_RELAXED);
	}
	if (txq_kick(&se->tx, true) < 0)
		err = errno;
out:
	se->err = err;
	__atomic_store_n(&se->done, j / n, __ATOMIC_RELAXED);
	__atomic_store_n(&se->finished, 1, __ATOMIC_RELEASE);
	return NULL;
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

/* Positions walked in the current pass, over all senders. */
static uint64_t pass_done(const struct fp_scanner *s)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < s->nsenders; i++)
		sum += __atomic_load_n(&s->senders[i].done, __ATOMIC_RELAXED);
	return sum > s->shard_n ? s->shard_n : sum;
}

/* Runs one pass on every sender and waits for them, ticking telemetry. */
static int send_pass(struct fp_scanner *s, uint32_t pass)
{
	uint32_t started = 0;
	int ret = 0;

	for (uint32_t i = 0; i < s->nsenders; i++) {
		struct sender *se = &s->senders[i];

		pthread_attr_t attr;
		int rc;

		se->pass = pass;
		se->done = 0;
		se->err = 0;
		se->finished = 0;
		if ((ret = engine_thread_attr(s, &attr, i)) < 0) {
			fp_scanner_stop(s);
			break;
		}
		rc = pthread_create(&se->thread, &attr, sender_main, se);
		pthread_attr_destroy(&attr);
		if (rc != 0) {
			ret = scanner_fail(s, FP_ESYS, "cannot start a sending thread: %s", strerror(rc));
			fp_scanner_stop(s);
			break;
		}
		started++;
	}
	for (;;) {
		uint32_t fin = 0;

		for (uint32_t i = 0; i < started; i++)
			fin += __atomic_load_n(&s->senders[i].finished, __ATOMIC_ACQUIRE);
		if (fin == started)
			break;
		engine_tick(s, pass_done(s), clock_ns());
		engine_sleep_ns(2000000);
	}
	for (uint32_t i = 0; i < started; i++) {
		pthread_join(s->senders[i].thread, NULL);
		if (s->senders[i].err && ret == 0)
			ret = scanner_fail(s, FP_EIO, "sending on %s failed: %s", s->ri.ifname,
					   strerror(s->senders[i].err));
	}
	return ret;
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

/*
 * The path FP_SEND_AUTO tries first, the one that sent faster in bench/run
 * (docs/DESIGN.md, "Send paths"); the other is the fallback.
 */
#define SEND_PATH_PREFERRED FP_SEND_XDP

static void close_senders(struct fp_scanner *s)
{
	for (uint32_t i = 0; i < s->nsenders; i++)
		txq_close(&s->senders[i].tx);
	s->nsenders = 0;
}

/*
 * Opens n senders on path (FP_SEND_RING or FP_SEND_XDP); on failure none
 * stays open. An XDP socket with its own UMEM takes a TX queue for itself
 * (a second one cannot bind it, and one sharing the first one's UMEM would
 * share its completion ring, which two threads would then have to lock),
 * so XDP senders get one queue each, skipping queues that other XDP
 * sockets hold: there are at most as many as free TX queues, and fewer
 * when locked memory runs out after the first.
 */
static int open_path(struct fp_scanner *s, int path, uint32_t n)
{
	char why[sizeof(s->err)] = "";
	uint32_t queues = path == FP_SEND_XDP ? xsk_tx_queues(s->ri.ifname) : n, q;
	int ret = 0;

	for (q = 0; q < queues && s->nsenders < n; q++) {
		struct sender *se = &s->senders[s->nsenders];

		se->s = s;
		se->id = s->nsenders;
		if (path == FP_SEND_XDP) {
			se->tx.kind = TXQ_XDP;
			ret = xsktx_open(&se->tx.xsk, s->ri.ifindex, q, why, sizeof(why));
			if (ret == FP_ESTATE)
				continue;
		} else {
			se->tx.kind = TXQ_RING;
			ret = txring_open(&se->tx.ring, s->ri.ifindex, why, sizeof(why));
		}
		if (ret < 0)
			break;
		s->nsenders++;
	}
	if (s->nsenders == n || (path == FP_SEND_XDP && s->nsenders)) {
		s->send_path = path;
		s->xdp_zerocopy = path == FP_SEND_XDP && s->senders[0].tx.xsk.zerocopy;
		return 0;
	}
	close_senders(s);
	if (path == FP_SEND_RING)
		return scanner_fail(s, ret, "%s", why);
	if (ret == FP_ESTATE)
		return scanner_fail(s, FP_ENOTSUP,
				    "cannot send with AF_XDP on %s: each of its %u TX queues already has an XDP socket",
				    s->ri.ifname, queues);
	return scanner_fail(s, ret, "cannot send with AF_XDP on %s (queue %u): %s", s->ri.ifname, q, why);
}

/* The senders on the path asked for; with FP_SEND_AUTO the preferred one,
 * else the other (s->send_fallback says why). */
static int open_senders(struct fp_scanner *s)
{
	uint32_t n = engine_senders(s);
	int ret;

	s->send_fallback[0] = '\0';
	if (s->cfg.send_path != FP_SEND_AUTO)
		return open_path(s, s->cfg.send_path, n);
	ret = open_path(s, SEND_PATH_PREFERRED, n);
	if (ret == 0)
		return 0;
	snprintf(s->send_fallback, sizeof(s->send_fallback), "%s", s->err);
	return open_path(s, SEND_PATH_PREFERRED == FP_SEND_XDP ? FP_SEND_RING : FP_SEND_XDP, n);
}

/*
 * The raw-socket scan: path, TX queues (one per sender), RX ring and its
 * thread, the passes with their cooldowns.
 */
static int raw_scan(struct fp_scanner *s)
{
	pthread_t rx_thread;
	bool rx_started = false;
	int ret;

	ret = setup_path(s);
	if (ret < 0)
		goto out;
	s->pctx.udp_user = &s->udp_user;
	/* FASTPORT_COOKIE_IMPL (scalar, avx2, avx512) overrides the choice by
	 * cpuid, for comparisons; an unknown name keeps the default. */
	probe_ctx_setup(&s->pctx, getenv("FASTPORT_COOKIE_IMPL"));
	s->senders = calloc(SENDERS_MAX, sizeof(*s->senders));
	if (!s->senders) {
		ret = scanner_fail(s, FP_ENOMEM, "out of memory");
		goto out;
	}
	ret = open_senders(s);
	if (ret < 0)
		goto out;
	ret = rxring_open(&s->rx, s->ri.ifindex, s->pctx.src6 ? 0 : addr_v4(s->pctx.src4),
			  s->err, sizeof(s->err));
	if (ret == 0)
		ret = engine_pin_prepare(s);
	if (ret < 0)
		goto out;
	ret = engine_ready(s);
	if (ret == 0)
		ret = engine_begin_events(s);
	if (ret < 0)
		goto out;
	s->rx_stop = 0;
	s->dgram_probes = dgram_probes(s);
	s->dgram_answered = 0;
	s->last_unreach_ns = 0;
	{
		pthread_attr_t attr;

		/* The receiver gets the CPU after the senders'. */
		ret = engine_thread_attr(s, &attr, s->nsenders);
		if (ret < 0)
			goto out;
		ret = pthread_create(&rx_thread, &attr, rx_main, s);
		pthread_attr_destroy(&attr);
	}
	if (ret != 0) {
		ret = scanner_fail(s, FP_ESYS, "cannot start the receive thread: %s", strerror(ret));
		goto out;
	}
	rx_started = true;
	for (uint32_t pass = s->start_pass; pass <= s->cfg.retries && !engine_stopping(s); pass++) {
		if (pass > s->start_pass)
			engine_icmp_wait(s, s->shard_n);
		STAT_SET(s, pass, pass);
		ret = send_pass(s, pass);
		if (ret < 0)
			break;
		engine_cooldown(s, s->shard_n, pass == s->cfg.retries);
	}
out:
	if (rx_started) {
		__atomic_store_n(&s->rx_stop, 1, __ATOMIC_RELEASE);
		pthread_join(rx_thread, NULL);
	}
	close_senders(s);
	free(s->senders);
	s->senders = NULL;
	s->nsenders = 0;
	if (s->rx.fd >= 0)
		rxring_close(&s->rx);
	return ret;
}

int engine_ready(struct fp_scanner *s)
{
	if (s->cfg.on_ready && s->cfg.on_ready(s->cfg.userdata) != 0)
		return scanner_fail(s, FP_EPERM, "dropping privileges before the scan failed");
	return 0;
}

int engine_begin_events(struct fp_scanner *s)
{
	struct jbuf *b = &s->main_buf;
	char src[ADDR_STRLEN];
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
	s->t0 = s->pctx.t0_ns = clock_ns();
	s->tel_last_ns = s->t0;
	s->tel_last_sent = 0;
	jbuf_reset(b);
	event_head(b, &s->ec, "scan_started");
	jbuf_lit(b, "\"scan\":{\"probes\":");
	jbuf_u64(b, s->shard_n);
	jbuf_lit(b, ",\"rate\":");
	jbuf_u64(b, s->cfg.rate);
	jbuf_lit(b, ",\"retries\":");
	jbuf_u64(b, s->cfg.retries);
	jbuf_lit(b, ",\"wait_ms\":");
	jbuf_u64(b, s->cfg.wait_ms);
	jbuf_lit(b, ",\"seed\":");
	jbuf_u64(b, s->seed);
	jbuf_lit(b, ",\"shard\":\"");
	jbuf_u64(b, s->cfg.shard);
	jbuf_char(b, '/');
	jbuf_u64(b, s->cfg.shard_count);
	jbuf_lit(b, "\",\"method\":\"");
	jbuf_lit(b, s->cfg.connect ? "connect" : "raw");
	jbuf_char(b, '"');
	if (!s->cfg.connect && s->pctx.ck.impl) {
		jbuf_lit(b, ",\"cookie_impl\":");
		jbuf_str(b, s->pctx.ck.impl);
	}
	if (s->nsenders) {
		jbuf_lit(b, ",\"send_path\":\"");
		jbuf_lit(b, s->send_path == FP_SEND_XDP ? "xdp" : "ring");
		jbuf_char(b, '"');
		if (s->send_path == FP_SEND_XDP) {
			jbuf_lit(b, ",\"xdp_mode\":\"");
			jbuf_lit(b, s->xdp_zerocopy ? "zerocopy" : "copy");
			jbuf_char(b, '"');
		}
		jbuf_lit(b, ",\"send_threads\":");
		jbuf_u64(b, s->nsenders);
		if (s->send_fallback[0]) {
			jbuf_lit(b, ",\"send_fallback\":");
			jbuf_str(b, s->send_fallback);
		}
	}
	if (s->ri.ifname[0]) {
		jbuf_lit(b, ",\"interface\":");
		jbuf_str(b, s->ri.ifname);
	}
	if (s->pctx.src4 || s->pctx.src6) {
		addr_format(s->pctx.src4 ? s->pctx.src4 : s->pctx.src6, src);
		jbuf_lit(b, ",\"source_ip\":");
		jbuf_str(b, src);
	}
	jbuf_lit(b, "}}");
	emit(s, b, FP_EVENT_SCAN_STARTED, NULL);
	return 0;
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

int engine_run(struct fp_scanner *s)
{
	struct resume_state rs = s->resume;
	bool resume = s->have_resume, interrupted = false;
	uint8_t rnd[16];
	int ret;

	/* A loaded state is used by this run only. */
	memset(&s->resume, 0, sizeof(s->resume));
	s->have_resume = false;
	s->resuming = false;
	s->start_pass = 0;
	s->saveable = false;
	free(s->answered);
	s->answered = NULL;

	s->rx.fd = -1;
	s->senders = NULL;
	s->nsenders = 0;
	s->have_sink = false;
	memset(&s->st, 0, sizeof(s->st));
	memset(&s->pctx, 0, sizeof(s->pctx));
	memset(&s->ri, 0, sizeof(s->ri));
	s->max_rtt_us = 0;
	s->last_new_ns = 0;
	s->sink_err = 0;
	s->seed = s->cfg.seed;
	jbuf_init(&s->rx_buf);
	jbuf_init(&s->main_buf);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd) ||
	    getrandom(s->pctx.key, sizeof(s->pctx.key), 0) != sizeof(s->pctx.key) ||
	    (!s->seed && getrandom(&s->seed, sizeof(s->seed), 0) != sizeof(s->seed))) {
		ret = scanner_fail(s, FP_ESYS, "getrandom: %s", strerror(errno));
		goto out;
	}
	event_ctx_init(&s->ec, rnd);
	if (resume && (ret = resume_apply(s, &rs, true)) < 0)
		goto out;
	ret = perm_init(&s->perm, s->plan.n, s->seed);
	if (ret < 0) {
		scanner_fail(s, ret, "scan too large: %llu probes", (unsigned long long)s->plan.n);
		goto out;
	}
	s->shard_n = shard_size(s->plan.n, s->cfg.shard, s->cfg.shard_count);
	s->st.planned = s->shard_n;
	s->answered = calloc((s->plan.n + 63) / 64, sizeof(uint64_t));
	if (!s->answered) {
		ret = scanner_fail(s, FP_ENOMEM, "out of memory for %llu probes",
				   (unsigned long long)s->plan.n);
		goto out;
	}
	if (resume && (ret = resume_apply(s, &rs, false)) < 0)
		goto out;
	s->last_fp = resume_fingerprint(&s->plan, s->cfg.shard, s->cfg.shard_count, s->seed);
	s->last_n = s->plan.n;
	ret = s->cfg.connect ? engine_connect_scan(s) : raw_scan(s);
	if (!s->t0) /* failed before the scan started: no events */
		goto out;
	interrupted = engine_stopping(s);
	if (ret == 0 && !interrupted)
		report_silent(s);
	fill_stats(s, s->shard_n);
	/* The closing event reports the average rate of the whole scan. */
	if (s->st.elapsed_us)
		s->st.rate = (double)s->st.sent * 1e6 / (double)s->st.elapsed_us;
	if (ret == 0 && s->sink_err)
		ret = scanner_fail(s, FP_EIO, "writing events: %s", strerror(s->sink_err));
	emit_counters(s, "scan_completed", FP_EVENT_SCAN_COMPLETED, interrupted || ret < 0);
	if (s->have_sink && s->sink.ops->flush(&s->sink) < 0 && ret == 0)
		ret = scanner_fail(s, FP_EIO, "writing events: %s", strerror(s->sink.err));
out:
	if (s->have_sink) {
		s->sink.ops->close(&s->sink);
		s->have_sink = false;
	}
	jbuf_free(&s->rx_buf);
	jbuf_free(&s->main_buf);
	resume_state_free(&rs);
	/* The bitmap stays for fp_scanner_save_state() when the scan was
	 * stopped; the next run or fp_scanner_free() releases it. */
	s->saveable = ret == 0 && interrupted && s->answered;
	s->last_pass = s->st.pass;
	if (!s->saveable) {
		free(s->answered);
		s->answered = NULL;
	}
	s->t0 = 0;
	return ret;
}
