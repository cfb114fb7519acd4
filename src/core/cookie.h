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

/* Source ports come from [COOKIE_SPORT_BASE, COOKIE_SPORT_BASE + 16384). */
#define COOKIE_SPORT_BASE 40000u
static inline uint16_t cookie_sport(uint64_t c)
{
	return (uint16_t)(COOKIE_SPORT_BASE + ((c >> 32) & 0x3fff));
}
static inline uint32_t cookie_seq(uint64_t c) { return (uint32_t)c; }

#endif
