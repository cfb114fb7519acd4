/* SPDX-License-Identifier: MIT */
/* The sensor's scope: its --allow set and the check of a task's addresses against it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/ipset.h"
#include "core/reserved.h"
#include "core/targets.h"
#include "serve/scope.h"

struct serve_scope {
	struct ipset allow;
	struct ipset reserved; /* reserved ranges: lab and documentation blocks */
	struct ipset never;    /* never scanned: 0/8, multicast, ... */
	bool allow_reserved;
};

int scope_new(struct serve_scope **out, bool allow_reserved)
{
	struct serve_scope *sc = calloc(1, sizeof(*sc));
	struct ipset all;
	int ret = -1;

	if (!sc)
		return -1;
	ipset_init(&sc->allow);
	ipset_init(&sc->reserved);
	ipset_init(&sc->never);
	ipset_init(&all);
	sc->allow_reserved = allow_reserved;
	/* With allow_reserved the library leaves out exactly the reserved
	 * ranges: what is left is never scanned, the difference is reserved.
	 * The sets are never finished (ff00::/8 is beyond a sweep's size):
	 * subtracting sorts and merges, which is all the check needs. */
	if (ipset_add_builtin_excludes(&sc->never, true) < 0 ||
	    ipset_add_builtin_excludes(&all, false) < 0 ||
	    ipset_subtract(&all, &sc->never) < 0)
		goto out;
	sc->reserved = all;
	ipset_init(&all);
	ret = 0;
out:
	ipset_free(&all);
	if (ret < 0)
		scope_free(sc);
	else
		*out = sc;
	return ret;
}

int scope_allow(struct serve_scope *sc, const char *spec, char *err, size_t errlen)
{
	return ipset_add_spec(&sc->allow, spec, err, errlen) < 0 ? -1 : 0;
}

void scope_free(struct serve_scope *sc)
{
	if (!sc)
		return;
	ipset_free(&sc->allow);
	ipset_free(&sc->reserved);
	ipset_free(&sc->never);
	free(sc);
}

/* "A-B", or "A" for one address, or "A/len" when the range is one block. */
static void range_format(const struct ipset_range *r, char *buf, size_t len)
{
	char lo[ADDR_STRLEN], hi[ADDR_STRLEN];
	u128 size = r->hi - r->lo;
	int bits = addr_is_v4(r->lo) ? 32 : 128;

	addr_format(r->lo, lo);
	addr_format(r->hi, hi);
	if (r->lo == r->hi) {
		snprintf(buf, len, "%s", lo);
		return;
	}
	/* One CIDR block: size+1 a power of two and lo aligned to it. */
	if (size != U128_MAX && !((size + 1) & size) && !(r->lo & size)) {
		int host = 0;

		while (((u128)1 << host) != size + 1)
			host++;
		snprintf(buf, len, "%s/%d", lo, bits - host);
		return;
	}
	snprintf(buf, len, "%s-%s", lo, hi);
}

/* a \ b into *out (a copy of a, then subtracted). */
static int set_minus(const struct ipset *a, const struct ipset *b, struct ipset *out)
{
	ipset_init(out);
	for (size_t i = 0; i < a->n; i++)
		if (ipset_add(out, a->r[i].lo, a->r[i].hi) < 0)
			return -1;
	return ipset_subtract(out, b) < 0 ? -1 : 0;
}

int scope_check(const struct serve_scope *sc, char *const *targets, size_t ntargets,
		char *const *exclude, size_t nexclude, bool task_allow_reserved, char *err,
		size_t errlen)
{
	struct ipset t, x, outside, notres, res;
	char e[256], range[2 * ADDR_STRLEN + 2];
	int ret = -1;

	ipset_init(&t);
	ipset_init(&x);
	ipset_init(&outside);
	ipset_init(&notres);
	ipset_init(&res);
	for (size_t i = 0; i < ntargets; i++)
		if (ipset_add_spec(&t, targets[i], e, sizeof(e)) < 0) {
			snprintf(err, errlen, "targets: %s", e);
			goto out;
		}
	for (size_t i = 0; i < nexclude; i++)
		if (ipset_add_spec(&x, exclude[i], e, sizeof(e)) < 0) {
			snprintf(err, errlen, "exclude: %s", e);
			goto out;
		}
	if (ipset_subtract(&t, &x) < 0 || ipset_subtract(&t, &sc->never) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Outside --allow. */
	if (set_minus(&t, &sc->allow, &outside) < 0)
		goto oom;
	if (outside.n) {
		range_format(&outside.r[0], range, sizeof(range));
		snprintf(err, errlen, "%s is outside this sensor's --allow scope", range);
		ret = 1;
		goto out;
	}
	/* Reserved: t minus (t minus reserved) is t's reserved part. */
	if (set_minus(&t, &sc->reserved, &notres) < 0 || set_minus(&t, &notres, &res) < 0)
		goto oom;
	if (res.n && (!sc->allow_reserved || !task_allow_reserved)) {
		range_format(&res.r[0], range, sizeof(range));
		snprintf(err, errlen, "%s is in a reserved range: %s", range,
			 !sc->allow_reserved ? "this sensor runs without --allow-reserved"
					     : "the task needs \"allow_reserved\":true");
		ret = 1;
		goto out;
	}
	ret = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	ret = -1;
out:
	ipset_free(&t);
	ipset_free(&x);
	ipset_free(&outside);
	ipset_free(&notres);
	ipset_free(&res);
	return ret;
}
