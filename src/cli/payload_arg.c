/* SPDX-License-Identifier: MIT */
/* Parsing of the user's UDP payload options (payload_arg.h). */
#include <stdio.h>
#include <string.h>

#include "cli/payload_arg.h"

/* Decodes n hex digits (an even number) into out; false when malformed. */
static bool hex_decode(const char *h, size_t n, uint8_t *out)
{
	if (n % 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return false;
		if (i % 2)
			out[i / 2] = (uint8_t)(out[i / 2] | v);
		else
			out[i / 2] = (uint8_t)(v << 4);
	}
	return true;
}

bool payload_item_parse(const char *item, size_t len, uint16_t *port, uint8_t *out,
			size_t *n, char *err, size_t errlen)
{
	size_t plen = 0, hoff;
	unsigned long p = 0;
	int show = len > 200 ? 200 : (int)len;

	while (plen < len && plen < 6 && item[plen] >= '0' && item[plen] <= '9')
		p = p * 10 + (unsigned long)(item[plen++] - '0');
	if (!plen || plen == len || (item[plen] != ':' && item[plen] != ' ' && item[plen] != '\t') ||
	    p > 65535) {
		snprintf(err, errlen, "expected PORT:HEX with PORT from 0 to 65535, got '%.*s'%s",
			 show, item, (size_t)show < len ? "..." : "");
		return false;
	}
	hoff = plen + 1;
	while (item[plen] != ':' && hoff < len && (item[hoff] == ' ' || item[hoff] == '\t'))
		hoff++;
	if (!hex_decode(item + hoff, len - hoff, out)) {
		int hshow = len - hoff > 200 ? 200 : (int)(len - hoff);

		snprintf(err, errlen,
			 "invalid hex '%.*s'%s in '%.*s'%s (an even number of hex digits expected)",
			 hshow, item + hoff, (size_t)hshow < len - hoff ? "..." : "", show, item,
			 (size_t)show < len ? "..." : "");
		return false;
	}
	*port = (uint16_t)p;
	*n = (len - hoff) / 2;
	return true;
}

bool payload_line_trim(const char *line, size_t len, size_t *a, size_t *b)
{
	size_t i = 0, j = 0;

	while (j < len && line[j] != '#' && line[j] != '\r' && line[j] != '\n')
		j++;
	while (i < j && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (j > i && (line[j - 1] == ' ' || line[j - 1] == '\t'))
		j--;
	*a = i;
	*b = j;
	return i < j;
}
