#!/usr/bin/env bash
# The connect() scan (--connect) over an answering /22 x 5 TCP ports with
# open, closed (RST), and filtered (drop, ICMP admin-prohibited, ICMP
# port-unreachable) patterns: every state equals the ground truth and every
# reason is the connect() name for it (truth.py --method connect), with no
# duplicates, also with few descriptors and with retries; IPv6; then SIGINT during a connect scan of dropped ports ends it
# within a second with a closing event.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
start=$(date +%s.%N)
scan 198.19.0.0/22 -p 22,80,443,8080,9000 --connect --states open,closed,filtered \
	--rate 50000 --wait 1 --allow-reserved -o "$LAB_TMP/ev.ndjson" --quiet
end=$(date +%s.%N)
echo "wall $(echo "$end - $start" | bc) s"
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/ev.ndjson" --method connect \
	--targets 198.19.0.0/22 --ports 22,80,443,8080,9000

# Few descriptors (a hard limit of 200: 136 attempts in flight) and two
# retries: the same exact result.
in_s timeout -s KILL 120 prlimit --nofile=200:200 "$FASTPORT" 198.19.0.0/22 \
	-p 22,80,443,8080,9000 --connect --states open,closed,filtered --rate 50000 --wait 1 \
	--retries 2 --allow-reserved -o "$LAB_TMP/few.ndjson" --quiet
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/few.ndjson" --method connect \
	--targets 198.19.0.0/22 --ports 22,80,443,8080,9000
sent=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["counters"]["sent"])' \
	"$LAB_TMP/few.ndjson")
# 352 probes are dropped: each is tried three times (more attempts only
# if an answer was late).
echo "few descriptors: $sent attempts"
[ "$sent" -ge $((5120 + 2 * 352)) ] || die "few descriptors: $sent attempts, want >= $((5120 + 2 * 352))"

# IPv6: open and closed answers over the same link.
scan 2001:2:0:1::10-2001:2:0:1::1f -p 22,80,9000 --connect --states open,closed,filtered \
	--rate 10000 --wait 1 --allow-reserved -o "$LAB_TMP/ev6.ndjson" --quiet
$PY "$LAB_DIR/truth.py" validate "$LAB_TMP/ev6.ndjson"
n_open=$(grep -c '"state":"open","reason":"connect"' "$LAB_TMP/ev6.ndjson" || true)
n_closed=$(grep -c '"state":"closed","reason":"refused"' "$LAB_TMP/ev6.ndjson" || true)
echo "ipv6: open=$n_open closed=$n_closed"
[ "$n_open" -eq 32 ] && [ "$n_closed" -eq 16 ] || die "ipv6 connect scan: open=$n_open closed=$n_closed (want 32, 16)"

# SIGINT: 198.19.1.0/24 port 80 is dropped, so attempts stay pending.
ip netns exec "$NS_S" "$FASTPORT" 198.19.1.0/24 -p 80 --connect --states open,closed,filtered --rate 100000 \
	--retries 5 --wait 30 --allow-reserved -o "$LAB_TMP/int.ndjson" --quiet &
pid=$!
sleep 0.5
t0=$(date +%s%N)
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "sigint: exit $rc after $ms ms"
[ "$ms" -lt 1000 ] || die "SIGINT took $ms ms"
tail -n 1 "$LAB_TMP/int.ndjson" | grep -q '"kind":"scan_completed".*"interrupted":true' ||
	die "no interrupted scan_completed after SIGINT"

# IPv4 and IPv6 in one scan: IPv4 answers in microseconds while the first
# IPv6 attempts still wait for neighbour discovery; each family keeps its
# own timeout, so none of them is given up early.
scan 198.19.3.0/26 2001:2:0:1::/122 -p 22,80,9000 --connect --states open,closed,filtered \
	--rate 50000 --wait 2 --allow-reserved -o "$LAB_TMP/mixed.ndjson" --quiet
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/mixed.ndjson" --method connect \
	--targets 198.19.3.0/26,2001:2:0:1::/122 --ports 22,80,9000
