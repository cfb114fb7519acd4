# SPDX-License-Identifier: MIT
# The store's change lab (t_store*.sh; source after lib.sh and lab_setup):
# store_lab_a starts it in state A, store_lab_b changes it to state B:
#   - 198.19.1.5 tcp/80 and 2001:2:0:1::12 tcp/80 open (nft reset removed),
#   - 198.19.1.3 tcp/8080 open (a listener, reset elsewhere),
#   - 198.19.1.7 tcp/22 closed (reset),
#   - 198.19.1.2 tcp/2222: the SSH greeting from OpenSSH 8.4p1 to 9.2p1,
#   - 198.19.1.4 tcp/8443: the TLS certificate replaced (lab-a, lab-b).
# STORE_TARGETS and STORE_PORTS are what to scan; STORE_CHANGES the
# changes, one line each: change, address, protocol/port, and what the
# re-probe found (closed) or what changed (service_changed).
STORE_TARGETS=(198.19.1.0/29 2001:2:0:1::10-2001:2:0:1::13)
STORE_PORTS=22,80,2222,8080,8443
STORE_CHANGES=$(printf '%s\n' "closed 198.19.1.7 tcp/22 closed" "opened 198.19.1.3 tcp/8080 -" \
	"opened 198.19.1.5 tcp/80 -" "opened 2001:2:0:1::12 tcp/80 -" \
	"service_changed 198.19.1.2 tcp/2222 version" \
	"service_changed 198.19.1.4 tcp/8443 cert_sha256" | sort)

RESP=() # the responders' own pids (ip netns exec may fork)
responders() { # SPEC...: starts one store_lab.py, waits until its ports listen
	local out=$LAB_TMP/resp.${#RESP[@]}.out pid
	in_t "$PY" "$LAB_DIR/store_lab.py" "$@" >"$out" 2>&1 &
	pid=$!
	LAB_PIDS+=($pid)
	for _ in $(seq 100); do
		if grep -q '^ready ' "$out"; then
			RESP+=($(sed -n 's/^ready //p' "$out"))
			return 0
		fi
		[ -d /proc/$pid ] && ! grep -q '^State:.*Z' /proc/$pid/status || break
		sleep 0.1
	done
	die "store_lab.py did not start: $(cat "$out")"
}
state_a() {
	lab_nft <<-'NFT'
	table inet fpstore {
		chain in {
			type filter hook input priority 0; policy accept;
			ip daddr 198.19.1.5 tcp dport 80 reject with tcp reset
			ip6 daddr 2001:2:0:1::12 tcp dport 80 reject with tcp reset
			tcp dport 8080 reject with tcp reset
			ip daddr != 198.19.1.2 tcp dport 2222 reject with tcp reset
			ip6 daddr ::/0 tcp dport { 2222, 8443 } reject with tcp reset
			ip daddr != 198.19.1.4 tcp dport 8443 reject with tcp reset
		}
	}
	NFT
}
state_b() {
	in_t nft delete table inet fpstore
	lab_nft <<-'NFT'
	table inet fpstore {
		chain in {
			type filter hook input priority 0; policy accept;
			ip daddr 198.19.1.7 tcp dport 22 reject with tcp reset
			ip daddr != 198.19.1.3 tcp dport 8080 reject with tcp reset
			ip6 daddr ::/0 tcp dport 8080 reject with tcp reset
			ip daddr != 198.19.1.2 tcp dport 2222 reject with tcp reset
			ip6 daddr ::/0 tcp dport { 2222, 8443 } reject with tcp reset
			ip daddr != 198.19.1.4 tcp dport 8443 reject with tcp reset
		}
	}
	NFT
}
store_lab_a() {
	for v in a b; do
		openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=lab-$v.example" \
			-keyout "$LAB_TMP/$v.key" -out "$LAB_TMP/$v.pem" 2>/dev/null || die "openssl req"
		chmod 644 "$LAB_TMP/$v.key"
	done
	responders banner:22:SSH-2.0-OpenSSH_9.2p1 http:80:nginx/1.22.1 http:8080:lab-8080
	responders "banner:2222:SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1" \
		"tls:8443:$LAB_TMP/a.pem:$LAB_TMP/a.key"
	STORE_OLD=${RESP[1]}
	state_a
}

store_lab_b() {
	kill "$STORE_OLD"
	while kill -0 "$STORE_OLD" 2>/dev/null; do sleep 0.1; done
	state_b
	responders "banner:2222:SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2" \
		"tls:8443:$LAB_TMP/b.pem:$LAB_TMP/b.key"
}

# One line per exposure_change event of an NDJSON stream (STORE_CHANGES' form).
store_changes() {
	"$PY" -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e.get("kind") != "exposure_change":
        continue
    t = e["target"]
    extra = "-"
    if e["change"] == "closed":
        extra = e["after"].get("confirmed", "none")
    elif e["change"] == "service_changed":
        extra = ",".join(e["changed"])
    print(e["change"], t["ip"], "%s/%d" % (t["protocol"], t["port"]), extra)
' | sort
}
