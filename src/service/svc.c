/* SPDX-License-Identifier: MIT */
/* The identification stage's life cycle, its submission queue and its epoll loop thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "stage.h"
#include "../core/rate.h"

#define WAKE_TOKEN UINT64_MAX
#define EVENTS_MAX 256

/*
 * Connections at once when the caller gives none: half the descriptors the
 * process may open (raised to the hard limit, as the connect scan does),
 * less a margin; the other half stays with the port scan running beside.
 */
static uint32_t default_concurrency(void)
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
		n = rl.rlim_cur == RLIM_INFINITY ? SVC_CONC_MAX : (uint64_t)rl.rlim_cur;
		n = n > 2 * SVC_FD_MARGIN ? (n - SVC_FD_MARGIN) / 2 : n / 4;
	}
	if (n > SVC_CONC_MAX)
		n = SVC_CONC_MAX;
	return n >= SVC_JOB_CONNS ? (uint32_t)n : SVC_JOB_CONNS;
}

int svc_open(struct svc **out, const struct svc_config *c, svc_result_fn fn, void *arg,
	     char *err, size_t errlen)
{
	struct svc *s;
	struct epoll_event ev;
	int ret;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!c || !fn)
		return FP_EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return FP_ENOMEM;
	s->ep = s->efd = -1;
	s->cfg = *c;
	s->cfg.db_path = NULL;
	s->fn = fn;
	s->arg = arg;
	pthread_mutex_init(&s->q_lock, NULL);
	s->timeout_ns = ms_ns(c->timeout_ms ? c->timeout_ms : SVC_TIMEOUT_DEFAULT_MS);
	snprintf(s->version, sizeof(s->version), "%s", fp_version());

	ret = c->db_path ? db_load_file(&s->db, c->db_path, err, errlen)
			 : db_load_embedded(&s->db, err, errlen);
	if (ret < 0)
		goto out;
	ret = match_compile(&s->db, true, c->db_path ? c->db_path : "service-probes.db (built in)",
			    err, errlen);
	if (ret < 0)
		goto out;
	if ((ret = matcher_new(&s->mt)) < 0)
		goto out;
	if ((ret = tls_ctx_new(&s->tls, err, errlen)) < 0)
		goto out;
	s->tls_probe = db_probe_find(&s->db, DB_PROBE_TLS);
	s->null_probe = job_null_probe(s);

	s->conc = c->concurrency ? c->concurrency : default_concurrency();
	if (s->conc > SVC_CONC_MAX)
		s->conc = SVC_CONC_MAX;
	s->njobs_max = s->conc / SVC_JOB_CONNS ? s->conc / SVC_JOB_CONNS : 1;
	s->nconns = s->njobs_max * SVC_JOB_CONNS;
	ret = FP_ENOMEM;
	s->jobs = calloc(s->njobs_max, sizeof(*s->jobs));
	s->job_free = calloc(s->njobs_max, sizeof(*s->job_free));
	s->conns = calloc(s->nconns, sizeof(*s->conns));
	if (!s->jobs || !s->job_free || !s->conns)
		goto out;
	for (uint32_t i = 0; i < s->njobs_max; i++)
		s->job_free[i] = s->njobs_max - 1 - i;
	s->njob_free = s->njobs_max;
	for (uint32_t i = 0; i < s->nconns; i++) {
		s->conns[i].fd = -1;
		s->conns[i].next_free = i + 1 < s->nconns ? i + 1 : NIL;
	}
	s->conn_free = 0;

	ret = FP_ESYS;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->ep < 0 || s->efd < 0) {
		snprintf(err, errlen, "%s: %s", s->ep < 0 ? "epoll_create1" : "eventfd",
			 strerror(errno));
		goto out;
	}
	ev.events = EPOLLIN;
	ev.data.u64 = WAKE_TOKEN;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->efd, &ev) < 0) {
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		goto out;
	}
	*out = s;
	s = NULL;
	ret = 0;
out:
	if (ret == FP_ENOMEM && errlen && !err[0])
		snprintf(err, errlen, "out of memory");
	svc_close(s);
	return ret;
}

uint32_t svc_concurrency(const struct svc *s)
{
	return s->nconns;
}

static void wake(struct svc *s)
{
	uint64_t one = 1;

	/* The counter cannot overflow in practice; EAGAIN would still leave it readable. */
	if (write(s->efd, &one, sizeof(one)) < 0) {
		/* nothing to do: the loop wakes within SVC_SWEEP_MS when busy */
	}
}

int svc_submit(struct svc *s, u128 addr, uint16_t port)
{
	int ret = 0;

	pthread_mutex_lock(&s->q_lock);
	if (s->q_closed || __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		ret = FP_ESTATE;
		goto out;
	}
	if (s->q_len == s->q_cap) {
		size_t cap = s->q_cap ? s->q_cap * 2 : 256;
		struct svc_item *q = malloc(cap * sizeof(*q));

		if (!q) {
			ret = FP_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < s->q_len; i++)
			q[i] = s->q[(s->q_head + i) % s->q_cap];
		free(s->q);
		s->q = q;
		s->q_head = 0;
		s->q_cap = cap;
	}
	s->q[(s->q_head + s->q_len) % s->q_cap] = (struct svc_item){ .addr = addr, .port = port };
	s->q_len++;
out:
	pthread_mutex_unlock(&s->q_lock);
	if (ret == 0)
		wake(s);
	return ret;
}

/* Starts queued ports while job slots are free; true when all work is over. */
static bool admit(struct svc *s)
{
	bool done;

	for (;;) {
		struct svc_item it;
		uint32_t j;

		pthread_mutex_lock(&s->q_lock);
		if (s->q_len == 0 || s->njob_free == 0) {
			done = s->q_closed && s->q_len == 0 && s->njobs == 0;
			pthread_mutex_unlock(&s->q_lock);
			return done;
		}
		it = s->q[s->q_head];
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_len--;
		pthread_mutex_unlock(&s->q_lock);
		j = s->job_free[--s->njob_free];
		s->njobs++;
		job_start(s, j, it.addr, it.port);
	}
}

static void *loop(void *arg)
{
	struct svc *s = arg;
	struct epoll_event ev[EVENTS_MAX];
	uint64_t next_sweep;

	s->now = clock_ns();
	next_sweep = s->now + ms_ns(SVC_SWEEP_MS);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		int n;

		if (admit(s))
			break;
		n = epoll_wait(s->ep, ev, EVENTS_MAX, s->njobs ? (int)SVC_SWEEP_MS : -1);
		if (n < 0 && errno != EINTR) {
			s->loop_ret = FP_ESYS;
			break;
		}
		s->now = clock_ns();
		for (int i = 0; i < n; i++) {
			uint64_t d = ev[i].data.u64, cnt;
			uint32_t idx = (uint32_t)d;

			if (d == WAKE_TOKEN) {
				if (read(s->efd, &cnt, sizeof(cnt)) < 0) {
					/* EAGAIN: already drained */
				}
				continue;
			}
			if (idx < s->nconns && s->conns[idx].gen == (uint32_t)(d >> 32) &&
			    s->conns[idx].state != C_FREE)
				conn_event(s, idx, ev[i].events);
		}
		if (s->now >= next_sweep) {
			for (uint32_t j = 0; j < s->njobs_max; j++)
				if (s->jobs[j].used)
					job_sweep(s, j);
			next_sweep = s->now + ms_ns(SVC_SWEEP_MS);
		}
	}
	/* Stopped (or failed): close what is open, no more results. */
	for (uint32_t i = 0; i < s->nconns; i++)
		if (s->conns[i].state != C_FREE)
			conn_release(s, &s->conns[i], true);
	tls_thread_end();
	return NULL;
}

int svc_start(struct svc *s)
{
	int r;

	if (s->started)
		return FP_ESTATE;
	r = pthread_create(&s->thread, NULL, loop, s);
	if (r)
		return FP_ESYS;
	s->started = true;
	return 0;
}

int svc_finish(struct svc *s)
{
	if (!s->started)
		return FP_ESTATE;
	pthread_mutex_lock(&s->q_lock);
	s->q_closed = true;
	pthread_mutex_unlock(&s->q_lock);
	wake(s);
	if (!s->joined) {
		pthread_join(s->thread, NULL);
		s->joined = true;
	}
	if (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
		return FP_ESTOPPED;
	return s->loop_ret;
}

void svc_stop(struct svc *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	wake(s);
}

void svc_close(struct svc *s)
{
	if (!s)
		return;
	if (s->started && !s->joined) {
		svc_stop(s);
		pthread_join(s->thread, NULL);
		s->joined = true;
	}
	if (s->conns)
		for (uint32_t i = 0; i < s->nconns; i++)
			if (s->conns[i].state != C_FREE)
				conn_release(s, &s->conns[i], true);
	free(s->conns);
	free(s->jobs);
	free(s->job_free);
	free(s->q);
	if (s->ep >= 0)
		close(s->ep);
	if (s->efd >= 0)
		close(s->efd);
	tls_ctx_free(s->tls);
	matcher_free(s->mt);
	db_free(&s->db);
	pthread_mutex_destroy(&s->q_lock);
	free(s);
}
