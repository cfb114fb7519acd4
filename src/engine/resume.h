/* SPDX-License-Identifier: MIT */
/*
 * Resume files: the progress of an interrupted scan (fp_scanner_save_state,
 * fp_scanner_load_state). Layout, all integers little-endian:
 *
 *   0  magic "FPRESUME"        8 bytes
 *   8  version (1)             u32
 *  12  pass reached            u32
 *  16  seed of the order       u64
 *  24  plan size n             u64
 *  32  plan fingerprint        u64  (resume_fingerprint)
 *  40  bitmap length in bytes  u64  = (n + 63) / 64 * 8
 *  48  bitmap checksum         u64  (FNV-1a 64 of the bitmap bytes)
 *  56  bitmap: bit i of byte i / 8 set when probe i was answered
 */
#ifndef FP_RESUME_H
#define FP_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

#define RESUME_MAGIC "FPRESUME"
#define RESUME_VERSION 1u
#define RESUME_HDR_LEN 56u
/* Largest plan a resume file may describe (plan_range's bound). */
#define RESUME_MAX_N ((uint64_t)1 << 62)

struct resume_state {
	uint32_t pass;
	uint64_t seed;
	uint64_t n;
	uint64_t fingerprint;
	uint64_t *bitmap; /* (n + 63) / 64 host-order words, malloc'd */
};

/* The fingerprint of a plan as one shard scans it in the order of seed. */
uint64_t resume_fingerprint(const struct plan *p, uint32_t shard, uint32_t shard_count,
			    uint64_t seed);

/* Bitmap length in bytes of a plan of n probes. */
static inline uint64_t resume_bitmap_len(uint64_t n)
{
	return (n + 63) / 64 * 8;
}

/*
 * Checks the header in the first len bytes of buf. Returns 0 and fills
 * *out (bitmap NULL), or FP_EINVAL with a reason in err. Needs at least
 * RESUME_HDR_LEN bytes; reads no more.
 */
int resume_parse_header(const uint8_t *buf, size_t len, struct resume_state *out,
			char *err, size_t errlen);

/*
 * Parses a whole resume file of exactly len bytes: the header, then a
 * bitmap of exactly the length the header's n gives, whose checksum
 * matches and which has no bit set at or beyond n. Returns 0 and fills
 * *out (out->bitmap then owned by the caller), FP_EINVAL with a reason in
 * err, or FP_ENOMEM.
 */
int resume_parse(const uint8_t *buf, size_t len, struct resume_state *out, char *err,
		 size_t errlen);

/* Writes the header for st and a bitmap of words into hdr (RESUME_HDR_LEN). */
void resume_header(uint8_t hdr[static RESUME_HDR_LEN], const struct resume_state *st,
		   const uint64_t *words);

void resume_state_free(struct resume_state *st);

#endif
