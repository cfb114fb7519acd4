/* SPDX-License-Identifier: MIT */
/* The service identification stage (-sV) behind struct scan_stage: open TCP
 * ports from discovery go to src/service's connection pool; each result
 * becomes a threat_event_v1 "service" event. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanner.h"
#include "stage.h"
#include "../core/addr.h"
#include "../service/svc.h"

struct sv_stage {
	struct fp_scanner *s;
	struct svc *svc;
	struct jbuf b;             /* the stage thread's event buffer */
	uint64_t submitted;        /* atomic: ports handed to svc */
	uint64_t done;             /* atomic: results received */
	uint64_t lost;             /* atomic: ports svc_submit refused */
};

/* On the stage's thread, one result at a time. */
static void sv_result(void *arg, const struct svc_result *r)
{
	struct sv_stage *st = arg;
	struct fp_scanner *s = st->s;
	char ip[ADDR_STRLEN];
	uint64_t idx;
	fp_event_t ev = { .kind = FP_EVENT_SERVICE, .ip = ip, .port = r->port,
			  .protocol = FP_PROTO_TCP, .state = FP_STATE_OPEN,
			  .service = r->name, .product = r->product, .version = r->version };

	addr_format(r->addr, ip);
	jbuf_reset(&st->b);
	event_service_head(&st->b, &s->ec, r->addr, r->port);
	if (svc_result_json(&st->b, r) < 0)
		st->b.oom = true;
	jbuf_char(&st->b, '}');
	/* The port's last event: a checkpoint may now count it answered. */
	if (plan_find(&s->plan, r->addr, FP_PROTO_TCP, r->port, &idx) < 0)
		idx = UINT64_MAX;
	engine_emit_last(s, &st->b, &ev, idx);
	__atomic_fetch_add(&st->done, 1, __ATOMIC_RELEASE);
}

static void sv_free(void *ctx)
{
	struct sv_stage *st = ctx;

	if (!st)
		return;
	svc_close(st->svc);
	jbuf_free(&st->b);
	free(st);
}

static int sv_start(struct fp_scanner *s, void **ctx)
{
	struct svc_config c = { .concurrency = s->cfg.sv_concurrency,
				.timeout_ms = s->cfg.sv_timeout_ms, .db_path = s->cfg.sv_db };
	struct sv_stage *st = calloc(1, sizeof(*st));
	char err[256] = "";
	int ret;

	*ctx = NULL;
	if (!st)
		return scanner_fail(s, FP_ENOMEM, "out of memory for service identification");
	st->s = s;
	jbuf_init(&st->b);
	ret = svc_open(&st->svc, &c, sv_result, st, err, sizeof(err));
	if (ret < 0) {
		sv_free(st);
		return scanner_fail(s, ret, "service identification: %s", err[0] ? err : fp_strerror(ret));
	}
	ret = svc_start(st->svc);
	if (ret < 0) {
		sv_free(st);
		return scanner_fail(s, ret, "service identification: cannot start its thread");
	}
	*ctx = st;
	return 0;
}

static void sv_feed(void *ctx, const struct finding *f)
{
	struct sv_stage *st = ctx;

	if (f->proto != FP_PROTO_TCP)
		return;
	if (svc_submit(st->svc, f->addr, f->port) == 0)
		__atomic_fetch_add(&st->submitted, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&st->lost, 1, __ATOMIC_RELAXED);
}

static int sv_finish(void *ctx)
{
	struct sv_stage *st = ctx;
	struct fp_scanner *s = st->s;
	uint64_t lost;
	int ret;

	/* Discovery is over: nothing is submitted any more. Wait for the
	 * results while watching for a stop (SIGINT, the callback). */
	while (__atomic_load_n(&st->done, __ATOMIC_ACQUIRE) <
		       __atomic_load_n(&st->submitted, __ATOMIC_RELAXED) &&
	       !engine_stopping(s))
		engine_sleep_ns(10000000);
	if (engine_stopping(s))
		svc_stop(st->svc);
	ret = svc_finish(st->svc);
	if (ret == FP_ESTOPPED)
		ret = 0;
	else if (ret < 0)
		return scanner_fail(s, ret, "service identification failed: %s", fp_strerror(ret));
	lost = __atomic_load_n(&st->lost, __ATOMIC_RELAXED);
	if (lost)
		return scanner_fail(s, FP_ENOMEM, "service identification: %llu open ports could not be queued",
				    (unsigned long long)lost);
	return ret;
}

const struct scan_stage scan_stage_service = {
	.name = "service",
	.start = sv_start,
	.feed = sv_feed,
	.finish = sv_finish,
	.free = sv_free,
};
