/* SPDX-License-Identifier: MIT */
/* fastport export: one stored scan as NDJSON events or CSV findings. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_common.h"
#include "nmap_xml.h"
#include "ocsf.h"

enum { O_STORE = 256, O_SCAN, O_FORMAT };

static const struct cmd_opt opts[] = {
	{ "store", O_STORE, "URL", "the store: sqlite:PATH, sqlite: or postgresql://..." },
	{ "scan", O_SCAN, "ID", "the scan (a unique prefix of at least 4 characters will do)" },
	{ "format", O_FORMAT, "FMT", "ndjson (every stored event, default), csv (findings), nmap-xml or ocsf" },
};

static const struct cmd cmd = {
	"export", "--store URL --scan ID [--format ndjson|csv|nmap-xml|ocsf]",
	"Writes a stored scan: its threat_event_v1 events as stored (ndjson), one CSV\n"
	"row per finding, nmap's XML output (as nmap -oX writes it: for ndiff and the\n"
	"tools that read nmap's results), or OCSF 1.1 events (Scan Activity, Network\n"
	"Activity, Software Inventory Info; docs/STORE.md has the mapping).",
	opts, sizeof(opts) / sizeof(opts[0]),
};

static int xml_in(const struct store_event *ev, void *ud)
{
	return ev->json && nmap_xml_event(ud, ev->json, ev->json_len) < 0 ? 1 : 0;
}

struct scope_of {
	const char *scan_id;
	char *desc;
};

static int scope_row(const struct store_scan *sc, void *ud)
{
	struct scope_of *so = ud;

	if (!so->desc && !strcmp(sc->scan_id, so->scan_id) && sc->scope_desc)
		so->desc = strdup(sc->scope_desc);
	return 0;
}

/* The scan as nmap XML: its scope's ports for <scaninfo>, the scope
 * itself as the command line. */
static int xml_out(struct store *st, const char *id)
{
	struct scope_of so = { id, NULL };
	struct nmap_xml *x = NULL;
	char *args = NULL;
	const char *ports;
	int ret = 1;

	if (store_list_scans(st, NULL, scope_row, &so) < 0) {
		cmd_err("export: %s", store_error(st));
		goto out;
	}
	ports = so.desc ? strstr(so.desc, " ports ") : NULL;
	if (so.desc && asprintf(&args, "fastport scan %.*s -p %s",
				(int)(ports ? (size_t)(ports - so.desc) : strlen(so.desc)), so.desc,
				ports ? ports + 7 : "") < 0)
		args = NULL;
	x = nmap_xml_new(args, ports ? ports + 7 : NULL);
	if (!x) {
		cmd_err("export: out of memory");
		goto out;
	}
	ret = store_load_events(st, id, xml_in, x);
	if (ret) {
		cmd_err("export: %s", ret == STORE_EFAIL ? store_error(st) : "out of memory");
		ret = 1;
		goto out;
	}
	if (nmap_xml_write(x, stdout) < 0) {
		cmd_err("export: writing the output failed");
		ret = 1;
	}
out:
	nmap_xml_free(x);
	free(args);
	free(so.desc);
	return ret;
}

static int ocsf_out(const struct store_event *ev, void *ud)
{
	if (!ev->json)
		return 0;
	return ocsf_write(ud, ev->json, ev->json_len, stdout) < 0 ? 1 : 0;
}

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
	bool csv, xml;
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
	if (strcmp(format, "ndjson") && strcmp(format, "csv") && strcmp(format, "nmap-xml") &&
	    strcmp(format, "ocsf")) {
		cmd_err("export: --format: unknown format '%s' (ndjson, csv, nmap-xml, ocsf)", format);
		return EXIT_USAGE;
	}
	csv = !strcmp(format, "csv");
	xml = !strcmp(format, "nmap-xml");
	ret = cmd_open_store(url, 0, &st);
	if (ret)
		return ret;
	if (store_resolve_scan(st, scan, id_full) < 0) {
		cmd_err("export: %s", store_error(st));
		ret = 1;
		goto out;
	}
	if (xml) {
		ret = xml_out(st, id_full);
		goto out;
	}
	if (!strcmp(format, "ocsf")) {
		struct ocsf_ctx oc = { .source_ip = "" };

		ret = store_load_events(st, id_full, ocsf_out, &oc);
		if (ret) {
			cmd_err("export: %s", ret == STORE_EFAIL ? store_error(st) : "writing the output failed");
			ret = 1;
		}
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
