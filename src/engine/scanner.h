/* SPDX-License-Identifier: MIT */
/* The scanner object behind fp_scanner_t and the scan engine's entry. */
#ifndef FP_SCANNER_H
#define FP_SCANNER_H

#include <pthread.h>

#include "plan.h"
#include "../core/perm.h"
#include "../io/pktio.h"
#include "../net/route.h"
#include "../probe/probe.h"
#include "../event/sink.h"

#define SENDERS_MAX 64

/* One sending thread: its own TX ring and its slice of the positions. */
struct sender {
	struct fp_scanner *s;
	struct txring tx;
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
	int rx_stop;
	struct rxring rx;
	struct sender *senders;
	uint32_t nsenders;
	struct route_info ri;
	uint64_t tel_last_ns, tel_last_sent;
};

/* Runs s->plan (set up by the caller); returns 0 or FP_E* with s->err. */
int engine_run(struct fp_scanner *s);

/* Records a formatted error message in s->err; returns code. */
int scanner_fail(struct fp_scanner *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
