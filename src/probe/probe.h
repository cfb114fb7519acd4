/* SPDX-License-Identifier: MIT */
/*
 * Probe modules: one file per probe, each a const vtable. A probe builds its
 * packets from a template and validates replies statelessly with the cookie
 * of src/core/cookie.h; all per-scan state is in struct probe_ctx.
 */
#ifndef FP_PROBE_H
#define FP_PROBE_H

#include "../core/common.h"
#include "../core/cookie.h"
#include "../io/pktio.h"
#include "../net/packet.h"
#include "finding.h"
#include "tcp_syn.h"

struct udp_user_payloads;

/*
 * Per-scan facts every probe reads. The caller fills the first group, then
 * calls probe_ctx_setup() once, before the first prepare, make or classify.
 */
struct probe_ctx {
	uint8_t key[16];        /* cookie key */
	uint8_t src_mac[6];
	uint8_t dst_mac[6];     /* next hop */
	u128 src4, src6;        /* our source addresses (0 when absent) */
	uint64_t t0_ns;         /* clock_ns() at scan start; now_us counts from it */
	const struct udp_user_payloads *udp_user; /* the user's UDP payloads, or NULL */

	/* Derived by probe_ctx_setup(). */
	struct cookie_ctx ck;   /* cookies from key, src4 and src6 */
	/* The probes' own parts, each written by its probe's setup only. */
	struct syn_ctx syn;     /* tcp_syn */
};

/*
 * Derives the rest of c from the first group: the cookie state (batch
 * implementation cookie_impl, or the fastest when NULL), then each probe's
 * own part (its setup hook). Returns 0 or FP_ENOTSUP for an unknown
 * cookie_impl (c is then set up with the default).
 */
int probe_ctx_setup(struct probe_ctx *c, const char *cookie_impl);

/* The cookie of a probe to dst:dport, from our source of dst's family. */
static inline uint64_t probe_cookie(const struct probe_ctx *c, u128 dst, uint16_t dport,
				    uint8_t proto)
{
	return cookie_of(&c->ck, addr_is_v4(dst) ? c->src4 : c->src6, dst, dport, proto);
}

struct probe {
	const char *name;
	uint8_t proto;          /* FP_PROTO_* it serves */
	/*
	 * setup: NULL, or derives the probe's own part of c (and nothing
	 * else) from the caller's facts and the cookie state. Runs once per
	 * scan, in probe_ctx_setup(), before any prepare, make or classify.
	 */
	void (*setup)(struct probe_ctx *c);
	/*
	 * prepare: writes every byte that does not depend on the target into
	 * buf (cap >= PROBE_MAX_FRAME) for the family (v6 or not). Runs once per
	 * TX buffer, or again when the buffer is reused for another family.
	 * Returns the frame length.
	 */
	size_t (*prepare)(const struct probe_ctx *c, bool v6, uint8_t *buf, size_t cap);
	/*
	 * make: writes the per-target fields (destination address, ports,
	 * cookie, timestamp, checksums) into a buffer that prepare filled for
	 * dst's family. cookie is probe_cookie(c, dst, dport, proto), which
	 * the sender computes in batches. Runs once per probe sent: keep it
	 * cheap. Returns the frame length.
	 */
	size_t (*make)(const struct probe_ctx *c, uint8_t *buf, u128 dst, uint16_t dport,
		     uint32_t now_us, uint64_t cookie);
	/*
	 * classify: looks at a parsed packet. Returns 1 and fills f (addr, port,
	 * proto, state, reason, ttl, rtt_us) when it is a valid reply to one of
	 * this probe's packets; 0 when it is not addressed to this probe at all;
	 * -1 when it claims to be (our port range, our protocol) but fails
	 * validation. Runs on the receive thread.
	 */
	int (*classify)(const struct probe_ctx *c, const struct pkt *p, uint32_t now_us,
			struct finding *f);
};

extern const struct probe probe_tcp_syn;
extern const struct probe probe_quic;
extern const struct probe probe_udp;

/* The probe that serves a protocol, or NULL. */
const struct probe *probe_for(uint8_t proto);

/* Offers p to every probe, each with f zeroed first: 1 valid (f filled), 0 not
 * ours, -1 invalid. */
int probe_classify(const struct probe_ctx *c, const struct pkt *p, uint32_t now_us,
		   struct finding *f);

#endif
