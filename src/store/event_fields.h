/* SPDX-License-Identifier: MIT */
/* The members of a threat_event_v1 line the store reads (event_parse.c). */
#ifndef FP_STORE_EVENT_FIELDS_H
#define FP_STORE_EVENT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each string is the member's value when it is a JSON string, else NULL. */
struct event_fields {
	const char *schema, *event_id, *scan_id, *kind, *time;
	bool target;               /* a "target" member came (of any type) */
	const char *ip, *protocol; /* target.ip, target.protocol */
	bool port_ok;              /* target.port is an integer 0..65535 */
	uint16_t port;
	const char *state, *reason, *rservice; /* result.state, .reason, .service */
	bool svc;                  /* a "service" object came */
	const char *name, *product, *version, *sha256; /* service.*, service.tls.sha256 */
	const char *shard;         /* scan.shard */
	bool interrupted;          /* "interrupted" is true */
};

/*
 * Reads f from one line of n bytes when the line is one the fast reader is
 * sure of (event_fast.c says which): 1, with the strings decoded into buf
 * (at least n + 1 bytes), exactly what jansson would read; or 0 (declined:
 * f is zeroed, parse the line with jansson).
 */
int event_fast_read(const char *line, size_t n, struct event_fields *f, char *buf);

#endif
