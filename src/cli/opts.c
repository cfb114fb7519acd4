/* SPDX-License-Identifier: MIT */
/* Option tables: getopt's arrays, usage lines and numbers from one place. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/opts.h"

void cli_opts_getopt(const struct cli_opt *o, size_t n, struct option *lopts, char *shorts)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		lopts[i] = (struct option){ o[i].name, o[i].arg ? required_argument : no_argument,
					    NULL, o[i].id };
		if (o[i].id < 256) {
			shorts[k++] = (char)o[i].id;
			if (o[i].arg)
				shorts[k++] = ':';
		}
	}
	lopts[n] = (struct option){ 0 };
	shorts[k] = '\0';
}

void cli_opts_usage(FILE *f, const struct cli_opt *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char left[64];

		if (o[i].id < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o[i].id, o[i].name,
				 o[i].arg ? " " : "", o[i].arg ? o[i].arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o[i].name, o[i].arg ? " " : "",
				 o[i].arg ? o[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, o[i].help);
	}
}

uint64_t cli_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	if (!*s || *s == '-' || *s == '+')
		fatalx(EXIT_USAGE, "--%s: invalid number '%s'", opt, s);
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		mul = 1000, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1000000, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1000000000, end++;
	if (errno || *end || end == s)
		fatalx(EXIT_USAGE, "--%s: invalid number '%s'", opt, s);
	if (v > max / mul || v * mul < min || v * mul > max)
		fatalx(EXIT_USAGE, "--%s: %s is out of range (%" PRIu64 "-%" PRIu64 ")", opt, s, min, max);
	return v * mul;
}
