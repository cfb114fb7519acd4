/* SPDX-License-Identifier: MIT */
/* What the store's commands share: option tables, messages, opening. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"

#define MAX_OPTS 16

void cmd_err(const char *fmt, ...)
{
	va_list ap;

	fputs("fastport: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cmd_usage(const struct cmd *c, FILE *f)
{
	fprintf(f, "Usage: fastport %s %s\n", c->name, c->synopsis);
	cmd_help_body(c, f);
}

void cmd_help_body(const struct cmd *c, FILE *f)
{
	fprintf(f, "%s\n\nOptions:\n", c->what);
	for (size_t i = 0; i < c->nopts; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", c->opts[i].name, c->opts[i].arg ? " " : "",
			 c->opts[i].arg ? c->opts[i].arg : "");
		fprintf(f, "  %-24s %s\n", left, c->opts[i].help);
	}
	fprintf(f, "  %-24s %s\n", "--help", "print this help");
	fprintf(f, "\nExit status: 0 done, 1 runtime failure, 2 usage error.\n");
}

static int first_call = 1;

int cmd_getopt(const struct cmd *c, int argc, char **argv, const char **arg)
{
	struct option lo[MAX_OPTS + 2];
	size_t n = c->nopts < MAX_OPTS ? c->nopts : MAX_OPTS;
	int r;

	if (first_call) {
		optind = 0; /* GNU: start over (the commands may run one after another) */
		first_call = 0;
	}
	opterr = 0;
	for (size_t i = 0; i < n; i++)
		lo[i] = (struct option){ c->opts[i].name, c->opts[i].arg ? required_argument
								      : no_argument, NULL, c->opts[i].id };
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ 0 };
	r = getopt_long(argc, argv, "+h", lo, NULL);
	*arg = optarg;
	if (r == -1) {
		first_call = 1;
		return 0;
	}
	if (r == 'h') {
		cmd_usage(c, stdout);
		first_call = 1;
		return 'h';
	}
	if (r == '?' || r == ':') {
		if (optopt && optopt != '?' && optopt < 256)
			cmd_err("%s: unknown option '-%c'", c->name, optopt);
		else if (optopt)
			cmd_err("%s: option '%s' needs an argument", c->name, argv[optind - 1]);
		else
			cmd_err("%s: unknown option '%s'", c->name, argv[optind - 1]);
		cmd_err("try 'fastport %s --help'", c->name);
		first_call = 1;
		return -1;
	}
	return r;
}

int cmd_optind(void)
{
	return optind;
}

int cmd_open_store(const char *url, unsigned flags, struct store **out)
{
	struct store_url u;
	char err[600];
	int ret;

	*out = NULL;
	if (!url) {
		cmd_err("--store URL is required (sqlite:PATH, sqlite: or postgresql://...)");
		return EXIT_USAGE;
	}
	ret = store_url_parse(url, &u, err, sizeof(err));
	if (ret < 0) {
		cmd_err("--store: %s", err);
		return ret == STORE_EUSAGE ? EXIT_USAGE : 1;
	}
	ret = store_open(&u, flags, out, err, sizeof(err));
	store_url_free(&u);
	if (ret < 0) {
		cmd_err("%s", err);
		return 1;
	}
	return 0;
}

int cmd_finish_output(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cmd_err("writing the output: %s", strerror(errno ? errno : EIO));
		return 1;
	}
	return 0;
}
