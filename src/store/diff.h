/* SPDX-License-Identifier: MIT */
/*
 * Exposure comparison: what one scan found per (address, port, protocol),
 * and the exposure_change events between two scans. No database here: the
 * store loads both sides, this compares them.
 */
#ifndef FP_STORE_DIFF_H
#define FP_STORE_DIFF_H

#include "store.h"

/* What a scan knows of one port. Strings live in the side's arena. */
struct diff_port {
	unsigned __int128 key;  /* the address as a number (sort order) */
	const char *ip;
	uint16_t port;
	char protocol[8];
	const char *state;      /* port_state's state; NULL: no port_state finding */
	const char *reason;
	const char *time;
	bool has_service;       /* a service finding came */
	const char *service, *product, *version, *cert_sha256;
	const char *confirmed;  /* a re-probe's state, or NULL */
	size_t seq;             /* order of adding: of two findings of one kind, the first counts */
};

struct diff_side {
	struct diff_port *v;
	size_t n, cap;
	struct diff_chunk *arena;
	bool sorted;
};

void diff_side_init(struct diff_side *d);
void diff_side_free(struct diff_side *d);

/* Adds a finding (kind port_state or service; others are ignored). Two
 * findings of the same port merge. 0, or -1 (out of memory, bad address). */
int diff_side_add(struct diff_side *d, const struct store_event *ev);
/* Records a re-probe result for a port (adds the port if needed). */
int diff_side_confirm(struct diff_side *d, const char *ip, uint16_t port,
		      const char *protocol, const char *state);
/* Sorts by (address, port, protocol) and merges duplicates; call once
 * after the last add and before the functions below (they call it). */
void diff_side_finish(struct diff_side *d);

/* Whether the port counts as open: a port_state "open", a service found,
 * or a re-probe that found it open. */
bool diff_port_open(const struct diff_port *p);

enum diff_change {
	DIFF_OPENED = 1,
	DIFF_CLOSED,
	DIFF_SERVICE_CHANGED,
};

const char *diff_change_name(enum diff_change c);

/* Context of the events: the scan pair, the scope and the event time. */
struct diff_ctx {
	const char *from_scan, *to_scan;
	const char *scope;  /* may be NULL */
	const char *time;   /* RFC 3339: the to scan's end (or start) */
};

/*
 * Compares before and after. For each change (in address, port, protocol
 * order) calls cb with the change, the port on each side (NULL where that
 * side has no finding) and the threat_event_v1 exposure_change event (one
 * line, no newline; valid during the call). A port is closed when it was
 * open before and is not open after; whether it was re-probed shows in
 * after->confirmed. service_changed: open on both sides, a service
 * finding on both, and the name, product, version or certificate SHA-256
 * differ. cb returns non-zero to stop (returned). -1: out of memory.
 */
typedef int (*diff_cb)(enum diff_change c, const struct diff_port *before,
		       const struct diff_port *after, const char *json, size_t len, void *ud);
int diff_run(struct diff_side *before, struct diff_side *after, const struct diff_ctx *ctx,
	     diff_cb cb, void *ud);

/*
 * A finished side as text, the store's copy of a complete scan's side
 * (scan_sides), read back instead of the scan's findings:
 *   "fastport-side 1 N\n", then N lines in port order, each 12 fields
 *   separated by tabs: address, port, protocol, flags (hex: which of the
 *   nine string fields and has_service are present), state, reason,
 *   service, product, version, cert_sha256, confirmed, time. In strings a
 *   backslash, tab, newline and carriage return are written \\ \t \n \r.
 * diff_side_dump returns it (malloc'd, NUL-terminated, *len its length;
 * without times unless times) or NULL when memory ran out. diff_side_undump reads one into an empty
 * side, finished: 0, or -1 when the text is not exactly such a text
 * (ports out of order or twice, a field too many or missing, a bad
 * escape, address or number) or memory ran out; the side is then freed
 * (empty).
 */
char *diff_side_dump(struct diff_side *d, bool times, size_t *len);
int diff_side_undump(struct diff_side *d, const char *text, size_t len);

/* Calls cb for every port of either side, in (address, port, protocol)
 * order, with its record on each side (NULL where that side has none).
 * cb returns non-zero to stop (returned). */
int diff_walk(struct diff_side *before, struct diff_side *after,
	      int (*cb)(const struct diff_port *before, const struct diff_port *after, void *ud),
	      void *ud);

/* Ports open before and not open after, without looking at confirmations:
 * the candidates to re-probe before reporting them closed. */
int diff_close_candidates(struct diff_side *before, struct diff_side *after,
			  int (*cb)(const struct diff_port *p, void *ud), void *ud);

#endif
