/* SPDX-License-Identifier: MIT */
/* threat_event_v1 encoding: one JSON object per event, see
 * docs/threat_event_v1.schema.json. */
#ifndef FP_EVENT_H
#define FP_EVENT_H

#include "json.h"
#include "../probe/finding.h"

#define EVENT_SCHEMA "threat_event_v1"

struct event_ctx {
	char scan_id[33];
	char id_prefix[33]; /* of event ids: the scan_id unless one was given */
	uint64_t seq; /* next event number; atomically incremented */
};

/* scan_id and id_prefix: 32 hex digits from 16 random bytes. */
void event_ctx_init(struct event_ctx *ec, const uint8_t rnd[static 16]);

/* Writes the members every event has, from '{' up to and including the
 * sensor block, followed by a ','; the caller adds its members and '}'. */
void event_head(struct jbuf *b, struct event_ctx *ec, const char *kind);

void event_port_state(struct jbuf *b, struct event_ctx *ec, const struct finding *f);

/* A service event up to and including "service": (TCP port addr:port);
 * the caller appends the service object and the closing '}'. */
void event_service_head(struct jbuf *b, struct event_ctx *ec, u128 addr, uint16_t port);

const char *state_name(unsigned state);

/* Appends the counters object ("counters":{...}) from stats. */
void event_counters(struct jbuf *b, const fp_stats_t *st, double rate_pps, double progress);

#endif
