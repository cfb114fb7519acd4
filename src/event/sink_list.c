/* SPDX-License-Identifier: MIT */
/* The list sink: one human-readable line per finding. */
#include <stdio.h>
#include <string.h>

#include "sink.h"
#include "../core/ports.h"

#define LIST_FLUSH_AT (64 * 1024)

static int list_open(struct sink *s, int fd)
{
	s->fd = fd;
	s->err = 0;
	jbuf_init(&s->out);
	return 0;
}

/* "service        198.19.2.2:22/tcp ssh OpenSSH 9.2p1" */
static int list_service(struct sink *s, const fp_event_t *ev)
{
	bool v6 = strchr(ev->ip, ':') != NULL;
	const char *prod = ev->product ? ev->product : "", *ver = ev->version ? ev->version : "";
	int n;

#define LIST_ARGS v6 ? "[" : "", ev->ip, v6 ? "]" : "", ev->port, ev->service, \
		*prod ? " " : "", prod, *ver ? " " : "", ver
	n = snprintf(NULL, 0, "%-14s %s%s%s:%u/tcp %s%s%s%s%s\n", "service", LIST_ARGS);
	if (n > 0 && jbuf_reserve(&s->out, (size_t)n + 1)) {
		snprintf(s->out.p + s->out.len, (size_t)n + 1, "%-14s %s%s%s:%u/tcp %s%s%s%s%s\n",
			 "service", LIST_ARGS);
		s->out.len += (size_t)n;
	}
#undef LIST_ARGS
	if (s->out.len >= LIST_FLUSH_AT)
		return sink_write_out(s);
	return s->out.oom ? FP_ENOMEM : 0;
}

static int list_event(struct sink *s, const fp_event_t *ev)
{
	static const char *const names[] = { "open", "closed", "filtered", "open|filtered" };
	const char *reason = ev->reason ? ev->reason : "";
	bool v6;
	int n;

	if (ev->kind == FP_EVENT_SERVICE)
		return list_service(s, ev);
	if (ev->kind != FP_EVENT_PORT_STATE)
		return 0;
	v6 = strchr(ev->ip, ':') != NULL;
#define LIST_ARGS names[ev->state & 3], v6 ? "[" : "", ev->ip, v6 ? "]" : "", ev->port, \
		proto_name(ev->protocol), reason
	n = snprintf(NULL, 0, "%-14s %s%s%s:%u/%s %s\n", LIST_ARGS);
	if (n > 0 && jbuf_reserve(&s->out, (size_t)n + 1)) {
		snprintf(s->out.p + s->out.len, (size_t)n + 1, "%-14s %s%s%s:%u/%s %s\n", LIST_ARGS);
		s->out.len += (size_t)n;
	}
#undef LIST_ARGS
	if (s->out.len >= LIST_FLUSH_AT)
		return sink_write_out(s);
	return s->out.oom ? FP_ENOMEM : 0;
}

static int list_flush(struct sink *s)
{
	return s->out.len ? sink_write_out(s) : (s->err ? FP_EIO : 0);
}

static void list_close(struct sink *s)
{
	jbuf_free(&s->out);
}

const struct sink_ops sink_list = {
	.name = "list",
	.open = list_open,
	.event = list_event,
	.flush = list_flush,
	.close = list_close,
};
