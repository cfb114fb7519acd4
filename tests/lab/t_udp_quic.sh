#!/usr/bin/env bash
# UDP probes to QUIC ports against a real HTTP/3 server (caddy, tls
# internal, on 443 and 8443), over IPv4 and IPv6: the UDP probe carries the
# QUIC probe's packet there, so U:443 and U:8443 are open (udp-reply) with
# service quic and the offered versions; U:853 has no listener (closed by
# ICMP port unreachable, validated through the quoted packet); Q:443 in the
# same scan still gets its own Version Negotiation. Needs caddy and ss.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/caddy.sh"
lab_setup
lab_caddy 443 8443

for target in 198.18.0.2 2001:2::2; do
	ev="$LAB_TMP/ev-${target//:/_}.ndjson"
	scan "$target" -p U:443,U:853,U:8443,Q:443 --states all --allow-reserved --rate 1000 \
		--wait 2 --quiet -o "$ev"
	$PY "$LAB_DIR/truth.py" validate "$ev"
	PYTHONPATH="$LAB_DIR" $PY - "$ev" "$target" <<'EOF' || { cat "$LAB_TMP/caddy.log" >&2; die "UDP/QUIC findings for $target"; }
import sys
from target_findings import load, want, done as verdict
found, done = load(sys.argv[1], sys.argv[2])
for p in ("443/udp", "8443/udp"):
    r = found.get(p, {})
    want(r.get("state") == "open" and r.get("reason") == "udp-reply", p + " is open by a UDP reply")
    want(r.get("service") == "quic", p + " is named quic")
    want("0x00000001" in r.get("quic_versions", []), p + " lists QUIC v1")
    want(all(len(v) == 10 for v in r.get("quic_versions", [])), p + ": versions are 0x + 8 hex digits")
c = found.get("853/udp", {})
want(c.get("state") == "closed" and "port-unreachable" in c.get("reason", ""),
     "853/udp is closed by ICMP port unreachable")
want("service" not in c and "quic_versions" not in c, "853/udp names nothing")
q = found.get("443/quic", {})
want(q.get("state") == "open" and q.get("reason") == "quic-version-negotiation",
     "443/quic is open by version negotiation")
want("0x00000001" in q.get("quic_versions", []), "443/quic offers QUIC v1")
want(len(found) == 4, "four findings")
want(done is not None and done["invalid"] == 0, "no reply taken for invalid")
verdict()
EOF
done
echo "UDP to QUIC ports: IPv4 and IPv6 as expected"
