/* SPDX-License-Identifier: MIT */
/* --store URLs: sqlite:PATH, sqlite: (the default file), postgresql://... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"

#define DEFAULT_DB "fastport/fastport.db"

/* The default file: $XDG_STATE_HOME/fastport/fastport.db when that is an
 * absolute path (the XDG spec says to ignore a relative one), else
 * $HOME/.local/state/fastport/fastport.db. */
static int default_path(struct store_url *u, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = asprintf(&u->target, "%s/" DEFAULT_DB, xdg);
	else if (home && home[0] == '/')
		n = asprintf(&u->target, "%s/.local/state/" DEFAULT_DB, home);
	else {
		snprintf(err, errlen, "sqlite: without a path needs $XDG_STATE_HOME or $HOME "
			 "(an absolute path) for the default store; give sqlite:PATH");
		return STORE_EUSAGE;
	}
	if (n < 0) {
		u->target = NULL;
		snprintf(err, errlen, "out of memory");
		return STORE_EFAIL;
	}
	u->default_path = true;
	return STORE_OK;
}

static int parse_sqlite(const char *rest, struct store_url *u, char *err, size_t errlen)
{
	if (!rest[0])
		return default_path(u, err, errlen);
	if (!strncmp(rest, "//", 2)) {
		/* sqlite:///abs/path: an empty authority, then the path. */
		if (rest[2] != '/') {
			snprintf(err, errlen, "sqlite://HOST/... is not a file: use sqlite:PATH or "
				 "sqlite:///ABSOLUTE/PATH");
			return STORE_EUSAGE;
		}
		rest += 2;
	}
	if (strchr(rest, '?')) {
		snprintf(err, errlen, "sqlite:PATH takes no '?' options (got '%s')", rest);
		return STORE_EUSAGE;
	}
	if (rest[strlen(rest) - 1] == '/') {
		snprintf(err, errlen, "sqlite:%s names a directory, not a file", rest);
		return STORE_EUSAGE;
	}
	u->target = strdup(rest);
	if (!u->target) {
		snprintf(err, errlen, "out of memory");
		return STORE_EFAIL;
	}
	return STORE_OK;
}

static int parse_postgres(const char *url, struct store_url *u, char *err, size_t errlen)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &perr);

	if (!opts) {
		size_t n;

		/* libpq's message names the problem, never the password. */
		snprintf(err, errlen, "invalid PostgreSQL URL: %s",
			 perr ? perr : "out of memory");
		n = strlen(err);
		while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
		PQfreemem(perr);
		return perr ? STORE_EUSAGE : STORE_EFAIL;
	}
	/* libpq checks a port only when it connects: a usage error here. */
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		const char *v = o->val;

		if (strcmp(o->keyword, "port") || !v)
			continue;
		while (*v) {
			size_t n = strspn(v, "0123456789");
			long port = atol(v);

			if (!n || n > 5 || port < 1 || port > 65535 || (v[n] && v[n] != ',')) {
				snprintf(err, errlen, "invalid PostgreSQL URL: bad port '%.40s'", o->val);
				PQconninfoFree(opts);
				return STORE_EUSAGE;
			}
			v += n + (v[n] == ',');
		}
	}
	PQconninfoFree(opts);
	u->target = strdup(url);
	if (!u->target) {
		snprintf(err, errlen, "out of memory");
		return STORE_EFAIL;
	}
	return STORE_OK;
}

int store_url_parse(const char *url, struct store_url *u, char *err, size_t errlen)
{
	const char *colon;

	memset(u, 0, sizeof(*u));
	if (!url || !url[0]) {
		snprintf(err, errlen, "empty store URL: use sqlite:PATH, sqlite: or postgresql://...");
		return STORE_EUSAGE;
	}
	if (!strncmp(url, "sqlite:", 7)) {
		u->backend = STORE_SQLITE;
		return parse_sqlite(url + 7, u, err, errlen);
	}
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
		u->backend = STORE_POSTGRES;
		return parse_postgres(url, u, err, errlen);
	}
	colon = strchr(url, ':');
	if (!colon || colon == url || colon - url > 16 || strspn(url, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") != (size_t)(colon - url))
		snprintf(err, errlen, "store URL '%.200s' has no scheme: use sqlite:PATH "
			 "(e.g. sqlite:%.200s), sqlite: or postgresql://...", url, url);
	else /* only the scheme: the rest may hold a password */
		snprintf(err, errlen, "unsupported store URL scheme '%.*s:': use sqlite:PATH, "
			 "sqlite: or postgresql://...", (int)(colon - url), url);
	return STORE_EUSAGE;
}

void store_url_free(struct store_url *u)
{
	free(u->target);
	u->target = NULL;
}
