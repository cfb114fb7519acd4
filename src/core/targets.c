/* SPDX-License-Identifier: MIT */
/* Target and exclusion specs (addresses, CIDR blocks, A-B ranges) from a string or an -iL file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/msg.h"
#include "core/targets.h"

static bool is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

/* Writes "[PATH:LINE: ]invalid target 'TOKEN': REASON" into err, the token
 * quoted by msg_quote() (a hostile file cannot put terminal escapes in a
 * message). */
static void token_error(char *err, size_t errlen, const char *path,
			unsigned long lineno, const char *tok, size_t len,
			const char *reason)
{
	char q[MSG_QUOTE_SIZE];

	msg_quote(q, tok, len);
	if (path)
		msg_set(err, errlen, "%s:%lu: invalid target '%s': %s", path,
			lineno, q, reason);
	else
		msg_set(err, errlen, "invalid target '%s': %s", q, reason);
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
			if (!is_dec_digit(p[i])) {
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
		msg_set(err, errlen, "invalid target spec: no targets");
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
		msg_set(err, errlen, "%s: %s", path, strerror(errno));
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
		msg_set(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
	}
out:
	if (ret)
		s->n = n0;
	free(line);
	if (f)
		fclose(f);
	return ret;
}

