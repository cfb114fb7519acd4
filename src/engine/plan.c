/* SPDX-License-Identifier: MIT */
/* Probe plans: index <-> (address, protocol, port) for range and list scans. */
#include <stdlib.h>

#include "plan.h"

int plan_range(struct plan *p, const struct ipset *addrs, const struct portset *ports)
{
	p->list = NULL;
	p->addrs = addrs;
	p->ports = ports;
	p->n = 0;
	if (!addrs->count || !ports->n)
		return FP_EEMPTY;
	if (addrs->count > ((uint64_t)1 << 62) / ports->n)
		return FP_ERANGE;
	p->n = addrs->count * ports->n;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct plan_entry *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->pp > y->pp) - (x->pp < y->pp);
}

int plan_list(struct plan *p, struct plan_entry *list, uint64_t n)
{
	uint64_t w = 0;

	p->addrs = NULL;
	p->ports = NULL;
	p->list = list;
	p->n = 0;
	if (!n)
		return FP_EEMPTY;
	qsort(list, n, sizeof(*list), entry_cmp);
	for (uint64_t i = 0; i < n; i++)
		if (!w || entry_cmp(&list[w - 1], &list[i]) != 0)
			list[w++] = list[i];
	p->n = w;
	return 0;
}

void plan_free(struct plan *p)
{
	free(p->list);
	p->list = NULL;
	p->n = 0;
}

int plan_find(const struct plan *p, u128 addr, uint8_t proto, uint16_t port, uint64_t *idx)
{
	if (p->list) {
		struct plan_entry key = { .addr = addr, .pp = (uint32_t)proto << 16 | port };
		uint64_t lo = 0, hi = p->n;

		while (lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;
			int c = entry_cmp(&p->list[mid], &key);

			if (!c) {
				*idx = mid;
				return 0;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return -1;
	} else {
		uint64_t a;
		int32_t pi = portset_find(p->ports, proto, port);

		if (pi < 0 || ipset_index(p->addrs, addr, &a) < 0)
			return -1;
		*idx = a * p->ports->n + (uint64_t)pi;
		return 0;
	}
}

uint64_t plan_fingerprint(const struct plan *p)
{
	/* A tag of its own, so the hash differs from a resume fingerprint. */
	uint64_t h = fnv_u64(FNV_OFFSET, 0x706c616e2d763031ull); /* "plan-v01" */

	h = fnv_u64(h, p->n);
	if (p->list) {
		h = fnv_u64(h, 1);
		for (uint64_t i = 0; i < p->n; i++)
			h = fnv_u64(fnv_u128(h, p->list[i].addr), p->list[i].pp);
		return h;
	}
	h = fnv_u64(h, 2);
	h = fnv_u64(h, p->addrs->n);
	for (size_t i = 0; i < p->addrs->n; i++)
		h = fnv_u128(fnv_u128(h, p->addrs->r[i].lo), p->addrs->r[i].hi);
	h = fnv_u64(h, p->ports->n);
	for (uint32_t i = 0; i < p->ports->n; i++)
		h = fnv_u64(h, p->ports->list[i]);
	return h;
}
