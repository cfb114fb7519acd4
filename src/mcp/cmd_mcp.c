/* SPDX-License-Identifier: MIT */
/* `fastport mcp`: its options from one table, then JSON-RPC messages from standard input until it ends. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "mcp/cmd.h"
#include "mcp/http.h"
#include "mcp/mcp.h"

enum opt_id { OPT_HELP = 'h', OPT_URL = 256, OPT_TOKEN_FILE, OPT_CACERT };

static const struct cli_opt mcp_opts[] = {
	{ "url", OPT_URL, "URL", "serve's base URL (default http://127.0.0.1:8700; http:// on loopback only)" },
	{ "token-file", OPT_TOKEN_FILE, "FILE", "serve's bearer token (first line; mode 0600 or stricter)" },
	{ "cacert", OPT_CACERT, "FILE", "CA certificates (PEM) to check an https:// serve against" },
	{ "help", OPT_HELP, NULL, "print this help" },
};

#define NOPTS (sizeof(mcp_opts) / sizeof(mcp_opts[0]))

void cmd_mcp_usage(FILE *f)
{
	fprintf(f, "Serve the Model Context Protocol on standard input and output (JSON-RPC 2.0,\n"
		"one message a line) for an MCP client such as an AI assistant. Its tools task\n"
		"and read a running `fastport serve`: start_scan, get_scan, get_findings,\n"
		"get_changes, list_scans; serve's scope rules apply. docs/MCP.md says more.\n\n"
		"Options:\n");
	cli_opts_usage(f, mcp_opts, NOPTS);
	fprintf(f, "\nStandard output carries JSON-RPC messages only; diagnostics go to standard error.\n"
		"Exit status: 0 standard input ended, 1 runtime failure, 2 usage error.\n");
}

/* The token: the file's first line, which must be private to its owner. */
static char *read_token(const char *path)
{
	char buf[4097];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		fatalx(EXIT_USAGE, "--token-file: cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		fatalx(EXIT_USAGE, "--token-file: '%s' is not a regular file", path);
	if (st.st_mode & 077)
		fatalx(EXIT_USAGE, "--token-file: '%s' is readable by others (chmod 600 it)", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		fatalx(1, "--token-file: reading '%s': %s", path, strerror(errno));
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0])
		fatalx(EXIT_USAGE, "--token-file: '%s' holds no token", path);
	for (const char *p = buf; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			fatalx(EXIT_USAGE, "--token-file: the token holds a space or control character");
	return strdup(buf);
}

struct session {
	struct mcp m;
	FILE *out;          /* the JSON-RPC channel (standard output as it was) */
	bool write_failed;
};

/* One message from standard input (NULL: a line over the limit). */
static bool on_message(void *arg, const char *s, size_t n)
{
	struct session *ss = arg;
	char *text = s ? mcp_handle(&ss->m, s, n) : mcp_too_large();

	if (!s)
		fprintf(stderr, "%s: mcp: a message over %u bytes was skipped\n", CLI_PROG, MCP_MSG_MAX);
	if (!text)
		return true;
	/* Compact JSON holds no newline: one message, one line. */
	if (fputs(text, ss->out) == EOF || fputc('\n', ss->out) == EOF || fflush(ss->out) == EOF)
		ss->write_failed = true;
	free(text);
	return !ss->write_failed;
}

int cmd_mcp(int argc, char **argv)
{
	struct option lopts[NOPTS + 1];
	char shorts[3 * NOPTS + 1], err[512], chunk[65536];
	const char *url = "http://127.0.0.1:8700", *token_file = NULL, *cacert = NULL;
	struct session ss = { 0 };
	struct mcp_backend be = { 0 };
	struct mcp_http *http;
	struct ndjson nd;
	char *token = NULL;
	int c, fd, status = 0;

	cli_opts_getopt(mcp_opts, NOPTS, lopts, shorts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		switch (c) {
		case OPT_URL: url = optarg; break;
		case OPT_TOKEN_FILE: token_file = optarg; break;
		case OPT_CACERT: cacert = optarg; break;
		case OPT_HELP: cli_usage(stdout, "mcp"); return 0;
		case ':': fatalx(EXIT_USAGE, "option '%s' needs an argument", argv[optind - 1]);
		default: fatalx(EXIT_USAGE, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		fatalx(EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (token_file)
		token = read_token(token_file);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx(1, "mcp: cannot initialise libcurl");
	http = mcp_http_open(url, token, cacert, &be, err, sizeof(err));
	if (token)
		explicit_bzero(token, strlen(token));
	free(token);
	if (!http)
		fatalx(strncmp(err, "--url", 5) ? 1 : EXIT_USAGE, "%s", err);

	/*
	 * Standard output is the protocol's channel: it moves to a descriptor
	 * of its own and descriptor 1 becomes standard error, so nothing a
	 * library might print can ever corrupt the stream.
	 */
	fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || !(ss.out = fdopen(fd, "w")))
		fatalx(1, "mcp: cannot set up standard output: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	ss.m.be = &be;
	if (ndjson_init(&nd, MCP_MSG_MAX, on_message, &ss) < 0)
		fatalx(1, "out of memory");
	fprintf(stderr, "%s: mcp: ready, tools backed by %s%s\n", CLI_PROG, be.url,
		token_file ? "" : " (no --token-file: no token is sent)");
	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: mcp: reading standard input: %s\n", CLI_PROG, strerror(errno));
			status = 1;
			break;
		}
		if (n == 0) {
			ndjson_finish(&nd);
			break;
		}
		if (!ndjson_feed(&nd, chunk, (size_t)n))
			break;
	}
	if (ss.write_failed)
		fprintf(stderr, "%s: mcp: standard output closed; stopping\n", CLI_PROG);
	ndjson_free(&nd);
	fclose(ss.out);
	mcp_http_close(http);
	curl_global_cleanup();
	return status;
}
