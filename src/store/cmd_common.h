/* SPDX-License-Identifier: MIT */
/* What the store's commands share: option tables, messages, opening. */
#ifndef FP_STORE_CMD_COMMON_H
#define FP_STORE_CMD_COMMON_H

#include <stdio.h>

#include "store.h"

#define EXIT_USAGE 2

/* One option of a command: parsing and the usage text come from it. */
struct cmd_opt {
	const char *name;
	int id;           /* returned by cmd_getopt; 'h' is --help */
	const char *arg;  /* NULL: a flag */
	const char *help;
};

struct cmd {
	const char *name;     /* "scans" */
	const char *synopsis; /* "--store URL [--scope KEY]" */
	const char *what;     /* one sentence */
	const struct cmd_opt *opts;
	size_t nopts;
};

/* The next option: its id and *arg, 0 at the end of the options (*optind
 * then indexes the first operand), or -1 after printing why the arguments
 * are bad. --help prints the usage and returns 'h'. */
int cmd_getopt(const struct cmd *c, int argc, char **argv, const char **arg);
/* Where cmd_getopt stopped. */
int cmd_optind(void);
void cmd_usage(const struct cmd *c, FILE *f);
/* The help after the usage line: what the command does, its options. */
void cmd_help_body(const struct cmd *c, FILE *f);

/* "fastport: ..." on standard error. */
void cmd_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses url and opens the store: 0, or the exit status after printing
 * the reason (2 for a bad URL, 1 when the store cannot be opened). */
int cmd_open_store(const char *url, unsigned flags, struct store **out);

/* Flushes standard output: 0, or 1 after printing the error. */
int cmd_finish_output(void);

#endif
