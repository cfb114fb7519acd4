/* SPDX-License-Identifier: MIT */
/*
 * What the fastport command's parts share: the subcommands' entry points
 * (main.c's table dispatches to them), the exit statuses and fatalx().
 */
#ifndef FP_CLI_CLI_H
#define FP_CLI_CLI_H
#include <stdio.h>

#define CLI_PROG "fastport"
#define EXIT_USAGE 2

/*
 * What a usage error's hint names: "fastport --help" for the bare form,
 * "fastport scan --help" once a subcommand was named. Set by main.c.
 */
extern const char *cli_help;

/*
 * Prints "fastport: MESSAGE" on standard error and exits with code; a usage
 * error (EXIT_USAGE) adds a line naming cli_help.
 */
void fatalx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/*
 * A subcommand: argv[0] is its name (or "fastport" for the bare form),
 * options and operands follow. Returns the exit status: 0 done, 1 runtime
 * failure, EXIT_USAGE a usage error (most usage errors exit in fatalx()).
 */
typedef int cli_main_fn(int argc, char **argv);

/*
 * A subcommand's help after the "Usage:" lines: what it does, its options
 * from its own table, its exit statuses.
 */
typedef void cli_usage_fn(FILE *f);

/*
 * main.c: the help of one command (cmd NULL: of fastport itself, which
 * lists every command and the default command's options), and the version
 * and build identity.
 */
void cli_usage(FILE *f, const char *cmd);
void cli_version(void);

/* cmd_scan.c: the scan, and the bare `fastport [OPTIONS] TARGET...`. */
cli_main_fn cmd_scan;
cli_usage_fn cmd_scan_usage;

/* src/serve/cmd_serve.c: the tasking and telemetry API (built with SERVE=1). */
cli_main_fn cmd_serve;
cli_usage_fn cmd_serve_usage;

#endif
