/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for port specs: list order, reverse index and idempotent re-adding. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/*
 * Checks the sorted list and the reverse index. Walking the whole index (3
 * x 65536 entries) costs more than parsing, so it runs for one input in
 * sixteen (full); the others check every listed port and its neighbours.
 */
static void check_consistent(const struct portset *p, bool full)
{
	uint32_t per[PORTS_NPROTO] = { 0 };

	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t e = p->list[i];
		uint8_t proto = portset_proto(e);

		CHECK(i == 0 || e > p->list[i - 1]);
		CHECK(proto < PORTS_NPROTO && (e >> 16) == proto);
		CHECK(portset_find(p, proto, portset_port(e)) == (int32_t)i);
		per[proto]++;
		/* A neighbour is listed exactly when the list has it next. */
		if (portset_port(e) < 65535) {
			bool next = i + 1 < p->n && p->list[i + 1] == e + 1;

			CHECK((portset_find(p, proto, (uint16_t)(portset_port(e) + 1)) >= 0) == next);
		}
	}
	if (!full)
		return;
	for (int k = 0; k < PORTS_NPROTO; k++) {
		uint32_t mapped = 0;

		CHECK(!p->index[k] == !per[k]);
		if (!p->index[k])
			continue;
		for (uint32_t port = 0; port < 65536; port++) {
			int32_t v = p->index[k][port];

			CHECK(v >= -1 && v < (int32_t)p->n);
			if (v >= 0) {
				CHECK(p->list[v] == ((uint32_t)k << 16 | port));
				mapped++;
			}
		}
		CHECK(mapped == per[k]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct portset p;
	char err[256], *buf, *bar;
	uint32_t n, *copy = NULL;
	bool full;
	int ret;

	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	portset_init(&p);

	/* "SPEC|SPEC": two calls add up. */
	bar = strchr(buf, '|');
	if (bar)
		*bar = '\0';
	ret = portset_add_spec(&p, buf, err, sizeof(err));
	if (ret) {
		CHECK(ret == FP_EINVAL && p.n == 0 && !p.list);
		CHECK(strncmp(err, "invalid port spec '", 19) == 0);
		goto out;
	}
	CHECK(p.n > 0);
	full = (size * 2654435761u + (size ? data[0] : 0)) % 16 == 0;
	check_consistent(&p, full);

	/* Adding the same spec again changes nothing. */
	n = p.n;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		goto out;
	memcpy(copy, p.list, n * sizeof(*copy));
	CHECK(portset_add_spec(&p, buf, err, sizeof(err)) == 0);
	CHECK(p.n == n && memcmp(copy, p.list, n * sizeof(*copy)) == 0);

	if (bar) {
		ret = portset_add_spec(&p, bar + 1, err, sizeof(err));
		if (ret) {
			/* A failed call leaves the set as it was. */
			CHECK(ret == FP_EINVAL && p.n == n);
			CHECK(memcmp(copy, p.list, n * sizeof(*copy)) == 0);
		} else {
			CHECK(p.n >= n);
			for (uint32_t i = 0; i < n; i++)
				CHECK(portset_find(&p, portset_proto(copy[i]),
						   portset_port(copy[i])) >= 0);
		}
		check_consistent(&p, full);
	}
out:
	free(copy);
	portset_free(&p);
	free(buf);
	return 0;
}
