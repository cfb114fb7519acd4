#!/usr/bin/env bash
# Least privilege (docs/SECURITY.md): once its sockets are open, the scanner
# runs without privileges. Looked at mid-scan in /proc/<pid>/status (every
# thread), a SYN scan started
# 1. as root: Uid/Gid of nobody, no capabilities (bounding set included),
#    NoNewPrivs 1, Seccomp 2 (filter mode);
# 2. as nobody running a copy of the binary with file capabilities
#    (cap_net_raw,cap_net_admin+ep): no capabilities left, NoNewPrivs 1,
#    Seccomp 2;
# 3. as root with --no-drop: root and its capabilities kept, NoNewPrivs 1,
#    Seccomp 2;
# and every scan's findings equal the ground truth. Sanitizer (debug)
# builds install no seccomp filter: there Seccomp is 0.
. "$(dirname "$0")/lib.sh"

mode=$("$FASTPORT" --version | sed -n 's/^build-mode: //p')
want_seccomp=2
[ "$mode" = debug ] && want_seccomp=0
nobody_uid=$(id -u nobody)
nobody_gid=$(id -g nobody)

lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft

# nobody writes its events here and runs the binary copy from here.
chmod 711 "$LAB_TMP"
out_dir="$LAB_TMP/nobody"
mkdir -m 755 "$out_dir"
chown nobody "$out_dir"
cp "$FASTPORT" "$LAB_TMP/fastport-caps"
chmod 755 "$LAB_TMP/fastport-caps"
setcap cap_net_raw,cap_net_admin+ep "$LAB_TMP/fastport-caps"
getcap "$LAB_TMP/fastport-caps" | grep -q cap_net_raw || die "setcap did not take"

# The pid of the running binary $1 among the processes of our scanner
# namespace, waiting up to 10 s for it to appear.
scanner_pid() {
	local exe=$1 p
	for _ in $(seq 100); do
		for p in $(ip netns pids "$NS_S"); do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] && { echo "$p"; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# The value of field $2 in /proc/$1/status (tabs as spaces).
field() { sed -n "s/^$2:[[:space:]]*//p" "$1" | tr '\t' ' ' | sed 's/ *$//'; }

# Waits until the scanner $1 has entered its sandbox (NoNewPrivs 1), then
# checks every thread against the expected Uid, Gid and capability sets.
check_status() {
	local pid=$1 uid=$2 gid=$3 caps=$4 bnd=$5 label=$6 st n=0
	for _ in $(seq 100); do
		[ "$(field "/proc/$pid/status" NoNewPrivs 2>/dev/null)" = 1 ] && break
		sleep 0.05
	done
	# Mid-scan: the scan is still running and probes are going out.
	kill -0 "$pid" 2>/dev/null || die "$label: the scanner ended before it could be looked at"
	for st in /proc/"$pid"/task/*/status; do
		[ -r "$st" ] || continue
		n=$((n + 1))
		local got="Uid=$(field "$st" Uid) Gid=$(field "$st" Gid) CapEff=$(field "$st" CapEff)"
		got+=" CapPrm=$(field "$st" CapPrm) NoNewPrivs=$(field "$st" NoNewPrivs) Seccomp=$(field "$st" Seccomp)"
		local want="Uid=$uid $uid $uid $uid Gid=$gid $gid $gid $gid CapEff=$caps CapPrm=$caps"
		want+=" NoNewPrivs=1 Seccomp=$want_seccomp"
		[ "$got" = "$want" ] || die "$label: thread ${st%/status}: $got (want $want)"
		if [ -n "$bnd" ]; then
			[ "$(field "$st" CapBnd)" = "$bnd" ] || die "$label: CapBnd $(field "$st" CapBnd), want $bnd"
		fi
	done
	echo "$label: $n threads mid-scan: Uid $uid, Gid $gid, CapEff/CapPrm $caps, NoNewPrivs 1, Seccomp $want_seccomp"
}

targets=198.19.0.0/22
ports=22,80,443,8080,9000
args=("$targets" -p "$ports" --rate 2000 --retries 1 --allow-reserved
	--states open,closed,filtered --quiet)
truth() { $PY "$LAB_DIR/truth.py" check basic "$1" --targets "$2" --ports "$3"; }

# 1. Root: drops to nobody.
in_s timeout -s KILL 120 "$FASTPORT" "${args[@]}" -o "$LAB_TMP/root.ndjson" &
LAB_PIDS+=($!)
job=$!
pid=$(scanner_pid "$(readlink -f "$FASTPORT")") || die "root scan: scanner not found"
check_status "$pid" "$nobody_uid" "$nobody_gid" 0000000000000000 0000000000000000 "root scan"
wait "$job" || die "root scan failed"
truth "$LAB_TMP/root.ndjson" "$targets" "$ports"

# 2. nobody with file capabilities: keeps its user, loses the capabilities.
in_s timeout -s KILL 120 setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$LAB_TMP/fastport-caps" "${args[@]}" -o "$out_dir/caps.ndjson" &
LAB_PIDS+=($!)
job=$!
pid=$(scanner_pid "$LAB_TMP/fastport-caps") || die "file-capability scan: scanner not found"
check_status "$pid" "$nobody_uid" "$nobody_gid" 0000000000000000 "" "nobody + file capabilities"
wait "$job" || die "file-capability scan failed"
truth "$out_dir/caps.ndjson" "$targets" "$ports"

# 3. Root with --no-drop: user and capabilities kept, the filter stays.
in_s timeout -s KILL 120 "$FASTPORT" 198.19.0.0/24 -p 22,80 --rate 200 --retries 1 --allow-reserved \
	--states open,closed,filtered --quiet --no-drop -o "$LAB_TMP/nodrop.ndjson" &
LAB_PIDS+=($!)
job=$!
pid=$(scanner_pid "$(readlink -f "$FASTPORT")") || die "--no-drop scan: scanner not found"
caps=$(field "/proc/$pid/status" CapBnd)
check_status "$pid" 0 0 "$caps" "" "root --no-drop"
wait "$job" || die "--no-drop scan failed"
truth "$LAB_TMP/nodrop.ndjson" 198.19.0.0/24 22,80

# A drop that cannot happen ends the run with status 1 or 2 and a message.
set +e
scan 198.19.0.1 -p 22 --allow-reserved --quiet --user fastport-no-such-user -o /dev/null 2>"$LAB_TMP/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "unknown user" "$LAB_TMP/err" || die "--user of an unknown user: status $rc: $(cat "$LAB_TMP/err")"
echo "lab: unknown --user refused: $(cat "$LAB_TMP/err")"

# A drop that fails ends the scan before its first probe, with status 1:
# root of a new user namespace cannot call setgroups().
set +e
in_s timeout -s KILL 60 unshare -U -r "$FASTPORT" 198.19.0.1 -p 22 --connect --allow-reserved \
	--quiet -o "$LAB_TMP/fail.ndjson" 2>"$LAB_TMP/err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "cannot drop privileges: setgroups" "$LAB_TMP/err" ||
	die "failed drop: status $rc: $(cat "$LAB_TMP/err")"
[ ! -s "$LAB_TMP/fail.ndjson" ] || die "a failed drop still produced events"
echo "lab: failed drop ends the scan: $(cat "$LAB_TMP/err")"
