/* SPDX-License-Identifier: MIT */
/* The NDJSON sink: one threat_event_v1 object per line. */
#include "sink.h"

#define NDJSON_FLUSH_AT (256 * 1024)

static int ndjson_open(struct sink *s, int fd)
{
	s->fd = fd;
	s->err = 0;
	jbuf_init(&s->out);
	return jbuf_reserve(&s->out, NDJSON_FLUSH_AT + 4096) ? 0 : FP_ENOMEM;
}

static int ndjson_event(struct sink *s, const fp_event_t *ev)
{
	jbuf_raw(&s->out, ev->json, ev->json_len);
	jbuf_char(&s->out, '\n');
	if (s->out.len >= NDJSON_FLUSH_AT)
		return sink_write_out(s);
	return s->out.oom ? FP_ENOMEM : 0;
}

static int ndjson_flush(struct sink *s)
{
	return s->out.len || s->out.oom ? sink_write_out(s) : (s->err ? FP_EIO : 0);
}

static void ndjson_close(struct sink *s)
{
	jbuf_free(&s->out);
}

const struct sink_ops sink_ndjson = {
	.name = "ndjson",
	.open = ndjson_open,
	.event = ndjson_event,
	.flush = ndjson_flush,
	.close = ndjson_close,
};
