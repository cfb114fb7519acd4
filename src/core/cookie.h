/* SPDX-License-Identifier: MIT */
/*
 * Probe cookies: SipHash-2-4 of the probe's 4-tuple under a per-scan key, so
 * a reply can be validated with no per-probe state.
 */
#ifndef FP_COOKIE_H
#define FP_COOKIE_H

#include "common.h"

/* SipHash-2-4 (Aumasson, Bernstein) with a 16-byte key. */
uint64_t siphash24(const uint8_t key[static 16], const void *data, size_t len);

/*
 * The cookie of a probe: a keyed hash of (source address, destination
 * address, destination port, protocol). The probe's source port and sequence
 * number are both derived from it (cookie_sport, cookie_seq), so a reply is
 * valid only when it echoes both for the reply's addresses.
 *
 * It equals siphash24(key, msg, COOKIE_MSG_LEN) over this fixed layout, all
 * in network byte order:
 *	msg[0..15]	src as a 128-bit big-endian number (IPv4 as ::ffff:a.b.c.d)
 *	msg[16..31]	dst, likewise
 *	msg[32..33]	dport, big-endian
 *	msg[34]		proto
 * cookie_make computes it without building the buffer.
 */
#define COOKIE_MSG_LEN 35
uint64_t cookie_make(const uint8_t key[static 16], u128 src, u128 dst,
                     uint16_t dport, uint8_t proto);

/* SipHash's four words of state. */
struct sip {
	uint64_t v0, v1, v2, v3;
};

struct cookie_ctx;
typedef void (*cookie_batch_fn)(const struct cookie_ctx *cc, size_t n, const u128 *dst,
				const uint16_t *dport, const uint8_t *proto, uint64_t *out);

/*
 * A scan's cookies from its own source addresses: the key, and SipHash's
 * state after the message words that are the same for every probe (the
 * source address; for IPv4 also the zero upper half of the mapped
 * destination), so a cookie costs the rest of the message only. The values
 * equal cookie_make's.
 */
struct cookie_ctx {
	uint8_t key[16];
	u128 src4, src6;        /* 0 when the family is not used */
	struct sip pre4;        /* after src4 and the zero word of an IPv4 dst */
	struct sip pre6;        /* after src6 */
	cookie_batch_fn batch;  /* the implementation cookie_batch uses */
	const char *impl;       /* its name: "scalar", "avx2", "avx512" */
};

/*
 * Sets up cc for key and the scan's sources (either may be 0), choosing
 * the fastest batch implementation this CPU runs (cpuid). impl, when not
 * NULL, asks for one by name instead; an unknown or unsupported name gives
 * FP_ENOTSUP (cc is then set up with the default). Returns 0.
 */
int cookie_ctx_init(struct cookie_ctx *cc, const uint8_t key[static 16], u128 src4, u128 src6,
		    const char *impl);

/* The cookie of (src, dst, dport, proto): from the precomputed state when
 * src is one of cc's sources, else as cookie_make. */
uint64_t cookie_of(const struct cookie_ctx *cc, u128 src, u128 dst, uint16_t dport,
		   uint8_t proto);

/*
 * out[i] = cookie_of(cc, own source of dst[i]'s family, dst[i], dport[i],
 * proto[i]) for i < n. The family's source must be set in cc. IPv4
 * destinations go through the vector code when the CPU has it.
 */
static inline void cookie_batch(const struct cookie_ctx *cc, size_t n, const u128 *dst,
				const uint16_t *dport, const uint8_t *proto, uint64_t *out)
{
	cc->batch(cc, n, dst, dport, proto, out);
}

/* Every batch implementation this CPU can run, scalar first, NULL-ended
 * (for tests and benchmarks). */
const char *const *cookie_impls(void);

/* Source ports come from [COOKIE_SPORT_BASE, COOKIE_SPORT_BASE + 16384). */
#define COOKIE_SPORT_BASE 40000u
static inline uint16_t cookie_sport(uint64_t c)
{
	return (uint16_t)(COOKIE_SPORT_BASE + ((c >> 32) & 0x3fff));
}
static inline uint32_t cookie_seq(uint64_t c) { return (uint32_t)c; }

#endif
