/* SPDX-License-Identifier: MIT */
/*
 * A bounded single-pass reader of the threat_event_v1 members the store
 * keys on, for the events fastport itself writes: no allocation, no tree.
 * It either reads a line exactly as jansson would (and then says so), or
 * declines it, and the caller parses the line with jansson: anything it is
 * not sure of (a non-ASCII byte, a \u escape outside the BMP's plain range,
 * an escaped key, a real number, a member of an unexpected type, deep
 * nesting, an object with many members, and every syntax error) is
 * declined. tests/fuzz/fuzz_store_fast.c checks it against jansson.
 */
#include <stdint.h>
#include <string.h>

#include "event_fields.h"

#define FAST_MAX_DEPTH 16
#define FAST_MAX_KEYS 48

/* Where a value goes: the object it is a member of, or a member slot. */
enum ctx { C_NONE, C_ROOT, C_TARGET, C_RESULT, C_SERVICE, C_TLS, C_SCAN };
enum slot { S_SKIP, S_STR, S_OBJ, S_PORT, S_TRUE };

struct rd {
	const char *p, *end;
	char *out;        /* decoded strings, NUL-terminated */
	struct event_fields *f;
};

static void ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int hex4(const char *s, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/*
 * A string at r->p (the opening quote). With dst, decoded into r->out
 * (NUL-terminated; *dst points at it); keys (raw != NULL) must have no
 * escape and give their raw span. 0, or -1: declined.
 */
static int string(struct rd *r, const char **dst, const char **raw, size_t *rawlen)
{
	const char *s = ++r->p;
	char *o = r->out;

	for (;;) {
		unsigned char c;

		if (r->p >= r->end)
			return -1;
		c = (unsigned char)*r->p;
		if (c == '"')
			break;
		if (c < 0x20 || c >= 0x80)
			return -1;
		if (c != '\\') {
			if (dst)
				*o++ = (char)c;
			r->p++;
			continue;
		}
		if (raw || r->end - r->p < 2)
			return -1;
		c = (unsigned char)r->p[1];
		r->p += 2;
		switch (c) {
		case '"': case '\\': case '/': break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': {
			unsigned v;

			if (r->end - r->p < 4 || hex4(r->p, &v) < 0 || v == 0 ||
			    (v >= 0xd800 && v <= 0xdfff))
				return -1;
			r->p += 4;
			if (!dst)
				continue;
			if (v < 0x80) {
				*o++ = (char)v;
			} else if (v < 0x800) {
				*o++ = (char)(0xc0 | (v >> 6));
				*o++ = (char)(0x80 | (v & 0x3f));
			} else {
				*o++ = (char)(0xe0 | (v >> 12));
				*o++ = (char)(0x80 | ((v >> 6) & 0x3f));
				*o++ = (char)(0x80 | (v & 0x3f));
			}
			continue;
		}
		default:
			return -1;
		}
		if (dst)
			*o++ = (char)c;
	}
	if (raw) {
		*raw = s;
		*rawlen = (size_t)(r->p - s);
	}
	r->p++; /* the closing quote */
	if (dst) {
		*o++ = '\0';
		*dst = r->out;
		r->out = o;
	}
	return 0;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A number; *port gets its value when it is an integer 0..65535, else -1.
 * Reals with an exponent and long numbers are declined (jansson may find
 * them out of range). */
static int number(struct rd *r, long *port)
{
	const char *s = r->p;
	bool neg = false, frac = false;
	long v = 0;

	if (r->p < r->end && *r->p == '-') {
		neg = true;
		r->p++;
	}
	if (r->p >= r->end || !digit(*r->p))
		return -1;
	if (*r->p == '0') {
		r->p++;
		if (r->p < r->end && digit(*r->p))
			return -1;
	} else {
		while (r->p < r->end && digit(*r->p)) {
			if (v < 1000000)
				v = v * 10 + (*r->p - '0');
			r->p++;
		}
	}
	if (r->p < r->end && *r->p == '.') {
		frac = true;
		r->p++;
		if (r->p >= r->end || !digit(*r->p))
			return -1;
		while (r->p < r->end && digit(*r->p))
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
		return -1;
	if (r->p - s > 18)
		return -1;
	*port = !neg && !frac && v <= 65535 ? v : -1;
	if (neg && !frac && v == 0)
		*port = 0; /* -0 is the integer 0 */
	return 0;
}

static int literal(struct rd *r, const char *w, size_t n)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n))
		return -1;
	r->p += n;
	return 0;
}

/* The slot of member key (n bytes) of an object in context c. */
static enum slot slot_of(struct event_fields *f, enum ctx c, const char *k, size_t n,
			 const char ***str, enum ctx *child)
{
#define K(s) (n == sizeof(s) - 1 && !memcmp(k, s, n))
	*child = C_NONE;
	switch (c) {
	case C_ROOT:
		if (K("schema")) { *str = &f->schema; return S_STR; }
		if (K("event_id")) { *str = &f->event_id; return S_STR; }
		if (K("scan_id")) { *str = &f->scan_id; return S_STR; }
		if (K("kind")) { *str = &f->kind; return S_STR; }
		if (K("time")) { *str = &f->time; return S_STR; }
		if (K("target")) { f->target = true; *child = C_TARGET; return S_OBJ; }
		if (K("result")) { *child = C_RESULT; return S_OBJ; }
		if (K("service")) { f->svc = true; *child = C_SERVICE; return S_OBJ; }
		if (K("scan")) { *child = C_SCAN; return S_OBJ; }
		if (K("interrupted"))
			return S_TRUE;
		break;
	case C_TARGET:
		if (K("ip")) { *str = &f->ip; return S_STR; }
		if (K("protocol")) { *str = &f->protocol; return S_STR; }
		if (K("port"))
			return S_PORT;
		break;
	case C_RESULT:
		if (K("state")) { *str = &f->state; return S_STR; }
		if (K("reason")) { *str = &f->reason; return S_STR; }
		if (K("service")) { *str = &f->rservice; return S_STR; }
		break;
	case C_SERVICE:
		if (K("name")) { *str = &f->name; return S_STR; }
		if (K("product")) { *str = &f->product; return S_STR; }
		if (K("version")) { *str = &f->version; return S_STR; }
		if (K("tls")) { *child = C_TLS; return S_OBJ; }
		break;
	case C_TLS:
		if (K("sha256")) { *str = &f->sha256; return S_STR; }
		break;
	case C_SCAN:
		if (K("shard")) { *str = &f->shard; return S_STR; }
		break;
	case C_NONE:
		break;
	}
	return S_SKIP;
#undef K
}

static int value(struct rd *r, int depth, enum slot sl, const char **str, enum ctx child);

static int object(struct rd *r, int depth, enum ctx c)
{
	const char *key[FAST_MAX_KEYS];
	size_t klen[FAST_MAX_KEYS], nk = 0;

	if (depth > FAST_MAX_DEPTH)
		return -1;
	r->p++; /* { */
	ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return 0;
	}
	for (;;) {
		const char *k, **str = NULL;
		size_t kn;
		enum ctx child;
		enum slot sl;

		if (r->p >= r->end || *r->p != '"' || nk == FAST_MAX_KEYS ||
		    string(r, NULL, &k, &kn) < 0)
			return -1;
		for (size_t i = 0; i < nk; i++)
			if (klen[i] == kn && !memcmp(key[i], k, kn))
				return -1; /* a duplicate: jansson's to reject */
		key[nk] = k;
		klen[nk++] = kn;
		ws(r);
		if (r->p >= r->end || *r->p != ':')
			return -1;
		r->p++;
		ws(r);
		sl = slot_of(r->f, c, k, kn, &str, &child);
		if (value(r, depth + 1, sl, str, child) < 0)
			return -1;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			ws(r);
			continue;
		}
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return 0;
		}
		return -1;
	}
}

static int array(struct rd *r, int depth)
{
	if (depth > FAST_MAX_DEPTH)
		return -1;
	r->p++; /* [ */
	ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return 0;
	}
	for (;;) {
		if (value(r, depth + 1, S_SKIP, NULL, C_NONE) < 0)
			return -1;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			ws(r);
			continue;
		}
		if (r->p < r->end && *r->p == ']') {
			r->p++;
			return 0;
		}
		return -1;
	}
}

/* One value for slot sl; a value of another type than the slot's is
 * declined (the jansson path decides what it means). */
static int value(struct rd *r, int depth, enum slot sl, const char **str, enum ctx child)
{
	long port;
	char c;

	if (r->p >= r->end)
		return -1;
	c = *r->p;
	if (sl == S_TRUE) {
		r->f->interrupted = c == 't';
		sl = S_SKIP;
	}
	switch (c) {
	case '{':
		if (sl != S_SKIP && sl != S_OBJ)
			return -1;
		return object(r, depth, sl == S_OBJ ? child : C_NONE);
	case '[':
		return sl != S_SKIP ? -1 : array(r, depth);
	case '"':
		if (sl != S_SKIP && sl != S_STR)
			return -1;
		return string(r, sl == S_STR ? str : NULL, NULL, NULL);
	case 't':
		return sl != S_SKIP ? -1 : literal(r, "true", 4);
	case 'f':
		return sl != S_SKIP ? -1 : literal(r, "false", 5);
	case 'n':
		return sl != S_SKIP ? -1 : literal(r, "null", 4);
	default:
		if (sl != S_SKIP && sl != S_PORT)
			return -1;
		if (number(r, &port) < 0)
			return -1;
		if (sl == S_PORT) {
			if (port < 0)
				return -1;
			r->f->port_ok = true;
			r->f->port = (uint16_t)port;
		}
		return 0;
	}
}

int event_fast_read(const char *line, size_t n, struct event_fields *f, char *buf)
{
	struct rd r = { .p = line, .end = line + n, .out = buf, .f = f };

	memset(f, 0, sizeof(*f));
	ws(&r);
	if (r.p >= r.end || *r.p != '{' || object(&r, 1, C_ROOT) < 0)
		goto decline;
	ws(&r);
	if (r.p != r.end)
		goto decline;
	return 1;
decline:
	memset(f, 0, sizeof(*f));
	return 0;
}
