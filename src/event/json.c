/* SPDX-License-Identifier: MIT */
/* JSON text writers over a growable buffer; no allocation per value. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "json.h"

void jbuf_init(struct jbuf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

void jbuf_free(struct jbuf *b)
{
	free(b->p);
	jbuf_init(b);
}

bool jbuf_reserve(struct jbuf *b, size_t n)
{
	size_t want;
	char *np;

	if (b->oom)
		return false;
	if (b->cap - b->len > n)
		return true;
	want = b->cap ? b->cap : 512;
	while (want - b->len <= n) {
		if (want > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		want *= 2;
	}
	np = realloc(b->p, want);
	if (!np) {
		b->oom = true;
		return false;
	}
	b->p = np;
	b->cap = want;
	return true;
}

void jbuf_raw(struct jbuf *b, const char *s, size_t n)
{
	if (!jbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void jbuf_lit(struct jbuf *b, const char *s)
{
	jbuf_raw(b, s, strlen(s));
}

void jbuf_char(struct jbuf *b, char c)
{
	jbuf_raw(b, &c, 1);
}

void jbuf_str(struct jbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s);

	/* Worst case every byte becomes \u00XX. */
	if (!jbuf_reserve(b, 6 * n + 2))
		return;
	b->p[b->len++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(b->p + b->len, "\\u00", 4);
			b->p[b->len + 4] = hex[c >> 4];
			b->p[b->len + 5] = hex[c & 15];
			b->len += 6;
		} else {
			b->p[b->len++] = (char)c;
		}
	}
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

void jbuf_u64(struct jbuf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jbuf_raw(b, tmp + i, sizeof(tmp) - (size_t)i);
}

void jbuf_i64(struct jbuf *b, int64_t v)
{
	if (v < 0) {
		jbuf_char(b, '-');
		jbuf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		jbuf_u64(b, (uint64_t)v);
	}
}

void jbuf_fixed(struct jbuf *b, double v, int decimals)
{
	char tmp[64];
	int n;

	if (!(v >= 0 && v < 1e18))
		v = 0;
	n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	if (n > 0 && (size_t)n < sizeof(tmp))
		jbuf_raw(b, tmp, (size_t)n);
}
