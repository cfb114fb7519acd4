/* SPDX-License-Identifier: MIT */
/* Parsing of nmap-style port specs into an ordered (protocol, port) list with a reverse index. */
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core/ports.h"

#define NPORTS 65536

/* One bit per (protocol, port) pair. */
#define BITMAP_WORDS (PORTS_NPROTO * NPORTS / 64)

static void bit_set(uint64_t *bm, uint32_t e)
{
	bm[e >> 6] |= (uint64_t)1 << (e & 63);
}

/* Sets bits lo..hi inclusive, a word at a time where it can. */
static void bit_set_range(uint64_t *bm, uint32_t lo, uint32_t hi)
{
	while (lo <= hi && (lo & 63))
		bit_set(bm, lo++);
	while (lo <= hi && hi - lo >= 63) {
		bm[lo >> 6] = ~(uint64_t)0;
		lo += 64;
	}
	while (lo <= hi)
		bit_set(bm, lo++);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

void portset_init(struct portset *p)
{
	memset(p, 0, sizeof(*p));
}

void portset_free(struct portset *p)
{
	free(p->list);
	for (int i = 0; i < PORTS_NPROTO; i++)
		free(p->index[i]);
	portset_init(p);
}

const char *proto_name(uint8_t proto)
{
	static const char *const names[PORTS_NPROTO] = { "tcp", "udp", "quic" };

	return proto < PORTS_NPROTO ? names[proto] : "unknown";
}

/* Writes "invalid port spec 'TOKEN': REASON" (the token quoted by msg_quote). */
static void spec_error(char *err, size_t errlen, const char *tok, size_t len,
		       const char *reason)
{
	char q[MSG_QUOTE_SIZE];

	msg_set(err, errlen, "invalid port spec '%s': %s", msg_quote(q, tok, len), reason);
}

/* Parses a decimal port at s[*i]; 1 when digits were found, 0 when none,
 * -1 when the number is above 65535. Leading zeros are harmless here. */
static int parse_port(const char *s, size_t len, size_t *i, uint32_t *out)
{
	uint32_t v = 0;
	size_t start = *i;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (uint32_t)(s[*i] - '0');
		if (v > NPORTS - 1)
			return -1;
		(*i)++;
	}
	*out = v;
	return *i > start;
}

/*
 * Parses one item (an optional prefix, then "-", "A", "A-B", "A-" or "-B")
 * and marks its ports in bm. *proto is the protocol in force and is changed
 * by a prefix.
 */
static int parse_item(const char *s, size_t len, uint8_t *proto,
		      uint64_t *bm, const char **reason)
{
	uint32_t lo, hi;
	size_t i = 0;
	int r, ret = 0;

	if (len >= 2 && s[1] == ':') {
		switch (s[0]) {
		case 'T': case 't': *proto = FP_PROTO_TCP; break;
		case 'U': case 'u': *proto = FP_PROTO_UDP; break;
		case 'Q': case 'q': *proto = FP_PROTO_QUIC; break;
		default:
			*reason = "unknown protocol prefix (use T:, U: or Q:)";
			ret = FP_EINVAL;
			goto out;
		}
		i = 2;
		if (i == len) {
			*reason = "protocol prefix with no ports";
			ret = FP_EINVAL;
			goto out;
		}
	} else if (memchr(s, ':', len)) {
		*reason = "unknown protocol prefix (use T:, U: or Q:)";
		ret = FP_EINVAL;
		goto out;
	}
	if (s[i] == '-') {
		/* "-" or "-B" */
		lo = 1;
		i++;
		if (i == len) {
			hi = NPORTS - 1;
		} else {
			r = parse_port(s, len, &i, &hi);
			if (r <= 0) {
				*reason = r < 0 ? "port out of range (0-65535)" :
						  "not a port number";
				ret = FP_EINVAL;
				goto out;
			}
		}
	} else {
		r = parse_port(s, len, &i, &lo);
		if (r <= 0) {
			*reason = r < 0 ? "port out of range (0-65535)" :
					  "not a port number";
			ret = FP_EINVAL;
			goto out;
		}
		hi = lo;
		if (i < len && s[i] == '-') {
			i++;
			if (i == len) {
				hi = NPORTS - 1;
			} else {
				r = parse_port(s, len, &i, &hi);
				if (r <= 0) {
					*reason = r < 0 ? "port out of range (0-65535)" :
							  "not a port number";
					ret = FP_EINVAL;
					goto out;
				}
			}
		}
	}
	if (i != len) {
		*reason = "unexpected characters after the port";
		ret = FP_EINVAL;
		goto out;
	}
	if (lo > hi) {
		*reason = "range start is after its end";
		ret = FP_EINVAL;
		goto out;
	}
	bit_set_range(bm, (uint32_t)*proto << 16 | lo, (uint32_t)*proto << 16 | hi);
out:
	return ret;
}

/* Replaces p's list and index with the pairs marked in bm. */
static int rebuild(struct portset *p, const uint64_t *bm)
{
	int32_t *index[PORTS_NPROTO] = { NULL };
	uint32_t *list = NULL, n = 0;
	int ret = 0;

	for (uint32_t w = 0; w < BITMAP_WORDS; w++)
		n += (uint32_t)__builtin_popcountll(bm[w]);
	/* Never empty after a parse, but keep list non-NULL regardless. */
	list = malloc((n ? n : 1) * sizeof(*list));
	if (!list) {
		ret = FP_ENOMEM;
		goto out;
	}
	n = 0;
	for (uint32_t w = 0; w < BITMAP_WORDS; w++) {
		for (uint64_t bits = bm[w]; bits; bits &= bits - 1) {
			uint32_t e = w * 64 + (uint32_t)__builtin_ctzll(bits);
			uint8_t proto = (uint8_t)(e >> 16);

			if (!index[proto]) {
				index[proto] = malloc(NPORTS * sizeof(int32_t));
				if (!index[proto]) {
					ret = FP_ENOMEM;
					goto out;
				}
				memset(index[proto], 0xff, NPORTS * sizeof(int32_t));
			}
			index[proto][e & 0xffff] = (int32_t)n;
			list[n++] = e;
		}
	}
	free(p->list);
	p->list = list;
	p->n = n;
	list = NULL;
	for (int k = 0; k < PORTS_NPROTO; k++) {
		free(p->index[k]);
		p->index[k] = index[k];
		index[k] = NULL;
	}
out:
	free(list);
	for (int k = 0; k < PORTS_NPROTO; k++)
		free(index[k]);
	return ret;
}

int portset_add_spec(struct portset *p, const char *spec, char *err, size_t errlen)
{
	size_t len = strlen(spec), i = 0, items = 0;
	uint8_t proto = FP_PROTO_TCP;
	uint64_t *bm;
	int ret = 0;

	bm = calloc(BITMAP_WORDS, sizeof(*bm));
	if (!bm) {
		ret = FP_ENOMEM;
		goto out;
	}
	for (uint32_t k = 0; k < p->n; k++)
		bit_set(bm, p->list[k]);
	while (i <= len) {
		const char *reason = NULL;
		size_t start, end, next;

		/* The item runs to the next comma; white space around it is
		 * ignored, white space inside it is not. */
		next = i;
		while (next < len && spec[next] != ',')
			next++;
		start = i;
		end = next;
		while (start < end && is_space(spec[start]))
			start++;
		while (end > start && is_space(spec[end - 1]))
			end--;
		if (start == end) {
			if (items == 0 && next == len)
				spec_error(err, errlen, spec, len, "no ports");
			else
				spec_error(err, errlen, spec, len, "empty item");
			ret = FP_EINVAL;
			goto out;
		}
		ret = parse_item(spec + start, end - start, &proto, bm, &reason);
		if (ret) {
			spec_error(err, errlen, spec + start, end - start, reason);
			goto out;
		}
		items++;
		i = next + 1;
	}
	ret = rebuild(p, bm);
out:
	free(bm);
	return ret;
}
