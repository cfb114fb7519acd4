#!/usr/bin/env bash
# Hostile input: a scapy responder in the target namespace (hostile.py)
# answers every probe with forgeries (wrong acks, spoofed addresses and
# ports, malformed IPv4/TCP/UDP/ICMP, forged ICMP quotes, bad QUIC Version
# Negotiation, wrong DNS IDs) and a known subset with valid replies, some
# flooded with duplicates. The scan exits 0 in bounded time, reports the
# valid subset exactly once and nothing else, counts the rest as invalid
# or duplicates, and every event validates. Needs python3-scapy.
. "$(dirname "$0")/lib.sh"
$PY -c 'import scapy' 2>/dev/null || die "scapy is not installed (apt-get install python3-scapy)"
lab_setup

# The kernel of the target namespace must stay silent: the scanned
# addresses are not its own (no local route) and it does not forward, and
# nft drops them before routing anyway. AF_PACKET sees them before nft.
ip -n "$NS_T" route del local 198.19.0.0/16 dev lo table local
lab_nft <<'EOF'
table ip hostile {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip daddr 198.19.200.0/24 drop
	}
}
EOF
# Room for one Version Negotiation with thousands of versions.
ip -n "$NS_S" link set eth0 mtu 9000
ip -n "$NS_T" link set eth0 mtu 9000

in_t "$PY" "$LAB_DIR/hostile.py" serve eth0 "$LAB_TMP/ready" 2>"$LAB_TMP/hostile.log" &
LAB_PIDS+=($!)
for _ in $(seq 100); do
	[ -s "$LAB_TMP/ready" ] && break
	sleep 0.1
done
[ -s "$LAB_TMP/ready" ] || { cat "$LAB_TMP/hostile.log" >&2; die "the responder did not start"; }

# A low rate: the responder builds its forgeries in Python and must keep up
# well within the cooldown.
ev="$LAB_TMP/ev.ndjson"
rc=0
in_s timeout -s KILL 90 "$FASTPORT" 198.19.200.0/27 -p T:22,80,U:53,Q:443 --rate 20 --retries 1 \
	--wait 3 --allow-reserved --states all --quiet -o "$ev" 2> "$LAB_TMP/scan.err" || rc=$?
tail -n 1 "$LAB_TMP/hostile.log"
cat "$LAB_TMP/scan.err" >&2
! grep -E -m 3 'Sanitizer|runtime error:' "$LAB_TMP/scan.err" || die "sanitizer report"
[ "$rc" = 0 ] || die "fastport exited $rc against the hostile responder"
$PY "$LAB_DIR/truth.py" validate "$ev"
$PY "$LAB_DIR/hostile.py" check "$ev" || die "findings differ from the valid subset"
