/* SPDX-License-Identifier: MIT */
/*
 * The raw scan method: resolves the path to the targets, then sender
 * threads walk the keyed permutation of the plan at the set rate, each
 * filling its own TX queue (AF_PACKET TX ring or AF_XDP socket), while a
 * receiver thread reads the RX ring, lets the probes validate replies and
 * records them. Retry passes resend only to probes that got no answer;
 * the engine's cooldown follows each pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "scanner.h"
#include "method.h"
#include "../core/rate.h"
#include "../event/scan_events.h"
#include "../io/pktio.h"
#include "../net/route.h"

#define TX_BATCH 256u
#define COOKIE_BATCH 16u

struct raw;

/* One sending thread: its own TX queue (ring or XDP socket) and its slice
 * of the positions. */
struct sender {
	struct raw *r;
	struct txq tx;
	pthread_t thread;
	uint32_t id;
	uint32_t pass;
	uint64_t done;          /* positions of its slice walked in this pass */
	int err;                /* errno of a send failure, 0 if none */
	int finished;
};

/* The method's state for one run (s->method_ctx while it runs). */
struct raw {
	struct fp_scanner *s;
	struct probe_ctx pctx;
	struct route_info ri;
	struct rxring rx;
	struct jbuf rx_buf;     /* the receiver's events */
	int rx_stop;
	int rx_err;             /* errno of a lasting receive failure (rx_main), 0 if none */
	struct sender *senders;
	uint32_t nsenders;
	int send_path;          /* FP_SEND_RING or FP_SEND_XDP: what the senders use */
	bool xdp_zerocopy;      /* FP_SEND_XDP in zero-copy mode */
	char send_fallback[512];/* auto: why the preferred path could not be set up */
};

static inline uint32_t now_us(const struct raw *r)
{
	return (uint32_t)((clock_ns() - r->s->t0) / 1000);
}

/* Receive path: one frame from the ring. */
static void on_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct raw *r = arg;
	struct fp_scanner *s = r->s;
	struct finding f;
	struct pkt p;
	int c;

	STAT_ADD(s, received, 1);
	if (pkt_parse_eth(frame, len, &p) != PKT_OK) {
		STAT_ADD(s, invalid, 1);
		return;
	}
	c = probe_classify(&r->pctx, &p, now_us(r), &f);
	if (c < 0)
		STAT_ADD(s, invalid, 1);
	else if (c > 0)
		engine_record(s, &r->rx_buf, &f);
}

static void *rx_main(void *arg)
{
	struct raw *r = arg;

	while (!__atomic_load_n(&r->rx_stop, __ATOMIC_ACQUIRE)) {
		if (rxring_poll(&r->rx, 20, on_frame, r) < 0) {
			/* The ring cannot be waited on any more (rxring_poll's
			 * contract): no answer can come, so stop the scan and
			 * let raw_run report why. */
			__atomic_store_n(&r->rx_err, r->rx.err ? r->rx.err : EIO, __ATOMIC_RELAXED);
			__atomic_store_n(&r->s->stop, 1, __ATOMIC_RELAXED);
			return NULL;
		}
	}
	/* Whatever is already in the ring still counts. */
	while (rxring_poll(&r->rx, 0, on_frame, r) > 0)
		;
	return NULL;
}

/* Packets the RX ring dropped since the last call (engine_tick). */
static void raw_stats(struct fp_scanner *s)
{
	struct raw *r = s->method_ctx;

	if (r && r->rx.fd >= 0)
		STAT_ADD(s, dropped, rxring_drops(&r->rx));
}

/* Resolves interface, source addresses and next-hop MAC for the plan. */
static int setup_path(struct raw *r)
{
	struct fp_scanner *s = r->s;
	char why[sizeof(s->err)] = "";
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

		ret = route_get(dsts[i], s->interface, &ri, why, sizeof(why));
		if (ret < 0)
			return scanner_fail(s, ret, "%s", why);
		if (i && ri.ifindex != r->ri.ifindex)
			return scanner_fail(s, FP_ENOTSUP,
					    "IPv4 and IPv6 targets route through different interfaces (%s, %s): scan them separately",
					    r->ri.ifname, ri.ifname);
		src = ri.src;
		if (s->source_ip) {
			u128 o;

			if (addr_parse(s->source_ip, strlen(s->source_ip), &o) < 0)
				return scanner_fail(s, FP_EINVAL, "invalid source address '%s'", s->source_ip);
			if (addr_is_v4(o) == v4)
				src = o;
		}
		if (v4)
			r->pctx.src4 = src;
		else
			r->pctx.src6 = src;
		if (!src) {
			addr_format(dsts[i], a);
			return scanner_fail(s, FP_ENOROUTE, "no source address to reach %s on %s", a, ri.ifname);
		}
		if (!i)
			r->ri = ri;
		if (s->router_mac) {
			if (mac_parse(s->router_mac, r->pctx.dst_mac) < 0)
				return scanner_fail(s, FP_EINVAL, "invalid router MAC '%s'", s->router_mac);
			continue;
		}
		hop = ri.has_gw ? ri.gw : dsts[i];
		ret = neigh_resolve(&ri, hop, r->pctx.dst_mac, 1500, why, sizeof(why));
		if (ret < 0)
			return scanner_fail(s, ret, "%s", why);
	}
	memcpy(r->pctx.src_mac, r->ri.if_mac, 6);
	return 0;
}

/* Frames the kernel or the device dropped at q's kicks since the last call. */
static uint64_t txq_take_errors(struct txq *q)
{
	uint64_t *e = q->kind == TXQ_XDP ? &q->xsk.send_errors : &q->ring.send_errors;
	uint64_t n = *e;

	*e = 0;
	return n;
}

/*
 * One sender's share of a pass: positions id, id + n, id + 2n, ... of this
 * shard, at rate / n. Probes already answered are skipped in later passes
 * without using up the rate. send_errors counts the frames the kernel
 * dropped at a kick, and a batch whose kick failed (none of it is known to
 * have left).
 */
static void *sender_main(void *arg)
{
	struct sender *se = arg;
	struct raw *r = se->r;
	struct fp_scanner *s = r->s;
	struct ratectl rc;
	uint32_t k = s->cfg.shard, count = s->cfg.shard_count, n = r->nsenders, sent = 0;
	uint64_t j = se->id, rate = s->cfg.rate / n + (se->id < s->cfg.rate % n);
	int err = 0;

	rate_init(&rc, rate ? rate : 1, TX_BATCH, clock_ns());
	while (j < s->shard_n && !engine_stopping(s)) {
		uint64_t now = clock_ns(), wait = 0, lost;
		uint32_t allow = rate_take(&rc, now, &wait);
		uint32_t t = (uint32_t)((now - s->t0) / 1000);

		sent = 0;
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
			cookie_batch(&r->pctx.ck, nb, dst, port, proto, ck);
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
					pr->prepare(&r->pctx, v6, frame, PROBE_MAX_FRAME);
					*tag = want_tag;
				}
				txq_commit(&se->tx, (uint32_t)pr->make(&r->pctx, frame, dst[b], port[b],
								      t, ck[b]));
				sent++;
			}
		}
		rc.released -= allow - sent;
		if (txq_kick(&se->tx, false) < 0) {
			err = errno;
			goto out;
		}
		STAT_ADD(s, sent, sent);
		sent = 0;
		if (unlikely((lost = txq_take_errors(&se->tx)) != 0))
			STAT_ADD(s, send_errors, lost);
		__atomic_store_n(&se->done, j / n, __ATOMIC_RELAXED);
	}
	if (txq_kick(&se->tx, true) < 0)
		err = errno;
out:
	STAT_ADD(s, send_errors, (err ? sent : 0) + txq_take_errors(&se->tx));
	se->err = err;
	__atomic_store_n(&se->done, j / n, __ATOMIC_RELAXED);
	__atomic_store_n(&se->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Positions walked in the current pass, over all senders. */
static uint64_t pass_done(const struct raw *r)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < r->nsenders; i++)
		sum += __atomic_load_n(&r->senders[i].done, __ATOMIC_RELAXED);
	return sum > r->s->shard_n ? r->s->shard_n : sum;
}

/* Runs one pass on every sender and waits for them, ticking telemetry. */
static int send_pass(struct raw *r, uint32_t pass)
{
	struct fp_scanner *s = r->s;
	uint32_t started = 0;
	int ret = 0;

	for (uint32_t i = 0; i < r->nsenders; i++) {
		struct sender *se = &r->senders[i];
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
			fin += __atomic_load_n(&r->senders[i].finished, __ATOMIC_ACQUIRE);
		if (fin == started)
			break;
		engine_tick(s, pass_done(r), clock_ns());
		engine_sleep_ns(2000000);
	}
	for (uint32_t i = 0; i < started; i++) {
		pthread_join(r->senders[i].thread, NULL);
		if (r->senders[i].err && ret == 0)
			ret = scanner_fail(s, FP_EIO, "sending on %s failed: %s", r->ri.ifname,
					   strerror(r->senders[i].err));
	}
	return ret;
}

/*
 * The path FP_SEND_AUTO tries first, the one that sent faster in bench/run
 * (docs/DESIGN.md, "Send paths"); the other is the fallback.
 */
#define SEND_PATH_PREFERRED FP_SEND_XDP

static void close_senders(struct raw *r)
{
	for (uint32_t i = 0; i < r->nsenders; i++)
		txq_close(&r->senders[i].tx);
	r->nsenders = 0;
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
static int open_path(struct raw *r, int path, uint32_t n)
{
	struct fp_scanner *s = r->s;
	char why[sizeof(s->err)] = "";
	uint32_t queues = path == FP_SEND_XDP ? xsk_tx_queues(r->ri.ifname) : n, q;
	int ret = 0;

	for (q = 0; q < queues && r->nsenders < n; q++) {
		struct sender *se = &r->senders[r->nsenders];

		se->r = r;
		se->id = r->nsenders;
		if (path == FP_SEND_XDP) {
			se->tx.kind = TXQ_XDP;
			ret = xsktx_open(&se->tx.xsk, r->ri.ifindex, q, why, sizeof(why));
			if (ret == FP_ESTATE)
				continue;
		} else {
			se->tx.kind = TXQ_RING;
			ret = txring_open(&se->tx.ring, r->ri.ifindex, why, sizeof(why));
		}
		if (ret < 0)
			break;
		r->nsenders++;
	}
	if (r->nsenders == n || (path == FP_SEND_XDP && r->nsenders)) {
		r->send_path = path;
		r->xdp_zerocopy = path == FP_SEND_XDP && r->senders[0].tx.xsk.zerocopy;
		return 0;
	}
	close_senders(r);
	if (path == FP_SEND_RING)
		return scanner_fail(s, ret, "%s", why);
	if (ret == FP_ESTATE)
		return scanner_fail(s, FP_ENOTSUP,
				    "cannot send with AF_XDP on %s: each of its %u TX queues already has an XDP socket",
				    r->ri.ifname, queues);
	return scanner_fail(s, ret, "cannot send with AF_XDP on %s (queue %u): %s", r->ri.ifname, q, why);
}

/* The senders on the path asked for; with FP_SEND_AUTO the preferred one,
 * else the other (r->send_fallback says why). */
static int open_senders(struct raw *r)
{
	struct fp_scanner *s = r->s;
	uint32_t n = engine_senders(s);
	int ret;

	r->send_fallback[0] = '\0';
	if (s->cfg.send_path != FP_SEND_AUTO)
		return open_path(r, s->cfg.send_path, n);
	ret = open_path(r, SEND_PATH_PREFERRED, n);
	if (ret == 0)
		return 0;
	snprintf(r->send_fallback, sizeof(r->send_fallback), "%s", s->err);
	scanner_clear_error(s);
	return open_path(r, SEND_PATH_PREFERRED == FP_SEND_XDP ? FP_SEND_RING : FP_SEND_XDP, n);
}

/* scan_started's facts of this method. */
static int begin_events(struct raw *r)
{
	struct scan_facts f = { .cookie_impl = r->pctx.ck.impl };
	char src[ADDR_STRLEN] = "";

	if (r->nsenders) {
		f.send_path = r->send_path == FP_SEND_XDP ? "xdp" : "ring";
		f.xdp_mode = r->send_path != FP_SEND_XDP ? NULL : r->xdp_zerocopy ? "zerocopy" : "copy";
		f.send_threads = r->nsenders;
		f.send_fallback = r->send_fallback;
	}
	f.interface = r->ri.ifname;
	if (r->pctx.src4 || r->pctx.src6)
		addr_format(r->pctx.src4 ? r->pctx.src4 : r->pctx.src6, src);
	f.source_ip = src;
	return engine_begin_events(r->s, &f);
}

/*
 * The raw-socket scan: path, TX queues (one per sender), RX ring and its
 * thread, the passes with their cooldowns.
 */
static int raw_run(struct fp_scanner *s)
{
	char why[sizeof(s->err)] = "";
	pthread_t rx_thread;
	bool rx_started = false;
	struct raw *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return scanner_fail(s, FP_ENOMEM, "out of memory");
	r->s = s;
	r->rx.fd = -1;
	jbuf_init(&r->rx_buf);
	s->method_ctx = r;
	if (getrandom(r->pctx.key, sizeof(r->pctx.key), 0) != sizeof(r->pctx.key)) {
		ret = scanner_fail(s, FP_ESYS, "getrandom: %s", strerror(errno));
		goto out;
	}
	ret = setup_path(r);
	if (ret < 0)
		goto out;
	r->pctx.udp_user = &s->udp_user;
	/* FASTPORT_COOKIE_IMPL (scalar, avx2, avx512) overrides the choice by
	 * cpuid, for comparisons; an unknown name keeps the default. */
	probe_ctx_setup(&r->pctx, getenv("FASTPORT_COOKIE_IMPL"));
	r->senders = calloc(SENDERS_MAX, sizeof(*r->senders));
	if (!r->senders) {
		ret = scanner_fail(s, FP_ENOMEM, "out of memory");
		goto out;
	}
	ret = open_senders(r);
	if (ret < 0)
		goto out;
	ret = rxring_open(&r->rx, r->ri.ifindex, r->pctx.src6 ? 0 : addr_v4(r->pctx.src4),
			  why, sizeof(why));
	if (ret < 0) {
		scanner_fail(s, ret, "%s", why);
		goto out;
	}
	ret = engine_pin_prepare(s);
	if (ret == 0)
		ret = engine_ready(s);
	if (ret == 0)
		ret = begin_events(r);
	if (ret < 0)
		goto out;
	r->pctx.t0_ns = s->t0;
	r->rx_stop = 0;
	{
		pthread_attr_t attr;

		/* The receiver gets the CPU after the senders'. */
		ret = engine_thread_attr(s, &attr, r->nsenders);
		if (ret < 0)
			goto out;
		ret = pthread_create(&rx_thread, &attr, rx_main, r);
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
		engine_pass_begin(s, pass);
		ret = send_pass(r, pass);
		if (ret < 0)
			break;
		engine_cooldown(s, s->shard_n, pass == s->cfg.retries);
	}
out:
	if (rx_started) {
		__atomic_store_n(&r->rx_stop, 1, __ATOMIC_RELEASE);
		pthread_join(rx_thread, NULL);
		if (r->rx_err && ret >= 0)
			ret = scanner_fail(s, FP_ESYS, "receiving replies: %s", strerror(r->rx_err));
	}
	if (r->senders)
		close_senders(r);
	free(r->senders);
	if (r->rx.fd >= 0)
		rxring_close(&r->rx);
	jbuf_free(&r->rx_buf);
	s->method_ctx = NULL;
	free(r);
	return ret;
}

const struct scan_method scan_method_raw = {
	.name = "raw",
	.run = raw_run,
	.stats = raw_stats,
};
