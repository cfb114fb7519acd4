/* SPDX-License-Identifier: MIT */
/* Resume files: the plan fingerprint, the header and the bounded parser. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resume.h"

uint64_t resume_fingerprint(const struct plan *p, uint32_t shard, uint32_t shard_count,
			    uint64_t seed)
{
	uint64_t h = FNV_OFFSET;

	h = fnv_u64(h, RESUME_VERSION);
	h = fnv_u64(h, p->n);
	h = fnv_u64(h, (uint64_t)shard << 32 | shard_count);
	h = fnv_u64(h, seed);
	if (p->list) {
		h = fnv_u64(h, 1);
		for (uint64_t i = 0; i < p->n; i++)
			h = fnv_u64(fnv_u128(h, p->list[i].addr), p->list[i].pp);
	} else {
		h = fnv_u64(h, 2);
		h = fnv_u64(h, p->addrs->n);
		for (size_t i = 0; i < p->addrs->n; i++)
			h = fnv_u128(fnv_u128(h, p->addrs->r[i].lo), p->addrs->r[i].hi);
		h = fnv_u64(h, p->ports->n);
		for (uint32_t i = 0; i < p->ports->n; i++)
			h = fnv_u64(h, p->ports->list[i]);
	}
	return h;
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int bad(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return FP_EINVAL;
}

int resume_parse_header(const uint8_t *buf, size_t len, struct resume_state *out,
			char *err, size_t errlen)
{
	uint32_t version;

	memset(out, 0, sizeof(*out));
	if (len < RESUME_HDR_LEN)
		return bad(err, errlen, "not a resume file: %zu bytes, the header alone has %u",
			   len, RESUME_HDR_LEN);
	if (memcmp(buf, RESUME_MAGIC, 8) != 0)
		return bad(err, errlen, "not a resume file (bad magic)");
	version = (uint32_t)get_le(buf + 8, 4);
	if (version != RESUME_VERSION)
		return bad(err, errlen, "resume file version %u, this fastport reads version %u",
			   version, RESUME_VERSION);
	out->pass = (uint32_t)get_le(buf + 12, 4);
	out->seed = get_le(buf + 16, 8);
	out->n = get_le(buf + 24, 8);
	out->fingerprint = get_le(buf + 32, 8);
	if (out->n == 0 || out->n > RESUME_MAX_N)
		return bad(err, errlen, "resume file: plan size %llu out of range",
			   (unsigned long long)out->n);
	if (get_le(buf + 40, 8) != resume_bitmap_len(out->n))
		return bad(err, errlen, "resume file: bitmap length %llu, expected %llu",
			   (unsigned long long)get_le(buf + 40, 8),
			   (unsigned long long)resume_bitmap_len(out->n));
	return 0;
}

int resume_parse(const uint8_t *buf, size_t len, struct resume_state *out, char *err,
		 size_t errlen)
{
	uint64_t blen, words, sum = FNV_OFFSET;
	int ret;

	ret = resume_parse_header(buf, len, out, err, errlen);
	if (ret < 0)
		return ret;
	blen = resume_bitmap_len(out->n);
	if ((uint64_t)(len - RESUME_HDR_LEN) != blen)
		return bad(err, errlen, "resume file: %zu bytes of bitmap, expected %llu",
			   len - RESUME_HDR_LEN, (unsigned long long)blen);
	buf += RESUME_HDR_LEN;
	for (uint64_t i = 0; i < blen; i++)
		sum = fnv_byte(sum, buf[i]);
	if (sum != get_le(buf - RESUME_HDR_LEN + 48, 8))
		return bad(err, errlen, "resume file: bitmap checksum mismatch (file damaged)");
	words = blen / 8;
	if (out->n % 64 && get_le(buf + (words - 1) * 8, 8) >> (out->n % 64))
		return bad(err, errlen, "resume file: bits set beyond the plan's %llu probes",
			   (unsigned long long)out->n);
	out->bitmap = malloc(blen);
	if (!out->bitmap) {
		bad(err, errlen, "out of memory for a resume bitmap of %llu bytes",
		    (unsigned long long)blen);
		return FP_ENOMEM;
	}
	for (uint64_t i = 0; i < words; i++)
		out->bitmap[i] = get_le(buf + i * 8, 8);
	return 0;
}

void resume_header(uint8_t hdr[static RESUME_HDR_LEN], const struct resume_state *st,
		   const uint64_t *words)
{
	uint64_t sum = FNV_OFFSET, nw = resume_bitmap_len(st->n) / 8;

	for (uint64_t i = 0; i < nw; i++)
		for (int b = 0; b < 8; b++)
			sum = fnv_byte(sum, (uint8_t)(words[i] >> (8 * b)));
	memcpy(hdr, RESUME_MAGIC, 8);
	put_le(hdr + 8, RESUME_VERSION, 4);
	put_le(hdr + 12, st->pass, 4);
	put_le(hdr + 16, st->seed, 8);
	put_le(hdr + 24, st->n, 8);
	put_le(hdr + 32, st->fingerprint, 8);
	put_le(hdr + 40, resume_bitmap_len(st->n), 8);
	put_le(hdr + 48, sum, 8);
}

void resume_state_free(struct resume_state *st)
{
	free(st->bitmap);
	memset(st, 0, sizeof(*st));
}
