/* SPDX-License-Identifier: MIT */
/* The ?since= of GET /v1/changes: an RFC 3339 time or a scan id. */
#ifndef FP_SERVE_SINCE_H
#define FP_SERVE_SINCE_H

#define SINCE_ID_MAX 128 /* the store's STORE_ID_MAX */

enum since_kind { SINCE_BAD = -1, SINCE_TIME = 0, SINCE_SCAN = 1 };

/*
 * Reads s (NUL-terminated). SINCE_TIME: an RFC 3339 date-time
 * ("2026-12-05T10:00:00Z"; a fraction of any length, of which
 * microseconds count, and a +hh:mm/-hh:mm offset allowed; 'T' and 'Z' in
 * either case), written to out in the store's form, UTC with
 * microseconds ("2026-12-05T10:00:00.000000Z", 27 characters), which
 * sorts as time does. SINCE_SCAN: 4..SINCE_ID_MAX lowercase hex digits (a
 * scan id or a prefix of one; out untouched). SINCE_BAD otherwise.
 */
enum since_kind since_parse(const char *s, char out[static 32]);

#endif
