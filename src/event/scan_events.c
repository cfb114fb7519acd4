/* SPDX-License-Identifier: MIT */
/* threat_event_v1 encoding of scan_started, telemetry and scan_completed. */
#include <string.h>

#include "scan_events.h"

/* ,"name":"value" when value is neither NULL nor empty. */
static void put_opt_str(struct jbuf *b, const char *name, const char *value)
{
	if (!value || !value[0])
		return;
	jbuf_lit(b, ",\"");
	jbuf_lit(b, name);
	jbuf_lit(b, "\":");
	jbuf_str(b, value);
}

void event_scan_started(struct jbuf *b, struct event_ctx *ec, const struct scan_facts *f)
{
	event_head(b, ec, "scan_started");
	jbuf_lit(b, "\"scan\":{\"probes\":");
	jbuf_u64(b, f->probes);
	jbuf_lit(b, ",\"rate\":");
	jbuf_u64(b, f->rate);
	jbuf_lit(b, ",\"retries\":");
	jbuf_u64(b, f->retries);
	jbuf_lit(b, ",\"wait_ms\":");
	jbuf_u64(b, f->wait_ms);
	jbuf_lit(b, ",\"seed\":");
	jbuf_u64(b, f->seed);
	put_opt_str(b, "seed_source", f->seed_source);
	jbuf_lit(b, ",\"shard\":\"");
	jbuf_u64(b, f->shard);
	jbuf_char(b, '/');
	jbuf_u64(b, f->shard_count);
	jbuf_lit(b, "\",\"method\":");
	jbuf_str(b, f->method);
	put_opt_str(b, "cookie_impl", f->cookie_impl);
	if (f->send_path) {
		put_opt_str(b, "send_path", f->send_path);
		put_opt_str(b, "xdp_mode", f->xdp_mode);
		jbuf_lit(b, ",\"send_threads\":");
		jbuf_u64(b, f->send_threads);
		put_opt_str(b, "send_fallback", f->send_fallback);
	}
	put_opt_str(b, "interface", f->interface);
	put_opt_str(b, "source_ip", f->source_ip);
	jbuf_lit(b, "}}");
}

void event_scan_counters(struct jbuf *b, struct event_ctx *ec, const char *kind,
			 const fp_stats_t *st, bool interrupted)
{
	event_head(b, ec, kind);
	event_counters(b, st, st->rate, st->progress);
	if (!strcmp(kind, "scan_completed")) {
		jbuf_lit(b, ",\"interrupted\":");
		jbuf_lit(b, interrupted ? "true" : "false");
	}
	jbuf_char(b, '}');
}
