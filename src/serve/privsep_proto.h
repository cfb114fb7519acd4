/* SPDX-License-Identifier: MIT */
/*
 * The messages of serve's privilege separation (privsep.c), as bytes.
 *
 * Two channels. The parent channel (a SOCK_SEQPACKET pair between the HTTP
 * process and the privileged parent) carries fixed-size messages of
 * PS_PMSG_LEN bytes: spawn a scan child, signal one, and the answers
 * (with the scan channel's descriptor attached by SCM_RIGHTS) and exit
 * reports. The scan channel (a SOCK_STREAM pair between the HTTP process
 * and one scan child) carries frames: a header of two u32 (type, payload
 * length), then the payload. Both ends are the same binary on the same
 * host: integers are in host byte order.
 *
 * Every decoder is told how many bytes it has and demands an exact length
 * or a bounded one, checked before anything is allocated
 * (tests/fuzz/fuzz_privsep.c). Nothing here runs a process.
 */
#ifndef FP_SERVE_PRIVSEP_PROTO_H
#define FP_SERVE_PRIVSEP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fastport.h"

/* ---- the scan channel ---- */

enum ps_frame_type {
	PS_F_SCAN_ID = 1, /* to scan: the scan_id to use, 32 lowercase hex digits (optional) */
	PS_F_RESUME,      /* to scan: a saved state to continue (optional, at most one) */
	PS_F_START,       /* to scan: the task as task.c's JSON; the last frame this way */
	PS_F_EVENT,       /* to HTTP: u32 kind, then one threat_event_v1 line (no newline) */
	PS_F_STATS,       /* to HTTP: the counters, PS_STATS_LEN bytes */
	PS_F_CHECKPOINT,  /* to HTTP: a resume state (fp_scanner_save_state's bytes) */
	PS_F_DONE,        /* to HTTP: i32 result (0 or FP_E*), then the error text; the last frame */
	PS_F_CHECKPOINT_EVERY, /* to scan: u32 ms between resume states, PS_CKPT_MIN_MS.. (optional) */
	PS_F_NTYPES
};

/* Which way a frame goes: each reader accepts only its own direction. */
enum ps_dir { PS_TO_SCAN = 1, PS_TO_HTTP = 2 };

#define PS_HDR_LEN 8
#define PS_TASK_MAX (1u << 20)    /* a task's JSON (a body is 64 KiB at most) */
#define PS_EVENT_MAX (1u << 20)   /* one event line */
#define PS_BLOB_MAX (64u << 20)   /* a resume state: 1 bit per probe, 512 Mi probes */
#define PS_ERR_MAX 512            /* DONE's error text */
#define PS_STATS_LEN (17 * 8)
#define PS_SCAN_ID_LEN 32
#define PS_CKPT_MIN_MS 100
#define PS_CKPT_MAX_MS 3600000

struct ps_frame {
	uint32_t type;   /* enum ps_frame_type */
	uint32_t len;
	uint8_t *data;   /* len bytes and a NUL after them (malloc'd; free it) */
};

/*
 * Checks a frame header for direction dir: a known type going that way
 * and a length within that type's bound (exact for fixed-size frames).
 * Returns 0 with *type and *len, or -1.
 */
int ps_frame_check(const uint8_t hdr[static PS_HDR_LEN], enum ps_dir dir, uint32_t *type,
		   uint32_t *len);

/*
 * Reads one whole frame for direction dir from a blocking stream fd
 * (reads restart after EINTR). Returns 1 and *f (free f->data), 0 at end
 * of stream before a frame began, -1 on a read error, a short stream or a
 * header ps_frame_check refuses (errno EPROTO then).
 */
int ps_frame_read(int fd, enum ps_dir dir, struct ps_frame *f);

/* Writes one frame whose payload is a then b (either may be empty), all
 * of it or -1 (errno): partial writes are continued. */
int ps_frame_write(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen);

/* EVENT: the kind (< 32) and a JSON line of 2.. bytes holding no NUL,
 * CR or LF, starting with '{'. 0 or -1. */
int ps_event_decode(const uint8_t *p, size_t len, uint32_t *kind, const char **json,
		    size_t *json_len);
void ps_stats_encode(const fp_stats_t *st, uint8_t out[static PS_STATS_LEN]);
/* STATS: exactly PS_STATS_LEN bytes; progress within 0..1, rate finite
 * and not negative. 0 or -1. */
int ps_stats_decode(const uint8_t *p, size_t len, fp_stats_t *st);
/* DONE: i32 result, 0 or negative, then 0..PS_ERR_MAX printable bytes
 * (copied into err, NUL-terminated; errlen > PS_ERR_MAX). 0 or -1. */
int ps_done_decode(const uint8_t *p, size_t len, int *result, char *err, size_t errlen);
/* CHECKPOINT_EVERY: exactly 4 bytes, PS_CKPT_MIN_MS..PS_CKPT_MAX_MS. */
int ps_ckpt_every_decode(const uint8_t *p, size_t len, uint32_t *ms);
/* SCAN_ID: exactly 32 lowercase hex digits. */
bool ps_scan_id_ok(const uint8_t *p, size_t len);

/* ---- the parent channel ---- */

enum ps_pmsg_type {
	PS_P_SPAWN = 1,   /* to parent: fork a scan child (id names the request) */
	PS_P_SIGNAL,      /* to parent: send value (SIGTERM or SIGKILL) to scan child pid */
	PS_P_SPAWNED,     /* to HTTP: request id gave scan child pid; its channel attached */
	PS_P_SPAWN_FAILED,/* to HTTP: request id failed with errno value */
	PS_P_EXITED,      /* to HTTP: scan child pid ended with wait status value */
};

enum ps_pdir { PS_TO_PARENT = 1, PS_FROM_PARENT = 2 };

#define PS_PMSG_LEN 16

struct ps_pmsg {
	uint32_t type;
	uint32_t id;
	int32_t pid;
	int32_t value;
};

void ps_pmsg_encode(const struct ps_pmsg *m, uint8_t out[static PS_PMSG_LEN]);
/* Exactly PS_PMSG_LEN bytes, a type going that way, a positive pid where
 * the type names a process, a signal of SIGTERM or SIGKILL. 0 or -1. */
int ps_pmsg_decode(const uint8_t *p, size_t len, enum ps_pdir dir, struct ps_pmsg *m);

#endif
