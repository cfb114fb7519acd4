/* SPDX-License-Identifier: MIT */
/* HTTP/1.x response parsing for the service result: status line, two headers, the title. */
#include <string.h>

#include "http.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Copies a header value: trimmed, controls dropped, 8-bit as '?'. */
static void copy_value(const uint8_t *v, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (v[i] >= 0x80)
			out[o++] = '?';
		else if (v[i] >= 0x20 && v[i] < 0x7f)
			out[o++] = (char)v[i];
	}
	out[o] = '\0';
}

static bool name_is(const uint8_t *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n != k)
		return false;
	for (size_t i = 0; i < k; i++)
		if (lower(p[i]) != name[i])
			return false;
	return true;
}

/* The first case-insensitive occurrence of needle (lower case) in p[0..n), or -1. */
static long find_ci(const uint8_t *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	if (k > n)
		return -1;
	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;

		while (j < k && lower(p[i + j]) == needle[j])
			j++;
		if (j == k)
			return (long)i;
	}
	return -1;
}

static const struct {
	const char *ent;
	char c;
} entities[] = {
	{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' },
	{ "&apos;", '\'' }, { "&nbsp;", ' ' },
};

static void copy_title(const uint8_t *t, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	bool space = false;

	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		uint8_t c = t[i];

		if (c == '&') {
			size_t e;

			for (e = 0; e < ARRAY_SIZE(entities); e++) {
				size_t k = strlen(entities[e].ent);

				if (n - i >= k && !memcmp(t + i, entities[e].ent, k)) {
					c = (uint8_t)entities[e].c;
					i += k - 1;
					break;
				}
			}
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
			space = o > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (space && o + 2 < cap)
			out[o++] = ' ';
		space = false;
		out[o++] = c >= 0x80 ? '?' : (char)c;
	}
	out[o] = '\0';
}

bool http_parse(const uint8_t *p, size_t n, struct svc_http *h)
{
	size_t i, line_end;
	long tb, te;

	memset(h, 0, sizeof(*h));
	/* "HTTP/1.x NNN" */
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' || p[8] != ' ')
		return false;
	for (i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	if (n > 12 && p[12] != ' ' && p[12] != '\r' && p[12] != '\n')
		return false;
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');

	/* Header lines, up to the blank line. */
	i = 12;
	while (i < n && p[i] != '\n')
		i++;
	i++;
	while (i < n) {
		const uint8_t *l = p + i, *colon;
		size_t ln;

		line_end = i;
		while (line_end < n && p[line_end] != '\n')
			line_end++;
		ln = line_end - i;
		if (ln && l[ln - 1] == '\r')
			ln--;
		i = line_end + 1;
		if (ln == 0)
			break;
		colon = memchr(l, ':', ln);
		if (!colon)
			continue;
		if (!h->server[0] && name_is(l, (size_t)(colon - l), "server"))
			copy_value(colon + 1, ln - (size_t)(colon - l) - 1, h->server,
				   sizeof(h->server));
		else if (!h->location[0] && name_is(l, (size_t)(colon - l), "location"))
			copy_value(colon + 1, ln - (size_t)(colon - l) - 1, h->location,
				   sizeof(h->location));
	}
	if (i >= n)
		return true;

	/* <title ...>text</title> in the body. */
	tb = find_ci(p + i, n - i, "<title");
	if (tb < 0)
		return true;
	i += (size_t)tb + 6;
	if (i < n && p[i] != '>' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
		return true;
	while (i < n && p[i] != '>')
		i++;
	if (i >= n)
		return true;
	i++;
	te = find_ci(p + i, n - i, "</title");
	copy_title(p + i, te < 0 ? n - i : (size_t)te, h->title, sizeof(h->title));
	return true;
}
