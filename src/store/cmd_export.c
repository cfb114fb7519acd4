/* SPDX-License-Identifier: MIT */
/* fastport export: one stored scan as NDJSON events or CSV findings. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_common.h"

enum { O_STORE = 256, O_SCAN, O_FORMAT };

static const struct cmd_opt opts[] = {
	{ "store", O_STORE, "URL", "the store: sqlite:PATH, sqlite: or postgresql://..." },
	{ "scan", O_SCAN, "ID", "the scan (a unique prefix of at least 4 characters will do)" },
	{ "format", O_FORMAT, "FMT", "ndjson (every stored event, default) or csv (findings)" },
};

static const struct cmd cmd = {
	"export", "--store URL --scan ID [--format ndjson|csv]",
	"Writes a stored scan: its threat_event_v1 events as stored (ndjson), or one CSV\n"
	"row per finding.",
	opts, sizeof(opts) / sizeof(opts[0]),
};

static int ndjson_out(const struct store_event *ev, void *ud)
{
	(void)ud;
	if (!ev->json)
		return 0;
	fwrite(ev->json, 1, ev->json_len, stdout);
	putchar('\n');
	return ferror(stdout) ? 1 : 0;
}

/* An RFC 4180 field: quoted when it holds a comma, quote or line break. */
static void csv_field(const char *v, bool last)
{
	if (v && v[strcspn(v, ",\"\r\n")]) {
		putchar('"');
		for (; *v; v++) {
			if (*v == '"')
				putchar('"');
			putchar(*v);
		}
		putchar('"');
	} else if (v) {
		fputs(v, stdout);
	}
	putchar(last ? '\n' : ',');
}

static int csv_out(const struct store_event *ev, void *ud)
{
	char port[8];

	(void)ud;
	if (!store_event_is_finding(ev))
		return 0;
	snprintf(port, sizeof(port), "%u", ev->port);
	csv_field(ev->scan_id, false);
	csv_field(ev->time, false);
	csv_field(ev->ip, false);
	csv_field(port, false);
	csv_field(ev->protocol, false);
	csv_field(ev->kind, false);
	csv_field(ev->state, false);
	csv_field(ev->reason, false);
	csv_field(ev->service, false);
	csv_field(ev->product, false);
	csv_field(ev->version, false);
	csv_field(ev->cert_sha256, true);
	return ferror(stdout) ? 1 : 0;
}

void cmd_export_help(FILE *f)
{
	cmd_help_body(&cmd, f);
}

int cmd_export(int argc, char **argv)
{
	const char *url = NULL, *scan = NULL, *format = "ndjson", *arg;
	char id_full[STORE_ID_MAX + 1];
	struct store *st = NULL;
	bool csv;
	int id, ret;

	while ((id = cmd_getopt(&cmd, argc, argv, &arg)) > 0) {
		switch (id) {
		case 'h': return 0;
		case O_STORE: url = arg; break;
		case O_SCAN: scan = arg; break;
		case O_FORMAT: format = arg; break;
		}
	}
	if (id < 0)
		return EXIT_USAGE;
	if (cmd_optind() < argc) {
		cmd_err("export: unexpected argument '%s'", argv[cmd_optind()]);
		return EXIT_USAGE;
	}
	if (!scan) {
		cmd_err("export: --scan ID is required (see fastport scans)");
		return EXIT_USAGE;
	}
	if (!strcmp(format, "nmap-xml") || !strcmp(format, "ocsf")) {
		cmd_err("export: --format %s is not supported yet (ndjson, csv)", format);
		return EXIT_USAGE;
	}
	if (strcmp(format, "ndjson") && strcmp(format, "csv")) {
		cmd_err("export: --format: unknown format '%s' (ndjson, csv)", format);
		return EXIT_USAGE;
	}
	csv = !strcmp(format, "csv");
	ret = cmd_open_store(url, 0, &st);
	if (ret)
		return ret;
	if (store_resolve_scan(st, scan, id_full) < 0) {
		cmd_err("export: %s", store_error(st));
		ret = 1;
		goto out;
	}
	if (csv)
		puts("scan_id,time,ip,port,protocol,kind,state,reason,service,product,version,"
		     "cert_sha256");
	ret = csv ? store_load_findings(st, id_full, csv_out, NULL)
		  : store_load_events(st, id_full, ndjson_out, NULL);
	if (ret) {
		cmd_err("export: %s", ret == STORE_EFAIL ? store_error(st) : "writing the output failed");
		ret = 1;
	}
out:
	store_close(st);
	return ret ? ret : cmd_finish_output();
}
