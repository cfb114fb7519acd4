/* SPDX-License-Identifier: MIT */
/* The frames and messages of serve's privilege separation: bounded encoders and decoders. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "serve/privsep_proto.h"

/* Per type: the direction it goes, its smallest and largest payload. */
static const struct {
	enum ps_dir dir;
	uint32_t min, max;
} frame_rules[PS_F_NTYPES] = {
	[PS_F_SCAN_ID] = { PS_TO_SCAN, PS_SCAN_ID_LEN, PS_SCAN_ID_LEN },
	[PS_F_RESUME] = { PS_TO_SCAN, 1, PS_BLOB_MAX },
	[PS_F_START] = { PS_TO_SCAN, 2, PS_TASK_MAX },
	[PS_F_EVENT] = { PS_TO_HTTP, 4 + 2, 4 + PS_EVENT_MAX },
	[PS_F_STATS] = { PS_TO_HTTP, PS_STATS_LEN, PS_STATS_LEN },
	[PS_F_CHECKPOINT] = { PS_TO_HTTP, 1, PS_BLOB_MAX },
	[PS_F_DONE] = { PS_TO_HTTP, 4, 4 + PS_ERR_MAX },
	[PS_F_CHECKPOINT_EVERY] = { PS_TO_SCAN, 4, 4 },
};

int ps_frame_check(const uint8_t hdr[static PS_HDR_LEN], enum ps_dir dir, uint32_t *type,
		   uint32_t *len)
{
	uint32_t t, n;

	memcpy(&t, hdr, 4);
	memcpy(&n, hdr + 4, 4);
	if (t == 0 || t >= PS_F_NTYPES || frame_rules[t].dir != dir || n < frame_rules[t].min ||
	    n > frame_rules[t].max)
		return -1;
	*type = t;
	*len = n;
	return 0;
}

/* Reads exactly n bytes: n, 0 at end of stream before any, -1 (a short
 * stream is EPROTO). */
static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (uint8_t *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			if (!got)
				return 0;
			errno = EPROTO;
			return -1;
		}
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int ps_frame_read(int fd, enum ps_dir dir, struct ps_frame *f)
{
	uint8_t hdr[PS_HDR_LEN];
	ssize_t r;

	f->data = NULL;
	r = read_full(fd, hdr, sizeof(hdr));
	if (r <= 0)
		return (int)r;
	if (ps_frame_check(hdr, dir, &f->type, &f->len) < 0) {
		errno = EPROTO;
		return -1;
	}
	f->data = malloc((size_t)f->len + 1);
	if (!f->data)
		return -1;
	if (f->len && read_full(fd, f->data, f->len) != (ssize_t)f->len) {
		if (errno != ENOMEM)
			errno = EPROTO;
		free(f->data);
		f->data = NULL;
		return -1;
	}
	f->data[f->len] = '\0';
	return 1;
}

int ps_frame_write(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	uint8_t hdr[PS_HDR_LEN];
	struct iovec iov[3];
	uint32_t n;
	size_t total, done = 0;

	if (alen + blen > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	n = (uint32_t)(alen + blen);
	memcpy(hdr, &type, 4);
	memcpy(hdr + 4, &n, 4);
	total = sizeof(hdr) + alen + blen;
	while (done < total) {
		/* The iovec of what is left. */
		size_t skip = done, k = 0;
		const struct { const void *p; size_t n; } part[3] = { { hdr, sizeof(hdr) }, { a, alen }, { b, blen } };
		ssize_t w;

		for (size_t i = 0; i < 3; i++) {
			if (skip >= part[i].n) {
				skip -= part[i].n;
				continue;
			}
			iov[k].iov_base = (uint8_t *)(uintptr_t)part[i].p + skip;
			iov[k].iov_len = part[i].n - skip;
			skip = 0;
			k++;
		}
		w = writev(fd, iov, (int)k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

int ps_event_decode(const uint8_t *p, size_t len, uint32_t *kind, const char **json,
		    size_t *json_len)
{
	uint32_t k;

	if (len < 4 + 2 || len > 4 + PS_EVENT_MAX)
		return -1;
	memcpy(&k, p, 4);
	if (k >= 32 || p[4] != '{')
		return -1;
	for (size_t i = 4; i < len; i++)
		if (p[i] == '\0' || p[i] == '\n' || p[i] == '\r')
			return -1;
	*kind = k;
	*json = (const char *)p + 4;
	*json_len = len - 4;
	return 0;
}

/* The counters, in this order, as u64 (the two doubles by their bits). */
#define STATS_U64(X) X(planned) X(sent) X(received) X(valid) X(invalid) X(duplicates) \
	X(dropped) X(open) X(closed) X(filtered) X(open_filtered) X(send_errors) X(excluded) \
	X(elapsed_us)

void ps_stats_encode(const fp_stats_t *st, uint8_t out[static PS_STATS_LEN])
{
	uint64_t v[17], pass = st->pass;
	size_t i = 0;

#define ENC(m) v[i++] = st->m;
	STATS_U64(ENC)
#undef ENC
	v[i++] = pass;
	memcpy(&v[i++], &st->progress, 8);
	memcpy(&v[i++], &st->rate, 8);
	memcpy(out, v, sizeof(v));
}

int ps_stats_decode(const uint8_t *p, size_t len, fp_stats_t *st)
{
	uint64_t v[17];
	double progress, rate;
	size_t i = 0;

	if (len != PS_STATS_LEN)
		return -1;
	memcpy(v, p, sizeof(v));
	memcpy(&progress, &v[15], 8);
	memcpy(&rate, &v[16], 8);
	if (!(progress >= 0 && progress <= 1) || !isfinite(rate) || rate < 0 || v[14] > UINT32_MAX)
		return -1;
	memset(st, 0, sizeof(*st));
	st->struct_size = sizeof(*st);
#define DEC(m) st->m = v[i++];
	STATS_U64(DEC)
#undef DEC
	st->pass = (uint32_t)v[i++];
	st->progress = progress;
	st->rate = rate;
	return 0;
}

int ps_done_decode(const uint8_t *p, size_t len, int *result, char *err, size_t errlen)
{
	int32_t r;

	if (len < 4 || len > 4 + PS_ERR_MAX || errlen <= PS_ERR_MAX)
		return -1;
	memcpy(&r, p, 4);
	if (r > 0 || r < -10000)
		return -1;
	for (size_t i = 4; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return -1;
	memcpy(err, p + 4, len - 4);
	err[len - 4] = '\0';
	*result = r;
	return 0;
}

int ps_ckpt_every_decode(const uint8_t *p, size_t len, uint32_t *ms)
{
	uint32_t v;

	if (len != 4)
		return -1;
	memcpy(&v, p, 4);
	if (v < PS_CKPT_MIN_MS || v > PS_CKPT_MAX_MS)
		return -1;
	*ms = v;
	return 0;
}

bool ps_scan_id_ok(const uint8_t *p, size_t len)
{
	if (len != PS_SCAN_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

void ps_pmsg_encode(const struct ps_pmsg *m, uint8_t out[static PS_PMSG_LEN])
{
	memcpy(out, &m->type, 4);
	memcpy(out + 4, &m->id, 4);
	memcpy(out + 8, &m->pid, 4);
	memcpy(out + 12, &m->value, 4);
}

int ps_pmsg_decode(const uint8_t *p, size_t len, enum ps_pdir dir, struct ps_pmsg *m)
{
	if (len != PS_PMSG_LEN)
		return -1;
	memcpy(&m->type, p, 4);
	memcpy(&m->id, p + 4, 4);
	memcpy(&m->pid, p + 8, 4);
	memcpy(&m->value, p + 12, 4);
	switch (m->type) {
	case PS_P_SPAWN:
		return dir == PS_TO_PARENT ? 0 : -1;
	case PS_P_SIGNAL:
		return dir == PS_TO_PARENT && m->pid > 0 &&
		       (m->value == SIGTERM || m->value == SIGKILL) ? 0 : -1;
	case PS_P_SPAWNED:
		return dir == PS_FROM_PARENT && m->pid > 0 ? 0 : -1;
	case PS_P_SPAWN_FAILED:
		return dir == PS_FROM_PARENT && m->value > 0 ? 0 : -1;
	case PS_P_EXITED:
		return dir == PS_FROM_PARENT && m->pid > 0 ? 0 : -1;
	default:
		return -1;
	}
}
