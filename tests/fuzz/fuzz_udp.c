/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the UDP reply parsers of the payload table: the
 * first byte picks a service, the rest is its reply, parsed from an
 * exactly-sized copy under the cookie the seed corpus was captured with.
 * Seeds (tests/fuzz/corpus/fuzz_udp/real_*) are real daemons' replies, each
 * behind its service's index in udp_payloads[] (a reordered table only
 * makes them seed another parser).
 */
#include <stdlib.h>
#include <string.h>

#include "probe/payloads.h"

/* The cookie of the payloads whose real replies seed the corpus. */
#define CK 0x0123456789abcdefull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct udp_payload *e;
	uint8_t *reply;
	size_t len;
	bool ok;

	if (size < 1)
		return 0;
	e = &udp_payloads[data[0] % udp_payload_count];
	len = size - 1;
	reply = malloc(len ? len : 1);
	if (!reply)
		return 0;
	if (len)
		memcpy(reply, data + 1, len);
	ok = e->parse(reply, len, CK);
	/* A parser is a pure function of its input... */
	check(e->parse(reply, len, CK) == ok);
	/* ...reads only what it is given... */
	check(memcmp(reply, data + 1, len) == 0);
	/* ...and a reply that echoes the cookie in a field answers one
	 * cookie, not its complement (SIP and WS-Discovery search the text,
	 * which may hold both). */
	if (ok && (e->echoes || e->classify) && strcmp(e->name, "sip") &&
	    strcmp(e->name, "ws-discovery"))
		check(!e->parse(reply, len, ~CK));
	/* A protocol's own verdict agrees with parse, and what it fills in
	 * (QUIC's versions, SNMP's product) lies within the reply. */
	if (e->classify) {
		struct finding f;
		int r;

		memset(&f, 0, sizeof(f));
		r = udp_payload_reply(e, reply, len, CK, &f);
		check(r >= -1 && r <= 1 && (r == 1) == ok);
		check((r == 1) == (f.service != NULL));
		check(f.n_quic_versions == 0 ||
		      (f.quic_versions >= reply && f.n_quic_versions <= (len - (size_t)(f.quic_versions - reply)) / 4));
		check(r == 1 || f.n_quic_versions == 0);
		check(f.product_len == 0 ||
		      ((const uint8_t *)f.product >= reply &&
		       f.product_len <= len - (size_t)((const uint8_t *)f.product - reply)));
		check((f.product == NULL) == (f.product_len == 0));
		check((f.version == NULL) == (f.version_len == 0));
		check(r == 1 || (f.product_len == 0 && f.version_len == 0));
	}
	free(reply);
	return 0;
}
