#!/usr/bin/env bash
# QUIC probes against a real HTTP/3 server (caddy, tls internal): its
# Version Negotiation is open with the offered versions; a UDP echo of our
# own packet is not QUIC (counted invalid, stays open|filtered); a port
# without a listener is closed (ICMP port unreachable). Over IPv4 and IPv6,
# next to TCP 80 and 443 of the same server. Needs caddy and ss
# (tests/lab/caddy.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/caddy.sh"
lab_setup
lab_caddy 443

# A UDP echo on 4433 (both families): it sends our own packet back.
in_t "$PY" -c '
import select, socket
socks = []
for fam, addr in ((socket.AF_INET, "198.18.0.2"), (socket.AF_INET6, "2001:2::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, 4433))
    socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)
' &
LAB_PIDS+=($!)

# The echo binds both families.
for _ in $(seq 100); do
	n=0
	for a in 198.18.0.2 '[2001:2::2]'; do
		in_t ss -lunH "src $a:4433" | grep -q . && n=$((n + 1))
	done
	[ "$n" -eq 2 ] && break
	sleep 0.1
done
[ "$n" -eq 2 ] || die "the UDP echo did not start"

for target in 198.18.0.2 2001:2::2; do
	ev="$LAB_TMP/ev-${target//:/_}.ndjson"
	scan "$target" -p T:80,443,Q:443,Q:4433,Q:9999 --states all --allow-reserved --rate 1000 \
		--wait 2 --quiet -o "$ev"
	$PY "$LAB_DIR/truth.py" validate "$ev"
	PYTHONPATH="$LAB_DIR" $PY - "$ev" "$target" <<'EOF' || { cat "$LAB_TMP/caddy.log" >&2; die "QUIC findings for $target"; }
import sys
from target_findings import load, want, done as verdict
found, done = load(sys.argv[1], sys.argv[2])
q = found.get("443/quic", {})
want(q.get("state") == "open" and q.get("reason") == "quic-version-negotiation",
     "443/quic is open by version negotiation")
want("0x00000001" in q.get("quic_versions", []), "443/quic offers QUIC v1")
want(all(len(v) == 10 for v in q.get("quic_versions", [])), "versions are 0x + 8 hex digits")
e = found.get("4433/quic", {})
want(e.get("state") == "open|filtered" and e.get("reason") == "no-response",
     "the UDP echo on 4433 is not QUIC")
want("quic_versions" not in e, "no versions for the echo")
want(done is not None and done["invalid"] >= 1, "the echoed packet is counted invalid")
c = found.get("9999/quic", {})
want(c.get("state") == "closed" and "port-unreachable" in c.get("reason", ""),
     "9999/quic is closed by ICMP port unreachable")
for p in ("80/tcp", "443/tcp"):
    want(found.get(p, {}).get("state") == "open", p + " is open")
want(len(found) == 5, "five findings")
verdict()
EOF
done
echo "QUIC: IPv4 and IPv6 as expected"
