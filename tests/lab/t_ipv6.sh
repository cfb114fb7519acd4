#!/usr/bin/env bash
# IPv6 SYN scan: a /120 of the target's 2001:2:0:1::/64 with open, closed,
# dropped and ICMPv6-rejected ports; the gateway's MAC comes from our own
# neighbour solicitation. Findings equal the truth, once each.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen 22 80
lab_nft <<'NFT'
table ip6 fpv6 {
	chain input {
		type filter hook input priority 0; policy accept;
		ip6 daddr 2001:2:0:1::80/124 tcp dport 22 drop
		ip6 daddr 2001:2:0:1::40/124 tcp dport 80 reject with icmpv6 type admin-prohibited
	}
}
NFT
in_s ip -6 neigh flush all
scan 2001:2:0:1::/120 -p 22,80,81 --rate 20000 --allow-reserved --states all \
	-o "$LAB_TMP/ev.ndjson" --quiet --wait 1
$PY "$LAB_DIR/truth.py" validate "$LAB_TMP/ev.ndjson"
$PY - "$LAB_TMP/ev.ndjson" <<'PYEOF'
import ipaddress, json, sys
seen = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["kind"] != "port_state":
        continue
    key = (e["target"]["ip"], e["target"]["port"])
    assert key not in seen, "duplicate %s" % (key,)
    seen[key] = (e["result"]["state"], e["result"]["reason"])
want = {}
for i in range(256):
    a = ipaddress.ip_address("2001:2:0:1::") + i
    ip = str(a)
    want[(ip, 22)] = ("filtered", "no-response") if 0x80 <= i < 0x90 else ("open", "syn-ack")
    want[(ip, 80)] = ("filtered", "icmp6-admin-prohibited") if 0x40 <= i < 0x50 else ("open", "syn-ack")
    want[(ip, 81)] = ("closed", "rst")
bad = [(k, seen.get(k), v) for k, v in want.items() if seen.get(k) != v]
extra = [k for k in seen if k not in want]
print("findings=%d expected=%d wrong=%d extra=%d" % (len(seen), len(want), len(bad), len(extra)))
assert not bad and not extra, (bad[:5], extra[:5])
PYEOF
