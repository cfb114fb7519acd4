/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the packet parsers: bounds, result codes and Ethernet/IP agreement. */
#include <stdlib.h>
#include <string.h>

#include "net/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_rc(int rc)
{
	check(rc == PKT_OK || rc == PKT_ETRUNC || rc == PKT_EPROTO ||
	      rc == PKT_EBADHDR || rc == PKT_EFRAG);
}

/* What every successful parse promises about a buffer of len bytes at buf. */
static void check_pkt(const struct pkt *k, const uint8_t *buf, size_t len)
{
	static const struct pkt_l4 zero;

	if (k->payload) {
		check(k->payload >= buf && k->payload <= buf + len);
		check(k->payload_len <= (size_t)(buf + len - k->payload));
	} else {
		check(k->payload_len == 0);
	}
	if (!k->has_ts)
		check(k->tsval == 0 && k->tsecr == 0);
	if (!k->has_inner)
		check(memcmp(&k->inner, &zero, sizeof(zero)) == 0);
	else
		check(k->l4.proto == 1 || k->l4.proto == 58);
	check(k->l4.proto == 6 || k->l4.proto == 17 || k->l4.proto == 1 || k->l4.proto == 58);
}

static bool same_pkt(const struct pkt *a, const uint8_t *abuf, const struct pkt *b, const uint8_t *bbuf)
{
	if (a->l4.src != b->l4.src || a->l4.dst != b->l4.dst || a->l4.proto != b->l4.proto ||
	    a->l4.sport != b->l4.sport || a->l4.dport != b->l4.dport ||
	    a->l4.seq != b->l4.seq || a->l4.ack != b->l4.ack || a->l4.flags != b->l4.flags ||
	    a->ttl != b->ttl || a->has_ts != b->has_ts || a->tsval != b->tsval ||
	    a->tsecr != b->tsecr || a->payload_len != b->payload_len ||
	    a->icmp_type != b->icmp_type || a->icmp_code != b->icmp_code ||
	    a->has_inner != b->has_inner)
		return false;
	if ((a->payload == NULL) != (b->payload == NULL))
		return false;
	if (a->payload && a->payload - abuf != b->payload - bbuf)
		return false;
	return a->inner.src == b->inner.src && a->inner.dst == b->inner.dst &&
	       a->inner.sport == b->inner.sport && a->inner.dport == b->inner.dport &&
	       a->inner.seq == b->inner.seq && a->inner.ack == b->inner.ack &&
	       a->inner.proto == b->inner.proto && a->inner.flags == b->inner.flags &&
	       a->inner.has_ack == b->inner.has_ack;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt k, e;
	uint8_t *frame;
	int rc, erc;

	/* The input as an Ethernet frame. */
	rc = pkt_parse_eth(data, size, &k);
	check_rc(rc);
	if (rc == PKT_OK) {
		check(size >= 14 + 20);
		check_pkt(&k, data, size);
	}

	/* The input as an IP packet, and the same packet behind an Ethernet
	 * header: both parsers must agree. An exact-size copy lets ASan see
	 * any read past the end. */
	rc = pkt_parse_ip(data, size, &k);
	check_rc(rc);
	if (rc == PKT_OK) {
		check(size >= 20);
		check_pkt(&k, data, size);
	}
	frame = malloc(size + 14);
	if (frame) {
		memset(frame, 0, 14);
		frame[12] = size && data[0] >> 4 == 6 ? 0x86 : 0x08;
		frame[13] = size && data[0] >> 4 == 6 ? 0xdd : 0x00;
		if (size)
			memcpy(frame + 14, data, size);
		erc = pkt_parse_eth(frame, size + 14, &e);
		check(erc == rc || (size && data[0] >> 4 != 4 && data[0] >> 4 != 6));
		if (rc == PKT_OK)
			check(same_pkt(&k, data, &e, frame + 14));
		free(frame);
	}

	/* The input as TCP options. */
	memset(&k, 0, sizeof(k));
	rc = pkt_tcp_options(data, size, &k);
	check(rc == PKT_OK || rc == PKT_EBADHDR);
	if (!k.has_ts)
		check(k.tsval == 0 && k.tsecr == 0);
	return 0;
}
