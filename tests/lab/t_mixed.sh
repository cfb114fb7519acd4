#!/usr/bin/env bash
# One scan mixes TCP, UDP and QUIC ports over IPv4 and IPv6 targets: every
# (address, protocol, port) gets its own right state, once.
. "$(dirname "$0")/lib.sh"
command -v dnsmasq >/dev/null || PATH=$PATH:/usr/sbin
command -v dnsmasq >/dev/null || die "dnsmasq is not installed"
lab_setup
lab_listen 22 80
in_t dnsmasq --no-daemon --port=53 --listen-address=198.18.0.2 --listen-address=2001:2::2 \
	--bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null \
	--pid-file="$LAB_TMP/dnsmasq.pid" --user=root --group=root 2>"$LAB_TMP/dnsmasq.log" &
LAB_PIDS+=($!)
for _ in $(seq 50); do in_t ss -lunH 'sport = :53' | grep -q . && break; sleep 0.1; done
scan 198.18.0.2 2001:2::2 -p T:22,80,81,U:53,9999,Q:9999 --states all --rate 1000 \
	--allow-reserved --wait 1 --quiet -o "$LAB_TMP/ev.ndjson"
$PY "$LAB_DIR/truth.py" validate "$LAB_TMP/ev.ndjson"
$PY - "$LAB_TMP/ev.ndjson" <<'PYEOF'
import json, sys
seen = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["kind"] != "port_state":
        continue
    t, r = e["target"], e["result"]
    key = (t["ip"], t["protocol"], t["port"])
    assert key not in seen, "duplicate %s" % (key,)
    seen[key] = (r["state"], r.get("service"))
want = {}
for ip in ("198.18.0.2", "2001:2::2"):
    want[(ip, "tcp", 22)] = ("open", None)
    want[(ip, "tcp", 80)] = ("open", None)
    want[(ip, "tcp", 81)] = ("closed", None)
    want[(ip, "udp", 53)] = ("open", "dns")
    want[(ip, "udp", 9999)] = ("closed", None)
    want[(ip, "quic", 9999)] = ("closed", None)
print("findings", len(seen), "expected", len(want))
assert seen == want, {k: (seen.get(k), v) for k, v in want.items() if seen.get(k) != v}
PYEOF
