/* SPDX-License-Identifier: MIT */
/* The built-in exclusions: addresses no scan may probe, and the reserved ranges only a lab may. */
#include <string.h>

#include "core/reserved.h"
#include "core/targets.h"

/* The built-in exclusions, as CIDR blocks; see the header for why. */
static const struct {
	const char *cidr;
	bool reserved; /* dropped when reserved ranges are allowed */
} builtin_excludes[] = {
	{ "0.0.0.0/8", false },
	{ "224.0.0.0/4", false },
	{ "240.0.0.0/4", false },
	{ "::/128", false },
	{ "ff00::/8", false },
	{ "198.18.0.0/15", true },
	{ "192.0.2.0/24", true },
	{ "198.51.100.0/24", true },
	{ "203.0.113.0/24", true },
	{ "2001:2::/48", true },
	{ "2001:db8::/32", true },
};

int ipset_add_builtin_excludes(struct ipset *s, bool allow_reserved)
{
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(builtin_excludes); i++) {
		const char *c = builtin_excludes[i].cidr;

		if (allow_reserved && builtin_excludes[i].reserved)
			continue;
		ret = ipset_add_token(s, c, strlen(c), NULL, 0);
		if (ret)
			goto out;
	}
out:
	return ret;
}
