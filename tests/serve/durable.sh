#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Durability of `fastport serve`, in a lab namespace (tests/lab/lib.sh):
# serve scans 198.19.0.0/20 x 22,80,443 (listeners on 22 and 80, 443
# closed) at a modest rate, so a scan runs several seconds, with its store
# and checkpoints in a --state-dir of the test's own (the default store,
# sqlite: in that directory).
#  1. an uninterrupted scan: its stored findings equal the ground truth;
#  2. SIGKILL mid-scan (once its checkpoint counts 1000 answered probes),
#     restart: the scan resumes from the checkpoint (sends fewer probes
#     than a whole scan), keeps its store scan id and completes; the stored
#     findings equal the truth and the uninterrupted scan's, each once, and
#     so do the events serve gives for it and for the scan before the kill;
#  3. SIGTERM mid-scan with a second scan queued: serve exits 0, the
#     running scan is stored interrupted, the queued one queued; at the
#     next start both complete, the resumed one as in 2;
#  4. a lab change (port 80 closed on a /24), another scan: GET
#     /v1/changes?since= (a time, a scan id) gives the 256 closed ports as
#     exposure_change events; 400 for a bad since;
#  5. DELETE of a running scan: interrupted, its checkpoint kept, and not
#     resumed at the next start.
# Usage: tests/serve/durable.sh [BUILD_DIR] (default build/fast). Prints
# "N passed, N failed"; exits 1 on a failure.
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-$HERE/../../build/fast}" && pwd)
export BUILD
. "$HERE/../lab/lib.sh"
. "$HERE/../lab/serve_lib.sh"
set +e

lab_setup
lab_listen 22 80
in_s ip link set lo up

TOK=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$TOK" > "$LAB_TMP/token"
chmod 600 "$LAB_TMP/token"
URL=http://127.0.0.1:8700
STATE=$LAB_TMP/state
DB=$STATE/fastport.db
SERVE_PID=

serve_start() { # serve_start LOG
	serve_launch "$1" --listen 127.0.0.1:8700 --allow 198.19.0.0/16 \
		--allow-reserved --token-file "$LAB_TMP/token" --state-dir "$STATE" \
		--max-rate 2000 --max-scans 1
}
post() { # post KEY: the task, an id
	local st
	st=$(req "$LAB_TMP/p.json" POST /v1/scans -d "{\"targets\":[\"198.19.0.0/20\"],\"ports\":\"22,80,443\",
		\"states\":[\"open\",\"closed\"],\"allow_reserved\":true,\"rate\":1500,\"retries\":1,
		\"idempotency_key\":\"$1\"}")
	case $st in
	200|201) jget "$LAB_TMP/p.json" 'd["id"]' ;;
	*) echo "POST $1: $st $(cat "$LAB_TMP/p.json")" >&2; echo none ;;
	esac
}
# Answered probes counted by a checkpoint (bits after the 56-byte header).
ckpt_bits() {
	"$PY" -c 'import sys
try: b = open(sys.argv[1], "rb").read()[56:]
except OSError: b = b""
print(sum(bin(x).count("1") for x in b))' "$STATE/checkpoints/$1.state"
}
wait_ckpt() { # wait_ckpt ID N: until its checkpoint counts N answered probes
	for _ in $(seq 1200); do
		[ "$(ckpt_bits "$1")" -ge "$2" ] && return 0
		[ "$(scan_field "$1" 'd["state"]')" = running ] || break
		sleep 0.1
	done
	return 1
}
# The stored port_state findings of a store scan id, one "ip port proto
# state" per line, sorted; and how many rows.
findings() {
	sqlite3 "$DB" "select addr, port, protocol, state from findings where scan_id = '$1'
		and kind = 'port_state' order by 1, 2, 3" | sort
}
task_state() { sqlite3 "$DB" "select state from serve_tasks where id = '$1'"; }
"$PY" - > "$LAB_TMP/truth" <<'PY'
import ipaddress
for i in range(4096):
    ip = str(ipaddress.ip_address("198.19.0.0") + i)
    print(f"{ip}|22|tcp|open\n{ip}|80|tcp|open\n{ip}|443|tcp|closed")
PY
sort -o "$LAB_TMP/truth" "$LAB_TMP/truth"

# ---- 1. uninterrupted ----
serve_start "$LAB_TMP/serve1.err"
check "default store in the state dir" yes "$([ -f "$DB" ] && echo yes)"
u=$(post uninterrupted)
check "uninterrupted scan completes" complete "$(wait_state "$u" complete failed interrupted)"
u_scan=$(scan_field "$u" 'd["scan_id"]')
u_sent=$(scan_field "$u" 'd["counters"]["sent"]')
findings "$u_scan" > "$LAB_TMP/u.txt"
check "uninterrupted: stored findings equal the truth" "" "$(diff "$LAB_TMP/truth" "$LAB_TMP/u.txt" | head -5)"
check "its checkpoint is removed" no "$([ -e "$STATE/checkpoints/$u.state" ] && echo yes || echo no)"

# ---- 2. SIGKILL mid-scan, restart ----
k=$(post killed)
check "a checkpoint counts 1000 answered probes" 0 "$(wait_ckpt "$k" 1000; echo $?)"
k_scan=$(scan_field "$k" 'd["scan_id"]')
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2> /dev/null
check "stored as running when killed" running "$(task_state "$k")"
before=$(sqlite3 "$DB" "select count(*) from findings where scan_id = '$k_scan' and kind = 'port_state'")
[ "$before" -ge 1000 ] && [ "$before" -lt 12288 ] && ok "killed mid-scan ($before findings stored)" ||
	bad "killed mid-scan: $before findings stored"
serve_start "$LAB_TMP/serve2.err"
check "listed after the restart" 200 "$(req /dev/null GET "/v1/scans/$u")"
check "the killed scan completes" complete "$(wait_state "$k" complete failed interrupted)"
check "same store scan id" "$k_scan" "$(scan_field "$k" 'd["scan_id"]')"
k_sent=$(scan_field "$k" 'd["counters"]["sent"]')
# 1000 probes skipped, less at most 500 retries of lost ones.
[ "$k_sent" -le $((12288 - 500)) ] && ok "resumed from its checkpoint (sent $k_sent, whole scan $u_sent)" ||
	bad "resumed from its checkpoint: sent $k_sent, whole scan $u_sent"
findings "$k_scan" > "$LAB_TMP/k.txt"
check "killed: stored findings equal the truth" "" "$(diff "$LAB_TMP/truth" "$LAB_TMP/k.txt" | head -5)"
check "killed: equal the uninterrupted scan's" "" "$(diff "$LAB_TMP/u.txt" "$LAB_TMP/k.txt" | head -5)"
# GET .../events after the restart: the store's events, each finding once
# (a resumed scan re-sends what its last checkpoint had not marked).
ev_findings() { # ev_findings ID: "ip|port|proto|state" of its port_state events
	req "$LAB_TMP/ev.ndjson" GET "/v1/scans/$1/events?kind=port_state" > /dev/null
	"$PY" - "$LAB_TMP/ev.ndjson" <<'PY' | sort
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    t = e["target"]
    print(f"{t['ip']}|{t['port']}|{t['protocol']}|{e['result']['state']}")
PY
}
check "events of a scan ended before the restart (from the store)" "" \
	"$(ev_findings "$u" | diff "$LAB_TMP/truth" - | head -5)"
check "events of the resumed scan: the truth, each once" "" \
	"$(ev_findings "$k" | diff "$LAB_TMP/truth" - | head -5)"
check "one stored scan, complete" "complete" "$(sqlite3 "$DB" "select group_concat(state) from scans where scan_id = '$k_scan'")"
check "the same idempotency key answers the first scan" "$k" "$(post killed)"

# ---- 3. SIGTERM drains ----
t=$(post terminated)
q=$(post queued)
check "a checkpoint counts 1000 answered probes (SIGTERM)" 0 "$(wait_ckpt "$t" 1000; echo $?)"
t_scan=$(scan_field "$t" 'd["scan_id"]')
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
check "serve exits 0 on SIGTERM" 0 "$?"
check "the running scan is stored interrupted" interrupted "$(task_state "$t")"
check "the queued scan stays queued" queued "$(task_state "$q")"
check "the store marks it interrupted" interrupted "$(sqlite3 "$DB" "select state from scans where scan_id = '$t_scan'")"
serve_start "$LAB_TMP/serve3.err"
check "the interrupted scan completes" complete "$(wait_state "$t" complete failed interrupted)"
check "the queued scan completes" complete "$(wait_state "$q" complete failed interrupted)"
check "same store scan id (SIGTERM)" "$t_scan" "$(scan_field "$t" 'd["scan_id"]')"
t_sent=$(scan_field "$t" 'd["counters"]["sent"]')
[ "$t_sent" -le $((12288 - 500)) ] && ok "resumed from its checkpoint (sent $t_sent)" ||
	bad "resumed from its checkpoint: sent $t_sent, whole scan $u_sent"
findings "$t_scan" > "$LAB_TMP/t.txt"
check "terminated: stored findings equal the truth" "" "$(diff "$LAB_TMP/truth" "$LAB_TMP/t.txt" | head -5)"
findings "$(scan_field "$q" 'd["scan_id"]')" > "$LAB_TMP/q.txt"
check "queued: stored findings equal the truth" "" "$(diff "$LAB_TMP/truth" "$LAB_TMP/q.txt" | head -5)"

# ---- 4. exposure changes ----
in_t nft -f - <<'NFT'
table inet fpdurable {
 chain input {
  type filter hook input priority 0; policy accept;
  ip daddr 198.19.0.0/24 tcp dport 80 reject with tcp reset
 }
}
NFT
q_scan=$(scan_field "$q" 'd["scan_id"]')
since=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
c=$(post changed)
check "the scan after the change completes" complete "$(wait_state "$c" complete failed interrupted)"
check "changes since a time" 200 "$(req "$LAB_TMP/ch1.ndjson" GET "/v1/changes?since=$since")"
check "changes since the scan before" 200 "$(req "$LAB_TMP/ch2.ndjson" GET "/v1/changes?since=$q_scan")"
check "changes since serve's id of it" 200 "$(req "$LAB_TMP/ch3.ndjson" GET "/v1/changes?since=$q")"
"$PY" - "$LAB_TMP/ch1.ndjson" "$(scan_field "$c" 'd["scan_id"]')" <<'PY' > "$LAB_TMP/chk.txt"
import ipaddress, json, sys
want = {(str(ipaddress.ip_address("198.19.0.0") + i), 80) for i in range(256)}
got = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["kind"] == "exposure_change" and e["change"] == "closed", e
    assert e["scan_id"] == sys.argv[2], e["scan_id"]
    got.add((e["target"]["ip"], e["target"]["port"]))
print("equal" if got == want else f"missing {sorted(want - got)[:3]} extra {sorted(got - want)[:3]}")
PY
check "the 256 ports closed, each once" "equal 256" "$(cat "$LAB_TMP/chk.txt") $(wc -l < "$LAB_TMP/ch1.ndjson")"
check "since a scan id: the same" "" "$(cmp "$LAB_TMP/ch1.ndjson" "$LAB_TMP/ch2.ndjson")"
check "since serve's id: the same" "" "$(cmp "$LAB_TMP/ch1.ndjson" "$LAB_TMP/ch3.ndjson")"
if "$PY" "$LAB_DIR/truth.py" validate "$LAB_TMP/ch1.ndjson" > "$LAB_TMP/val.out" 2>&1; then
	ok "exposure_change events valid"
else bad "exposure_change events: $(head -c 300 "$LAB_TMP/val.out")"; fi
check "none since the last scan" 0 "$(req "$LAB_TMP/ch4.ndjson" GET "/v1/changes?since=$(scan_field "$c" 'd["scan_id"]')" > /dev/null; wc -l < "$LAB_TMP/ch4.ndjson")"
check "400 bad since" 400 "$(req "$LAB_TMP/e.json" GET "/v1/changes?since=yesterday")"
check "400 bad time" 400 "$(req /dev/null GET "/v1/changes?since=2026-13-40T99:00:00Z")"
check "400 unknown scan" 400 "$(req /dev/null GET "/v1/changes?since=0123456789abcdef")"
check "401 without a token" 401 "$(in_s curl -s -o /dev/null -w '%{http_code}' "$URL/v1/changes")"

# ---- 5. DELETE: interrupted, its checkpoint kept, not resumed at a start ----
d=$(post deleted)
check "a checkpoint of the scan to cancel" 0 "$(wait_ckpt "$d" 1000; echo $?)"
check "DELETE it" 200 "$(req /dev/null DELETE "/v1/scans/$d")"
check "cancelled: interrupted" interrupted "$(wait_state "$d" interrupted complete failed)"
check "cancelled: stored so" "interrupted|1" "$(sqlite3 "$DB" "select state, cancelled from serve_tasks where id = '$d'")"
check "cancelled: its checkpoint stays" yes "$([ -s "$STATE/checkpoints/$d.state" ] && echo yes)"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
check "serve exits 0" 0 "$?"
serve_start "$LAB_TMP/serve4.err"
check "a cancelled scan is not resumed at a start" interrupted "$(scan_field "$d" 'd["state"]')"
check "nothing queued at that start" 0 "$(req "$LAB_TMP/m.txt" GET /metrics > /dev/null; awk '$1 == "fastport_queue_length" {print $2}' "$LAB_TMP/m.txt")"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
check "serve exits 0 (last)" 0 "$?"
if grep -qiE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$LAB_TMP"/serve*.err; then
	bad "sanitizer report: $(grep -h -A5 -iE 'Sanitizer|runtime error' "$LAB_TMP"/serve*.err | head -c 2000)"
fi
if [ "$FAIL" -gt 0 ]; then
	for f in "$LAB_TMP"/serve*.err; do echo "--- $(basename "$f")"; tail -n 20 "$f"; done
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
