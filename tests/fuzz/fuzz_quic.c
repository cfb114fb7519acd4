/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the QUIC Version Negotiation parser and the QUIC probe's classify. */
#include <stdlib.h>
#include <string.h>

#include "core/cookie.h"
#include "net/checksum.h"
#include "probe/probe.h"
#include "probe/quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool within(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

/* What quic_vn_parse promises about len bytes at buf and sent. */
static void check_vn(const uint8_t *buf, size_t len, uint32_t sent)
{
	static const struct quic_vn zero;
	struct quic_vn vn;
	int rc;

	memset(&vn, 0x5a, sizeof(vn));
	rc = quic_vn_parse(buf, len, sent, &vn);
	check(rc == PKT_OK || rc == PKT_ETRUNC || rc == PKT_EPROTO || rc == PKT_EBADHDR);
	if (rc != PKT_OK) {
		/* No versions (nor anything else) unless it parsed. */
		check(memcmp(&vn, &zero, sizeof(vn)) == 0);
		return;
	}
	check(len >= 11 && (buf[0] & 0x80) && be32_load(buf + 1) == 0);
	check(vn.dcid == buf + 6 && vn.dcid_len == buf[5]);
	check(within(vn.scid, vn.scid_len, buf, len) && vn.scid == vn.dcid + vn.dcid_len + 1);
	check(vn.n_offered >= 1 && vn.n_versions >= 1 && vn.n_versions <= QUIC_VN_MAX_VERSIONS);
	check(vn.n_versions == (vn.n_offered < QUIC_VN_MAX_VERSIONS ? vn.n_offered : QUIC_VN_MAX_VERSIONS));
	check(vn.versions == vn.scid + vn.scid_len && vn.versions + 4 * vn.n_offered == buf + len);
	for (size_t i = 0; i < vn.n_offered; i++)
		check(be32_load(vn.versions + 4 * i) != sent);
	/* Any listed version, taken as the one we sent, rejects the packet. */
	check(quic_vn_parse(buf, len, be32_load(vn.versions + 4 * (vn.n_offered - 1)), &vn) ==
	      PKT_EBADHDR);
	check(memcmp(&vn, &zero, sizeof(vn)) == 0);
}

/* The input as a frame offered to the probes (ICMP quotes, UDP replies). */
static void check_classify(const uint8_t *frame, size_t len)
{
	struct probe_ctx c = { .src4 = ADDR_V4_PREFIX | 0xc6120001u };
	struct finding f;
	struct pkt p;
	int r;

	if (pkt_parse_eth(frame, len, &p) != PKT_OK)
		return;
	probe_ctx_setup(&c, NULL);
	memset(&f, 0, sizeof(f));
	r = probe_quic.classify(&c, &p, 1000, &f);
	check(r == -1 || r == 0 || r == 1);
	if (r == 1) {
		check(f.proto == FP_PROTO_QUIC && f.reason);
		check(f.n_quic_versions <= QUIC_VN_MAX_VERSIONS);
		check(f.n_quic_versions == 0 || within(f.quic_versions, 4u * f.n_quic_versions, frame, len));
		check(f.state != FP_STATE_OPEN || f.n_quic_versions >= 1);
	} else {
		check(f.n_quic_versions == 0 && f.quic_versions == NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	/* An exact-size copy lets ASan see any read past the end. */
	if (size)
		memcpy(copy, data, size);
	check_vn(copy, size, 0x1a2a3a4a);
	check_vn(copy, size, 0);
	check_classify(copy, size);
	free(copy);
	return 0;
}
