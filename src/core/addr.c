/* SPDX-License-Identifier: MIT */
/* Strict IPv4/IPv6 literal parsing, canonical formatting and the byte forms of an address. */
#include <string.h>

#include "core/addr.h"

/* Exactly four decimal parts 0-255, no leading zeros, nothing else. */
static int parse_v4(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		uint32_t x = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return FP_EINVAL;
			i++;
		}
		if (i >= len || !is_dec_digit(s[i]))
			return FP_EINVAL;
		if (s[i] == '0' && i + 1 < len && is_dec_digit(s[i + 1]))
			return FP_EINVAL;
		while (i < len && is_dec_digit(s[i])) {
			x = x * 10 + (uint32_t)(s[i] - '0');
			if (x > 255)
				return FP_EINVAL;
			i++;
		}
		v = v << 8 | x;
	}
	if (i != len)
		return FP_EINVAL;
	*out = v;
	return 0;
}

/*
 * RFC 4291 section 2.2: eight groups of one to four hex digits, at most one
 * "::" standing for one or more zero groups, and optionally a dotted quad in
 * place of the last two groups. No zone id.
 */
static int parse_v6(const char *s, size_t len, u128 *out)
{
	uint16_t g[8];
	int ng = 0, gap = -1;
	size_t i = 0;
	u128 v = 0;

	if (len < 2)
		return FP_EINVAL;
	if (s[0] == ':') {
		if (s[1] != ':')
			return FP_EINVAL;
		gap = 0;
		i = 2;
	}
	while (i < len) {
		size_t start = i;
		uint32_t x = 0;

		while (i < len && hex_digit(s[i]) >= 0) {
			x = x << 4 | (uint32_t)hex_digit(s[i]);
			i++;
			if (i - start > 4)
				break;
		}
		if (i < len && s[i] == '.') {
			uint32_t v4;

			/* The dotted quad must end the literal. */
			if (ng > 6 || parse_v4(s + start, len - start, &v4))
				return FP_EINVAL;
			g[ng++] = (uint16_t)(v4 >> 16);
			g[ng++] = (uint16_t)v4;
			i = len;
			break;
		}
		if (i == start || i - start > 4 || ng == 8)
			return FP_EINVAL;
		g[ng++] = (uint16_t)x;
		if (i == len)
			break;
		if (s[i] != ':')
			return FP_EINVAL;
		i++;
		if (i == len)
			return FP_EINVAL; /* a single trailing colon */
		if (s[i] == ':') {
			if (gap >= 0)
				return FP_EINVAL;
			gap = ng;
			i++;
		}
	}
	if (gap < 0 ? ng != 8 : ng > 7)
		return FP_EINVAL;
	for (int k = 0, j = 0; k < 8; k++) {
		uint16_t x = 0;

		if (gap < 0 || k < gap || k >= gap + 8 - ng)
			x = g[j++];
		v = v << 16 | x;
	}
	*out = v;
	return 0;
}

int addr_parse(const char *s, size_t len, u128 *out)
{
	uint32_t v4;
	int ret;

	if (memchr(s, ':', len))
		return parse_v6(s, len, out);
	ret = parse_v4(s, len, &v4);
	if (ret == 0)
		*out = addr_from_v4(v4);
	return ret;
}

size_t addr_format(u128 a, char buf[static ADDR_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	uint16_t g[8];
	int best = -1, best_len = 0;
	size_t n = 0;

	if (addr_is_v4(a)) {
		/* By hand: this runs once per reported finding. */
		uint32_t v = addr_v4(a);

		for (int sh = 24; sh >= 0; sh -= 8) {
			unsigned o = (v >> sh) & 0xff;

			if (o >= 100)
				buf[n++] = (char)('0' + o / 100);
			if (o >= 10)
				buf[n++] = (char)('0' + o / 10 % 10);
			buf[n++] = (char)('0' + o % 10);
			buf[n++] = sh ? '.' : '\0';
		}
		return n - 1;
	}
	for (int k = 7; k >= 0; k--) {
		g[k] = (uint16_t)a;
		a >>= 16;
	}
	/* RFC 5952 section 4.2: compress the longest run of two or more zero
	 * groups, the first one when two runs are equally long. */
	for (int k = 0; k < 8;) {
		int run = 0;

		while (k + run < 8 && g[k + run] == 0)
			run++;
		if (run >= 2 && run > best_len) {
			best = k;
			best_len = run;
		}
		k += run ? run : 1;
	}
	for (int k = 0; k < 8; k++) {
		bool lead = false;

		if (k == best) {
			buf[n++] = ':';
			if (k == 0)
				buf[n++] = ':';
			k += best_len - 1;
			continue;
		}
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (g[k] >> sh) & 0xf;

			if (d || lead || sh == 0) {
				buf[n++] = hex[d];
				lead = true;
			}
		}
		if (k < 7)
			buf[n++] = ':';
	}
	buf[n] = '\0';
	return n;
}

u128 addr_from_bytes(const uint8_t in[static 16])
{
	u128 a = 0;
	int i;

	for (i = 0; i < 16; i++)
		a = a << 8 | in[i];
	return a;
}

void addr_to_bytes(u128 a, uint8_t out[static 16])
{
	int i;

	for (i = 15; i >= 0; i--) {
		out[i] = (uint8_t)a;
		a >>= 8;
	}
}

size_t addr_to_wire(u128 a, uint8_t out[static 16])
{
	if (addr_is_v4(a)) {
		uint32_t v = addr_v4(a);

		out[0] = (uint8_t)(v >> 24);
		out[1] = (uint8_t)(v >> 16);
		out[2] = (uint8_t)(v >> 8);
		out[3] = (uint8_t)v;
		return 4;
	}
	addr_to_bytes(a, out);
	return 16;
}

bool addr_from_wire(const void *p, size_t len, u128 *out)
{
	const uint8_t *b = p;

	if (len == 4) {
		*out = addr_from_v4((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
				    (uint32_t)b[2] << 8 | b[3]);
		return true;
	}
	if (len != 16)
		return false;
	*out = addr_from_bytes(b);
	return true;
}
