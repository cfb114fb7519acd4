#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `fastport serve`'s privilege separation (docs/SECURITY.md, "Privilege
# separation in serve"), started as root inside a lab namespace
# (tests/lab/lib.sh): the HTTP process runs as nobody with no
# capabilities, no_new_privs and its seccomp filter; the privileged parent
# keeps CAP_NET_RAW alone; a scan child holds at most CAP_NET_RAW and,
# once its sockets are open, nothing and the scan's filter. A SYN scan
# task finds exactly the lab's listeners, a cancel ends a scan
# interrupted, and a scan child killed with SIGKILL makes its scan failed
# with the reason (never a hang) while serve goes on.
# Usage: tests/serve/privsep.sh [BUILD_DIR] (default build/fast).
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-$HERE/../../build/fast}" && pwd)
export BUILD
. "$HERE/../lab/lib.sh"
. "$HERE/../lab/serve_lib.sh"
set +e

[ "$(id -u)" = 0 ] || die "needs root"
MODE=$("$FASTPORT" --version | awk '/^build-mode:/ {print $2}')
# Sanitizer builds install no syscall filter (docs/SECURITY.md).
case $MODE in debug) WANT_SECCOMP=0 ;; *) WANT_SECCOMP=2 ;; esac
NOBODY=$(id -u nobody)
RAW=0000000000002000   # CAP_NET_RAW (13)

lab_setup
lab_listen 22 80 8080

TOK=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$TOK" > "$LAB_TMP/token"
chmod 600 "$LAB_TMP/token"
URL=http://127.0.0.1:8700
SERVE_START_TRIES=100
WAIT_STATE_TRIES=600
WAIT_STATE_PAUSE=0.1
serve_launch "$LAB_TMP/serve.err" --listen 127.0.0.1:8700 --allow 198.19.0.0/24 \
	--allow-reserved --token-file "$LAB_TMP/token" --store "sqlite:$LAB_TMP/store.db" \
	--max-rate 50000 --max-scans 1

# field PID NAME: a line of /proc/PID/status, its first value
field() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }
# kid NAME: the child of serve with that command name
kid() { for p in $(pgrep -P "$SERVE_PID"); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && echo "$p"; done | head -n 1; }
# Every thread of PID: the capability sets within MASK, Seccomp as wanted.
threads_ok() {
	local pid=$1 mask=$2 t bad=
	for t in /proc/"$pid"/task/*; do
		for k in CapEff CapPrm CapInh CapAmb; do
			v=$(awk -v k="$k:" '$1 == k {print $2}' "$t/status")
			[ $((0x$v & ~0x$mask)) -eq 0 ] || bad="$bad $(basename "$t"):$k=$v"
		done
		v=$(awk '$1 == "Seccomp:" {print $2}' "$t/status")
		[ "$v" = "$WANT_SECCOMP" ] || bad="$bad $(basename "$t"):Seccomp=$v"
		v=$(awk '$1 == "NoNewPrivs:" {print $2}' "$t/status")
		[ "$v" = 1 ] || bad="$bad $(basename "$t"):NoNewPrivs=$v"
	done
	echo "${bad:-ok}"
}

# ---- the HTTP process and the parent ----
HTTP=$(kid fp-serve-http)
[ -n "$HTTP" ] && ok "an HTTP process (pid $HTTP)" || bad "no fp-serve-http child of serve"
check "HTTP: Uid is nobody's" "$NOBODY" "$(field "$HTTP" Uid)"
check "HTTP: Gid not 0" True "$([ "$(field "$HTTP" Gid)" != 0 ] && echo True || echo False)"
check "HTTP: CapEff 0" 0000000000000000 "$(field "$HTTP" CapEff)"
check "HTTP: CapPrm 0" 0000000000000000 "$(field "$HTTP" CapPrm)"
check "HTTP: CapBnd 0" 0000000000000000 "$(field "$HTTP" CapBnd)"
check "HTTP: NoNewPrivs 1" 1 "$(field "$HTTP" NoNewPrivs)"
check "HTTP: Seccomp $WANT_SECCOMP" "$WANT_SECCOMP" "$(field "$HTTP" Seccomp)"
check "HTTP: every thread" ok "$(threads_ok "$HTTP" 0)"
check "parent: Uid is nobody's" "$NOBODY" "$(field "$SERVE_PID" Uid)"
check "parent: CapEff CAP_NET_RAW only" "$RAW" "$(field "$SERVE_PID" CapEff)"
check "parent: CapPrm CAP_NET_RAW only" "$RAW" "$(field "$SERVE_PID" CapPrm)"
check "parent: CapBnd CAP_NET_RAW only" "$RAW" "$(field "$SERVE_PID" CapBnd)"
check "parent: NoNewPrivs 1" 1 "$(field "$SERVE_PID" NoNewPrivs)"
grep -q "listening on .*(pid $SERVE_PID)" "$LAB_TMP/serve.err" && ok "the pid named is the parent's" ||
	bad "pid named: $(cat "$LAB_TMP/serve.err")"

# ---- a SYN scan task against the lab's ground truth ----
task='{"targets":["198.19.0.0/28"],"ports":"22,80,443,8080","states":["open","closed"],"allow_reserved":true,"rate":20000}'
check "POST a SYN scan" 201 "$(req "$LAB_TMP/s.json" POST /v1/scans -d "$task")"
id=$(jget "$LAB_TMP/s.json" 'd["id"]')
check "SYN scan complete" complete "$(wait_state "$id" complete failed interrupted)"
req "$LAB_TMP/all.ndjson" GET "/v1/scans/$id/events" > /dev/null
truth=$("$PY" - "$LAB_TMP/all.ndjson" <<'PY'
import ipaddress, json, sys
got, method = set(), set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["kind"] == "port_state":
        t = e["target"]
        got.add((t["ip"], t["port"], e["result"]["state"]))
        method.add(e["result"]["reason"])
want = set()
for i in range(16):
    ip = str(ipaddress.ip_address("198.19.0.0") + i)
    for p in (22, 80, 8080):
        want.add((ip, p, "open"))
    want.add((ip, 443, "closed"))
if got != want:
    print(f"missing {sorted(want - got)[:5]} extra {sorted(got - want)[:5]}")
elif method != {"syn-ack", "rst"}:
    print(f"not a SYN scan: reasons {sorted(method)}")
else:
    print("equal")
PY
)
check "SYN findings equal the lab's listeners" equal "$truth"
req "$LAB_TMP/done.json" GET "/v1/scans/$id" > /dev/null
check "counters.open from the scan child" 48 "$(jget "$LAB_TMP/done.json" 'd["counters"]["open"]')"
check "stored by the HTTP process" 64 "$(sqlite3 "$LAB_TMP/store.db" "select count(*) from findings where scan_id = '$(jget "$LAB_TMP/done.json" 'd["scan_id"]')' and kind = 'port_state'")"

# ---- a running scan child: its privileges; then cancel ----
slow='{"targets":["198.19.0.0/24"],"ports":"1-65535","allow_reserved":true,"rate":2000}'
check "POST a long SYN scan" 201 "$(req "$LAB_TMP/l1.json" POST /v1/scans -d "$slow")"
l1=$(jget "$LAB_TMP/l1.json" 'd["id"]')
check "it runs" running "$(wait_state "$l1" running)"
SCAN=
for _ in $(seq 300); do
	SCAN=$(kid fp-serve-scan)
	# Wait for it to be past its setup: the filter is in once probes go.
	[ -n "$SCAN" ] && [ "$(field "$SCAN" Seccomp)" = "$WANT_SECCOMP" ] &&
		[ "$(field "$SCAN" CapEff)" = 0000000000000000 ] && break
	sleep 0.1
done
[ -n "$SCAN" ] && ok "a scan child (pid $SCAN)" || bad "no fp-serve-scan child of serve"
check "scan child: Uid is nobody's" "$NOBODY" "$(field "$SCAN" Uid)"
check "scan child: CapBnd CAP_NET_RAW only" "$RAW" "$(field "$SCAN" CapBnd)"
check "scan child: every thread within CAP_NET_RAW, NoNewPrivs, Seccomp" ok "$(threads_ok "$SCAN" 2000)"
check "scan child: nothing left once sending" 0000000000000000 "$(field "$SCAN" CapEff)"
for _ in $(seq 300); do
	req "$LAB_TMP/r1.json" GET "/v1/scans/$l1" > /dev/null
	[ "$(jget "$LAB_TMP/r1.json" 'd["counters"]["sent"] > 0')" = True ] && break
	sleep 0.1
done
check "live counters from the scan child" True "$(jget "$LAB_TMP/r1.json" 'd["counters"]["sent"] > 0 and 0 <= d["progress"] < 1 or d')"
check "DELETE the running scan" 200 "$(req /dev/null DELETE "/v1/scans/$l1")"
check "it ends interrupted" interrupted "$(wait_state "$l1" interrupted complete failed)"
check "its last event says interrupted" True "$(req "$LAB_TMP/l1.ndjson" GET "/v1/scans/$l1/events?kind=scan_completed" > /dev/null; jget "$LAB_TMP/l1.ndjson" 'd["interrupted"]')"
for _ in $(seq 100); do kill -0 "$SCAN" 2>/dev/null || break; sleep 0.1; done
check "the scan child is gone" gone "$(kill -0 "$SCAN" 2>/dev/null && echo alive || echo gone)"

# ---- a scan child killed: the scan fails with the reason ----
check "POST another long scan" 201 "$(req "$LAB_TMP/l2.json" POST /v1/scans -d "$slow")"
l2=$(jget "$LAB_TMP/l2.json" 'd["id"]')
check "it runs" running "$(wait_state "$l2" running)"
SCAN=
for _ in $(seq 300); do
	SCAN=$(kid fp-serve-scan)
	[ -n "$SCAN" ] && break
	sleep 0.1
done
kill -KILL "$SCAN"
check "killed scan: failed" failed "$(wait_state "$l2" failed complete interrupted)"
req "$LAB_TMP/f.json" GET "/v1/scans/$l2" > /dev/null
grep -q 'signal 9' "$LAB_TMP/f.json" && ok "the reason names the signal" || bad "reason: $(cat "$LAB_TMP/f.json")"

# ---- serve goes on ----
check "POST after the kill" 201 "$(req "$LAB_TMP/s3.json" POST /v1/scans -d "$task")"
check "and it completes" complete "$(wait_state "$(jget "$LAB_TMP/s3.json" 'd["id"]')" complete failed interrupted)"

# ---- stop ----
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
check "serve exits 0 on SIGTERM" 0 "$?"
left=0
for p in $(ip netns pids "$NS_S"); do
	case $(cat "/proc/$p/comm" 2>/dev/null) in fp-serve*|fastport) left=$((left + 1)) ;; esac
done
check "no process of serve left" 0 "$left"
if grep -qiE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$LAB_TMP/serve.err"; then
	bad "sanitizer report: $(head -c 2000 "$LAB_TMP/serve.err")"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
