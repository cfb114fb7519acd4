/* SPDX-License-Identifier: MIT */
/* The fastport command: subcommands from one table, which also writes the usage text. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastport.h"
#include "cli/cli.h"
#include "build_pgo.h"
#ifdef FP_STORE
#include "store/cmd.h"
#endif
#ifdef FP_MCP
#include "mcp/cmd.h"
#endif
#ifdef FP_FLEET
#include "fleet/fleet.h"
#endif

static cli_main_fn cmd_help, cmd_version;

/*
 * Every subcommand: its name, its entry point, what follows its name on
 * the usage line, one line on what it does, and its own help (NULL: the
 * usage line says it all). The first is the default command: a first word
 * that is no command and does not look like one (an option, an address, a
 * CIDR block, a range) starts it with every argument, so the bare
 * `fastport [OPTIONS] TARGET...` is `fastport scan [OPTIONS] TARGET...`.
 */
static const struct cli_cmd {
	const char *name;
	cli_main_fn *run;
	const char *args;
	const char *summary;
	cli_usage_fn *usage;
} cli_cmds[] = {
	{ "scan", cmd_scan, "[OPTIONS] TARGET...", "scan ports, report each finding as an event (default)",
	  cmd_scan_usage },
#ifdef FP_STORE
	{ "scans", cmd_scans, "--store URL [--scope KEY] [--format table|ndjson]",
	  "list the scans kept in a store", cmd_scans_help },
	{ "diff", cmd_diff, "--store URL [--from SCAN] [--to SCAN] [--format table|ndjson|ocsf]",
	  "exposure changes between two complete scans of one scope", cmd_diff_help },
	{ "export", cmd_export, "--store URL --scan ID [--format ndjson|csv|nmap-xml|ocsf]",
	  "write a stored scan as events, CSV, nmap XML or OCSF", cmd_export_help },
#endif
#ifdef FP_SERVE
	{ "serve", cmd_serve, "--allow SPEC ...",
	  "run the tasking and telemetry API (HTTP, JSON, /metrics)", cmd_serve_usage },
#endif
#ifdef FP_MCP
	{ "mcp", cmd_mcp, "[--url URL] [--token-file FILE]",
	  "Model Context Protocol server on stdio, backed by a serve", cmd_mcp_usage },
#endif
#ifdef FP_FLEET
	{ "agent", cmd_agent, "--nats URL --allow SPEC [--name NAME] ...",
	  "run as a fleet sensor: shard tasks from NATS JetStream", cmd_agent_usage },
	{ "submit", cmd_submit, "--nats URL --shards N [OPTIONS] TARGET...",
	  "publish a scan to the fleet as N shard tasks; print its id", cmd_submit_usage },
	{ "results", cmd_results, "--nats URL [--wait] SCAN_ID",
	  "print a fleet scan's findings (NDJSON), each once", cmd_results_usage },
	{ "agents", cmd_agents, "--nats URL [--count N]",
	  "print the fleet agents' heartbeats (NDJSON)", cmd_agents_usage },
#endif
	{ "help", cmd_help, "[COMMAND]", "show this help, or the options of COMMAND", NULL },
	{ "version", cmd_version, "", "print the version and build identity", NULL },
};

#define NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

const char *cli_help = CLI_PROG " --help";

void fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", CLI_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (code == EXIT_USAGE)
		fprintf(stderr, "Try '%s' for more information.\n", cli_help);
	exit(code);
}

static const struct cli_cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(cli_cmds[i].name, name))
			return &cli_cmds[i];
	return NULL;
}

void cli_usage(FILE *f, const char *name)
{
	const struct cli_cmd *c = name ? cmd_find(name) : NULL;

	if (c) {
		fprintf(f, "Usage: %s %s%s%s\n", CLI_PROG, c->name, *c->args ? " " : "", c->args);
		if (c == &cli_cmds[0])
			fprintf(f, "       %s %s   (the same: %s is the default command)\n",
				CLI_PROG, c->args, c->name);
		if (c->usage)
			c->usage(f);
		else
			fprintf(f, "%c%s.\n", c->summary[0] - 'a' + 'A', c->summary + 1);
		return;
	}
	fprintf(f, "Usage: %s [%s] %s\n       %s COMMAND [ARGS...]\n\nCommands:\n", CLI_PROG,
		cli_cmds[0].name, cli_cmds[0].args, CLI_PROG);
	for (size_t i = 0; i < NCMDS; i++) {
		char left[96];

		snprintf(left, sizeof(left), "%s %s", cli_cmds[i].name, cli_cmds[i].args);
		if (strlen(left) > 26)
			fprintf(f, "  %s\n  %-26s %s\n", left, "", cli_cmds[i].summary);
		else
			fprintf(f, "  %-26s %s\n", left, cli_cmds[i].summary);
	}
	fprintf(f, "\nWithout a command fastport runs %s, whose options follow; '%s help COMMAND'\n"
		"shows a command's own.\n\n", cli_cmds[0].name, CLI_PROG);
	cli_cmds[0].usage(f);
}

void cli_version(void)
{
	printf("fastport %s\nbuild-id: %s\nbuild-mode: %s\nrevision: %s\ncompiler: %s\ncpu-target: %s\n",
	       fp_version(), fp_build_id(), fp_build_mode(), fp_source_rev(), fp_compiler(),
	       fp_cpu_target());
	/* Profile-guided optimisation (mk/pgo.mk): no, instrumented or yes. */
	printf("pgo: %s\n", FP_BUILD_PGO);
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h");
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		fatalx(EXIT_USAGE, "help: one command at most");
	if (argc == 2 && !is_help(argv[1]) && !cmd_find(argv[1]))
		fatalx(EXIT_USAGE, "help: unknown command '%s'", argv[1]);
	cli_usage(stdout, argc == 2 && !is_help(argv[1]) ? argv[1] : NULL);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && is_help(argv[1])) {
		cli_usage(stdout, argv[0]);
		return 0;
	}
	if (argc > 1)
		fatalx(EXIT_USAGE, "version: unexpected argument '%s'", argv[1]);
	cli_version();
	return 0;
}

/*
 * A word that reads as a command name: a letter, then letters, digits or
 * '-'. No target does: addresses and blocks start with a digit or hold a
 * ':' (IPv6), and there are no host names.
 */
static bool command_like(const char *a)
{
	if (*a < 'a' || *a > 'z')
		return false;
	for (; *a; a++)
		if (!((*a >= 'a' && *a <= 'z') || (*a >= '0' && *a <= '9') || *a == '-'))
			return false;
	return true;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	char help[64], names[160] = "";

	/* Bare: an option or a target first, or nothing (which the default
	 * command refuses: no targets). argv[0] names the program. */
	if (argc < 2 || !command_like(argv[1]))
		return cli_cmds[0].run(argc, argv);
	c = cmd_find(argv[1]);
	if (!c) {
		for (size_t i = 0; i < NCMDS; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", cli_cmds[i].name);
		fatalx(EXIT_USAGE, "unknown command '%.64s' (commands: %s; targets are addresses, "
		       "CIDR blocks and ranges)", argv[1], names);
	}
	snprintf(help, sizeof(help), "%s %s --help", CLI_PROG, c->name);
	cli_help = help;
	return c->run(argc - 1, argv + 1);
}
