/* SPDX-License-Identifier: MIT */
/* The service probe database: the text format (docs/SERVICES.md) parsed into probes and matches. */
#ifndef FP_SVC_DB_H
#define FP_SVC_DB_H

#include "../core/common.h"

/* Bounds of the format; the loader rejects anything beyond them. */
#define DB_FILE_MAX (4u << 20)   /* bytes of a database file */
#define DB_LINE_MAX 4096u        /* bytes of one line */
#define DB_PROBES_MAX 64u        /* probes (a match names them in a 64-bit mask) */
#define DB_MATCHES_MAX 8192u
#define DB_NAME_MAX 32u          /* probe and service names, with the NUL */
#define DB_SEND_MAX 1024u        /* decoded bytes of a probe's send string */
#define DB_FIELD_MAX 256u        /* product, version, info, cpe templates, with the NUL */
#define DB_CPE_MAX 4u            /* cpe lines per match */
#define DB_WAIT_DEFAULT 2000u    /* ms, when a probe gives no wait */
#define DB_WAIT_MAX 60000u

/* The probe handled in code: a TLS handshake (src/service/tls.c). When the
 * database declares no [probe tls], db_parse() adds one (last, wait 3000 ms,
 * hinting the IANA TLS ports), so matches may name it either way. */
#define DB_PROBE_TLS "tls"

#define DB_PORT_ITEMS_MAX 1024u /* items of one `ports` list */

struct db_range {
	uint16_t lo, hi;
};

struct db_probe {
	char name[DB_NAME_MAX];
	uint8_t *send;           /* decoded bytes with {host} and {version} left as text */
	uint32_t send_len;
	uint32_t wait_ms;
	bool tls_ok;             /* `tls = yes`: also tried inside a TLS tunnel */
	bool builtin_tls;        /* the `tls` probe: a handshake, no send string */
	struct db_range *ports;  /* hinted ports: inclusive ranges, as written */
	uint32_t nports;
	bool udp;                /* `proto = udp`: reserved, never sent by the TCP stage */
	uint32_t *matches;       /* indices into db.matches of the matches for this probe, file order */
	uint32_t nmatches;
	uint32_t line;
};

struct db_match {
	uint64_t probes;         /* bit i: applies to the answer of probes[i] */
	char service[DB_NAME_MAX];
	char *pattern;           /* PCRE2 source, NUL-terminated */
	char *product, *version, *info; /* templates with $1..$9, or NULL */
	char *cpe[DB_CPE_MAX];
	uint32_t ncpe;
	bool firm;
	uint32_t line;
	void *code;              /* pcre2_code_8 *, set by match_compile() */
};

struct db {
	struct db_probe *probes;
	uint32_t nprobes;
	struct db_match *matches;
	uint32_t nmatches;
};

/*
 * Parses len bytes of database text (need not be NUL-terminated; a NUL byte
 * is an error). name is used in messages ("NAME:LINE: reason", written into
 * err, errlen bytes). On success *db holds the probes and matches with the
 * patterns not yet compiled (match_compile). Returns 0, FP_EINVAL (with a
 * message) or FP_ENOMEM; on error *db is empty.
 */
int db_parse(struct db *db, const char *text, size_t len, const char *name,
	     char *err, size_t errlen);

/* Reads and parses a file (at most DB_FILE_MAX bytes); FP_EIO when it
 * cannot be read. */
int db_load_file(struct db *db, const char *path, char *err, size_t errlen);

/* Parses the copy of data/service-probes.db embedded at build time. */
int db_load_embedded(struct db *db, char *err, size_t errlen);

/* Frees everything, compiled patterns included; *db is left empty. */
void db_free(struct db *db);

/* The index of the probe called name, or -1. */
int db_probe_find(const struct db *db, const char *name);

/* Whether probe p hints port (its `ports` list holds it). */
bool db_probe_hints(const struct db_probe *p, uint16_t port);

/*
 * Writes probe p's bytes to send to out (cap bytes) with {host} replaced by
 * host and {version} by version. Returns the length, or -1 when it does not
 * fit.
 */
int db_probe_render(const struct db_probe *p, const char *host, const char *version,
		    uint8_t *out, size_t cap);

/* The embedded database text (src/service/db_embed.c). */
extern const char svc__db_start[], svc__db_end[];

#endif
