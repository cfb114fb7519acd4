-- A store as fastport's schema version 1 wrote it (src/store/schema.c, v1),
-- with the exposure of scope S1 after scan a (complete) and an older scan o
-- that completed after it (an open row of its own): opened by a newer
-- fastport, it is migrated. One text for SQLite and PostgreSQL.
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00.000000Z');
CREATE TABLE scopes (scope TEXT PRIMARY KEY, description TEXT NOT NULL);
CREATE TABLE scans (scan_id TEXT PRIMARY KEY, scope TEXT NOT NULL REFERENCES scopes (scope),
 state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'interrupted', 'failed')),
 shard_count INTEGER NOT NULL, started_at TEXT NOT NULL, ended_at TEXT);
CREATE INDEX scans_scope_state ON scans (scope, state, started_at);
CREATE TABLE scan_shards (scan_id TEXT NOT NULL REFERENCES scans (scan_id), shard INTEGER NOT NULL,
 state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'interrupted', 'failed')),
 started_at TEXT NOT NULL, ended_at TEXT, writer TEXT NOT NULL, PRIMARY KEY (scan_id, shard));
CREATE TABLE findings (scan_id TEXT NOT NULL, addr TEXT NOT NULL, port INTEGER NOT NULL,
 protocol TEXT NOT NULL, kind TEXT NOT NULL, state TEXT, reason TEXT, service TEXT, product TEXT,
 version TEXT, cert_sha256 TEXT, time TEXT NOT NULL, event TEXT NOT NULL,
 PRIMARY KEY (scan_id, addr, port, protocol, kind));
CREATE TABLE scan_events (event_id TEXT PRIMARY KEY, scan_id TEXT NOT NULL, kind TEXT NOT NULL,
 time TEXT NOT NULL, event TEXT NOT NULL);
CREATE INDEX scan_events_scan ON scan_events (scan_id, time);
CREATE TABLE confirmations (scan_id TEXT NOT NULL, addr TEXT NOT NULL, port INTEGER NOT NULL,
 protocol TEXT NOT NULL, state TEXT NOT NULL, time TEXT NOT NULL,
 PRIMARY KEY (scan_id, addr, port, protocol));
CREATE TABLE exposure (scope TEXT NOT NULL, addr TEXT NOT NULL, port INTEGER NOT NULL,
 protocol TEXT NOT NULL, state TEXT NOT NULL, service TEXT, product TEXT, version TEXT,
 cert_sha256 TEXT, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, first_scan TEXT NOT NULL,
 last_scan TEXT NOT NULL, PRIMARY KEY (scope, addr, port, protocol));
CREATE TABLE changes (to_scan TEXT NOT NULL, from_scan TEXT NOT NULL, addr TEXT NOT NULL,
 port INTEGER NOT NULL, protocol TEXT NOT NULL,
 change TEXT NOT NULL CHECK (change IN ('opened', 'closed', 'service_changed')),
 event TEXT NOT NULL, PRIMARY KEY (to_scan, from_scan, addr, port, protocol));

INSERT INTO scopes VALUES ('S1', 'v1 scope');
INSERT INTO scans VALUES ('00000000000000000000000000000000', 'S1', 'complete', 1,
 '2025-12-31T00:00:00.000000Z', '2026-01-01T12:00:00.000000Z');
INSERT INTO scans VALUES ('a0000000000000000000000000000001', 'S1', 'complete', 1,
 '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:05.000000Z');
INSERT INTO scan_shards VALUES ('00000000000000000000000000000000', 1, 'complete',
 '2025-12-31T00:00:00.000000Z', '2026-01-01T12:00:00.000000Z', 'x 1 1');
INSERT INTO scan_shards VALUES ('a0000000000000000000000000000001', 1, 'complete',
 '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:05.000000Z', 'x 2 1');
INSERT INTO findings VALUES ('a0000000000000000000000000000001', '198.19.0.1', 22, 'tcp',
 'port_state', 'open', 'syn-ack', NULL, NULL, NULL, NULL, '2026-01-01T00:00:01.000000Z', '{}');
INSERT INTO findings VALUES ('a0000000000000000000000000000001', '198.19.0.1', 22, 'tcp',
 'service', NULL, NULL, 'ssh', 'OpenSSH', '9.2p1', NULL, '2026-01-01T00:00:02.000000Z', '{}');
INSERT INTO findings VALUES ('a0000000000000000000000000000001', '198.19.0.2', 80, 'tcp',
 'port_state', 'closed', 'rst', NULL, NULL, NULL, NULL, '2026-01-01T00:00:01.500000Z', '{}');
INSERT INTO exposure VALUES ('S1', '198.19.0.1', 22, 'tcp', 'open', 'ssh', 'OpenSSH', '9.2p1', NULL,
 '2025-12-31T00:00:01.000000Z', '2026-01-01T00:00:01.000000Z',
 '00000000000000000000000000000000', 'a0000000000000000000000000000001');
INSERT INTO exposure VALUES ('S1', '198.19.0.2', 80, 'tcp', 'closed', NULL, NULL, NULL, NULL,
 '2025-12-31T00:00:01.000000Z', '2025-12-31T00:00:01.000000Z',
 '00000000000000000000000000000000', '00000000000000000000000000000000');
INSERT INTO exposure VALUES ('S1', '198.19.0.9', 9, 'tcp', 'open', NULL, NULL, NULL, NULL,
 '2025-12-31T00:00:03.000000Z', '2025-12-31T00:00:03.000000Z',
 '00000000000000000000000000000000', '00000000000000000000000000000000');
