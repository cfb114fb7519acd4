/* SPDX-License-Identifier: MIT */
/*
 * Internet checksums (RFC 1071) and their incremental update (RFC 1624).
 * Sums are host-order integers over the data's big-endian 16-bit words; the
 * caller stores a final checksum in network order (be16_store).
 */
#ifndef FP_CHECKSUM_H
#define FP_CHECKSUM_H

#include <string.h>

#include "../core/common.h"

/*
 * Big-endian loads and stores at any alignment: one memory access and a
 * byte swap (the compilers turn the memcpy into a plain move).
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FP_BE16(v) __builtin_bswap16(v)
#define FP_BE32(v) __builtin_bswap32(v)
#define FP_BE64(v) __builtin_bswap64(v)
#else
#define FP_BE16(v) (v)
#define FP_BE32(v) (v)
#define FP_BE64(v) (v)
#endif
static inline void be16_store(uint8_t *p, uint16_t v)
{
	v = FP_BE16(v);
	memcpy(p, &v, sizeof(v));
}
static inline void be32_store(uint8_t *p, uint32_t v)
{
	v = FP_BE32(v);
	memcpy(p, &v, sizeof(v));
}
static inline void be64_store(uint8_t *p, uint64_t v)
{
	v = FP_BE64(v);
	memcpy(p, &v, sizeof(v));
}
static inline uint16_t be16_load(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return FP_BE16(v);
}
static inline uint32_t be32_load(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return FP_BE32(v);
}
static inline uint64_t be64_load(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return FP_BE64(v);
}

/* Adds len bytes (an odd tail is padded with zero) to a running sum. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);

/* Folds a ones' complement accumulator (any number of 16- or 32-bit
 * big-endian words added as integers) to at most 16 bits. */
static inline uint32_t csum_fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint32_t)s;
}

/* Folds a running sum to 16 bits and complements it: the checksum to store.
 * A zero result is returned as is: UDP's 0 -> 0xffff rule is the caller's. */
static inline uint16_t csum_finish(uint64_t sum)
{
	return (uint16_t)~csum_fold64(sum);
}

/* Pseudo-header sums for TCP/UDP/ICMPv6 (RFC 793, RFC 8200 8.1). l4len is
 * the length of the transport header plus payload. Addresses as u128
 * (IPv4-mapped for IPv4). */
uint32_t csum_pseudo(u128 src, u128 dst, uint8_t proto, uint32_t l4len);

/* RFC 1624 eqn. 3: the new checksum after a 16-bit word of the covered
 * data changes from old_word to new_word. */
uint16_t csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word);

#endif
