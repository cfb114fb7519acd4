#!/usr/bin/env bash
# The rate cap holds at the receiver: an nft counter in the target
# namespace counts the probes that arrive (and drops them, so nothing
# answers) and is sampled every SAMPLE seconds. At --rate 20000 no 10 s
# window in the steady part of the scan may exceed the cap by more than 5%;
# falling below it is reported, not failed (a loaded machine cannot always
# send at the cap). At --rate 10 a 5 s window holds 50 +- 3 probes.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_nft <<'EOF'
table inet fprate {
	counter probes { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip saddr 198.18.0.1 ip daddr 198.19.0.0/16 counter name probes drop
	}
}
EOF

# Samples the counter until killed: "monotonic-seconds packets" per line,
# the time taken halfway through the nft call.
sampler() { # FILE INTERVAL
	in_t "$PY" - "$1" "$2" <<'EOF' &
import json, subprocess, sys, time
out, every = open(sys.argv[1], "w", buffering=1), float(sys.argv[2])
nxt = time.monotonic()
while True:
    t0 = time.monotonic()
    j = json.loads(subprocess.run(["nft", "-j", "list", "counter", "inet", "fprate", "probes"],
                                  check=True, capture_output=True).stdout)
    t1 = time.monotonic()
    n = [o["counter"]["packets"] for o in j["nftables"] if "counter" in o][0]
    out.write("%.6f %d\n" % ((t0 + t1) / 2, n))
    nxt += every
    time.sleep(max(0.0, nxt - time.monotonic()))
EOF
	SAMPLER=$!
	LAB_PIDS+=("$SAMPLER")
}

reset_counter() { in_t nft reset counter inet fprate probes > /dev/null; }

# 1. --rate 20000 for ~16 s: 198.19.0.0/16 x 5 ports, no retries.
CAP=20000
reset_counter
sampler "$LAB_TMP/fast.samples" 1
sleep 0.5
scan 198.19.0.0/16 -p 22,80,443,8080,9000 --rate $CAP --retries 0 --wait 0.5 --allow-reserved \
	--quiet -o "$LAB_TMP/fast.ndjson"
sleep 1
kill "$SAMPLER"
$PY "$LAB_DIR/truth.py" validate "$LAB_TMP/fast.ndjson"
$PY - "$LAB_TMP/fast.samples" "$CAP" <<'EOF'
import sys
cap = float(sys.argv[2])
s = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
# The steady part: from the first sample after the first probe arrived to
# the last sample before the counter stopped growing, one second inside.
first = next(i for i, (t, n) in enumerate(s) if n > 0)
last = max(i for i in range(1, len(s)) if s[i][1] > s[i - 1][1])
steady = [x for x in s if s[first][0] + 1 <= x[0] <= s[last - 1][0] - 1 + 1e-9]
wins = []
for i, (t0, n0) in enumerate(steady):
    for t1, n1 in steady[i + 1:]:
        if t1 - t0 >= 10:
            wins.append((t0, t1, (n1 - n0) / (t1 - t0)))
            break
total = s[-1][1]
dur = s[last][0] - s[first][0]
print("rate %d: %d probes arrived, %.1f s between the first and last growing samples"
      % (cap, total, dur))
if not wins:
    sys.exit("FAIL: no 10 s window in the steady part (%d samples)" % len(steady))
rates = [w[2] for w in wins]
print("rate %d: %d windows of 10 s: min %.1f max %.1f pps (%+.2f%% .. %+.2f%% of the cap)"
      % (cap, len(wins), min(rates), max(rates), 100 * (min(rates) / cap - 1),
         100 * (max(rates) / cap - 1)))
if max(rates) > cap * 1.05:
    sys.exit("FAIL: a 10 s window ran at %.1f pps, above the cap %d by more than 5%%"
             % (max(rates), cap))
if min(rates) < cap * 0.95:
    print("NOTE: below the cap by more than 5%: the machine could not keep up")
else:
    print("rate %d: within 5%% of the cap in every window" % cap)
EOF

# 2. --rate 10: a 5 s window in the middle of an 80-probe scan (8 s).
reset_counter
sampler "$LAB_TMP/slow.samples" 0.25
sleep 0.5
scan 198.19.0.0-198.19.0.79 -p 22 --rate 10 --retries 0 --wait 0.5 --allow-reserved \
	--quiet -o "$LAB_TMP/slow.ndjson"
kill "$SAMPLER"
$PY "$LAB_DIR/truth.py" validate "$LAB_TMP/slow.ndjson"
$PY - "$LAB_TMP/slow.samples" <<'EOF'
import sys
s = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
first = next(i for i, (t, n) in enumerate(s) if n > 0)
t0, n0 = next(x for x in s if x[0] >= s[first][0] + 1)
t1, n1 = next(x for x in s if x[0] >= t0 + 5)
want = 10 * (t1 - t0)
print("rate 10: %d probes in %.3f s (%.1f expected), %d in all" % (n1 - n0, t1 - t0, want, s[-1][1]))
if s[-1][1] != 80:
    sys.exit("FAIL: %d probes arrived, want 80" % s[-1][1])
if abs((n1 - n0) - want) > 3:
    sys.exit("FAIL: %d probes in %.3f s at --rate 10, want %.1f +- 3" % (n1 - n0, t1 - t0, want))
EOF
