/* SPDX-License-Identifier: MIT */
/* SipHash-2-4 and the probe cookie built on it, scalar and in SIMD batches. */
#include <string.h>

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

/* The last message word: dport (big-endian), proto, and the length. */
static inline uint64_t cookie_tail(uint16_t dport, uint8_t proto)
{
	return (uint64_t)COOKIE_MSG_LEN << 56 | (uint64_t)proto << 16 | __builtin_bswap16(dport);
}

/* From cc's state after an IPv4 source and the zero upper half of dst. */
static inline uint64_t cookie_v4(const struct cookie_ctx *cc, u128 dst, uint16_t dport,
				 uint8_t proto)
{
	struct sip s = cc->pre4;

	sip_word(&s, __builtin_bswap64((uint64_t)dst));
	sip_word(&s, cookie_tail(dport, proto));
	return sip_final(&s);
}

uint64_t cookie_of(const struct cookie_ctx *cc, u128 src, u128 dst, uint16_t dport,
		   uint8_t proto)
{
	struct sip s;

	if (src && src == cc->src4 && !(uint64_t)(dst >> 64))
		return cookie_v4(cc, dst, dport, proto);
	if (src && src == cc->src6) {
		s = cc->pre6;
		sip_word(&s, __builtin_bswap64((uint64_t)(dst >> 64)));
		sip_word(&s, __builtin_bswap64((uint64_t)dst));
		sip_word(&s, cookie_tail(dport, proto));
		return sip_final(&s);
	}
	return cookie_make(cc->key, src, dst, dport, proto);
}

/* The own source for dst's family. */
static inline u128 own_src(const struct cookie_ctx *cc, u128 dst)
{
	return addr_is_v4(dst) ? cc->src4 : cc->src6;
}

static void batch_scalar(const struct cookie_ctx *cc, size_t n, const u128 *dst,
			 const uint16_t *dport, const uint8_t *proto, uint64_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = cookie_of(cc, own_src(cc, dst[i]), dst[i], dport[i], proto[i]);
}

/* Whether lanes [i, i + w) are all IPv4 with an IPv4 source: the vector case. */
static inline bool lanes_v4(const struct cookie_ctx *cc, const u128 *dst, size_t w)
{
	bool ok = cc->src4 != 0;

	for (size_t k = 0; k < w; k++)
		ok &= addr_is_v4(dst[k]);
	return ok;
}

#if defined(__x86_64__)
#include <immintrin.h>

/*
 * Four cookies at once in the 64-bit lanes of AVX2 registers: the same
 * rounds as sip_round. AVX2 has no 64-bit rotate: shifts and an or, or a
 * byte shuffle for the rotations by 16 and 32.
 */
#define AVX2_ROTL(x, b) _mm256_or_si256(_mm256_slli_epi64((x), (b)), _mm256_srli_epi64((x), 64 - (b)))

__attribute__((target("avx2")))
static inline void avx2_round(__m256i *v0, __m256i *v1, __m256i *v2, __m256i *v3, __m256i rot16)
{
	*v0 = _mm256_add_epi64(*v0, *v1);
	*v1 = AVX2_ROTL(*v1, 13);
	*v1 = _mm256_xor_si256(*v1, *v0);
	*v0 = _mm256_shuffle_epi32(*v0, 0xb1);
	*v2 = _mm256_add_epi64(*v2, *v3);
	*v3 = _mm256_shuffle_epi8(*v3, rot16);
	*v3 = _mm256_xor_si256(*v3, *v2);
	*v0 = _mm256_add_epi64(*v0, *v3);
	*v3 = AVX2_ROTL(*v3, 21);
	*v3 = _mm256_xor_si256(*v3, *v0);
	*v2 = _mm256_add_epi64(*v2, *v1);
	*v1 = AVX2_ROTL(*v1, 17);
	*v1 = _mm256_xor_si256(*v1, *v2);
	*v2 = _mm256_shuffle_epi32(*v2, 0xb1);
}

__attribute__((target("avx2")))
static void batch_avx2(const struct cookie_ctx *cc, size_t n, const u128 *dst,
		       const uint16_t *dport, const uint8_t *proto, uint64_t *out)
{
	/* Rotate each 64-bit lane left by 16 bits: byte k takes byte k - 2. */
	const __m256i rot16 = _mm256_setr_epi8(6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13,
					       6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13);
	const __m256i ff = _mm256_set1_epi64x(0xff);
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		__m256i v0, v1, v2, v3, m;
		uint64_t a[4], t[4];

		if (!lanes_v4(cc, dst + i, 4)) {
			batch_scalar(cc, 4, dst + i, dport + i, proto + i, out + i);
			continue;
		}
		for (int k = 0; k < 4; k++) {
			a[k] = __builtin_bswap64((uint64_t)dst[i + k]);
			t[k] = cookie_tail(dport[i + k], proto[i + k]);
		}
		v0 = _mm256_set1_epi64x((long long)cc->pre4.v0);
		v1 = _mm256_set1_epi64x((long long)cc->pre4.v1);
		v2 = _mm256_set1_epi64x((long long)cc->pre4.v2);
		v3 = _mm256_set1_epi64x((long long)cc->pre4.v3);
		m = _mm256_loadu_si256((const __m256i *)(const void *)a);
		v3 = _mm256_xor_si256(v3, m);
		avx2_round(&v0, &v1, &v2, &v3, rot16);
		avx2_round(&v0, &v1, &v2, &v3, rot16);
		v0 = _mm256_xor_si256(v0, m);
		m = _mm256_loadu_si256((const __m256i *)(const void *)t);
		v3 = _mm256_xor_si256(v3, m);
		avx2_round(&v0, &v1, &v2, &v3, rot16);
		avx2_round(&v0, &v1, &v2, &v3, rot16);
		v0 = _mm256_xor_si256(v0, m);
		v2 = _mm256_xor_si256(v2, ff);
		for (int r = 0; r < 4; r++)
			avx2_round(&v0, &v1, &v2, &v3, rot16);
		v0 = _mm256_xor_si256(_mm256_xor_si256(v0, v1), _mm256_xor_si256(v2, v3));
		_mm256_storeu_si256((__m256i *)(void *)(out + i), v0);
	}
	batch_scalar(cc, n - i, dst + i, dport + i, proto + i, out + i);
}

/* Eight cookies at once in AVX-512 registers, which rotate 64-bit lanes. */
__attribute__((target("avx512f")))
static inline void avx512_round(__m512i *v0, __m512i *v1, __m512i *v2, __m512i *v3)
{
	*v0 = _mm512_add_epi64(*v0, *v1);
	*v1 = _mm512_rol_epi64(*v1, 13);
	*v1 = _mm512_xor_si512(*v1, *v0);
	*v0 = _mm512_rol_epi64(*v0, 32);
	*v2 = _mm512_add_epi64(*v2, *v3);
	*v3 = _mm512_rol_epi64(*v3, 16);
	*v3 = _mm512_xor_si512(*v3, *v2);
	*v0 = _mm512_add_epi64(*v0, *v3);
	*v3 = _mm512_rol_epi64(*v3, 21);
	*v3 = _mm512_xor_si512(*v3, *v0);
	*v2 = _mm512_add_epi64(*v2, *v1);
	*v1 = _mm512_rol_epi64(*v1, 17);
	*v1 = _mm512_xor_si512(*v1, *v2);
	*v2 = _mm512_rol_epi64(*v2, 32);
}

__attribute__((target("avx512f")))
static void batch_avx512(const struct cookie_ctx *cc, size_t n, const u128 *dst,
			 const uint16_t *dport, const uint8_t *proto, uint64_t *out)
{
	const __m512i ff = _mm512_set1_epi64(0xff);
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		__m512i v0, v1, v2, v3, m;
		uint64_t a[8], t[8];

		if (!lanes_v4(cc, dst + i, 8)) {
			batch_scalar(cc, 8, dst + i, dport + i, proto + i, out + i);
			continue;
		}
		for (int k = 0; k < 8; k++) {
			a[k] = __builtin_bswap64((uint64_t)dst[i + k]);
			t[k] = cookie_tail(dport[i + k], proto[i + k]);
		}
		v0 = _mm512_set1_epi64((long long)cc->pre4.v0);
		v1 = _mm512_set1_epi64((long long)cc->pre4.v1);
		v2 = _mm512_set1_epi64((long long)cc->pre4.v2);
		v3 = _mm512_set1_epi64((long long)cc->pre4.v3);
		m = _mm512_loadu_si512((const void *)a);
		v3 = _mm512_xor_si512(v3, m);
		avx512_round(&v0, &v1, &v2, &v3);
		avx512_round(&v0, &v1, &v2, &v3);
		v0 = _mm512_xor_si512(v0, m);
		m = _mm512_loadu_si512((const void *)t);
		v3 = _mm512_xor_si512(v3, m);
		avx512_round(&v0, &v1, &v2, &v3);
		avx512_round(&v0, &v1, &v2, &v3);
		v0 = _mm512_xor_si512(v0, m);
		v2 = _mm512_xor_si512(v2, ff);
		for (int r = 0; r < 4; r++)
			avx512_round(&v0, &v1, &v2, &v3);
		v0 = _mm512_xor_si512(_mm512_xor_si512(v0, v1), _mm512_xor_si512(v2, v3));
		_mm512_storeu_si512((void *)(out + i), v0);
	}
	batch_avx2(cc, n - i, dst + i, dport + i, proto + i, out + i);
}
#endif

struct cookie_impl {
	const char *name;
	cookie_batch_fn fn;
};

/* Fastest first; the first one the CPU runs is the default. */
static const struct cookie_impl impls[] = {
#if defined(__x86_64__)
	{ "avx512", batch_avx512 },
	{ "avx2", batch_avx2 },
#endif
	{ "scalar", batch_scalar },
};

static bool impl_supported(const struct cookie_impl *im)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (im->fn == batch_avx512)
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2");
	if (im->fn == batch_avx2)
		return __builtin_cpu_supports("avx2");
#endif
	(void)im;
	return true;
}

const char *const *cookie_impls(void)
{
	static const char *names[ARRAY_SIZE(impls) + 1];
	size_t k = 0;

	/* Scalar first: the reference the others are checked against. */
	for (size_t i = ARRAY_SIZE(impls); i-- > 0;)
		if (impl_supported(&impls[i]))
			names[k++] = impls[i].name;
	names[k] = NULL;
	return names;
}

int cookie_ctx_init(struct cookie_ctx *cc, const uint8_t key[static 16], u128 src4, u128 src6,
		    const char *impl)
{
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	int ret = impl ? FP_ENOTSUP : 0;

	memset(cc, 0, sizeof(*cc));
	memcpy(cc->key, key, 16);
	cc->src4 = src4;
	cc->src6 = src6;
	sip_init(&cc->pre4, k0, k1);
	sip_word(&cc->pre4, __builtin_bswap64((uint64_t)(src4 >> 64)));
	sip_word(&cc->pre4, __builtin_bswap64((uint64_t)src4));
	sip_word(&cc->pre4, 0); /* the upper half of an IPv4-mapped dst */
	sip_init(&cc->pre6, k0, k1);
	sip_word(&cc->pre6, __builtin_bswap64((uint64_t)(src6 >> 64)));
	sip_word(&cc->pre6, __builtin_bswap64((uint64_t)src6));
	for (size_t i = 0; i < ARRAY_SIZE(impls); i++) {
		if (!impl_supported(&impls[i]))
			continue;
		if (!cc->batch) {
			cc->batch = impls[i].fn;
			cc->impl = impls[i].name;
		}
		if (impl && !strcmp(impl, impls[i].name)) {
			cc->batch = impls[i].fn;
			cc->impl = impls[i].name;
			ret = 0;
			break;
		}
	}
	return ret;
}
