/* SPDX-License-Identifier: MIT */
/*
 * threat_event_v1 events as OCSF 1.1 events (`fastport export --format
 * ocsf`), on the mapping docs/STORE.md gives and argues:
 *   scan_started, scan_completed -> Scan Activity (6007): Started (1),
 *       Completed (2), Cancelled (3) when interrupted;
 *   port_state -> Network Activity (4001): Open (1) for open, Refuse (5)
 *       for closed, Fail (4) for filtered and open|filtered; the scanned
 *       port is dst_endpoint, the scanner src_endpoint;
 *   service -> Network Activity (4001) Open with dst_endpoint.svc_name and
 *       the tls object (certificate, fingerprints), plus Software
 *       Inventory Info (5020) for an identified product;
 *   exposure_change -> Detection Finding (2004), Create (1).
 * Other kinds (telemetry) have no OCSF class and are left out. What OCSF
 * has no attribute for (TTL, RTT, QUIC versions, fastport's own state
 * names) goes to "unmapped".
 */
#ifndef FP_STORE_OCSF_H
#define FP_STORE_OCSF_H

#include <stddef.h>
#include <stdio.h>

/* What one scan's events share: the scanner's address from scan_started. */
struct ocsf_ctx {
	char source_ip[64];
	const char *line; /* the event being written */
};

/*
 * Writes the OCSF events of one threat_event_v1 line (n bytes) to f, one
 * JSON object per line: 0, 1 or 2 of them. Returns 0, or -1 (not a
 * threat_event_v1 event, out of memory, a write error).
 */
int ocsf_write(struct ocsf_ctx *c, const char *json, size_t n, FILE *f);

#endif
