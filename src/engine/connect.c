/* SPDX-License-Identifier: MIT */
/*
 * The connect() scan method: non-blocking TCP connect()s driven by epoll,
 * for unprivileged users. Worker threads (as many as raw sending threads
 * would be) each walk every n-th of the shard's positions in the keyed
 * order at their share of the rate, each with its own epoll set and its
 * share of a file-descriptor-sized number of attempts in flight, and read
 * each outcome from SO_ERROR and, for ICMP errors, from the socket's error
 * queue (IP_RECVERR), so that an ICMP port-unreachable is told apart from
 * a RST. The kernel's work for each connect() runs on the worker's CPU, so
 * workers scale it over the cores.
 *
 * System calls are most of the cost, so a socket whose attempt failed
 * (refused, or a hard ICMP error: the kernel has closed it and we have read
 * its error) is not closed but dissolved with connect(AF_UNSPEC) and used
 * for the next probe of its family: it keeps its IP_RECVERR option and its
 * edge-triggered epoll registration, which saves socket(), setsockopt(),
 * epoll_ctl() and close() per probe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "scanner.h"
#include "method.h"
#include "../event/scan_events.h"
#include "../core/rate.h"
#include "../net/packet.h"
#include "../probe/l3.h"

#define FD_MARGIN 64u           /* descriptors left for everything else */
#define CONC_MAX 16384u         /* attempts in flight, at most */
#define TIMEOUT_START_NS 1000000000ull
#define TIMEOUT_MIN_NS 50000000ull
#define TIMEOUT_RTT_FACTOR 4
#define LAUNCH_MAX 1024u        /* attempts per launch phase between polls */
#define EVENTS_MAX 1024
#define TICK_MS 100             /* longest sleep: stop and telemetry latency */
#define BACKOFF_NS 10000000ull  /* pause when out of descriptors or ports */
#define NIL UINT32_MAX

/*
 * One socket: an attempt in flight (linked oldest first), or a spare
 * dissolved socket waiting for the next probe of its family.
 */
struct slot {
	int fd;
	bool v6;                 /* the socket's family */
	bool spare;
	uint32_t prev, next;
	uint32_t tries;          /* attempts made for this probe, this one included */
	uint16_t port;
	u128 addr;
	uint64_t start_ns;
};

/* A probe whose attempt timed out, waiting to be tried again. */
struct retry {
	u128 addr;
	uint16_t port;
	uint32_t tries;
};

struct cscan {
	struct fp_scanner *s;
	pthread_t thread;
	uint32_t id, stride;     /* walks positions id, id + stride, ... */
	uint64_t done;           /* positions walked (progress), atomic */
	int ret;                 /* the walk's result */
	int finished;            /* atomic: the walk is over */
	struct jbuf buf;
	int ep;
	uint32_t conc;
	struct slot *slots;
	uint32_t *free_list, nfree;      /* slots without a socket */
	uint32_t *spares[2], nspare[2];  /* slots with a spare socket, by family */
	/* In-flight lists by family, oldest at head: each family has its
	 * own timeout, learnt from its own round trips (an IPv6 path may
	 * still wait for neighbour discovery when IPv4 answers already
	 * come back in microseconds). */
	uint32_t head[2], tail[2];
	uint32_t active;
	struct retry *rq;        /* ring of conc entries */
	uint32_t rq_head, rq_len;
	uint64_t timeout_ns[2];  /* per attempt, adaptive, by family */
	uint64_t cap_ns;         /* --wait */
	uint64_t max_rtt_ns[2];
	bool blocked;            /* out of descriptors or ports: wait for completions */
};

/*
 * Attempts in flight: the soft descriptor limit (raised to the hard one)
 * less a margin, at most CONC_MAX, at most the probes of the shard.
 */
static uint32_t concurrency(uint64_t probes)
{
	struct rlimit rl;
	uint64_t n = 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
			struct rlimit up = rl;

			up.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &up) == 0)
				rl = up;
		}
		n = rl.rlim_cur == RLIM_INFINITY ? CONC_MAX : (uint64_t)rl.rlim_cur;
		n = n > 2 * FD_MARGIN ? n - FD_MARGIN : n / 2;
	}
	if (n > CONC_MAX)
		n = CONC_MAX;
	if (n > probes)
		n = probes;
	return n ? (uint32_t)n : 1;
}

/* The plan must hold TCP probes only; 0 or FP_ENOTSUP. */
static int check_tcp_only(struct fp_scanner *s)
{
	const struct plan *p = &s->plan;
	uint64_t n = p->list ? p->n : p->ports->n;

	for (uint64_t i = 0; i < n; i++) {
		uint32_t pp = p->list ? p->list[i].pp : p->ports->list[i];

		if (portset_proto(pp) != FP_PROTO_TCP)
			return scanner_fail(s, FP_ENOTSUP,
					    "connect scans probe TCP only: the plan holds %s port %u",
					    portset_proto(pp) == FP_PROTO_UDP ? "UDP" : "QUIC",
					    portset_port(pp));
	}
	return 0;
}

static void list_unlink(struct cscan *c, uint32_t i)
{
	struct slot *sl = &c->slots[i];

	if (sl->prev != NIL)
		c->slots[sl->prev].next = sl->next;
	else
		c->head[sl->v6] = sl->next;
	if (sl->next != NIL)
		c->slots[sl->next].prev = sl->prev;
	else
		c->tail[sl->v6] = sl->prev;
}

/* Closes a socket of a slot not in the in-flight list and frees the slot. */
static void slot_close(struct cscan *c, uint32_t i)
{
	close(c->slots[i].fd);
	c->slots[i].fd = -1;
	c->slots[i].spare = false;
	c->free_list[c->nfree++] = i;
}

/*
 * Closes slot i's socket and frees the slot. A connected socket is closed
 * with SO_LINGER {1, 0}: a RST, no TIME_WAIT; one still connecting sends
 * nothing when closed, so only connected ones pay for the setsockopt.
 */
static void slot_release(struct cscan *c, uint32_t i, bool connected)
{
	if (connected) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->slots[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	list_unlink(c, i);
	slot_close(c, i);
	c->active--;
	c->blocked = false;
}

/*
 * Slot i's attempt failed with a hard error that SO_ERROR has returned:
 * its socket is closed in the kernel's view. Dissolving the association
 * makes it ready for another connect() (no state, no error left); the slot
 * waits as a spare of its family. When that fails, it is closed instead.
 */
static void slot_recycle(struct cscan *c, uint32_t i)
{
	struct slot *sl = &c->slots[i];
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };

	if (connect(sl->fd, &unspec, sizeof(unspec)) < 0) {
		slot_release(c, i, false);
		return;
	}
	list_unlink(c, i);
	sl->spare = true;
	c->spares[sl->v6][c->nspare[sl->v6]++] = i;
	c->active--;
	c->blocked = false;
}

static void record(struct cscan *c, u128 addr, uint16_t port, uint8_t state,
		   const char *reason, int64_t rtt_us)
{
	struct finding f = {
		.addr = addr, .port = port, .proto = FP_PROTO_TCP, .state = state,
		.reason = reason, .rtt_us = rtt_us,
	};

	engine_record(c->s, &c->buf, &f);
}

/* A round trip measured: the family's timeout moves towards 4 x its
 * largest one. */
static void learn_rtt(struct cscan *c, bool v6, uint64_t rtt_ns)
{
	uint64_t target;

	if (rtt_ns > c->max_rtt_ns[v6])
		c->max_rtt_ns[v6] = rtt_ns;
	target = c->max_rtt_ns[v6] * TIMEOUT_RTT_FACTOR;
	if (target < TIMEOUT_MIN_NS)
		target = TIMEOUT_MIN_NS;
	if (target > c->cap_ns)
		target = c->cap_ns;
	if (target >= c->timeout_ns[v6])
		c->timeout_ns[v6] = target;
	else
		c->timeout_ns[v6] -= (c->timeout_ns[v6] - target) / 8;
}

/*
 * What connect() failing with err means: state and reason, or false when
 * err is not an answer about the target.
 */
static bool errno_result(int err, uint8_t *state, const char **reason)
{
	*state = FP_STATE_FILTERED;
	switch (err) {
	case ECONNREFUSED:
		*state = FP_STATE_CLOSED;
		*reason = "refused";
		return true;
	case ECONNRESET: /* reset after the handshake: it was open */
	case EPIPE:
		*state = FP_STATE_OPEN;
		*reason = "connect";
		return true;
	case EHOSTUNREACH:
	case EHOSTDOWN:
		*reason = "host-unreachable";
		return true;
	case ENETUNREACH:
	case ENETDOWN:
		*reason = "net-unreachable";
		return true;
	case EACCES:
	case EPERM:
		*reason = "prohibited";
		return true;
	case ENOPROTOOPT:
	case EPROTO:
		*reason = "unreachable";
		return true;
	default:
		return false;
	}
}

/*
 * Drains the error queue; returns the raw-scan reason of the last ICMP
 * error queued (icmp-port-unreachable, icmp-admin-prohibited, ...) or NULL.
 */
static const char *icmp_reason(int fd)
{
	const char *reason = NULL;

	for (int n = 0; n < 8; n++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
					    sizeof(struct sockaddr_in6))];
			struct cmsghdr align;
		} u;
		struct msghdr m = { .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };

		if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			struct sock_extended_err ee;

			if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
				continue;
			if (cm->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_ICMP)
				reason = probe_icmp_reason(false, ee.ee_type, ee.ee_code);
			else if (ee.ee_origin == SO_EE_ORIGIN_ICMP6)
				reason = probe_icmp_reason(true, ee.ee_type, ee.ee_code);
		}
	}
	return reason;
}

/*
 * Slot i got no answer: its probe is queued for another attempt while it
 * has retries left (the queue cannot overflow: a slot is freed for each
 * entry, and active + queued never exceeds conc), else reported.
 */
static void give_up(struct cscan *c, uint32_t i)
{
	struct slot *sl = &c->slots[i];

	if (sl->tries <= c->s->cfg.retries) {
		struct retry *r = &c->rq[(c->rq_head + c->rq_len) % c->conc];

		r->addr = sl->addr;
		r->port = sl->port;
		r->tries = sl->tries;
		c->rq_len++;
	} else {
		record(c, sl->addr, sl->port, FP_STATE_FILTERED, "timeout", -1);
	}
	slot_release(c, i, false);
}

/* Attempts whose time ran out (the list is oldest first). */
static void expire(struct cscan *c, uint64_t now)
{
	for (int f = 0; f < 2; f++)
		while (c->head[f] != NIL && now - c->slots[c->head[f]].start_ns >= c->timeout_ns[f])
			give_up(c, c->head[f]);
}

/*
 * Whether the socket connected to itself: connecting to a local port in
 * the ephemeral range can pick that very port as the source, and the
 * simultaneous open then succeeds with nothing listening.
 */
static bool self_connected(int fd, const struct slot *sl)
{
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a;
	socklen_t len = sizeof(a);
	uint8_t b[16];

	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return false;
	if (a.in.sin_family == AF_INET)
		return ntohs(a.in.sin_port) == sl->port && addr_is_v4(sl->addr) &&
		       ntohl(a.in.sin_addr.s_addr) == addr_v4(sl->addr);
	addr_to_bytes(sl->addr, b);
	return ntohs(a.in6.sin6_port) == sl->port && !memcmp(a.in6.sin6_addr.s6_addr, b, 16);
}

/* An epoll event for slot i. */
static void on_event(struct cscan *c, uint32_t i, uint32_t events, uint64_t now)
{
	struct slot *sl = &c->slots[i];
	uint64_t rtt = now - sl->start_ns;
	const char *reason;
	socklen_t len = sizeof(int);
	uint8_t state;
	int err = 0;

	if (sl->spare)
		return; /* the wake-up of its dissolution */
	if (getsockopt(sl->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0 && (events & EPOLLOUT)) {
		if (self_connected(sl->fd, sl)) {
			/* Not an answer: try again (another source port),
			 * without using up one of the retries. */
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(sl->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			sl->tries--;
			give_up(c, i);
			return;
		}
		state = FP_STATE_OPEN;
		reason = "connect";
	} else if ((reason = icmp_reason(sl->fd)) != NULL) {
		/* An ICMP error, also one the kernel did not abort on. */
		state = FP_STATE_FILTERED;
	} else if (err == 0) {
		return; /* nothing decided yet: keep waiting */
	} else if (!errno_result(err, &state, &reason)) {
		/* ETIMEDOUT and the like: no answer from the target. */
		give_up(c, i);
		return;
	}
	STAT_ADD(c->s, received, 1);
	learn_rtt(c, sl->v6, rtt);
	record(c, sl->addr, sl->port, state, reason, (int64_t)(rtt / 1000));
	/* A hard error, read: the socket can serve again. Anything else
	 * (open, or an ICMP error the kernel did not abort on) is closed. */
	if (err != 0 && state != FP_STATE_OPEN)
		slot_recycle(c, i);
	else
		slot_release(c, i, state == FP_STATE_OPEN);
}

/*
 * A slot with a socket of the family for the next attempt: a spare one,
 * or a free slot with a new socket (IP_RECVERR set, registered with the
 * epoll set edge-triggered), closing a spare of the other family when no
 * slot is free. Returns the slot, NIL when out of descriptors (nothing
 * consumed), or NIL with *ret set to FP_E* (s->err).
 */
static uint32_t slot_acquire(struct cscan *c, bool v6, int *ret)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET };
	int fd, one = 1, err;
	uint32_t i;

	*ret = 0;
	if (c->nspare[v6]) {
		i = c->spares[v6][--c->nspare[v6]];
		c->slots[i].spare = false;
		return i;
	}
	if (!c->nfree && c->nspare[!v6])
		slot_close(c, c->spares[!v6][--c->nspare[!v6]]);
	if (!c->nfree)
		return NIL;
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
			return NIL;
		*ret = scanner_fail(c->s, FP_ESYS, "socket: %s", strerror(err));
		return NIL;
	}
	if (setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_RECVERR : IP_RECVERR, &one,
		       sizeof(one)) < 0) {
		err = errno;
		close(fd);
		*ret = scanner_fail(c->s, FP_ESYS, "setsockopt: %s", strerror(err));
		return NIL;
	}
	i = c->free_list[c->nfree - 1];
	ev.data.u32 = i;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = errno;
		close(fd);
		*ret = scanner_fail(c->s, FP_ESYS, "epoll_ctl: %s", strerror(err));
		return NIL;
	}
	c->nfree--;
	c->slots[i] = (struct slot){ .fd = fd, .v6 = v6 };
	return i;
}

#define LAUNCH_BACKOFF 1

/* Starts one attempt: 0 when started or decided at once, LAUNCH_BACKOFF
 * when out of descriptors or ports (nothing consumed), or FP_E* (s->err). */
static int launch(struct cscan *c, u128 addr, uint16_t port, uint32_t tries, uint64_t now)
{
	struct fp_scanner *s = c->s;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;
	bool v6 = !addr_is_v4(addr);
	socklen_t salen;
	const char *reason;
	uint8_t state;
	int err, ret;
	uint32_t i;

	memset(&sa, 0, sizeof(sa));
	if (!v6) {
		sa.in.sin_family = AF_INET;
		sa.in.sin_port = htons(port);
		sa.in.sin_addr.s_addr = htonl(addr_v4(addr));
		salen = sizeof(sa.in);
	} else {
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = htons(port);
		addr_to_bytes(addr, sa.in6.sin6_addr.s6_addr);
		salen = sizeof(sa.in6);
	}
	i = slot_acquire(c, v6, &ret);
	if (i == NIL)
		return ret < 0 ? ret : LAUNCH_BACKOFF;
	if (connect(c->slots[i].fd, &sa.sa, salen) == 0) {
		err = 0;
	} else {
		err = errno;
		if (err == EADDRNOTAVAIL || err == EAGAIN || err == ENOBUFS || err == ENOMEM) {
			/* Our host could not send it (no local port or buffer
			 * free): a send error; the probe is tried again. */
			STAT_ADD(s, send_errors, 1);
			slot_close(c, i);
			return LAUNCH_BACKOFF;
		}
	}
	STAT_ADD(s, sent, 1);
	/* A connect() that succeeded at once waits for its EPOLLOUT too, so
	 * that one place tells a self-connection from an open port. */
	if (err == 0 || err == EINPROGRESS || err == EINTR) {
		struct slot *sl = &c->slots[i];

		sl->prev = c->tail[v6];
		sl->next = NIL;
		sl->tries = tries + 1;
		sl->port = port;
		sl->addr = addr;
		sl->start_ns = now;
		if (c->tail[v6] != NIL)
			c->slots[c->tail[v6]].next = i;
		else
			c->head[v6] = i;
		c->tail[v6] = i;
		c->active++;
		return 0;
	}
	/* Refused at once (loopback, local firewall, no route). */
	slot_close(c, i);
	if (!errno_result(err, &state, &reason))
		return scanner_fail(s, FP_ESYS, "connect: %s", strerror(err));
	STAT_ADD(s, received, 1);
	record(c, addr, port, state, reason, (int64_t)((clock_ns() - now) / 1000));
	return 0;
}

static int ceil_ms(uint64_t ns)
{
	uint64_t ms = (ns + 999999) / 1000000;

	return ms > TICK_MS ? TICK_MS : (int)ms;
}

/* Whether another attempt may start: a queued retry (its slot is free),
 * or a new position while active + queued stays below conc. */
static bool can_launch(const struct cscan *c, uint64_t j)
{
	return !c->blocked && (c->rq_len || (j < c->s->shard_n && c->active + c->rq_len < c->conc));
}

/*
 * Moves j past the positions a resumed scan already has answers for (the
 * walk is one pass, so nothing else is skipped), then says whether a probe
 * can be launched.
 */
static bool next_launch(const struct cscan *c, uint64_t *j)
{
	const struct fp_scanner *s = c->s;

	if (s->resuming)
		while (*j < s->shard_n &&
		       engine_skip(s, 0, perm_at(&s->perm, shard_pos(s->cfg.shard, s->cfg.shard_count, *j))))
			*j += c->stride;
	return can_launch(c, *j);
}

/* The walk: launches, completions, timeouts, until every probe is decided. */
static int run(struct cscan *c)
{
	struct fp_scanner *s = c->s;
	uint32_t k = s->cfg.shard, count = s->cfg.shard_count, idle_backoffs = 0;
	struct epoll_event evs[EVENTS_MAX];
	struct ratectl rc;
	uint64_t j = c->id, now = clock_ns();
	uint64_t rate = s->cfg.rate / c->stride + (c->id < s->cfg.rate % c->stride);

	rate_init(&rc, rate ? rate : 1, LAUNCH_MAX, now);
	while (!engine_stopping(s)) {
		uint64_t rate_wait = 0;
		uint32_t launched = 0;
		int n, tmo;

		now = clock_ns();
		/* Launch: queued retries first, then new positions. */
		while (launched < LAUNCH_MAX && next_launch(c, &j)) {
			uint32_t allow = rate_take(&rc, now, &rate_wait), used = 0;

			if (!allow)
				break;
			for (; used < allow && next_launch(c, &j); used++) {
				struct retry r = { .tries = 0 };
				uint8_t proto;
				int ret;

				if (c->rq_len)
					r = c->rq[c->rq_head];
				else
					plan_get(&s->plan, perm_at(&s->perm, shard_pos(k, count, j)),
						 &r.addr, &proto, &r.port);
				ret = launch(c, r.addr, r.port, r.tries, clock_ns());
				if (ret < 0)
					return ret;
				if (ret == LAUNCH_BACKOFF) {
					c->blocked = true;
					break;
				}
				if (c->rq_len) {
					c->rq_head = (c->rq_head + 1) % c->conc;
					c->rq_len--;
				} else {
					j += c->stride;
				}
			}
			rc.released -= allow - used;
			launched += used;
			now = clock_ns();
		}
		if (!c->rq_len && j >= s->shard_n && !c->active)
			break;
		if (c->blocked && !c->active) {
			/* Out of descriptors or ports with no attempt of ours
			 * to wait for: pause and try again, for a while. */
			if (++idle_backoffs > 500)
				return scanner_fail(s, FP_ESYS,
						    "no descriptor or local port free for connect() for 5 s");
			engine_sleep_ns(BACKOFF_NS);
			c->blocked = false;
		} else if (!c->blocked) {
			idle_backoffs = 0;
		}
		/* Sleep until the oldest attempt expires, the rate lets the
		 * next one go, or a tick passes. */
		tmo = TICK_MS;
		for (int f = 0; f < 2; f++) {
			if (c->head[f] != NIL) {
				uint64_t due = c->slots[c->head[f]].start_ns + c->timeout_ns[f];
				int t = ceil_ms(due > now ? due - now : 0);

				if (t < tmo)
					tmo = t;
			}
		}
		if (can_launch(c, j)) {
			int r = launched >= LAUNCH_MAX ? 0 : ceil_ms(rate_wait);

			if (r < tmo)
				tmo = r;
		}
		/* Every answer already in is taken before anything expires. */
		do {
			n = epoll_wait(c->ep, evs, EVENTS_MAX, tmo);
			if (n < 0 && errno != EINTR)
				return scanner_fail(s, FP_ESYS, "epoll_wait: %s", strerror(errno));
			now = clock_ns();
			for (int e = 0; e < n; e++)
				on_event(c, evs[e].data.u32, evs[e].events, now);
			tmo = 0;
		} while (n == EVENTS_MAX);
		expire(c, now);
		__atomic_store_n(&c->done, j / c->stride, __ATOMIC_RELAXED);
	}
	return 0;
}

/* Sets up worker c (its share conc of the attempts in flight). */
static int cscan_init(struct cscan *c, struct fp_scanner *s, uint32_t id, uint32_t stride,
		      uint32_t conc)
{
	*c = (struct cscan){ .s = s, .id = id, .stride = stride, .ep = -1,
			     .head = { NIL, NIL }, .tail = { NIL, NIL }, .conc = conc };
	jbuf_init(&c->buf);
	c->cap_ns = (uint64_t)(s->cfg.wait_ms ? s->cfg.wait_ms : 1) * 1000000ull;
	c->timeout_ns[0] = c->timeout_ns[1] = TIMEOUT_START_NS < c->cap_ns ? TIMEOUT_START_NS
									  : c->cap_ns;
	c->slots = calloc(c->conc, sizeof(*c->slots));
	for (uint32_t i = 0; c->slots && i < c->conc; i++)
		c->slots[i].fd = -1;
	c->free_list = calloc(c->conc, sizeof(*c->free_list));
	c->rq = calloc(c->conc, sizeof(*c->rq));
	c->spares[0] = calloc(c->conc, sizeof(*c->spares[0]));
	c->spares[1] = calloc(c->conc, sizeof(*c->spares[1]));
	if (!c->slots || !c->free_list || !c->rq || !c->spares[0] || !c->spares[1])
		return scanner_fail(s, FP_ENOMEM, "out of memory for %u connections", c->conc);
	for (uint32_t i = 0; i < c->conc; i++)
		c->free_list[i] = c->conc - 1 - i;
	c->nfree = c->conc;
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0)
		return scanner_fail(s, FP_ESYS, "epoll_create1: %s", strerror(errno));
	return 0;
}

static void cscan_free(struct cscan *c)
{
	if (c->slots)
		for (uint32_t i = 0; i < c->conc; i++)
			if (c->slots[i].fd >= 0)
				close(c->slots[i].fd);
	if (c->ep >= 0)
		close(c->ep);
	free(c->slots);
	free(c->free_list);
	free(c->rq);
	free(c->spares[0]);
	free(c->spares[1]);
	jbuf_free(&c->buf);
	c->slots = NULL;
	c->ep = -1;
}

static void *worker_main(void *arg)
{
	struct cscan *c = arg;

	c->ret = run(c);
	if (c->ret < 0)
		fp_scanner_stop(c->s); /* the others stop too */
	__atomic_store_n(&c->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Workers: as many as sending threads (engine_senders), each with a
 * share of the attempts in flight of at least CONN_SHARE_MIN. */
#define CONN_SHARE_MIN 64u

static int connect_run(struct fp_scanner *s)
{
	struct scan_facts facts = { 0 };
	uint32_t conc, n, started = 0;
	struct cscan *w;
	int ret;

	ret = check_tcp_only(s);
	if (ret < 0)
		return ret;
	conc = concurrency(s->shard_n);
	n = engine_senders(s);
	if (n > 1 && conc / n < CONN_SHARE_MIN)
		n = conc / CONN_SHARE_MIN ? conc / CONN_SHARE_MIN : 1;
	w = calloc(n, sizeof(*w));
	if (!w)
		return scanner_fail(s, FP_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++)
		w[i].ep = -1;
	for (uint32_t i = 0; i < n && ret == 0; i++)
		ret = cscan_init(&w[i], s, i, n, conc / n + (i < conc % n));
	if (ret == 0)
		ret = engine_pin_prepare(s);
	if (ret == 0)
		ret = engine_ready(s);
	if (ret == 0)
		ret = engine_begin_events(s, &facts);
	if (ret == 0)
		engine_pass_begin(s, 0);
	for (uint32_t i = 0; i < n && ret == 0; i++) {
		pthread_attr_t attr;
		int rc;

		if ((ret = engine_thread_attr(s, &attr, i)) < 0) {
			fp_scanner_stop(s);
			break;
		}
		rc = pthread_create(&w[i].thread, &attr, worker_main, &w[i]);
		pthread_attr_destroy(&attr);
		if (rc != 0) {
			ret = scanner_fail(s, FP_ESYS, "cannot start a connect thread: %s", strerror(rc));
			fp_scanner_stop(s);
			break;
		}
		started++;
	}
	/* This thread ticks telemetry until every worker is done. */
	for (;;) {
		uint32_t fin = 0;
		uint64_t done = 0;

		for (uint32_t i = 0; i < started; i++) {
			fin += __atomic_load_n(&w[i].finished, __ATOMIC_ACQUIRE);
			done += __atomic_load_n(&w[i].done, __ATOMIC_RELAXED);
		}
		if (fin == started)
			break;
		engine_tick(s, done > s->shard_n ? s->shard_n : done, clock_ns());
		engine_sleep_ns(2000000);
	}
	for (uint32_t i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].ret < 0 && ret == 0)
			ret = w[i].ret;
	}
	if (ret == 0 && !engine_stopping(s))
		/* Retries ran inside the one walk: the scan is complete. */
		STAT_SET(s, pass, s->cfg.retries);
	for (uint32_t i = 0; i < n; i++)
		cscan_free(&w[i]);
	free(w);
	return ret;
}

const struct scan_method scan_method_connect = {
	.name = "connect",
	.run = connect_run,
};
