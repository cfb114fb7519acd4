#!/usr/bin/env bash
# Load: one scan of more than 10M probes (a /16 x 160 ports, 10,485,760
# probes): exact results (every open port once, every other port counted
# closed) and a flat memory footprint (peak RSS printed and bounded: the plan
# costs one bit per probe, 1.25 MiB here).
. "$(dirname "$0")/lib.sh"
case "$(basename "$BUILD")" in debug*) echo "skipped: too slow under ASan"; exit 0 ;; esac
lab_setup
lab_listen $(seq 1000 1009)
scan_rss() {
	in_s timeout -s KILL 600 /usr/bin/time -f '%M' -o "$LAB_TMP/rss" "$FASTPORT" "$@"
}
scan_rss 198.19.0.0/16 -p 1000-1159 --rate 300000 --retries 1 --allow-reserved --quiet \
	-o "$LAB_TMP/ev.ndjson"
rss=$(cat "$LAB_TMP/rss")
scan_rss 198.19.0.0/24 -p 1000-1001 --rate 10000 --allow-reserved --quiet -o /dev/null
small=$(cat "$LAB_TMP/rss")
echo "peak RSS: $rss KiB for 10,485,760 probes, $small KiB for 512 probes"
$PY - "$LAB_TMP/ev.ndjson" <<'PYEOF'
import collections, json, sys
per_port = collections.Counter()
seen = set()
last = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["kind"] == "port_state":
        key = (e["target"]["ip"], e["target"]["port"])
        assert key not in seen, "duplicate %s" % (key,)
        seen.add(key)
        assert e["result"]["state"] == "open", e
        per_port[e["target"]["port"]] += 1
    last = e
c = last["counters"]
print("open=%d closed=%d filtered=%d sent=%d duplicates=%d elapsed_s=%s" % (
    c["open"], c["closed"], c["filtered"], c["sent"], c["duplicates"], c["elapsed_s"]))
assert last["kind"] == "scan_completed" and not last["interrupted"]
assert sorted(per_port) == list(range(1000, 1010)), sorted(per_port)
assert all(n == 65536 for n in per_port.values()), per_port
assert c["planned"] == 65536 * 160
assert c["open"] == 65536 * 10 and c["closed"] == 65536 * 150 and c["filtered"] == 0, c
PYEOF
# Flat: the large plan may add its bitmap and buffers, not memory per probe.
[ "$rss" -lt $((small + 48 * 1024)) ] || die "peak RSS $rss KiB grows with the scan (small plan: $small KiB)"
