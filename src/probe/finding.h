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
	/* UDP: what the reply tells of the server's software, each
	 * product_len/version_len bytes, not NUL-terminated and as the server
	 * sent them (the event layer makes them printable): product in the
	 * reply frame (SNMP's sysDescr.0; valid only while the finding is
	 * recorded), version in the reply or a constant (NTP's "v4"). NULL
	 * and 0 when the reply says nothing. */
	const char *product, *version;
	uint16_t product_len, version_len;
};

#endif
