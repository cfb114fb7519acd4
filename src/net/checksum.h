/* SPDX-License-Identifier: MIT */
/*
 * Internet checksums (RFC 1071) and their incremental update (RFC 1624).
 * Sums are host-order integers over the data's big-endian 16-bit words; the
 * caller stores a final checksum in network order (be16_store).
 */
#ifndef FP_CHECKSUM_H
#define FP_CHECKSUM_H

#include "../core/common.h"

static inline void be16_store(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void be32_store(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint16_t be16_load(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32_load(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Adds len bytes (an odd tail is padded with zero) to a running sum. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);

/* Folds a running sum to 16 bits and complements it: the checksum to store. */
uint16_t csum_finish(uint32_t sum);

/* Pseudo-header sums for TCP/UDP/ICMPv6 (RFC 793, RFC 8200 8.1). l4len is
 * the length of the transport header plus payload. Addresses as u128
 * (IPv4-mapped for IPv4). */
uint32_t csum_pseudo(u128 src, u128 dst, uint8_t proto, uint32_t l4len);

/* RFC 1624 eqn. 3: the new checksum after a 16-bit word of the covered
 * data changes from old_word to new_word. */
uint16_t csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word);

#endif
