#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `fastport serve --nats` end to end (docs/SCALING.md, docs/API-SERVE.md):
# a nats-server (unprivileged, JetStream in a temporary directory, on
# 127.0.0.1 of the lab's scanner namespace), three `fastport agent`s and
# serve --nats in that namespace, scanning the lab's target namespace
# (tests/lab/lib.sh: 198.18.0.0/15 only). Cases:
#  1. a /20 x 3 task with "shards": 6 posted over HTTP: GET /v1/scans/{id}
#     says complete with 6 of 6 shards done; the stored findings (the
#     store's scan id is the fleet's) equal the ground truth, each once;
#     the same idempotency key again is the same scan (one run of each
#     shard);
#  2. the same with one agent killed by SIGKILL mid-shard;
#  3. a task without "shards" is split by the plan (one shard per 65,536
#     probes); DELETE of a scan: interrupted, its shard tasks (queued or
#     running) purged from FASTPORT_TASKS (nats-server's /jsz);
#  4. a task with "shards" on a serve without --nats: 400;
#  5. the agents holding a shard's two deliveries (the consumer lowered
#     to --max-deliver 2 after they started) killed by SIGKILL: the
#     MAX_DELIVERIES advisory fails the shard and the scan in serve, and
#     `fastport results --wait` exits 1 naming it.
# Usage: tests/fleet/serve.sh [BUILD_DIR] (default build/fast). Prints
# "N passed, N failed"; exits 1 on a failure.
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-$HERE/../../build/fast}" && pwd)
export BUILD
. "$HERE/../lab/lib.sh"
. "$HERE/../lab/serve_lib.sh"
set +e
command -v nats-server > /dev/null || die "nats-server is not installed (tools/install-deps test)"

lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
in_s ip link set lo up
chmod 711 "$LAB_TMP"
NURL=nats://127.0.0.1:14222
URL=http://127.0.0.1:8700
TOK=   # serve runs without a token
WAIT_STATE_TRIES=3000
STATE=$LAB_TMP/state
DB=$STATE/fastport.db
declare -A AGENT_PID

mkdir -p "$LAB_TMP/nats/js" && chown -R nobody:nogroup "$LAB_TMP/nats"
ip netns exec "$NS_S" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	nats-server -a 127.0.0.1 -p 14222 -m 18222 -js -sd "$LAB_TMP/nats/js" >> "$LAB_TMP/nats/log" 2>&1 &
LAB_PIDS+=("$!")
for _ in $(seq 100); do in_s ss -ltnH 'sport = :14222' | grep -q . && break; sleep 0.1; done

agent() { # agent NAME [ARGS...]
	local name=$1
	shift
	ip netns exec "$NS_S" "$FASTPORT" agent --nats "$NURL" --name "$name" --allow 198.19.0.0/16 \
		--allow-reserved --ack-wait 4 --max-deliver 6 --heartbeat 1 --max-rate 200000 "$@" \
		2>> "$LAB_TMP/$name.log" &
	AGENT_PID[$name]=$!
	LAB_PIDS+=("$!")
}
for a in a1 a2 a3; do agent $a; done

serve_start() { # serve_start LOG [ARGS...]
	local log=$1
	shift
	serve_launch "$log" --listen 127.0.0.1:8700 --allow 198.19.0.0/16 \
		--allow-reserved --state-dir "$STATE" "$@"
}
post() { # post KEY RATE [MORE]: the task; prints "STATUS ID"
	local st
	st=$(req "$LAB_TMP/p.json" POST /v1/scans -d "{\"targets\":[\"198.19.0.0/20\"],\"ports\":\"22,80,443\",
		\"states\":[\"all\"],\"allow_reserved\":true,\"rate\":$2,\"retries\":2,
		\"idempotency_key\":\"$1\"$3}")
	echo "$st $(jget "$LAB_TMP/p.json" 'd.get("id", d)')"
}
# compare NAME SCAN_ID: the stored findings of the /20 x 3 plan with
# states all equal the truth, each once.
compare() {
	local out
	out=$("$PY" - "$LAB_DIR" "$DB" "$2" <<'PY'
import sqlite3, sys
sys.path.insert(0, sys.argv[1])
import truth
db = sqlite3.connect(sys.argv[2])
rows = db.execute("select addr, port, protocol, state from findings where scan_id = ? "
                  "and kind = 'port_state'", (sys.argv[3],)).fetchall()
seen, dups = {}, 0
for ip, port, proto, state in rows:
    key = (ip, port, proto)
    dups += key in seen
    seen[key] = state
want = {}
for ip in truth.addresses("198.19.0.0/20", None):
    for p in (22, 80, 443):
        want[(ip, p, "tcp")] = truth.truth("basic", ip, p)[0]
wrong = [k for k in want if seen.get(k) != want[k]]
extra = [k for k in seen if k not in want]
print("equal" if not wrong and not extra and not dups else
      f"dups {dups} wrong/missing {len(wrong)} {wrong[:3]} extra {extra[:3]}", len(rows))
PY
)
	echo "$1: ${out#* } stored findings"
	check "$1: stored findings equal the ground truth, each once" equal "${out%% *}"
}

serve_start "$LAB_TMP/serve.err" --nats "$NURL" --max-scans 2

# ---- 1. six shards over HTTP ----
read -r st id < <(post srv-main 20000 ',"shards":6')
check "POST: 201" 201 "$st"
read -r st2 id2 < <(post srv-main 20000 ',"shards":6')
check "the same idempotency key: 200, the same scan" "200 $id" "$st2 $id2"
check "complete" complete "$(wait_state "$id" complete failed interrupted)"
check "6 of 6 shards done, none failed" "6 6 0 1.0" "$(scan_field "$id" '" ".join(map(str, (d["fleet"]["shards"], d["fleet"]["done"], d["fleet"]["failed"], d["progress"])))')"
scan=$(scan_field "$id" 'd["scan_id"]')
check "the store's scan id is the fleet's (submit --idempotency-key gives it)" \
	"$scan" "$(in_s "$FASTPORT" submit --nats "$NURL" --shards 6 --idempotency-key srv-main \
	--seed 1 --allow-reserved 198.19.0.1 2>/dev/null)"
compare "6 shards" "$scan"
check "each shard ran once" 6 "$(cat "$LAB_TMP"/a?.log | grep "scan $scan shard" | grep -c ' started')"
check "counters: 12288 findings" 12288 "$(scan_field "$id" 'd["counters"]["findings"]')"

# ---- 2. SIGKILL of an agent mid-shard ----
read -r st kid < <(post srv-kill 1000 ',"shards":6')
kscan=$(scan_field "$kid" 'd["scan_id"]')
for _ in $(seq 1200); do grep -q "scan $kscan shard .* first checkpoint kept" "$LAB_TMP/a1.log" && break; sleep 0.1; done
kill -KILL "${AGENT_PID[a1]}"
wait "${AGENT_PID[a1]}" 2>/dev/null
agent a4
echo "killed a1 during: $(grep "scan $kscan shard .* started" "$LAB_TMP/a1.log" | tail -n 1)"
check "SIGKILL: complete" complete "$(wait_state "$kid" complete failed interrupted)"
check "SIGKILL: 6 of 6 shards complete" "6 0" "$(scan_field "$kid" '" ".join(map(str, (d["fleet"]["complete"], d["fleet"]["failed"])))')"
compare "SIGKILL" "$kscan"
check "SIGKILL: a shard of a1 redelivered to another agent" 1 \
	"$(grep -h "scan $kscan shard .* started (delivery [2-9])" "$LAB_TMP"/a[234].log | grep -c . | awk '{print ($1 >= 1)}')"

# ---- 3. no "shards": split by the plan; DELETE ----
st=$(req "$LAB_TMP/p.json" POST /v1/scans -d '{"targets":["198.19.0.0/16"],"ports":"22,80,443",
	"allow_reserved":true,"rate":500}')
aid=$(jget "$LAB_TMP/p.json" 'd["id"]')
check "no shards: 196608 probes in 3 shards" "201 3" "$st $(scan_field "$aid" 'd["task"]["shards"]')"
# Tasks in FASTPORT_TASKS (nats-server's monitoring port).
tasks() {
	in_s curl -s 'http://127.0.0.1:18222/jsz?streams=true' | "$PY" -c 'import json, sys
d = json.load(sys.stdin)
print(sum(s["state"]["messages"] for a in d.get("account_details", [])
          for s in a.get("stream_detail", []) if s["name"] == "FASTPORT_TASKS"))'
}
wait_state "$aid" running > /dev/null
# The three agents are busy with its shards: 12 more wait in the queue.
st=$(req "$LAB_TMP/p.json" POST /v1/scans -d '{"targets":["198.19.0.0/16"],"ports":"22,80,443",
	"allow_reserved":true,"rate":500,"shards":12}')
did=$(jget "$LAB_TMP/p.json" 'd["id"]')
for _ in $(seq 300); do [ "$(tasks)" = 15 ] && break; sleep 0.1; done
check "15 shard tasks in the stream" 15 "$(tasks)"
check "DELETE: 200" 200 "$(req "$LAB_TMP/d.json" DELETE "/v1/scans/$did")"
check "DELETE: interrupted" interrupted "$(wait_state "$did" interrupted complete failed)"
check "DELETE: its 12 shard tasks purged" 3 "$(tasks)"
check "DELETE of the first: 200" 200 "$(req "$LAB_TMP/d.json" DELETE "/v1/scans/$aid")"
check "DELETE of the first: interrupted" interrupted "$(wait_state "$aid" interrupted complete failed)"
check "DELETE of the first: its running shard tasks purged" 0 "$(tasks)"

for a in a2 a3 a4; do kill -TERM "${AGENT_PID[$a]}"; done
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
check "serve --nats: exit 0 on SIGTERM" 0 "$?"

# ---- 5. the agent holding a shard's last delivery dies ----
# A server of its own: the agents' consumer made with --max-deliver 2.
mkdir -p "$LAB_TMP/nats2/js" && chown -R nobody:nogroup "$LAB_TMP/nats2"
ip netns exec "$NS_S" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	nats-server -a 127.0.0.1 -p 14224 -js -sd "$LAB_TMP/nats2/js" >> "$LAB_TMP/nats2/log" 2>&1 &
N2_PID=$!
LAB_PIDS+=("$N2_PID")
for _ in $(seq 100); do in_s ss -ltnH 'sport = :14224' | grep -q . && break; sleep 0.1; done
NURL=nats://127.0.0.1:14224
serve_start "$LAB_TMP/serve3.err" --nats "$NURL"
# Two agents that know the consumer with 6 deliveries, then one that
# lowers it to 2: the first two run the second delivery (their view is
# stale) instead of giving it up, and their deaths leave it unreported
# but for the advisory.
agent m1
agent m2
for _ in $(seq 600); do cat "$LAB_TMP"/m[12].log 2>/dev/null | grep -c '6 deliveries' | grep -q 2 && break; sleep 0.1; done
agent z --max-deliver 2
for _ in $(seq 600); do grep -q '2 deliveries' "$LAB_TMP/z.log" 2>/dev/null && break; sleep 0.1; done
kill -TERM "${AGENT_PID[z]}"
wait "${AGENT_PID[z]}"
read -r st mid < <(post srv-maxdeliv 300 ',"shards":1')
mscan=$(scan_field "$mid" 'd["scan_id"]')
in_s timeout -s KILL 600 "$FASTPORT" results --nats "$NURL" --wait "$mscan" > /dev/null 2> "$LAB_TMP/md.sum" &
RES_PID=$!
for n in 1 2; do
	holder=
	for _ in $(seq 1200); do
		holder=$(grep -l "scan $mscan shard 1/1 started (delivery $n)" "$LAB_TMP"/m[12].log 2>/dev/null | head -n 1)
		[ -n "$holder" ] && break
		sleep 0.1
	done
	holder=$(basename "${holder:-none}" .log)
	echo "delivery $n: agent $holder, killed"
	[ "$holder" != none ] && { kill -KILL "${AGENT_PID[$holder]}"; wait "${AGENT_PID[$holder]}" 2>/dev/null; }
done
agent m3 --max-deliver 2
check "max deliveries: failed" failed "$(wait_state "$mid" failed complete interrupted)" ||
	tail -n 5 "$LAB_TMP"/m?.log "$LAB_TMP/serve3.err"
err=$(scan_field "$mid" 'd["error"]')
echo "error: $err"
case $err in *"delivered 2 times"*) ok "max deliveries: the reason names them" ;;
	*) bad "max deliveries: error '$err'" ;; esac
check "max deliveries: 1 shard failed" "1 1" "$(scan_field "$mid" '" ".join(map(str, (d["fleet"]["done"], d["fleet"]["failed"])))')"
wait "$RES_PID"
check "max deliveries: results --wait exits 1" 1 "$?"
check "max deliveries: results --wait reports the shard failed" 1 "$(grep -c 'shard 1/1 failed.*delivered 2 times' "$LAB_TMP/md.sum")"
kill -TERM "${AGENT_PID[m3]}"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"

# ---- 4. shards without --nats ----
serve_start "$LAB_TMP/serve2.err" --store none
st=$(req "$LAB_TMP/p.json" POST /v1/scans -d '{"targets":["198.19.0.1"],"allow_reserved":true,"shards":2}')
check "shards without --nats: 400" 400 "$st"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"

echo "fleet serve: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
