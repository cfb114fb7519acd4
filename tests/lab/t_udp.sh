#!/usr/bin/env bash
# UDP against real daemons in the target namespace, over IPv4 and IPv6:
# dnsmasq (53), chronyd (123), snmpd (161), a UDP echo (7) are open with
# their service named (dnsmasq's version.bind and snmpd's sysDescr as
# product, NTP's version); 9999
# has no listener (ICMP port unreachable: closed); 9998 is dropped by nft
# (open|filtered).
. "$(dirname "$0")/lib.sh"
for d in dnsmasq chronyd snmpd; do
	command -v "$d" >/dev/null || PATH=$PATH:/usr/sbin
	command -v "$d" >/dev/null || die "$d is not installed (apt-get install dnsmasq chrony snmpd)"
done
lab_setup

# dnsmasq answers version.bind with "dnsmasq-" and its upstream version.
DNSMASQ_VERSION=$(dpkg-query -W -f '${Version}' dnsmasq-base | sed 's/^[0-9]*://; s/-[^-]*$//')
in_t dnsmasq --no-daemon --port=53 --listen-address=198.18.0.2 --listen-address=2001:2::2 \
	--bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null \
	--pid-file="$LAB_TMP/dnsmasq.pid" --user=root --group=root 2>"$LAB_TMP/dnsmasq.log" &
LAB_PIDS+=($!)

cat > "$LAB_TMP/chrony.conf" <<EOF
allow all
port 123
bindaddress 198.18.0.2
bindaddress 2001:2::2
cmdport 0
bindcmdaddress /
local stratum 10
pidfile $LAB_TMP/chronyd.pid
driftfile $LAB_TMP/chrony.drift
dumpdir $LAB_TMP
EOF
in_t chronyd -x -d -f "$LAB_TMP/chrony.conf" -u root >"$LAB_TMP/chronyd.log" 2>&1 &
LAB_PIDS+=($!)

cat > "$LAB_TMP/snmpd.conf" <<EOF
rocommunity public default
rocommunity6 public default
sysDescr fastport lab
EOF
SNMP_PERSISTENT_DIR=$LAB_TMP in_t snmpd -f -Lo -C -c "$LAB_TMP/snmpd.conf" -p "$LAB_TMP/snmpd.pid" \
	udp:198.18.0.2:161 udp6:[2001:2::2]:161 \
	>"$LAB_TMP/snmpd.log" 2>&1 &
LAB_PIDS+=($!)

in_t "$PY" - <<'EOF' &
import selectors, socket
sel = selectors.DefaultSelector()
for fam, addr in ((socket.AF_INET, "198.18.0.2"), (socket.AF_INET6, "2001:2::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, 7))
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        data, peer = key.fileobj.recvfrom(65535)
        key.fileobj.sendto(data, peer)
EOF
LAB_PIDS+=($!)

lab_nft <<'EOF'
table inet lab {
	chain input {
		type filter hook input priority 0;
		udp dport 9998 drop
	}
}
EOF

# Every daemon bound on both families before the scans.
for _ in $(seq 100); do
	n=0
	for p in 7 53 123 161; do
		[ "$(in_t ss -lunH "sport = :$p" | wc -l)" -ge 2 ] && n=$((n + 1))
	done
	[ "$n" -eq 4 ] && break
	sleep 0.1
done
[ "$n" -eq 4 ] || { in_t ss -lunp; cat "$LAB_TMP"/*.log; die "UDP daemons did not start"; }

check() {
	$PY "$LAB_DIR/truth.py" validate "$1"
	$PY - "$1" "$2" "$DNSMASQ_VERSION" <<'EOF'
import json, sys
path, ip, dnsv = sys.argv[1], sys.argv[2], sys.argv[3]
want = {
    7: ("open", "udp-reply", "echo"),
    53: ("open", "udp-reply", "dns"),
    123: ("open", "udp-reply", "ntp"),
    161: ("open", "udp-reply", "snmp"),
    9999: ("closed", "icmp6-port-unreachable" if ":" in ip else "icmp-port-unreachable", None),
    9998: ("open|filtered", "no-response", None),
}
got, done = {}, None
for line in open(path):
    ev = json.loads(line)
    if ev["kind"] == "scan_completed":
        done = ev
    if ev["kind"] != "port_state":
        continue
    t, r = ev["target"], ev["result"]
    assert t["ip"] == ip and t["protocol"] == "udp", ev
    assert t["port"] not in got, "duplicate finding: %s" % ev
    got[t["port"]] = (r["state"], r["reason"], r.get("service"))
    # What the replies tell of the software: snmpd's sysDescr (set in
    # snmpd.conf), chronyd's NTP version; nothing for the others.
    sw = (r.get("product"), r.get("version"))
    want_sw = {53: ("dnsmasq-" + dnsv, None), 161: ("fastport lab", None),
               123: (None, "v4")}.get(t["port"], (None, None))
    assert sw == want_sw, "port %d: product/version %s, want %s" % (t["port"], sw, want_sw)
bad = {p: (got.get(p), w) for p, w in want.items() if got.get(p) != w}
extra = set(got) - set(want)
if bad or extra or done is None:
    sys.exit("FAIL %s: got/want %s, extra %s, completed %s" % (ip, bad, sorted(extra), done is not None))
print("udp %s: %d ports as expected" % (ip, len(want)))
EOF
}

for ip in 198.18.0.2 2001:2::2; do
	out="$LAB_TMP/ev-${ip//:/_}.ndjson"
	scan "$ip" -p U:7,53,123,161,9999,9998 --rate 1000 --retries 1 --wait 2 --allow-reserved \
		--states all -o "$out" --quiet
	check "$out" "$ip" || { cat "$out"; tail -n 5 "$LAB_TMP"/*.log; exit 1; }
done

# A user payload replaces the table's: the echo comes back, no service named.
out="$LAB_TMP/ev-user.ndjson"
scan 198.18.0.2 -p U:7 --udp-payload 7:48656c6c6f --rate 100 --wait 1 --allow-reserved \
	--states all -o "$out" --quiet
$PY - "$out" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ps = [e["result"] for e in ev if e["kind"] == "port_state"]
assert len(ps) == 1 and ps[0]["state"] == "open" and "service" not in ps[0], ps
print("udp user payload: open, no service")
EOF
