/* SPDX-License-Identifier: MIT */
/* fastport diff: the exposure changes between two complete scans. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "cmd_common.h"
#include "ocsf.h"

enum { O_STORE = 256, O_FROM, O_TO, O_FORMAT };

static const struct cmd_opt opts[] = {
	{ "store", O_STORE, "URL", "the store: sqlite:PATH, sqlite: or postgresql://..." },
	{ "from", O_FROM, "SCAN", "the earlier scan (default: the baseline of --to)" },
	{ "to", O_TO, "SCAN", "the later scan (default: the latest complete scan)" },
	{ "format", O_FORMAT, "FMT", "table (default), ndjson (exposure_change events) or ocsf" },
};

static const struct cmd cmd = {
	"diff", "--store URL [--from SCAN] [--to SCAN] [--format table|ndjson|ocsf]",
	"Compares two scans of one scope: ports opened, closed, and services changed.\n"
	"Without --from/--to: the two latest complete scans of the same scope.\n"
	"A scan id may be shortened to a unique prefix of at least 4 characters.",
	opts, sizeof(opts) / sizeof(opts[0]),
};

struct out {
	bool table, ocsf;
	struct ocsf_ctx oc;
	size_t n, opened, closed, changed;
};

/* Appends to buf (len bytes, NUL-terminated; cut when full). */
static void add(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	if (n < len)
		vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* "open (http nginx 1.24.0, cert 3f2a9c01...)" of a before/after object. */
static void describe(json_t *o, char *buf, size_t len)
{
	json_t *svc = json_object_get(o, "service");
	const char *state = json_string_value(json_object_get(o, "state"));
	const char *conf = json_string_value(json_object_get(o, "confirmed"));
	const char *f[3] = { json_string_value(json_object_get(svc, "name")),
			     json_string_value(json_object_get(svc, "product")),
			     json_string_value(json_object_get(svc, "version")) };
	const char *sha = json_string_value(json_object_get(json_object_get(svc, "tls"), "sha256"));
	bool first = true;

	snprintf(buf, len, "%s", state ? state : "?");
	if (conf)
		add(buf, len, " (re-probed: %s)", conf);
	if (!f[0] && !f[1] && !f[2] && !sha)
		return;
	add(buf, len, "%s", " (");
	for (int i = 0; i < 3; i++)
		if (f[i]) {
			add(buf, len, "%s%s", first ? "" : " ", f[i]);
			first = false;
		}
	if (sha)
		add(buf, len, "%scert %.12s...", first ? "" : ", ", sha);
	add(buf, len, "%s", ")");
}

static int change_out(const char *json, size_t len, void *ud)
{
	struct out *o = ud;
	json_t *e, *t;
	const char *change;
	char target[96], before[160], after[160];

	o->n++;
	if (o->ocsf)
		return ocsf_write(&o->oc, json, len, stdout) < 0 ? 1 : 0;
	if (!o->table) {
		fwrite(json, 1, len, stdout);
		putchar('\n');
		return 0;
	}
	e = json_loadb(json, len, 0, NULL);
	if (!e)
		return 1;
	change = json_string_value(json_object_get(e, "change"));
	t = json_object_get(e, "target");
	if (change && !strcmp(change, "opened"))
		o->opened++;
	else if (change && !strcmp(change, "closed"))
		o->closed++;
	else
		o->changed++;
	if (o->n == 1)
		printf("%-16s %-40s %-36s %s\n", "CHANGE", "PORT", "BEFORE", "AFTER");
	snprintf(target, sizeof(target), "%s %s/%d", json_string_value(json_object_get(t, "ip")),
		 json_string_value(json_object_get(t, "protocol")),
		 (int)json_integer_value(json_object_get(t, "port")));
	describe(json_object_get(e, "before"), before, sizeof(before));
	describe(json_object_get(e, "after"), after, sizeof(after));
	printf("%-16s %-40s %-36s %s\n", change ? change : "?", target, before, after);
	json_decref(e);
	return 0;
}

void cmd_diff_help(FILE *f)
{
	cmd_help_body(&cmd, f);
}

int cmd_diff(int argc, char **argv)
{
	const char *url = NULL, *format = "table", *arg;
	char from[STORE_ID_MAX + 1] = "", to[STORE_ID_MAX + 1] = "";
	struct store *st = NULL;
	struct out o = { 0 };
	int id, ret;

	while ((id = cmd_getopt(&cmd, argc, argv, &arg)) > 0) {
		switch (id) {
		case 'h': return 0;
		case O_STORE: url = arg; break;
		case O_FROM: snprintf(from, sizeof(from), "%s", arg); break;
		case O_TO: snprintf(to, sizeof(to), "%s", arg); break;
		case O_FORMAT: format = arg; break;
		}
	}
	if (id < 0)
		return EXIT_USAGE;
	if (cmd_optind() < argc) {
		cmd_err("diff: unexpected argument '%s'", argv[cmd_optind()]);
		return EXIT_USAGE;
	}
	if (strcmp(format, "table") && strcmp(format, "ndjson") && strcmp(format, "ocsf")) {
		cmd_err("diff: --format: unknown format '%s' (table, ndjson, ocsf)", format);
		return EXIT_USAGE;
	}
	o.table = !strcmp(format, "table");
	o.ocsf = !strcmp(format, "ocsf");
	ret = cmd_open_store(url, 0, &st);
	if (ret)
		return ret;
	if (store_diff_pair(st, from, to) < 0) {
		cmd_err("diff: %s", store_error(st));
		ret = 1;
		goto out;
	}
	if (o.table)
		printf("from %s to %s\n", from, to);
	ret = store_diff(st, from, to, change_out, &o);
	if (ret) {
		cmd_err("diff: %s", ret == STORE_EFAIL ? store_error(st) : "out of memory");
		ret = 1;
		goto out;
	}
	if (o.table)
		printf("%zu change%s: %zu opened, %zu closed, %zu service changed\n", o.n,
		       o.n == 1 ? "" : "s", o.opened, o.closed, o.changed);
out:
	store_close(st);
	return ret ? ret : cmd_finish_output();
}
