/* SPDX-License-Identifier: MIT */
/* Strict IPv4/IPv6 literal parsing and formatting, and address sets kept as sorted disjoint intervals. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"

#define U128_MAX (~(u128)0)

/* Longest token text quoted in an error message. */
#define ERR_TOKEN_MAX 64

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

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
		if (i >= len || !is_digit(s[i]))
			return FP_EINVAL;
		if (s[i] == '0' && i + 1 < len && is_digit(s[i + 1]))
			return FP_EINVAL;
		while (i < len && is_digit(s[i])) {
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

		while (i < len && hex_value(s[i]) >= 0) {
			x = x << 4 | (uint32_t)hex_value(s[i]);
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

void ipset_init(struct ipset *s)
{
	memset(s, 0, sizeof(*s));
}

void ipset_free(struct ipset *s)
{
	free(s->r);
	free(s->before);
	ipset_init(s);
}

/* Drops the index of a finished set once its intervals change. */
static void ipset_invalidate(struct ipset *s)
{
	free(s->before);
	s->before = NULL;
	s->count = 0;
}

int ipset_add(struct ipset *s, u128 lo, u128 hi)
{
	int ret = 0;

	if (lo > hi) {
		ret = FP_EINVAL;
		goto out;
	}
	ipset_invalidate(s);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct ipset_range *r;

		if (cap > SIZE_MAX / sizeof(*r)) {
			ret = FP_ENOMEM;
			goto out;
		}
		r = realloc(s->r, cap * sizeof(*r));
		if (!r) {
			ret = FP_ENOMEM;
			goto out;
		}
		s->r = r;
		s->cap = cap;
	}
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
out:
	return ret;
}

static int range_cmp(const void *a, const void *b)
{
	const struct ipset_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

static bool ranges_normal(const struct ipset_range *r, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (r[i - 1].hi == U128_MAX || r[i - 1].hi + 1 >= r[i].lo)
			return false;
	return true;
}

/* Sorts r and merges overlapping and adjacent intervals; returns the new n. */
static size_t ranges_normalize(struct ipset_range *r, size_t n)
{
	size_t out = 0;

	if (n < 2 || ranges_normal(r, n))
		return n;
	qsort(r, n, sizeof(*r), range_cmp);
	for (size_t i = 1; i < n; i++) {
		struct ipset_range *last = &r[out];

		if (last->hi == U128_MAX || last->hi + 1 >= r[i].lo) {
			if (r[i].hi > last->hi)
				last->hi = r[i].hi;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

static void ipset_normalize(struct ipset *s)
{
	if (ranges_normal(s->r, s->n))
		return;
	ipset_invalidate(s);
	s->n = ranges_normalize(s->r, s->n);
}

int ipset_finish(struct ipset *s, char *err, size_t errlen)
{
	uint64_t total = 0, *before = NULL;
	int ret = 0;

	ipset_normalize(s);
	ipset_invalidate(s);
	for (size_t i = 0; i < s->n; i++) {
		u128 size = s->r[i].hi - s->r[i].lo; /* one less than the size */

		if (size >= IPSET_MAX_COUNT - total) {
			if (err && errlen)
				snprintf(err, errlen,
					 "the target set holds more than %llu (2^40) addresses; "
					 "split large IPv6 ranges into smaller -iL lists and scan them one at a time",
					 (unsigned long long)IPSET_MAX_COUNT);
			ret = FP_ERANGE;
			goto out;
		}
		total += (uint64_t)size + 1;
	}
	if (s->n) {
		before = malloc(s->n * sizeof(*before));
		if (!before) {
			ret = FP_ENOMEM;
			goto out;
		}
		total = 0;
		for (size_t i = 0; i < s->n; i++) {
			before[i] = total;
			total += (uint64_t)(s->r[i].hi - s->r[i].lo) + 1;
		}
	}
	s->before = before;
	s->count = total;
out:
	return ret;
}

int ipset_subtract(struct ipset *s, const struct ipset *x)
{
	struct ipset_range *xr = x->r, *xcopy = NULL, *out = NULL;
	size_t xn = x->n, n = 0, j = 0;
	int ret = 0;

	ipset_normalize(s);
	if (s->n == 0 || xn == 0)
		goto out;
	if (!ranges_normal(xr, xn)) {
		xcopy = malloc(xn * sizeof(*xcopy));
		if (!xcopy) {
			ret = FP_ENOMEM;
			goto out;
		}
		memcpy(xcopy, xr, xn * sizeof(*xcopy));
		xn = ranges_normalize(xcopy, xn);
		xr = xcopy;
	}
	/* Each interval of x splits at most one interval of s in two. */
	if (s->n > SIZE_MAX / sizeof(*out) - xn) {
		ret = FP_ENOMEM;
		goto out;
	}
	out = malloc((s->n + xn) * sizeof(*out));
	if (!out) {
		ret = FP_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		u128 cur = s->r[i].lo, hi = s->r[i].hi;
		bool done = false;

		while (j < xn && xr[j].hi < cur)
			j++;
		for (size_t k = j; k < xn && xr[k].lo <= hi; k++) {
			if (xr[k].lo > cur) {
				out[n].lo = cur;
				out[n].hi = xr[k].lo - 1;
				n++;
			}
			if (xr[k].hi >= hi) {
				done = true;
				break;
			}
			cur = xr[k].hi + 1;
		}
		if (!done) {
			out[n].lo = cur;
			out[n].hi = hi;
			n++;
		}
	}
	ipset_invalidate(s);
	free(s->r);
	s->r = out;
	s->cap = s->n + xn;
	s->n = n;
	out = NULL;
out:
	free(out);
	free(xcopy);
	return ret;
}

u128 ipset_at(const struct ipset *s, uint64_t idx)
{
	size_t lo = 0, hi = s->n;

	if (!s->before || idx >= s->count)
		return 0;
	/* The last interval whose first index is <= idx. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->before[mid] <= idx)
			lo = mid;
		else
			hi = mid;
	}
	return s->r[lo].lo + (idx - s->before[lo]);
}

/* The position of the interval holding a in a sorted set, or -1. */
static ptrdiff_t ipset_find(const struct ipset *s, u128 a)
{
	size_t lo = 0, hi = s->n;

	if (s->n == 0 || a < s->r[0].lo)
		return -1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->r[mid].lo <= a)
			lo = mid;
		else
			hi = mid;
	}
	return a <= s->r[lo].hi ? (ptrdiff_t)lo : -1;
}

int ipset_index(const struct ipset *s, u128 a, uint64_t *idx)
{
	ptrdiff_t i;

	if (!s->before)
		return -1;
	i = ipset_find(s, a);
	if (i < 0)
		return -1;
	*idx = s->before[i] + (uint64_t)(a - s->r[i].lo);
	return 0;
}

bool ipset_contains(const struct ipset *s, u128 a)
{
	return ipset_find(s, a) >= 0;
}

/* Writes "[PATH:LINE: ]invalid target 'TOKEN': REASON" into err, quoting at
 * most ERR_TOKEN_MAX bytes of the token and showing bytes other than
 * printable ASCII as '?', so a hostile file cannot put terminal escapes in a
 * message. */
static void token_error(char *err, size_t errlen, const char *path,
			unsigned long lineno, const char *tok, size_t len,
			const char *reason)
{
	char q[ERR_TOKEN_MAX + 4];
	size_t n = len < ERR_TOKEN_MAX ? len : ERR_TOKEN_MAX;

	if (!err || !errlen)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tok[i];

		q[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < len) {
		memcpy(q + n, "...", 3);
		n += 3;
	}
	q[n] = '\0';
	if (path)
		snprintf(err, errlen, "%s:%lu: invalid target '%s': %s", path,
			 lineno, q, reason);
	else
		snprintf(err, errlen, "invalid target '%s': %s", q, reason);
}

/* Why s[0..len) is not an address, for the message. */
static const char *addr_reason(const char *s, size_t len)
{
	if (memchr(s, '%', len))
		return "zone ids are not supported";
	if (memchr(s, ':', len))
		return "bad IPv6 address";
	for (size_t i = 0; i < len; i++)
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
			return "not an IP address (host names are not resolved)";
	return "bad IPv4 address";
}

/* Parses and adds one token; on FP_EINVAL sets *reason. */
static int add_token(struct ipset *s, const char *tok, size_t len,
		     const char **reason)
{
	const char *dash, *slash;
	u128 lo, hi;
	int ret = 0;

	if (len == 0) {
		*reason = "empty target";
		ret = FP_EINVAL;
		goto out;
	}
	dash = memchr(tok, '-', len);
	slash = memchr(tok, '/', len);
	if (dash) {
		size_t n1 = (size_t)(dash - tok), n2 = len - n1 - 1;

		if (addr_parse(tok, n1, &lo)) {
			*reason = n1 ? "range start is not an IP address" :
				       "range has no start";
			ret = FP_EINVAL;
			goto out;
		}
		if (addr_parse(dash + 1, n2, &hi)) {
			*reason = n2 ? "range end is not an IP address" :
				       "range has no end";
			ret = FP_EINVAL;
			goto out;
		}
		if (addr_is_v4(lo) != addr_is_v4(hi)) {
			*reason = "range mixes IPv4 and IPv6";
			ret = FP_EINVAL;
			goto out;
		}
		if (lo > hi) {
			*reason = "range start is after its end";
			ret = FP_EINVAL;
			goto out;
		}
	} else if (slash) {
		size_t n1 = (size_t)(slash - tok), n2 = len - n1 - 1;
		const char *p = slash + 1;
		bool v6 = memchr(tok, ':', n1) != NULL;
		unsigned max = v6 ? 128 : 32, plen = 0;
		u128 host;

		if (addr_parse(tok, n1, &lo)) {
			*reason = n1 ? addr_reason(tok, n1) : "no address before '/'";
			ret = FP_EINVAL;
			goto out;
		}
		if (n2 == 0 || n2 > 3 || (p[0] == '0' && n2 > 1)) {
			*reason = "bad prefix length";
			ret = FP_EINVAL;
			goto out;
		}
		for (size_t i = 0; i < n2; i++) {
			if (!is_digit(p[i])) {
				*reason = "bad prefix length";
				ret = FP_EINVAL;
				goto out;
			}
			plen = plen * 10 + (unsigned)(p[i] - '0');
		}
		if (plen > max) {
			*reason = v6 ? "prefix length out of range (0-128)" :
				       "prefix length out of range (0-32)";
			ret = FP_EINVAL;
			goto out;
		}
		if (!v6)
			plen += 96;
		host = plen == 0 ? U128_MAX :
		       plen == 128 ? 0 : ((u128)1 << (128 - plen)) - 1;
		hi = lo | host;
		lo &= ~host;
	} else {
		if (addr_parse(tok, len, &lo)) {
			*reason = addr_reason(tok, len);
			ret = FP_EINVAL;
			goto out;
		}
		hi = lo;
	}
	ret = ipset_add(s, lo, hi);
out:
	return ret;
}

int ipset_add_token(struct ipset *s, const char *tok, size_t len,
		    char *err, size_t errlen)
{
	const char *reason = NULL;
	int ret = add_token(s, tok, len, &reason);

	if (ret == FP_EINVAL)
		token_error(err, errlen, NULL, 0, tok, len, reason);
	return ret;
}

/* Adds every token of buf[0..len) and counts them in *ntok. On error sets
 * *bad, *badlen and *reason when the error is FP_EINVAL. */
static int add_tokens(struct ipset *s, const char *buf, size_t len,
		      size_t *ntok, const char **bad, size_t *badlen,
		      const char **reason)
{
	size_t i = 0;
	int ret = 0;

	while (i < len) {
		size_t start;

		while (i < len && is_sep(buf[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_sep(buf[i]))
			i++;
		ret = add_token(s, buf + start, i - start, reason);
		if (ret) {
			*bad = buf + start;
			*badlen = i - start;
			goto out;
		}
		(*ntok)++;
	}
out:
	return ret;
}

int ipset_add_spec(struct ipset *s, const char *spec, char *err, size_t errlen)
{
	size_t n0 = s->n, ntok = 0, badlen = 0;
	const char *bad = NULL, *reason = NULL;
	int ret;

	ret = add_tokens(s, spec, strlen(spec), &ntok, &bad, &badlen, &reason);
	if (ret == FP_EINVAL) {
		token_error(err, errlen, NULL, 0, bad, badlen, reason);
	} else if (ret == 0 && ntok == 0) {
		if (err && errlen)
			snprintf(err, errlen, "invalid target spec: no targets");
		ret = FP_EINVAL;
	}
	if (ret)
		s->n = n0;
	return ret;
}

int ipset_add_file(struct ipset *s, const char *path, char *err, size_t errlen)
{
	size_t n0 = s->n, cap = 0, ntok = 0;
	unsigned long lineno = 0;
	char *line = NULL;
	FILE *f;
	ssize_t got;
	int ret = 0;

	f = fopen(path, "re");
	if (!f) {
		ret = errno == ENOMEM ? FP_ENOMEM : FP_EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		const char *bad = NULL, *reason = NULL;
		size_t len, badlen = 0;
		char *hash;

		errno = 0;
		got = getline(&line, &cap, f);
		if (got < 0)
			break;
		lineno++;
		len = (size_t)got;
		/* Everything from '#' on is a comment; "\r\n" ends are white space. */
		hash = memchr(line, '#', len);
		if (hash)
			len = (size_t)(hash - line);
		ret = add_tokens(s, line, len, &ntok, &bad, &badlen, &reason);
		if (ret) {
			if (ret == FP_EINVAL)
				token_error(err, errlen, path, lineno, bad,
					    badlen, reason);
			goto out;
		}
	}
	if (errno == ENOMEM) {
		ret = FP_ENOMEM;
	} else if (ferror(f)) {
		ret = FP_EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path,
				 strerror(errno ? errno : EIO));
	}
out:
	if (ret)
		s->n = n0;
	free(line);
	if (f)
		fclose(f);
	return ret;
}

/* The built-in exclusions, as CIDR blocks; see the header for why. */
static const struct {
	const char *cidr;
	bool reserved; /* dropped when reserved ranges are allowed */
} builtin_excludes[] = {
	{ "0.0.0.0/8", false },
	{ "224.0.0.0/4", false },
	{ "240.0.0.0/4", false },
	{ "::/128", false },
	{ "ff00::/8", false },
	{ "198.18.0.0/15", true },
	{ "192.0.2.0/24", true },
	{ "198.51.100.0/24", true },
	{ "203.0.113.0/24", true },
	{ "2001:2::/48", true },
	{ "2001:db8::/32", true },
};

int ipset_add_builtin_excludes(struct ipset *s, bool allow_reserved)
{
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(builtin_excludes); i++) {
		const char *c = builtin_excludes[i].cidr;
		const char *reason = NULL;

		if (allow_reserved && builtin_excludes[i].reserved)
			continue;
		ret = add_token(s, c, strlen(c), &reason);
		if (ret)
			goto out;
	}
out:
	return ret;
}
