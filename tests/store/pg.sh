# SPDX-License-Identifier: MIT
# A private PostgreSQL server for the store's tests: initdb in a temporary
# directory as the `postgres` system user, listening only on a Unix socket
# in that directory (listen_addresses=''), stopped by its pid.
# pg_start DIR sets PG_URL and PG_PID; pg_stop stops it; pg_kill9 kills it.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

pg_start() {
	local dir=$1
	PG_DIR=$dir
	mkdir -p "$dir/data" "$dir/sock"
	chown -R postgres: "$dir"
	chmod 700 "$dir"
	if [ ! -s "$dir/data/PG_VERSION" ]; then
		runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U fastport --auth=trust \
			--locale=C -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
	fi
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $dir/sock -c fsync=on" start >/dev/null ||
		{ cat "$dir/server.log"; return 1; }
	PG_PID=$(head -n 1 "$dir/data/postmaster.pid")
	if ! runuser -u postgres -- "$PG_BIN/psql" -h "$dir/sock" -U fastport -d postgres -qAt \
		-c "SELECT 1 FROM pg_database WHERE datname = 'fastport'" | grep -q 1; then
		runuser -u postgres -- "$PG_BIN/createdb" -h "$dir/sock" -U fastport fastport || return 1
	fi
	PG_URL="postgresql:///fastport?host=$dir/sock&user=fastport"
}

# Stops the server by its pid (a fast shutdown) and waits until it is gone.
# The pid comes from the data directory when it is there: a subshell may
# have restarted the server.
pg_stop() {
	local pid=${PG_PID:-}
	[ -n "${PG_DIR:-}" ] && [ -s "$PG_DIR/data/postmaster.pid" ] &&
		pid=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	PG_PID=
}

pg_psql() {
	runuser -u postgres -- "$PG_BIN/psql" -h "$PG_DIR/sock" -U fastport -d fastport -qAt "$@"
}
