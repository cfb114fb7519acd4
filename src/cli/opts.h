/* SPDX-License-Identifier: MIT */
/*
 * A subcommand's options as one table (wireguard-tools' habit): getopt's
 * arrays and the usage lines both come from it, so an option cannot be
 * parsed without being listed, or listed without being parsed.
 */
#ifndef FP_CLI_OPTS_H
#define FP_CLI_OPTS_H
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cli_opt {
	const char *name;  /* the long name, without "--" */
	int id;            /* getopt's value; below 256 also the short option */
	const char *arg;   /* the argument's name in the usage, NULL: a flag */
	const char *help;
};

/*
 * Fills lopts (n + 1 entries, the last the terminator) and shorts (at least
 * 3 * n + 1 bytes: each short option, ':' after those with an argument).
 */
void cli_opts_getopt(const struct cli_opt *o, size_t n, struct option *lopts, char *shorts);

/* One aligned line per option: "  -p, --ports SPEC   help". */
void cli_opts_usage(FILE *f, const struct cli_opt *o, size_t n);

/*
 * A whole number of --opt with an optional k/m/g suffix (x1000), within
 * min..max; anything else is a usage error (fatalx) naming the option.
 */
uint64_t cli_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max);

#endif
