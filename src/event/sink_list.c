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

static int list_event(struct sink *s, const fp_event_t *ev)
{
	static const char *const names[] = { "open", "closed", "filtered", "open|filtered" };
	char line[256];
	bool v6;
	int n;

	if (ev->kind != FP_EVENT_PORT_STATE)
		return 0;
	v6 = strchr(ev->ip, ':') != NULL;
	n = snprintf(line, sizeof(line), "%-14s %s%s%s:%u/%s %s\n", names[ev->state & 3],
		     v6 ? "[" : "", ev->ip, v6 ? "]" : "", ev->port,
		     proto_name(ev->protocol), ev->reason ? ev->reason : "");
	if (n > 0)
		jbuf_raw(&s->out, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
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
