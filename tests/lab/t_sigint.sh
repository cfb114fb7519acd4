#!/usr/bin/env bash
# SIGINT mid-scan: the scan stops within a second, exits 0, and leaves only
# whole, valid JSON lines ending with scan_completed (interrupted).
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen 22 80
for sig in INT TERM; do
	ip netns exec "$NS_S" "$FASTPORT" 198.19.0.0/16 -p 22,80 --rate 20000 --allow-reserved --quiet \
		-o "$LAB_TMP/ev.ndjson" &
	pid=$!
	sleep 1.5
	t0=$(date +%s%N)
	kill -$sig $pid
	rc=0
	wait $pid || rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "SIG$sig: exit $rc after ${ms} ms"
	[ "$rc" = 0 ] || die "exit status $rc after SIG$sig"
	[ "$ms" -lt 1000 ] || die "took ${ms} ms to stop after SIG$sig"
	$PY - "$LAB_TMP/ev.ndjson" <<'PYEOF'
import json, sys
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\n"), "torn last line"
evs = [json.loads(l) for l in data.decode().splitlines()]
assert evs[0]["kind"] == "scan_started", evs[0]["kind"]
assert evs[-1]["kind"] == "scan_completed" and evs[-1]["interrupted"] is True, evs[-1]
print("lines", len(evs), "open", sum(e["kind"] == "port_state" for e in evs))
PYEOF
	$PY "$LAB_DIR/truth.py" validate "$LAB_TMP/ev.ndjson"
done
