/* SPDX-License-Identifier: MIT */
/* SipHash-2-4 and the probe cookie built on it. */
#include "cookie.h"

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	       (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	       (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl64(s->v2, 32);
}

static inline void sip_init(struct sip *s, uint64_t k0, uint64_t k1)
{
	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
}

static inline void sip_word(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static inline uint64_t sip_final(struct sip *s)
{
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

uint64_t siphash24(const uint8_t key[static 16], const void *data, size_t len)
{
	const uint8_t *in = data;
	const uint8_t *end = in + (len & ~(size_t)7);
	uint64_t last = (uint64_t)len << 56;
	struct sip s;

	sip_init(&s, load_le64(key), load_le64(key + 8));
	for (; in != end; in += 8)
		sip_word(&s, load_le64(in));
	for (unsigned i = 0; i < (len & 7); i++)
		last |= (uint64_t)in[i] << (8 * i);
	sip_word(&s, last);
	return sip_final(&s);
}

/*
 * SipHash reads the message as little-endian words, so the big-endian bytes
 * of the layout in cookie.h become byte-swapped halves of the addresses:
 * bytes 0..7 of the message are src >> 64 in network order, which read
 * little-endian is bswap64(src >> 64). The 3-byte tail is dport (big-endian)
 * then proto, and the final word carries the length, 35, in its top byte.
 */
uint64_t cookie_make(const uint8_t key[static 16], u128 src, u128 dst,
                     uint16_t dport, uint8_t proto)
{
	struct sip s;

	sip_init(&s, load_le64(key), load_le64(key + 8));
	sip_word(&s, __builtin_bswap64((uint64_t)(src >> 64)));
	sip_word(&s, __builtin_bswap64((uint64_t)src));
	sip_word(&s, __builtin_bswap64((uint64_t)(dst >> 64)));
	sip_word(&s, __builtin_bswap64((uint64_t)dst));
	sip_word(&s, (uint64_t)COOKIE_MSG_LEN << 56 | (uint64_t)proto << 16 |
	             __builtin_bswap16(dport));
	return sip_final(&s);
}
