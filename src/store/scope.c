/* SPDX-License-Identifier: MIT */
/* Scope keys: a hash of a scan's normalized targets, exclusions and ports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "core/addr.h"
#include "core/ports.h"
#include "event/json.h"

/* SHA-256 (FIPS 180-4), byte-oriented; the store hashes short texts. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(uint32_t h[8], const uint8_t b[64])
{
	uint32_t w[64], s[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(s, h, sizeof(s));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = s[7] + (ror(s[4], 6) ^ ror(s[4], 11) ^ ror(s[4], 25)) +
			      ((s[4] & s[5]) ^ (~s[4] & s[6])) + K[i] + w[i];
		uint32_t t2 = (ror(s[0], 2) ^ ror(s[0], 13) ^ ror(s[0], 22)) +
			      ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));

		memmove(s + 1, s, 7 * sizeof(s[0]));
		s[4] += t1;
		s[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += s[i];
}

void store_sha256(const void *data, size_t n, uint8_t out[static 32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const uint8_t *p = data;
	uint8_t last[128] = { 0 };
	size_t full = n & ~(size_t)63, rest = n - full, tail;
	uint64_t bits = (uint64_t)n * 8;

	for (size_t i = 0; i < full; i += 64)
		sha256_block(h, p + i);
	memcpy(last, p + full, rest);
	last[rest] = 0x80;
	tail = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		last[tail - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
	sha256_block(h, last);
	if (tail == 128)
		sha256_block(h, last + 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

int store_scope_key(const char *const *targets, size_t ntargets,
		    const char *const *excludes, size_t nexcludes, const char *ports,
		    bool allow_reserved, char key[33], char **desc, char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	static const char prefix[PORTS_NPROTO] = { 'T', 'U', 'Q' };
	struct ipset t, x;
	struct portset ps;
	struct jbuf b;
	uint8_t md[32];
	int ret = STORE_EUSAGE;
	int last_proto = -1;

	ipset_init(&t);
	ipset_init(&x);
	portset_init(&ps);
	jbuf_init(&b);
	*desc = NULL;
	for (size_t i = 0; i < ntargets; i++)
		if (ipset_add_spec(&t, targets[i], err, errlen) < 0)
			goto out;
	for (size_t i = 0; i < nexcludes; i++)
		if (ipset_add_spec(&x, excludes[i], err, errlen) < 0)
			goto out;
	if (portset_add_spec(&ps, ports, err, errlen) < 0)
		goto out;
	ret = STORE_EFAIL;
	if (ipset_add_builtin_excludes(&x, allow_reserved) < 0 || ipset_subtract(&t, &x) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* t is sorted and merged now: one canonical text per address set. */
	for (size_t i = 0; i < t.n; i++) {
		char lo[ADDR_STRLEN], hi[ADDR_STRLEN];

		addr_format(t.r[i].lo, lo);
		addr_format(t.r[i].hi, hi);
		if (i)
			jbuf_char(&b, ',');
		jbuf_lit(&b, lo);
		if (t.r[i].lo != t.r[i].hi) {
			jbuf_char(&b, '-');
			jbuf_lit(&b, hi);
		}
	}
	jbuf_lit(&b, " ports ");
	for (uint32_t i = 0; i < ps.n; i++) {
		uint8_t pr = portset_proto(ps.list[i]);
		uint16_t lo = portset_port(ps.list[i]), hi = lo;

		while (i + 1 < ps.n && portset_proto(ps.list[i + 1]) == pr &&
		       portset_port(ps.list[i + 1]) == hi + 1)
			hi = portset_port(ps.list[++i]);
		if (pr != last_proto) {
			if (last_proto >= 0)
				jbuf_char(&b, ' ');
			jbuf_char(&b, pr < PORTS_NPROTO ? prefix[pr] : '?');
			jbuf_char(&b, ':');
			last_proto = pr;
		} else {
			jbuf_char(&b, ',');
		}
		jbuf_u64(&b, lo);
		if (hi != lo) {
			jbuf_char(&b, '-');
			jbuf_u64(&b, hi);
		}
	}
	jbuf_char(&b, '\0');
	if (b.oom) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	store_sha256(b.p, b.len - 1, md);
	for (int i = 0; i < 16; i++) {
		key[2 * i] = hex[md[i] >> 4];
		key[2 * i + 1] = hex[md[i] & 15];
	}
	key[32] = '\0';
	*desc = b.p;
	b.p = NULL;
	ret = STORE_OK;
out:
	jbuf_free(&b);
	portset_free(&ps);
	ipset_free(&t);
	ipset_free(&x);
	return ret;
}
