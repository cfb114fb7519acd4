#!/usr/bin/env bash
# The two send paths (docs/DESIGN.md, "Send paths"): the /16 x 5-port ground
# truth of t_truth.sh, exact with --send-path xdp (AF_XDP sockets) and with
# --send-path ring (AF_PACKET TX rings), each scan_started event naming the
# path it used; auto names its choice. With queue 0 of the veth (its only
# TX queue) held by another XDP socket, xdp fails with a clear message and
# auto falls back to the ring, saying why, with exact results. Where AF_XDP
# cannot be set up at all, the test says so and checks the fallback alone.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft

targets=198.19.0.0/16
ports=22,80,443,8080,9000
truth() { $PY "$LAB_DIR/truth.py" check basic "$1" --targets "$2" --ports "$ports"; }

# "send_path send_threads xdp_mode send_fallback" of a scan_started event.
started() {
	head -n 1 "$1" | $PY -c '
import json, sys
e = json.load(sys.stdin)
assert e["kind"] == "scan_started", e["kind"]
s = e["scan"]
print(s.get("send_path", "?"), s.get("send_threads", "?"), s.get("xdp_mode", "-"),
      s.get("send_fallback", "-"))'
}

full() { # PATH OUT: the /16 x 5 scan on PATH
	scan "$targets" -p "$ports" --rate 300000 --retries 1 --allow-reserved \
		--states open,closed,filtered -o "$2" --quiet --send-path "$1"
}

# 1. xdp, if this machine can set it up.
xdp=1
set +e
full xdp "$LAB_TMP/xdp.ndjson" 2>"$LAB_TMP/xdp.err"
rc=$?
set -e
if [ "$rc" != 0 ]; then
	grep -q "cannot send with AF_XDP" "$LAB_TMP/xdp.err" ||
		die "--send-path xdp: exit $rc without a clear message: $(cat "$LAB_TMP/xdp.err")"
	[ "$rc" = 1 ] || die "--send-path xdp: exit $rc, want 1"
	echo "AF_XDP is not available here ($(cat "$LAB_TMP/xdp.err")): checking the fallback only"
	xdp=0
else
	read -r path threads mode fallback < <(started "$LAB_TMP/xdp.ndjson")
	[ "$path" = xdp ] || die "--send-path xdp: scan_started says send_path $path"
	[ "$threads" = 1 ] || die "--send-path xdp: $threads sending threads on a veth with one TX queue"
	echo "xdp: $threads thread(s), $mode mode"
	truth "$LAB_TMP/xdp.ndjson" "$targets"
fi

# 2. ring.
full ring "$LAB_TMP/ring.ndjson"
read -r path threads mode fallback < <(started "$LAB_TMP/ring.ndjson")
[ "$path" = ring ] || die "--send-path ring: scan_started says send_path $path"
echo "ring: $threads thread(s)"
truth "$LAB_TMP/ring.ndjson" "$targets"

# 3. auto names what it used: AF_XDP where it can be set up.
small=198.19.0.0/22
scan "$small" -p "$ports" --rate 100000 --retries 1 --allow-reserved --states open,closed,filtered \
	-o "$LAB_TMP/auto.ndjson" --quiet
read -r path threads mode fallback < <(started "$LAB_TMP/auto.ndjson")
want=xdp
[ "$xdp" = 1 ] || want=ring
[ "$path" = "$want" ] || die "auto: send_path $path, want $want"
[ "$xdp" = 1 ] || [ "$fallback" != - ] || die "auto fell back to the ring without saying why"
echo "auto: send_path $path ($threads thread(s)), fallback: $fallback"
truth "$LAB_TMP/auto.ndjson" "$small"

# 4. The veth's one TX queue held by another XDP socket (a slow scan of
# other addresses): xdp fails, auto falls back to the ring.
if [ "$xdp" = 1 ]; then
	in_s timeout -s KILL 120 "$FASTPORT" 198.19.200.0/24 -p 1-1000 --rate 500 --retries 0 \
		--wait 0 --allow-reserved --send-path xdp -o "$LAB_TMP/holder.ndjson" --quiet &
	holder=$!
	LAB_PIDS+=($holder)
	# Its sockets are open once it has entered its sandbox (NoNewPrivs).
	exe=$(readlink -f "$FASTPORT") hpid=
	for _ in $(seq 100); do
		for p in $(ip netns pids "$NS_S"); do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] &&
				grep -q "^NoNewPrivs:[[:space:]]*1" "/proc/$p/status" 2>/dev/null && hpid=$p
		done
		[ -n "$hpid" ] && break
		sleep 0.1
	done
	[ -n "$hpid" ] || die "the scan holding the queue did not start"
	set +e
	scan "$small" -p "$ports" --rate 100000 --allow-reserved -o "$LAB_TMP/busy.ndjson" --quiet \
		--send-path xdp 2>"$LAB_TMP/busy.err"
	rc=$?
	set -e
	[ "$rc" = 1 ] || die "xdp on a taken queue: exit $rc, want 1"
	grep -q "cannot send with AF_XDP on eth0: each of its 1 TX queues already has an XDP socket" \
		"$LAB_TMP/busy.err" || die "xdp on a taken queue: $(cat "$LAB_TMP/busy.err")"
	[ ! -s "$LAB_TMP/busy.ndjson" ] || die "xdp on a taken queue still produced events"
	echo "xdp on a taken queue: $(cat "$LAB_TMP/busy.err")"
	scan "$small" -p "$ports" --rate 100000 --retries 1 --allow-reserved \
		--states open,closed,filtered -o "$LAB_TMP/fallback.ndjson" --quiet
	read -r path threads mode fallback < <(started "$LAB_TMP/fallback.ndjson")
	[ "$path" = ring ] || die "auto with the queue taken: send_path $path, want ring"
	[ "$fallback" != - ] || die "auto fell back to the ring without saying why"
	echo "auto with the queue taken: send_path ring, fallback: $fallback"
	truth "$LAB_TMP/fallback.ndjson" "$small"
	# SIGTERM: it stops, flushes its events and ends.
	kill -TERM "$hpid"
	wait "$holder" || die "the scan holding the queue failed"
	[ "$(started "$LAB_TMP/holder.ndjson" | cut -d' ' -f1)" = xdp ] ||
		die "the scan holding the queue did not use AF_XDP"
fi

# 5. Usage errors.
set +e
scan "$small" -p 22 --allow-reserved --send-path fast -o /dev/null 2>"$LAB_TMP/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "unknown path 'fast'" "$LAB_TMP/err" || die "--send-path fast: exit $rc: $(cat "$LAB_TMP/err")"
set +e
scan "$small" -p 22 --allow-reserved --connect --send-path xdp -o /dev/null 2>"$LAB_TMP/err"
rc=$?
set -e
[ "$rc" = 2 ] || die "--connect --send-path xdp: exit $rc: $(cat "$LAB_TMP/err")"
echo "usage errors: exit 2"
