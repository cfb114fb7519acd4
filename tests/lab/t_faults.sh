#!/usr/bin/env bash
# Faults: output on a full filesystem, stdout closed by its reader (EPIPE),
# too little address space, the scanner's interface going down mid-scan and
# the target namespace (and with it the veth) vanishing mid-scan. Each ends
# with a clear message, exit status 1, no crash or hang, and only whole,
# valid JSON lines. (SIGINT/SIGTERM are t_sigint.sh's.)
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen 22 80

# A sanitizer report (debug builds) also exits 1: it must not hide there.
no_sanitizer() { # WHAT STDERR_FILE
	! grep -E -m 3 'Sanitizer|runtime error:' "$2" || die "$1: sanitizer report"
}

# Exit status of a run: must be 1, never a signal's death (>= 128).
expect_fail() { # WHAT RC STDERR_FILE PATTERN
	echo "$1: exit $2: $(tail -n 1 "$3")"
	no_sanitizer "$1" "$3"
	[ "$2" = 1 ] || die "$1: exit status $2, want 1"
	grep -q "$4" "$3" || die "$1: stderr lacks '$4'"
}

# Every line of FILE is a whole JSON object (the file may be empty).
whole_lines() { # WHAT FILE
	$PY - "$2" "$1" <<'EOF'
import json, sys
path, what = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
if data and not data.endswith(b"\n"):
    sys.exit("FAIL: %s: the last line is torn" % what)
for n, line in enumerate(data.splitlines(), 1):
    try:
        json.loads(line)
    except ValueError as e:
        sys.exit("FAIL: %s: line %d is not JSON: %s" % (what, n, e))
print("%s: %d whole lines, %d bytes" % (what, len(data.splitlines()), len(data)))
EOF
	[ -s "$2" ] && $PY "$LAB_DIR/truth.py" validate "$2" > /dev/null
	return 0
}

# A scan that failed after it started still closes its stream.
ends_interrupted() { # WHAT FILE
	$PY - "$2" "$1" <<'EOF'
import json, sys
last = json.loads(open(sys.argv[1], "rb").read().splitlines()[-1])
if last["kind"] != "scan_completed" or last["interrupted"] is not True:
    sys.exit("FAIL: %s: the last event is not an interrupted scan_completed" % sys.argv[2])
c = last["counters"]
print("%s: scan_completed sent=%d received=%d of %d" % (sys.argv[2], c["sent"], c["received"],
                                                       c["planned"]))
EOF
}

# 1. A 64 KiB tmpfs, private to this command's mount namespace, filled by
# 2048 open ports (~800 KB of events).
full="$LAB_TMP/full"
mkdir -p "$full"
rc=0
unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=64k tmpfs "$1" || exit 99
	ip netns exec "$2" timeout -s KILL 60 "$3" 198.19.0.0/22 -p 22,80 --rate 20000 \
		--allow-reserved --quiet -o "$1/out.ndjson" 2> "$4/full.err"
	rc=$?
	cp "$1/out.ndjson" "$4/full.ndjson"
	exit $rc' sh "$full" "$NS_S" "$FASTPORT" "$LAB_TMP" || rc=$?
[ "$rc" != 99 ] || die "full filesystem: cannot mount a tmpfs"
expect_fail "full filesystem" "$rc" "$LAB_TMP/full.err" "No space left on device"
[ -s "$LAB_TMP/full.ndjson" ] || die "full filesystem: nothing was written"
whole_lines "full filesystem" "$LAB_TMP/full.ndjson" || exit 1

# 2. stdout a pipe whose reader leaves after 100 bytes: EPIPE, not SIGPIPE.
set +e
in_s timeout -s KILL 60 "$FASTPORT" 198.19.0.0/22 -p 22,80 --rate 20000 --allow-reserved \
	--quiet 2> "$LAB_TMP/pipe.err" | head -c 100 > "$LAB_TMP/pipe.out"
rcs=("${PIPESTATUS[@]}")
set -e
expect_fail "closed stdout" "${rcs[0]}" "$LAB_TMP/pipe.err" "Broken pipe"
[ "$(wc -c < "$LAB_TMP/pipe.out")" = 100 ] || die "closed stdout: head did not read 100 bytes"

# 3. Too little address space for the plan's one bit per probe: the lab's
# /15 x all ports (8.6e9 probes, a 1 GiB bitmap) under a 256 MiB limit.
# ASan reserves terabytes of virtual memory, so a debug build cannot run
# under any ulimit -v: this check is skipped there.
if "$FASTPORT" --version | grep -q '^build-mode: debug'; then
	echo "out of memory: skipped (ASan build needs unlimited virtual memory)"
else
	rc=0
	(ulimit -v $((256 * 1024)) && in_s timeout -s KILL 60 "$FASTPORT" 198.18.0.0/15 -p 1-65535 \
		--rate 1000 --allow-reserved --quiet -o "$LAB_TMP/oom.ndjson") 2> "$LAB_TMP/oom.err" || rc=$?
	expect_fail "out of memory" "$rc" "$LAB_TMP/oom.err" "out of memory"
	whole_lines "out of memory" "$LAB_TMP/oom.ndjson" || exit 1
	# A small plan under limits that fail one allocation after another
	# (rings, threads) or none: a message and exit 1, or a finished scan.
	for mb in 24 48 72 80 88 96 128; do
		rc=0
		(ulimit -v $((mb * 1024)) && in_s timeout -s KILL 20 "$FASTPORT" 198.19.0.0/24 -p 22 \
			--rate 1000 --allow-reserved --quiet -o "$LAB_TMP/lim.ndjson") 2> "$LAB_TMP/lim.err" || rc=$?
		echo "ulimit -v ${mb} MiB: exit $rc $(tail -n 1 "$LAB_TMP/lim.err")"
		no_sanitizer "ulimit -v ${mb} MiB" "$LAB_TMP/lim.err"
		case $rc in
		0) ;;
		1) [ -s "$LAB_TMP/lim.err" ] || die "ulimit -v ${mb} MiB: exit 1 without a message" ;;
		*) die "ulimit -v ${mb} MiB: exit status $rc" ;;
		esac
		whole_lines "ulimit -v ${mb} MiB" "$LAB_TMP/lim.ndjson" > /dev/null || exit 1
	done
fi

# Starts a slow scan (~60 s of probes) in the background; sets $pid.
slow_scan() { # EVENTS ERR
	ip netns exec "$NS_S" timeout -s KILL 60 "$FASTPORT" 198.19.0.0/16 -p 22,80 --rate 2000 \
		--allow-reserved --states all --quiet -o "$1" 2> "$2" &
	pid=$!
	sleep 1.5
}

# Waits for $pid (at most 10 s after the fault); its status goes to $rc.
wait_scan() { # WHAT
	local t0 ms
	rc=0
	t0=$(date +%s%N)
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && die "$1: still running 10 s after the fault"
	wait "$pid" || rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "$1: ended ${ms} ms after the fault"
}

# 4. The scanner's interface goes down mid-scan: sending fails.
slow_scan "$LAB_TMP/down.ndjson" "$LAB_TMP/down.err"
ip -n "$NS_S" link set eth0 down
wait_scan "interface down"
expect_fail "interface down" "$rc" "$LAB_TMP/down.err" "sending on eth0 failed"
whole_lines "interface down" "$LAB_TMP/down.ndjson" || exit 1
ends_interrupted "interface down" "$LAB_TMP/down.ndjson" || exit 1
ip -n "$NS_S" link set eth0 up
ip -n "$NS_S" route replace 198.19.0.0/16 via 198.18.0.2

# 5. The target namespace is deleted mid-scan: once nothing runs in it the
# namespace goes, and the veth pair with it.
slow_scan "$LAB_TMP/gone.ndjson" "$LAB_TMP/gone.err"
for p in "${LAB_PIDS[@]}"; do kill "$p" 2>/dev/null; done
pids=$(ip netns pids "$NS_T")
[ -z "$pids" ] || kill -9 $pids
ip netns del "$NS_T"
wait_scan "target namespace deleted"
expect_fail "target namespace deleted" "$rc" "$LAB_TMP/gone.err" "sending on eth0 failed"
whole_lines "target namespace deleted" "$LAB_TMP/gone.ndjson" || exit 1
ends_interrupted "target namespace deleted" "$LAB_TMP/gone.ndjson" || exit 1
