/* SPDX-License-Identifier: MIT */
/* fastport scans: the stored scans, oldest first. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "cmd_common.h"

enum { O_STORE = 256, O_SCOPE, O_FORMAT };

static const struct cmd_opt opts[] = {
	{ "store", O_STORE, "URL", "the store: sqlite:PATH, sqlite: or postgresql://..." },
	{ "scope", O_SCOPE, "KEY", "only the scans of this scope key" },
	{ "format", O_FORMAT, "FMT", "table (default) or ndjson (one JSON object per scan)" },
};

static const struct cmd cmd = {
	"scans", "--store URL [--scope KEY] [--format table|ndjson]",
	"Lists the stored scans: id, state, shards, start and end, findings, open ports, scope.",
	opts, sizeof(opts) / sizeof(opts[0]),
};

static int row_table(const struct store_scan *sc, void *ud)
{
	int *rows = ud;
	char shards[24];

	if (!(*rows)++)
		printf("%-32s  %-11s  %-6s  %-27s  %-27s  %8s  %8s  %s\n", "SCAN", "STATE", "SHARDS",
		       "STARTED", "ENDED", "FINDINGS", "OPEN", "SCOPE");
	snprintf(shards, sizeof(shards), "%u/%u", sc->shards_complete, sc->shard_count);
	printf("%-32s  %-11s  %-6s  %-27s  %-27s  %8" PRIu64 "  %8" PRIu64 "  %.16s %.60s\n",
	       sc->scan_id, store_state_name(sc->state), shards, sc->started_at,
	       sc->ended_at ? sc->ended_at : "-", sc->findings, sc->open, sc->scope,
	       sc->scope_desc ? sc->scope_desc : "");
	return 0;
}

static int row_json(const struct store_scan *sc, void *ud)
{
	json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:i, s:i, s:s, s:s?, s:I, s:I}",
			      "scan_id", sc->scan_id, "scope", sc->scope,
			      "scope_description", sc->scope_desc, "state",
			      store_state_name(sc->state), "shards", (int)sc->shard_count,
			      "shards_complete", (int)sc->shards_complete, "started_at",
			      sc->started_at, "ended_at", sc->ended_at, "findings",
			      (json_int_t)sc->findings, "open", (json_int_t)sc->open);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	(void)ud;
	json_decref(o);
	if (!s)
		return -1;
	puts(s);
	free(s);
	return 0;
}

void cmd_scans_help(FILE *f)
{
	cmd_help_body(&cmd, f);
}

int cmd_scans(int argc, char **argv)
{
	const char *url = NULL, *scope = NULL, *format = "table", *arg;
	struct store *st = NULL;
	int id, rows = 0, ret;

	while ((id = cmd_getopt(&cmd, argc, argv, &arg)) > 0) {
		switch (id) {
		case 'h': return 0;
		case O_STORE: url = arg; break;
		case O_SCOPE: scope = arg; break;
		case O_FORMAT: format = arg; break;
		}
	}
	if (id < 0)
		return EXIT_USAGE;
	if (cmd_optind() < argc) {
		cmd_err("scans: unexpected argument '%s'", argv[cmd_optind()]);
		return EXIT_USAGE;
	}
	if (strcmp(format, "table") && strcmp(format, "ndjson")) {
		cmd_err("scans: --format: unknown format '%s' (table, ndjson)", format);
		return EXIT_USAGE;
	}
	ret = cmd_open_store(url, 0, &st);
	if (ret)
		return ret;
	if (store_list_scans(st, scope, strcmp(format, "table") ? row_json : row_table, &rows) < 0) {
		cmd_err("%s", store_error(st));
		ret = 1;
	}
	if (!ret && !rows && !strcmp(format, "table"))
		fprintf(stderr, "fastport: no scans stored%s\n", scope ? " for that scope" : "");
	store_close(st);
	return ret ? ret : cmd_finish_output();
}
