/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the messages of serve's privilege separation
 * (src/serve/privsep_proto.c). The first byte picks a reader: the scan
 * channel as the scan child reads it, as the HTTP process reads it (the
 * rest of the input is the stream, from a memory file, decoded frame by
 * frame as privsep.c does), or the parent channel's fixed-size messages
 * either way. Checks beyond "no crash": a frame is never longer than its
 * type allows, decoded payloads meet their contracts, and what decodes
 * re-encodes to the same bytes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "serve/privsep_proto.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void payload(const struct ps_frame *f)
{
	char err[PS_ERR_MAX + 1];
	const char *json;
	size_t jl;
	uint32_t kind;
	fp_stats_t st;
	int result;

	switch (f->type) {
	case PS_F_EVENT:
		if (ps_event_decode(f->data, f->len, &kind, &json, &jl) == 0) {
			CHECK(kind < 32 && jl >= 2 && json[0] == '{' && jl == f->len - 4);
			CHECK(!memchr(json, '\n', jl) && !memchr(json, '\0', jl));
		}
		break;
	case PS_F_STATS:
		if (ps_stats_decode(f->data, f->len, &st) == 0) {
			uint8_t again[PS_STATS_LEN];

			CHECK(st.progress >= 0 && st.progress <= 1 && isfinite(st.rate) && st.rate >= 0);
			ps_stats_encode(&st, again);
			CHECK(!memcmp(again, f->data, PS_STATS_LEN));
		}
		break;
	case PS_F_DONE:
		if (ps_done_decode(f->data, f->len, &result, err, sizeof(err)) == 0) {
			CHECK(result <= 0 && strlen(err) == f->len - 4);
			for (size_t i = 0; err[i]; i++)
				CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
		}
		break;
	case PS_F_CHECKPOINT_EVERY:
		if (ps_ckpt_every_decode(f->data, f->len, &kind) == 0)
			CHECK(kind >= PS_CKPT_MIN_MS && kind <= PS_CKPT_MAX_MS);
		break;
	case PS_F_SCAN_ID:
		CHECK(f->len == PS_SCAN_ID_LEN);
		(void)ps_scan_id_ok(f->data, f->len);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ps_dir dir;
	struct ps_frame f;
	int fd;

	if (size < 1)
		return 0;
	if (data[0] & 2) { /* the parent channel */
		struct ps_pmsg m;
		uint8_t again[PS_PMSG_LEN];

		if (ps_pmsg_decode(data + 1, size - 1, data[0] & 1 ? PS_TO_PARENT : PS_FROM_PARENT, &m) == 0) {
			CHECK(size - 1 == PS_PMSG_LEN);
			ps_pmsg_encode(&m, again);
			CHECK(!memcmp(again, data + 1, PS_PMSG_LEN));
		}
		return 0;
	}
	dir = data[0] & 1 ? PS_TO_SCAN : PS_TO_HTTP;
	fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1) || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return 0;
	}
	while (ps_frame_read(fd, dir, &f) == 1) {
		uint32_t t, n;
		uint8_t hdr[PS_HDR_LEN];

		memcpy(hdr, &f.type, 4);
		memcpy(hdr + 4, &f.len, 4);
		CHECK(ps_frame_check(hdr, dir, &t, &n) == 0 && t == f.type && n == f.len);
		CHECK(f.data[f.len] == '\0');
		payload(&f);
		free(f.data);
	}
	close(fd);
	return 0;
}
