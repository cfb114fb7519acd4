# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Helpers of the bench scripts (bench/run, bench/sv-run): source after
# tests/lab/lib.sh with RES set to the results file (JSON lines).
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b - a}'; }
log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# rec key=value...: one JSON object per line in results.jsonl. Values that
# look like numbers are numbers; JSON objects ({...}) are merged in.
rec() {
	python3 - "$@" >> "$RES" <<'PY'
import json, sys
o = {}
for a in sys.argv[1:]:
    if a.startswith("{"):
        o.update(json.loads(a)); continue
    k, v = a.split("=", 1)
    try:
        v = int(v)
    except ValueError:
        try:
            v = float(v)
        except ValueError:
            pass
    o[k] = v
print(json.dumps(o))
PY
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
row_start() { log "$1"; rec row=load at="$1" loadavg="$(loadavg)"; }

# A tool's command runs in the scanner namespace under a hard timeout; its
# exit status is recorded, never fatal.
run_s() { local t=$1; shift; in_s timeout -s KILL "$t" "$@"; }
# mac NAMESPACE: the MAC address of its eth0.
mac() { ip -n "$1" -j link show eth0 | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["address"])'; }
