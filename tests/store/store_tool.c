/* SPDX-License-Identifier: MIT */
/*
 * A test driver for the results store, usable before the CLI carries it:
 *   store_tool ingest --store URL --scope KEY [--scope-desc TEXT]
 *              [--state complete|interrupted|failed|running] [--batch N]
 *              [--batch-ms MS] [--confirm IP/PROTO/PORT=STATE ...] < events.ndjson
 *   store_tool candidates --store URL --scan ID
 *   store_tool confirm --store URL --scan ID --port IP/PROTO/PORT --state S
 *   store_tool end --store URL --scan ID --state S [--shard K]
 *   store_tool mark --store URL --scan ID --state interrupted|failed
 *   store_tool scope TARGETS PORTS [EXCLUDES]
 *   store_tool scans|diff|export ...   (the fastport commands)
 * ingest feeds each line to the store sink as the scanner's callback
 * would, then ends the scan (--state, default: from the stream) and
 * prints the exposure_change events; on standard error it prints
 * "ingested N events in S s (R events/s)".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/cmd.h"
#include "store/cmd_common.h"
#include "store/sink_store.h"

enum { O_STORE = 256, O_SCOPE, O_SCOPE_DESC, O_STATE, O_BATCH, O_BATCH_MS, O_SCAN, O_PORT,
       O_SHARD, O_CONFIRM };

static const struct cmd_opt opts[] = {
	{ "store", O_STORE, "URL", "the store" },
	{ "scope", O_SCOPE, "KEY", "ingest: the scan's scope key" },
	{ "scope-desc", O_SCOPE_DESC, "TEXT", "ingest: its description" },
	{ "state", O_STATE, "STATE", "complete, interrupted, failed or running" },
	{ "batch", O_BATCH, "N", "ingest: commit every N events" },
	{ "batch-ms", O_BATCH_MS, "MS", "ingest: and every MS milliseconds" },
	{ "scan", O_SCAN, "ID", "the scan" },
	{ "port", O_PORT, "IP/PROTO/PORT", "confirm: the port" },
	{ "shard", O_SHARD, "K", "end: the shard" },
	{ "confirm", O_CONFIRM, "IP/PROTO/PORT=STATE", "ingest: a re-probe result (repeatable)" },
};

static const struct cmd tool = {
	"store_tool", "ingest|candidates|confirm|end|mark|scope|scans|diff|export ...",
	"Drives the results store for tests.", opts, sizeof(opts) / sizeof(opts[0]),
};

struct args {
	const char *store, *scope, *scope_desc, *scan, *port, *state;
	unsigned batch, batch_ms, shard;
	const char *confirm[64];
	size_t nconfirm;
};

static int parse_port(const char *s, struct store_port *p, const char **rest)
{
	char proto[8];
	unsigned port;
	int n = 0;
	const char *slash = strchr(s, '/');

	memset(p, 0, sizeof(*p));
	if (!slash || (size_t)(slash - s) >= sizeof(p->ip) ||
	    sscanf(slash + 1, "%7[a-z]/%u%n", proto, &port, &n) != 2 || port > 65535)
		return -1;
	memcpy(p->ip, s, (size_t)(slash - s));
	snprintf(p->protocol, sizeof(p->protocol), "%s", proto);
	p->port = (uint16_t)port;
	if (rest)
		*rest = slash + 1 + n;
	return 0;
}

static int print_change(const char *json, size_t len, void *ud)
{
	(void)ud;
	fwrite(json, 1, len, stdout);
	putchar('\n');
	return 0;
}

/* The confirm callback: the results given with --confirm. */
static int confirm_cb(struct store_port *c, size_t n, void *ud)
{
	const struct args *a = ud;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < a->nconfirm; j++) {
			struct store_port p;
			const char *rest;

			if (parse_port(a->confirm[j], &p, &rest) == 0 && *rest == '=' &&
			    !strcmp(p.ip, c[i].ip) && p.port == c[i].port &&
			    !strcmp(p.protocol, c[i].protocol))
				snprintf(c[i].confirmed, sizeof(c[i].confirmed), "%s", rest + 1);
		}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ingest(struct args *a)
{
	struct sink_store_opts o = { .scope = a->scope, .scope_desc = a->scope_desc,
				     .batch_events = a->batch, .batch_ms = a->batch_ms,
				     .strict = true };
	struct sink_store *ss = NULL;
	struct sink_store_stats stats;
	struct store *st = NULL;
	enum store_state state;
	char *line = NULL, err[600];
	size_t cap = 0;
	ssize_t n;
	double t0, tq;
	int ret, want = -1;

	if (!a->scope) {
		cmd_err("ingest: --scope KEY is required");
		return EXIT_USAGE;
	}
	if (a->state) {
		if (store_state_parse(a->state, &state) < 0) {
			cmd_err("ingest: --state: unknown state '%s'", a->state);
			return EXIT_USAGE;
		}
		want = (int)state;
	}
	ret = cmd_open_store(a->store, STORE_OPEN_CREATE, &st);
	if (ret)
		return ret;
	if (sink_store_open(&ss, st, &o, err, sizeof(err)) < 0) {
		cmd_err("%s", err);
		store_close(st);
		return 1;
	}
	t0 = now_s();
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (sink_store_event(ss, line, (size_t)n) < 0)
			break;
	}
	free(line);
	tq = now_s() - t0;
	ret = 0;
	if (sink_store_finish(ss, want, a->nconfirm ? confirm_cb : NULL, a, print_change, NULL) < 0) {
		cmd_err("store: %s", sink_store_error(ss));
		ret = 1;
	}
	sink_store_stats(ss, &stats);
	if (!ret) {
		double dt = now_s() - t0;

		fprintf(stderr, "ingested %llu events in %.3f s (%.0f events/s; all queued after"
			" %.3f s), %llu commits, scan %s %s, %zu changes\n",
			(unsigned long long)stats.events, dt,
			dt > 0 ? (double)stats.events / dt : 0.0, tq, (unsigned long long)stats.commits,
			stats.scan_id, want == STORE_RUNNING ? "running" : store_state_name(stats.state),
			stats.changes);
	}
	sink_store_close(ss);
	store_close(st);
	return ret ? ret : cmd_finish_output();
}

static int print_cand(const struct store_port *p, void *ud)
{
	(void)ud;
	printf("%s/%s/%u\n", p->ip, p->protocol, p->port);
	return 0;
}

static int one_scan_cmd(const char *what, struct args *a)
{
	struct store *st = NULL;
	char id[STORE_ID_MAX + 1], now[32];
	enum store_state state = STORE_RUNNING;
	struct store_port p;
	int ret;

	if (!a->scan) {
		cmd_err("%s: --scan ID is required", what);
		return EXIT_USAGE;
	}
	if (!strcmp(what, "confirm") && (!a->state || strspn(a->state, "openclsfitrd|") !=
					  strlen(a->state))) {
		cmd_err("confirm: --state open|closed|filtered|open|filtered is required");
		return EXIT_USAGE;
	}
	if (strcmp(what, "candidates") && strcmp(what, "confirm") &&
	    (!a->state || store_state_parse(a->state, &state) < 0)) {
		cmd_err("%s: --state STATE is required (complete, interrupted, failed)", what);
		return EXIT_USAGE;
	}
	if (!strcmp(what, "confirm") && (!a->port || parse_port(a->port, &p, NULL) < 0)) {
		cmd_err("confirm: --port IP/PROTO/PORT is required");
		return EXIT_USAGE;
	}
	ret = cmd_open_store(a->store, 0, &st);
	if (ret)
		return ret;
	ret = store_resolve_scan(st, a->scan, id);
	store_now(now);
	if (ret == 0) {
		if (!strcmp(what, "candidates"))
			ret = store_close_candidates(st, id, print_cand, NULL);
		else if (!strcmp(what, "confirm"))
			ret = store_confirm(st, id, &p, a->state);
		else if (!strcmp(what, "end"))
			ret = store_end_scan(st, id, a->shard, state, now, print_change, NULL, NULL);
		else
			ret = store_mark_scan(st, id, state, now);
	}
	if (ret) {
		cmd_err("%s: %s", what, store_error(st));
		ret = 1;
	}
	store_close(st);
	return ret ? ret : cmd_finish_output();
}

static int scope(int argc, char **argv)
{
	const char *t[1], *x[1];
	char key[33], *desc = NULL, err[300];
	int ret;

	if (argc < 3) {
		cmd_err("scope: TARGETS PORTS [EXCLUDES]");
		return EXIT_USAGE;
	}
	t[0] = argv[1];
	x[0] = argc > 3 ? argv[3] : NULL;
	ret = store_scope_key(t, 1, x, x[0] ? 1 : 0, argv[2], true, key, &desc, err, sizeof(err));
	if (ret) {
		cmd_err("scope: %s", err);
		return ret == STORE_EUSAGE ? EXIT_USAGE : 1;
	}
	printf("%s %s\n", key, desc);
	free(desc);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	const char *arg, *sub;
	int id;

	if (argc < 2) {
		cmd_usage(&tool, stderr);
		return EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "scans"))
		return cmd_scans(argc - 1, argv + 1);
	if (!strcmp(sub, "diff"))
		return cmd_diff(argc - 1, argv + 1);
	if (!strcmp(sub, "export"))
		return cmd_export(argc - 1, argv + 1);
	if (!strcmp(sub, "scope"))
		return scope(argc - 1, argv + 1);
	while ((id = cmd_getopt(&tool, argc - 1, argv + 1, &arg)) > 0) {
		switch (id) {
		case 'h': return 0;
		case O_STORE: a.store = arg; break;
		case O_SCOPE: a.scope = arg; break;
		case O_SCOPE_DESC: a.scope_desc = arg; break;
		case O_STATE: a.state = arg; break;
		case O_BATCH: a.batch = (unsigned)atoi(arg); break;
		case O_BATCH_MS: a.batch_ms = (unsigned)atoi(arg); break;
		case O_SCAN: a.scan = arg; break;
		case O_PORT: a.port = arg; break;
		case O_SHARD: a.shard = (unsigned)atoi(arg); break;
		case O_CONFIRM:
			if (a.nconfirm < 64)
				a.confirm[a.nconfirm++] = arg;
			break;
		}
	}
	if (id < 0)
		return EXIT_USAGE;
	if (!strcmp(sub, "ingest"))
		return ingest(&a);
	if (!strcmp(sub, "candidates") || !strcmp(sub, "confirm") || !strcmp(sub, "end") ||
	    !strcmp(sub, "mark"))
		return one_scan_cmd(sub, &a);
	cmd_err("unknown command '%s'", sub);
	return EXIT_USAGE;
}
