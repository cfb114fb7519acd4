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

/*
 * v2: the exposure of open ports carries no per-scan times. A scope
 * records its current scan (the newest complete scan, which the exposure
 * follows) and that scan's end; an open row's last_seen and last_scan are
 * NULL and mean "the scope's current scan". So a complete scan writes the
 * rows that changed (opened, closed, service replaced), not every open
 * port. The `exposure` view gives the columns of v1's table. Migrating: each
 * scope's current scan is its newest complete scan; open rows it names
 * become implicit; open rows another scan left (an older scan that
 * completed after a newer one) are closed, as the newest scan had them.
 * And scan_sides, below.
 */
static const char *const v2[] = {
	"CREATE TABLE exposure_rows ("
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
	" last_seen TEXT,"
	" first_scan TEXT NOT NULL,"
	" last_scan TEXT,"
	" PRIMARY KEY (scope, addr, port, protocol))",

	"ALTER TABLE scopes ADD COLUMN cur_scan TEXT",
	"ALTER TABLE scopes ADD COLUMN cur_seen TEXT",

	"UPDATE scopes SET cur_scan = (SELECT c.scan_id FROM scans c WHERE c.scope = scopes.scope"
	" AND c.state = 'complete' ORDER BY c.started_at DESC, c.scan_id DESC LIMIT 1)",
	"UPDATE scopes SET cur_seen = (SELECT COALESCE(c.ended_at, c.started_at) FROM scans c"
	" WHERE c.scan_id = scopes.cur_scan)",

	"INSERT INTO exposure_rows (scope, addr, port, protocol, state, service, product, version,"
	" cert_sha256, first_seen, last_seen, first_scan, last_scan)"
	" SELECT e.scope, e.addr, e.port, e.protocol,"
	" CASE WHEN e.state = 'open' AND e.last_scan <> COALESCE(p.cur_scan, '') THEN 'closed'"
	" ELSE e.state END, e.service, e.product, e.version, e.cert_sha256, e.first_seen,"
	" CASE WHEN e.state = 'open' AND e.last_scan = p.cur_scan THEN NULL ELSE e.last_seen END,"
	" e.first_scan,"
	" CASE WHEN e.state = 'open' AND e.last_scan = p.cur_scan THEN NULL ELSE e.last_scan END"
	" FROM exposure e JOIN scopes p ON p.scope = e.scope",

	"DROP TABLE exposure",

	/* A complete scan's ports as the comparison reads them (diff.h's
	 * text): what the next scan of the scope loads as its baseline
	 * instead of every finding. Dropped when the scan begins again or a
	 * confirmation is added; absent, the findings are read. */
	"CREATE TABLE scan_sides ("
	" scan_id TEXT PRIMARY KEY,"
	" ports INTEGER NOT NULL,"
	" data TEXT NOT NULL)",

	"CREATE VIEW exposure AS SELECT e.scope, e.addr, e.port, e.protocol, e.state, e.service,"
	" e.product, e.version, e.cert_sha256, e.first_seen,"
	" COALESCE(e.last_seen, p.cur_seen) AS last_seen, e.first_scan,"
	" COALESCE(e.last_scan, p.cur_scan) AS last_scan"
	" FROM exposure_rows e JOIN scopes p ON p.scope = e.scope",
	NULL,
};

const struct store_migration store_migrations[] = {
	{ 1, v1 },
	{ 2, v2 },
};
const size_t store_nmigrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
