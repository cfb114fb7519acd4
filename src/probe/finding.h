/* SPDX-License-Identifier: MIT */
/* What a probe's classify reports about one target port: the finding the
 * engine records and the event layer encodes. */
#ifndef FP_FINDING_H
#define FP_FINDING_H

#include "../core/common.h"

/* A port_state finding. rtt_us < 0 means unknown. versions: QUIC only. */
struct finding {
	u128 addr;
	uint16_t port;
	uint8_t proto;
	uint8_t state;      /* fp_state_t */
	uint8_t ttl;        /* 0: unknown */
	const char *reason;
	const char *service; /* NULL or a name such as "dns" */
	int64_t rtt_us;
	/* QUIC: the n_quic_versions versions the server offered, as big-endian
	 * 32-bit words (in the reply frame: valid only while the finding is
	 * recorded; nothing copies them). NULL and 0 otherwise. */
	const uint8_t *quic_versions;
	uint16_t n_quic_versions;
};

#endif
