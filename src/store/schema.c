/* SPDX-License-Identifier: MIT */
/*
 * The store's schema as an ordered list of migrations. One text for SQLite
 * and PostgreSQL: TEXT and INTEGER columns only (times are RFC 3339 UTC
 * text, which sorts as time does), no dialect functions. A migration is
 * only ever appended; an applied one never changes.
 *
 * Foreign keys guard the small tables only. The big ones (findings,
 * scan_events, exposure, changes, confirmations) are written only by
 * store.c after the scan or scope row exists; a foreign key there costs
 * PostgreSQL a trigger and a row lock per inserted row (measured: the
 * ingest of 327,680 findings took about twice as long with it).
 */
#include "store_int.h"

static const char *const v1[] = {
	"CREATE TABLE scopes ("
	" scope TEXT PRIMARY KEY,"
	" description TEXT NOT NULL)",

	"CREATE TABLE scans ("
	" scan_id TEXT PRIMARY KEY,"
	" scope TEXT NOT NULL REFERENCES scopes (scope),"
	" state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'interrupted', 'failed')),"
	" shard_count INTEGER NOT NULL,"
	" started_at TEXT NOT NULL,"
	" ended_at TEXT)",

	"CREATE INDEX scans_scope_state ON scans (scope, state, started_at)",

	"CREATE TABLE scan_shards ("
	" scan_id TEXT NOT NULL REFERENCES scans (scan_id),"
	" shard INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'interrupted', 'failed')),"
	" started_at TEXT NOT NULL,"
	" ended_at TEXT,"
	" writer TEXT NOT NULL,"
	" PRIMARY KEY (scan_id, shard))",

	/* A finding: once per (scan, address, port, protocol, kind). */
	"CREATE TABLE findings ("
	" scan_id TEXT NOT NULL,"
	" addr TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" protocol TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" state TEXT,"
	" reason TEXT,"
	" service TEXT,"
	" product TEXT,"
	" version TEXT,"
	" cert_sha256 TEXT,"
	" time TEXT NOT NULL,"
	" event TEXT NOT NULL,"
	" PRIMARY KEY (scan_id, addr, port, protocol, kind))",

	/* Every other event, once per event_id. */
	"CREATE TABLE scan_events ("
	" event_id TEXT PRIMARY KEY,"
	" scan_id TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" time TEXT NOT NULL,"
	" event TEXT NOT NULL)",

	"CREATE INDEX scan_events_scan ON scan_events (scan_id, time)",

	/* Re-probes of "open before, missing now" ports (--confirm). */
	"CREATE TABLE confirmations ("
	" scan_id TEXT NOT NULL,"
	" addr TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" protocol TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" time TEXT NOT NULL,"
	" PRIMARY KEY (scan_id, addr, port, protocol))",

	/* The current exposure of each scope. */
	"CREATE TABLE exposure ("
	" scope TEXT NOT NULL,"
	" addr TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" protocol TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" service TEXT,"
	" product TEXT,"
	" version TEXT,"
	" cert_sha256 TEXT,"
	" first_seen TEXT NOT NULL,"
	" last_seen TEXT NOT NULL,"
	" first_scan TEXT NOT NULL,"
	" last_scan TEXT NOT NULL,"
	" PRIMARY KEY (scope, addr, port, protocol))",

	/* exposure_change events, once per scan pair and port. */
	"CREATE TABLE changes ("
	" to_scan TEXT NOT NULL,"
	" from_scan TEXT NOT NULL,"
	" addr TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" protocol TEXT NOT NULL,"
	" change TEXT NOT NULL CHECK (change IN ('opened', 'closed', 'service_changed')),"
	" event TEXT NOT NULL,"
	" PRIMARY KEY (to_scan, from_scan, addr, port, protocol))",
	NULL,
};

const struct store_migration store_migrations[] = {
	{ 1, v1 },
};
const size_t store_nmigrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
