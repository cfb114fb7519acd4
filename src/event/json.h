/* SPDX-License-Identifier: MIT */
/* A growable text buffer with the few JSON writers the events need. */
#ifndef FP_JSON_H
#define FP_JSON_H

#include "../core/common.h"

struct jbuf {
	char *p;
	size_t len, cap;
	bool oom; /* set when growing failed; the content is then incomplete */
};

void jbuf_init(struct jbuf *b);
void jbuf_free(struct jbuf *b);
static inline void jbuf_reset(struct jbuf *b) { b->len = 0; b->oom = false; }

/* Makes room for n more bytes; false (and b->oom) when memory ran out. */
bool jbuf_reserve(struct jbuf *b, size_t n);

void jbuf_raw(struct jbuf *b, const char *s, size_t n);
void jbuf_lit(struct jbuf *b, const char *s); /* raw, NUL-terminated */
void jbuf_char(struct jbuf *b, char c);
/* A JSON string: quotes, escapes (", \, control characters as \u00XX). */
void jbuf_str(struct jbuf *b, const char *s);
void jbuf_u64(struct jbuf *b, uint64_t v);
void jbuf_i64(struct jbuf *b, int64_t v);
/* A number with 'decimals' digits after the point (v is non-negative). */
void jbuf_fixed(struct jbuf *b, double v, int decimals);

#endif
