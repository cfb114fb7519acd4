/* SPDX-License-Identifier: MIT */
/* A bounded line splitter for the NDJSON answers of serve (events, changes). */
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

int ndjson_init(struct ndjson *nd, size_t max, bool (*line)(void *, const char *, size_t), void *arg)
{
	memset(nd, 0, sizeof(*nd));
	nd->buf = malloc(max + 1);
	if (!nd->buf)
		return -1;
	nd->max = max;
	nd->line = line;
	nd->arg = arg;
	return 0;
}

/* One complete line in nd->buf (or NULL: it was too long). */
static bool emit(struct ndjson *nd, const char *s, size_t n)
{
	if (s && n && s[n - 1] == '\r')
		n--;
	if (s && !n)
		return true; /* blank lines carry nothing */
	if (!nd->line(nd->arg, s, n))
		nd->stopped = true;
	return !nd->stopped;
}

bool ndjson_feed(void *arg, const char *p, size_t n)
{
	struct ndjson *nd = arg;

	if (nd->stopped)
		return false;
	if (nd->head_len < sizeof(nd->head) - 1) {
		size_t k = sizeof(nd->head) - 1 - nd->head_len;

		k = k < n ? k : n;
		memcpy(nd->head + nd->head_len, p, k);
		nd->head_len += k;
		nd->head[nd->head_len] = '\0';
	}
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;

		if (nd->skipping) {
			/* The rest of a line that was too long: dropped. */
		} else if (nd->len + k > nd->max) {
			nd->skipping = true;
			nd->len = 0;
			if (!emit(nd, NULL, 0))
				return false;
		} else {
			memcpy(nd->buf + nd->len, p, k);
			nd->len += k;
		}
		if (!nl)
			break;
		if (!nd->skipping) {
			nd->buf[nd->len] = '\0';
			if (!emit(nd, nd->buf, nd->len))
				return false;
		}
		nd->skipping = false;
		nd->len = 0;
		p += k + 1;
		n -= k + 1;
	}
	return true;
}

void ndjson_finish(struct ndjson *nd)
{
	if (!nd->stopped && !nd->skipping && nd->len) {
		nd->buf[nd->len] = '\0';
		emit(nd, nd->buf, nd->len);
	}
	nd->len = 0;
}

void ndjson_free(struct ndjson *nd)
{
	free(nd->buf);
	nd->buf = NULL;
}
