#!/usr/bin/env bash
# Closed UDP and QUIC ports under the target kernel's default ICMP rate
# limits (a burst of 6 port unreachables per destination, then one per
# second; docs/UDP.md), which the other lab cases switch off. Ten closed
# ports per family: a scan without retries must see the limit (some ports
# left open|filtered; if none is, the limits are not in force and the retry
# wait would go untested, so the case fails); the default scan
# (--retries 1) waits for the bucket to refill before its retry pass and
# reports all ten closed, with no duplicate.
. "$(dirname "$0")/lib.sh"
lab_setup
# The limits of Debian 12's kernel (6.1), set in full: lab_setup switched
# them off, and newer kernels lower the IPv6 default (100 ms). The masks
# include destination unreachable (IPv4 type 3, IPv6 type 1).
limits="net.ipv4.icmp_ratelimit=1000 net.ipv4.icmp_ratemask=6168 net.ipv4.icmp_msgs_per_sec=1000
	net.ipv4.icmp_msgs_burst=50 net.ipv6.icmp.ratelimit=1000 net.ipv6.icmp.ratemask=0-1,3-127"
for kv in $limits; do
	in_t sysctl -qw "$kv"
	got=$(in_t sysctl -n "${kv%%=*}")
	[ "${kv%%=*}=$got" = "$kv" ] || die "cannot set $kv in the target namespace (it reads $got)"
done

# "closed open|filtered duplicates elapsed_s" of an event file.
states() {
	$PY "$LAB_DIR/truth.py" validate "$1" >/dev/null
	$PY - "$1" <<'PY'
import json, sys
seen, dup, n = {}, 0, {"closed": 0, "open|filtered": 0}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["kind"] == "port_state":
        k = (e["target"]["ip"], e["target"]["port"], e["target"]["protocol"])
        dup += k in seen
        seen[k] = e["result"]["state"]
        n[e["result"]["state"]] = n.get(e["result"]["state"], 0) + 1
    elif e["kind"] == "scan_completed":
        elapsed = e["counters"]["elapsed_s"]
print(n["closed"], n["open|filtered"], dup, elapsed)
PY
}

# The buckets are per destination and family (198.18.0.1, 2001:2::1): each
# round starts with both full.
for t in 198.18.0.2 2001:2::2; do
	scan "$t" -p U:9001-9005,Q:9006-9010 --allow-reserved --rate 1000 --retries 0 \
		--states closed,open\|filtered -o "$LAB_TMP/r0.ndjson" --quiet
	read -r closed of dup elapsed < <(states "$LAB_TMP/r0.ndjson")
	echo "$t --retries 0: $closed closed, $of open|filtered in $elapsed s"
	[ "$dup" = 0 ] || die "$t: $dup duplicates"
	[ "$closed" -ge 1 ] && [ "$closed" -lt 10 ] && [ $((closed + of)) = 10 ] ||
		die "$t --retries 0: want some of the 10 ports closed and the rest open|filtered" \
			"(the target's ICMP rate limit), got $closed closed, $of open|filtered"
done
sleep 7
for t in 198.18.0.2 2001:2::2; do
	scan "$t" -p U:9001-9005,Q:9006-9010 --allow-reserved --rate 1000 \
		--states closed,open\|filtered -o "$LAB_TMP/r1.ndjson" --quiet
	read -r closed of dup elapsed < <(states "$LAB_TMP/r1.ndjson")
	echo "$t default (--retries 1): $closed closed, $of open|filtered in $elapsed s"
	[ "$closed" = 10 ] && [ "$of" = 0 ] && [ "$dup" = 0 ] ||
		die "$t: want 10 closed, 0 open|filtered, 0 duplicates"
done
