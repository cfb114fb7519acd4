# SPDX-License-Identifier: MIT
# Helpers for the tests that drive `fastport serve` over HTTP in a lab
# namespace (tests/serve/*.sh, tests/fleet/serve.sh, tests/mcp/run).
# Source this file after tests/lab/lib.sh (it uses NS_S, FASTPORT, PY,
# LAB_TMP, LAB_PIDS, in_s and die from there). Each script sets:
#   URL    serve's base URL inside NS_S, e.g. http://127.0.0.1:8700
#   TOK    the bearer token serve was given, or empty for none
# and may set, before calling the helpers that read them:
#   SERVE_START_TRIES  serve_launch's checks of /healthz, 0.1 s apart (300)
#   WAIT_STATE_TRIES   wait_state's looks at the scan (1200)
#   WAIT_STATE_PAUSE   seconds between them (0.2)

# The checks' tally: ok NAME and bad NAME print a line and count it in
# PASS or FAIL; check NAME WANT GOT is ok when GOT is WANT, else bad (and
# returns 1). Each script prints the tally at its end.
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want '$2', got '$3'"; return 1; fi; }

# serve_launch LOG ARGS...: starts `fastport serve ARGS...` in NS_S with
# its standard error in LOG, sets SERVE_PID (also in LAB_PIDS, so the lab
# stops it) and returns once GET /healthz answers; if serve exits or does
# not answer in time, prints LOG and dies.
serve_launch() {
	local log=$1
	shift
	ip netns exec "$NS_S" "$FASTPORT" serve "$@" 2> "$log" &
	SERVE_PID=$!
	LAB_PIDS+=("$SERVE_PID")
	for _ in $(seq "${SERVE_START_TRIES:-300}"); do
		in_s curl -sf "$URL/healthz" > /dev/null 2>&1 && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$log"
	die "serve did not start"
}

# req OUT METHOD PATH [curl args...]: the request to $URL$PATH from NS_S,
# with TOK as bearer token when set; the body goes to OUT, the HTTP status
# is printed.
req() {
	local out=$1 m=$2 p=$3 auth=()
	shift 3
	[ -n "${TOK:-}" ] && auth=(-H "Authorization: Bearer $TOK")
	in_s curl -s -o "$out" -w '%{http_code}' -X "$m" "${auth[@]}" "$@" "$URL$p"
}

# jget FILE EXPR: the Python expression EXPR over the JSON in FILE (as d).
jget() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }

# scan_field ID EXPR: EXPR (as for jget) over GET /v1/scans/ID, which is
# left in $LAB_TMP/f.json.
scan_field() {
	req "$LAB_TMP/f.json" GET "/v1/scans/$1" > /dev/null
	jget "$LAB_TMP/f.json" "$2"
}

# wait_state ID STATE...: looks at the scan until its state is one of
# STATEs (WAIT_STATE_TRIES times at most, WAIT_STATE_PAUSE apart); prints
# the last state seen.
wait_state() {
	local id=$1 s
	shift
	for _ in $(seq "${WAIT_STATE_TRIES:-1200}"); do
		s=$(scan_field "$id" 'd["state"]')
		for w in "$@"; do [ "$s" = "$w" ] && { echo "$s"; return 0; }; done
		sleep "${WAIT_STATE_PAUSE:-0.2}"
	done
	echo "$s"
}
