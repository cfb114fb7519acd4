/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for resume files: the bounded parser and a round trip. */
#include <stdlib.h>
#include <string.h>

#include "engine/resume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resume_state st, hdr;
	char err[256];
	uint8_t *again;
	uint64_t blen;
	int ret;

	ret = resume_parse(data, size, &st, err, sizeof(err));
	if (ret < 0) {
		CHECK(ret == FP_EINVAL || ret == FP_ENOMEM);
		CHECK(!st.bitmap && err[0]);
		return 0;
	}
	/* Accepted: the length is exact and the header agrees with it. */
	blen = resume_bitmap_len(st.n);
	CHECK(st.n > 0 && st.n <= RESUME_MAX_N && st.bitmap);
	CHECK(size == RESUME_HDR_LEN + blen);
	CHECK(resume_parse_header(data, size, &hdr, err, sizeof(err)) == 0);
	CHECK(hdr.n == st.n && hdr.seed == st.seed && hdr.pass == st.pass &&
	      hdr.fingerprint == st.fingerprint);
	if (st.n % 64)
		CHECK((st.bitmap[blen / 8 - 1] >> (st.n % 64)) == 0);
	/* Writing it again gives the same bytes. */
	again = malloc(size);
	if (again) {
		resume_header(again, &st, st.bitmap);
		for (uint64_t i = 0; i < blen; i++)
			again[RESUME_HDR_LEN + i] = (uint8_t)(st.bitmap[i / 8] >> (8 * (i % 8)));
		CHECK(memcmp(again, data, size) == 0);
		free(again);
	}
	resume_state_free(&st);
	return 0;
}
