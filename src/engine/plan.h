/* SPDX-License-Identifier: MIT */
/*
 * The probe plan: the index space [0, n) of one pass of a scan and the maps
 * between an index and its (address, protocol, port). A range plan is
 * addresses x ports (index = address index * ports + port index); a list
 * plan is an explicit, sorted, de-duplicated list of targets.
 */
#ifndef FP_PLAN_H
#define FP_PLAN_H

#include "../core/addr.h"
#include "../core/ports.h"

struct plan_entry {
	u128 addr;
	uint32_t pp; /* (protocol << 16) | port, as in struct portset */
};

struct plan {
	uint64_t n;
	const struct ipset *addrs;   /* range plan: finished set */
	const struct portset *ports; /* range plan */
	struct plan_entry *list;     /* list plan: sorted by (addr, pp) */
};

/* A range plan over a finished set and a port set; FP_ERANGE if the
 * product does not fit 2^62, FP_EEMPTY if either is empty. */
int plan_range(struct plan *p, const struct ipset *addrs, const struct portset *ports);

/* A list plan: takes ownership of list (malloc'd, n entries); sorts it and
 * drops duplicates. FP_EEMPTY when n is 0. */
int plan_list(struct plan *p, struct plan_entry *list, uint64_t n);

void plan_free(struct plan *p);

static inline void plan_get(const struct plan *p, uint64_t idx, u128 *addr, uint8_t *proto,
			    uint16_t *port)
{
	uint32_t pp;

	if (p->list) {
		*addr = p->list[idx].addr;
		pp = p->list[idx].pp;
	} else {
		uint64_t a = idx / p->ports->n;

		*addr = ipset_at(p->addrs, a);
		pp = p->ports->list[idx - a * p->ports->n];
	}
	*proto = portset_proto(pp);
	*port = portset_port(pp);
}

/* 0 and *idx when (addr, proto, port) is in the plan, else -1. */
int plan_find(const struct plan *p, u128 addr, uint8_t proto, uint16_t port, uint64_t *idx);

/*
 * A hash of what defines the plan: its probes, not how they were written.
 * A range plan hashes its finished address set (sorted, merged, after the
 * exclusions) and its port list (by protocol, then port); a list plan its
 * sorted, de-duplicated entries. So targets given in another order, or
 * other exclusions that leave the same set, give the same fingerprint.
 */
uint64_t plan_fingerprint(const struct plan *p);

/* FNV-1a 64 over integers as little-endian bytes, the same on any host
 * (plan and resume fingerprints). */
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline uint64_t fnv_byte(uint64_t h, uint8_t b)
{
	return (h ^ b) * FNV_PRIME;
}

static inline uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		h = fnv_byte(h, (uint8_t)(v >> (8 * i)));
	return h;
}

static inline uint64_t fnv_u128(uint64_t h, u128 v)
{
	return fnv_u64(fnv_u64(h, (uint64_t)v), (uint64_t)(v >> 64));
}

#endif
