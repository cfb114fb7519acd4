/* SPDX-License-Identifier: MIT */
/*
 * Internals of the identification stage shared by svc.c (life cycle, queue,
 * loop), job.c (what to try on a port, and its result) and conn.c (one TCP
 * connection: connect, send, receive, TLS, STARTTLS). Everything here runs
 * on the stage's loop thread, except the queue (under q_lock).
 */
#ifndef FP_SVC_STAGE_H
#define FP_SVC_STAGE_H

#include <pthread.h>

#include "svc.h"
#include "db.h"
#include "match.h"
#include "tls.h"
#include "starttls.h"

#define NIL UINT32_MAX
#define LAUNCH_REFUSED (NIL - 1) /* conn_launch: connect() failed at once */
#define SVC_OUT_MAX 4096u         /* bytes waiting to be sent on one connection */
#define SVC_IDLE_MS 300u          /* after an answer without a firm match: wait for more this long */
#define SVC_PARALLEL_MS 300u      /* after the first connection: the other probes may start */
#define SVC_STARTTLS_WAIT_MS 3000u
#define SVC_SWEEP_MS 10u          /* granularity of deadlines */
#define SVC_FD_MARGIN 64u

enum conn_state {
	C_FREE = 0,
	C_CONNECTING,
	C_TLS_HS,        /* the tls probe's handshake */
	C_IO,            /* probe sent (in the clear or in the tunnel); reading the answer */
	C_STARTTLS,      /* the plain-text upgrade dialogue */
	C_ST_HS,         /* the handshake after STARTTLS */
};

/* Why a connection ended. */
enum conn_end {
	END_DONE,        /* we are done with it (answer complete, limit, handshake over) */
	END_CLOSED,      /* the peer closed (FIN) */
	END_RESET,       /* the peer reset, or another socket error after connecting */
	END_TIMEOUT,     /* its wait ran out */
	END_REFUSED,     /* connect() failed */
};

struct conn {
	int fd;
	uint32_t gen;            /* bumped on every use: stale epoll events are ignored */
	uint32_t job;
	enum conn_state state;
	int probe;               /* the probe whose matches apply (inner probe in a tunnel) */
	int also;                /* a second probe's matches (null inside a tunnel), or -1 */
	int inner;               /* TLS: the probe to send once the handshake is over, -1: choose */
	uint8_t rank;            /* position of the probe in the job's order */
	bool tls;                /* bytes go through c->t */
	bool h1_only;            /* ALPN http/1.1 alone (the retry after h2) */
	bool established;
	bool sent_any;           /* bytes went to the peer (a probe, a ClientHello) */
	bool hs_done;
	bool starttls;           /* the TLS came from STARTTLS */
	struct tls_conn *t;
	uint8_t *buf;            /* the answer: SVC_BUF_MAX bytes, then SVC_OUT_MAX of output */
	uint32_t len;            /* bytes in buf */
	uint32_t raw_len;        /* bytes received from the socket (TLS: records) */
	uint8_t *out;
	uint32_t out_len, out_off;
	enum starttls_proto st_proto;
	uint32_t st_step, st_off;
	uint64_t wait_ns;        /* the probe's wait: the latest deadline_ns */
	uint64_t deadline_ns;    /* wait_ns, or sooner once an answer came (SVC_IDLE_MS) */
	uint32_t next_free;
};

struct job {
	bool used;
	bool finishing;
	bool phase2;             /* the probes after the first ones may start */
	bool firm;
	bool soft;
	bool tls_ok;             /* a handshake completed: res.tls holds its fields */
	bool tls_seen;           /* a server's answer to a ClientHello looked like TLS */
	bool tunnel;             /* the order now lists probes to send inside TLS */
	bool alpn_h1;            /* the server chose h2: offer http/1.1 alone from now on */
	bool h2_retry;           /* ... and send h2_inner again that way */
	bool any_data;
	int h2_inner;
	uint32_t closed_empty;   /* connections the peer closed before sending a byte */
	uint32_t silent;         /* connections whose wait ran out without a byte */
	uint8_t order[DB_PROBES_MAX];
	uint32_t norder, next, p1;
	uint32_t active;
	uint32_t conns[SVC_JOB_CONNS];
	int banner_rank;         /* rank of the connection whose bytes are the banner, -1 none */
	uint64_t start_ns, deadline_ns, phase2_ns;
	uint64_t gate_ns;        /* a tls probe started in phase 2: plain probes wait until then */
	struct svc_result res;
};

struct svc_item {
	u128 addr;
	uint16_t port;
};

struct svc {
	struct svc_config cfg;
	svc_result_fn fn;
	void *arg;
	struct db db;
	struct matcher *mt;
	struct tls_ctx *tls;
	int tls_probe;           /* index of the tls probe (db_parse() makes sure there is one) */
	int null_probe;          /* first probe that sends nothing, -1 */
	int ep, efd;
	uint32_t conc;
	uint32_t njobs_max, nconns;
	struct job *jobs;
	uint32_t njobs;          /* in use */
	uint32_t *job_free, njob_free;
	struct conn *conns;
	uint32_t conn_free;      /* free list head */
	uint64_t timeout_ns;
	uint64_t now;            /* CLOCK_MONOTONIC ns, refreshed by the loop */
	char version[32];

	pthread_t thread;
	bool started, joined;
	int stop;                /* atomic */
	int loop_ret;

	pthread_mutex_t q_lock;
	struct svc_item *q;
	size_t q_head, q_len, q_cap;
	bool q_closed;           /* svc_finish() was called */
};

/* job.c */
void job_start(struct svc *s, uint32_t j, u128 addr, uint16_t port);
void job_pump(struct svc *s, uint32_t j);
void job_finish(struct svc *s, uint32_t j);
void job_sweep(struct svc *s, uint32_t j);
/* A connection's answer has bytes (or ended): match them; may finish the job. */
void job_answer(struct svc *s, struct conn *c, bool final);
void job_conn_ended(struct svc *s, struct conn *c, enum conn_end why);
void job_tls_done(struct svc *s, struct conn *c);
int job_null_probe(const struct svc *s);

/* conn.c */
/*
 * Opens a connection of job j for probe (the tls probe: a handshake, then
 * inner inside it, -1 to choose then). Returns its index, NIL when no slot
 * or descriptor is free, LAUNCH_REFUSED when connect() failed at once.
 */
uint32_t conn_launch(struct svc *s, uint32_t j, int probe, uint8_t rank, int inner,
		     bool h1_only);
void conn_event(struct svc *s, uint32_t idx, uint32_t events);
void conn_end(struct svc *s, struct conn *c, enum conn_end why);
void conn_release(struct svc *s, struct conn *c, bool abort);
/* Queues bytes to send (plain or through TLS) and sends what the socket takes. */
bool conn_send(struct svc *s, struct conn *c, const uint8_t *p, size_t n);
bool conn_alive(const struct conn *c, uint32_t gen);
/* Renders and sends a probe's bytes; false when the connection ended. */
bool conn_send_probe(struct svc *s, struct conn *c, int probe);
void conn_start_starttls(struct svc *s, struct conn *c, enum starttls_proto p);

static inline uint64_t ms_ns(uint64_t ms)
{
	return ms * 1000000ull;
}

#endif
