/* SPDX-License-Identifier: MIT */
/*
 * UDP probe payloads: one table entry per service (a template, where the
 * probe's cookie goes, a bounded reply parser), and the user's payloads that
 * override the table for a port.
 */
#ifndef FP_PAYLOADS_H
#define FP_PAYLOADS_H

#include "../core/common.h"
#include "finding.h"

/* The largest payload a probe carries (user payloads included). */
#define UDP_PAYLOAD_MAX 1400

struct udp_payload {
	const char *name;       /* service, as in result.service */
	const uint16_t *ports;  /* the ports it is sent to, 0-terminated (may be empty) */
	const uint8_t *tmpl;    /* the payload with every cookie field zero */
	size_t len;
	/*
	 * Writes the cookie into p, a copy of tmpl (len bytes). NULL when the
	 * protocol has no field for it. Cheap: runs once per probe.
	 */
	void (*cookie_write)(uint8_t *p, size_t len, uint64_t cookie);
	/*
	 * Whether reply (len bytes, the UDP payload) is this protocol and,
	 * where the protocol echoes a request field, echoes the cookie. Reads
	 * nothing past len.
	 */
	bool (*parse)(const uint8_t *reply, size_t len, uint64_t cookie);
	/*
	 * True when every reply of the protocol echoes the cookie: a reply that
	 * parse rejects is then not an answer to our probe (counted invalid).
	 * False when some replies cannot carry it: a reply that parse rejects
	 * still shows the port open, without a service name.
	 */
	bool echoes;
	/*
	 * NULL, or the protocol's own verdict on a reply, for protocols that
	 * tell more than parse can: 1 when reply answers cookie (and then f,
	 * when not NULL, gets the protocol's details: QUIC's offered
	 * versions, SNMP's sysDescr.0 as product, NTP's version, pointing
	 * into reply or at constants), 0 when reply is not this protocol
	 * (the port is open, no service named), -1 when it is this protocol
	 * but does not answer cookie (invalid). parse is then this == 1.
	 */
	int (*classify)(const uint8_t *reply, size_t len, uint64_t cookie, struct finding *f);
};

/* Every entry, in table order; udp_payload_count entries. */
extern const struct udp_payload udp_payloads[];
extern const size_t udp_payload_count;

/* The entry sent to port, or NULL (an empty payload is sent). */
const struct udp_payload *udp_payload_for(uint16_t port);

/*
 * The verdict of entry e on a UDP reply (len bytes) to a probe with
 * cookie: 1 when it is e's protocol answering cookie (f->service set to
 * e->name, and e's details, if any, filled in); 0 when it does not parse
 * as e's protocol but may still show the port open (f untouched); -1 when
 * it cannot answer our probe (e echoes and the reply does not, or e's
 * classify says so).
 */
int udp_payload_reply(const struct udp_payload *e, const uint8_t *reply, size_t len,
		      uint64_t cookie, struct finding *f);

/* The entry whose service is name, or NULL. */
const struct udp_payload *udp_payload_named(const char *name);

/*
 * Builds the payload for port into out (cap bytes, cap >= UDP_PAYLOAD_MAX):
 * the template with the cookie written in. Returns its length (0 for a port
 * without an entry).
 */
size_t udp_payload_build(const struct udp_payload *e, uint64_t cookie, uint8_t *out, size_t cap);

/*
 * User payloads (--udp-payload, fp_scanner_add_udp_payload): sorted by
 * port, one per port, each replacing the table entry for its port. Replies
 * to them are validated by the source port alone.
 */
struct udp_user_payload {
	uint16_t port;
	uint16_t len;
	uint8_t *data;          /* len bytes, owned; NULL when len is 0 */
};

struct udp_user_payloads {
	struct udp_user_payload *v;
	size_t n, cap;
};

/* Adds or replaces the payload of port. 0, FP_ERANGE (len > UDP_PAYLOAD_MAX)
 * or FP_ENOMEM (u unchanged). */
int udp_user_add(struct udp_user_payloads *u, uint16_t port, const uint8_t *data, size_t len);

/* The user's payload for port, or NULL. u may be NULL. */
const struct udp_user_payload *udp_user_find(const struct udp_user_payloads *u, uint16_t port);

void udp_user_free(struct udp_user_payloads *u);

#endif
