/* SPDX-License-Identifier: MIT */
/*
 * The QUIC probe's wire format: what the probe packet carries and the
 * bounded parser for the Version Negotiation packet a server answers with
 * (RFC 9000 sections 6, 15 and 17.2.1).
 */
#ifndef FP_PROBE_QUIC_H
#define FP_PROBE_QUIC_H

#include "../core/common.h"

/*
 * The probe is one UDP datagram with a QUIC long-header packet in a version
 * no server supports, so every QUIC server answers with Version
 * Negotiation. Its fields, all derived from the probe's cookie ck:
 *
 *	version	a reserved version of the 0x?a?a?a?a pattern (RFC 9000
 *		section 15): the high nibble of each byte comes from the cookie,
 *		so a server cannot single out a fixed grease value
 *	DCID	8 bytes: the cookie, big-endian
 *	SCID	8 bytes: 4 bytes derived from the cookie, then the send time
 *		(now_us, big-endian) for the round trip
 *
 * A server's Version Negotiation echoes the SCID as its DCID and the DCID
 * as its SCID, which is how a reply is matched statelessly.
 */
#define QUIC_CID_LEN 8
#define QUIC_PAYLOAD_LEN 1200 /* RFC 9000 section 14.1: servers ignore smaller Initials */
#define QUIC_VN_MAX_VERSIONS 64

static inline uint32_t quic_probe_version(uint64_t ck)
{
	return ((uint32_t)(ck >> 16) & 0xf0f0f0f0u) | 0x0a0a0a0au;
}

/* The 4 bytes of the SCID that come from the cookie (the rest is time). */
static inline uint32_t quic_scid_check(uint64_t ck)
{
	uint64_t x = ck * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(x >> 32) ^ (uint32_t)x;
}

/* A parsed Version Negotiation packet. Pointers point into the parsed
 * buffer; versions holds n_versions (at most QUIC_VN_MAX_VERSIONS)
 * big-endian 32-bit versions, the first of n_offered in the packet. */
struct quic_vn {
	const uint8_t *dcid, *scid;
	uint8_t dcid_len, scid_len;
	const uint8_t *versions;
	uint16_t n_versions;
	size_t n_offered;
};

/*
 * Parses a Version Negotiation packet of exactly len bytes (one UDP
 * payload; VN packets are never coalesced): header form bit set, version
 * 0, DCID and SCID of up to 255 bytes each, then a non-empty list of
 * 32-bit versions that fills the rest exactly. A list that names
 * sent_version is rejected (RFC 9000 section 6.2: the client MUST discard
 * it). Returns PKT_OK and fills out, or a negative pkt_err (out is then
 * zeroed): PKT_ETRUNC when a length runs past len, PKT_EPROTO when it is not
 * a VN packet, PKT_EBADHDR for an empty or ragged list or one that names
 * sent_version.
 */
int quic_vn_parse(const uint8_t *p, size_t len, uint32_t sent_version, struct quic_vn *out);

/*
 * The probe's QUIC packet (QUIC_PAYLOAD_LEN bytes, one UDP payload) with
 * every per-probe field zero: the QUIC probe's template, and the UDP
 * probe's payload for the QUIC ports (src/probe/payloads.c).
 */
extern const uint8_t quic_probe_tmpl[QUIC_PAYLOAD_LEN];

/* Writes the per-probe fields of cookie ck into q, a copy of
 * quic_probe_tmpl: the version, the DCID and the SCID (its time part
 * now_us; 0 where no round trip is measured). */
void quic_probe_fill(uint8_t *q, uint64_t ck, uint32_t now_us);

/*
 * Whether p (len bytes, one UDP payload) answers the probe of cookie ck: a
 * Version Negotiation packet (quic_vn_parse) that echoes the probe's
 * connection IDs, its DCID our SCID and its SCID our DCID. Returns 1 and
 * fills out (the time part of our SCID is at out->dcid + 4); 0 when p is
 * not a Version Negotiation packet at all (the form bit clear, a version
 * other than 0, or fewer than 5 bytes); -1 for one that does not answer ck
 * (other connection IDs, malformed, or offering the probe's own version).
 * out is zeroed unless 1 is returned.
 */
int quic_vn_answer(const uint8_t *p, size_t len, uint64_t ck, struct quic_vn *out);

#endif
