/* SPDX-License-Identifier: MIT */
/* Internet checksum arithmetic: RFC 1071 sums, pseudo-headers and RFC 1624 updates. */
#include "checksum.h"

/*
 * The running sum stays folded to 16 bits between calls, so any number of
 * calls can be chained without overflow. Only the last chunk of a run may
 * have an odd length: its tail byte is the high half of a zero-padded word.
 */
uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = sum;

	while (len >= 8) {
		s += (uint64_t)be32_load(p) + be32_load(p + 4);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		s += be16_load(p);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	return csum_fold64(s);
}

/*
 * IPv4 pseudo-header when both addresses are IPv4-mapped (its length field
 * holds the low 16 bits of l4len), the IPv6 one (32-bit length) otherwise.
 */
uint32_t csum_pseudo(u128 src, u128 dst, uint8_t proto, uint32_t l4len)
{
	uint64_t s = proto;
	int i;

	if (addr_is_v4(src) && addr_is_v4(dst)) {
		uint32_t a = addr_v4(src), b = addr_v4(dst);

		s += (a >> 16) + (a & 0xffff) + (b >> 16) + (b & 0xffff);
		s += l4len & 0xffff;
	} else {
		for (i = 0; i < 8; i++) {
			s += (uint16_t)(src >> (16 * i));
			s += (uint16_t)(dst >> (16 * i));
		}
		s += (l4len >> 16) + (l4len & 0xffff);
	}
	return csum_fold64(s);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), in ones' complement arithmetic. */
uint16_t csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word)
{
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~old_word;
	s += new_word;
	return csum_finish(s);
}
