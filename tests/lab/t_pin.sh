#!/usr/bin/env bash
# --pin-cpus: every scan thread (senders, receiver, connect workers) runs
# bound to one CPU, and the results still equal the ground truth.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
ncpu=$(nproc)

# affinity OUT ARGS...: a slow scan (two TX rings: two senders); writes each of its threads' allowed
# CPUs (Cpus_allowed_list) to OUT while it runs, then stops it.
affinity() {
	local out=$1 seed=$RANDOM$RANDOM pid= n=0
	shift
	in_s timeout -s KILL 60 "$FASTPORT" 198.19.0.0/20 -p 22,80 --rate 2000 --wait 1 \
		--seed "$seed" --allow-reserved -o /dev/null --quiet "$@" &
	local bg=$!
	# Until the main thread, the senders and the receiver run.
	for _ in $(seq 50); do
		sleep 0.1
		[ -n "$pid" ] || pid=$(pgrep -f -- "^$FASTPORT .*--seed $seed " | head -n 1 || true)
		[ -n "$pid" ] && [ "$(ls /proc/"$pid"/task 2>/dev/null | wc -l)" -ge 4 ] && break
	done
	[ -n "$pid" ] || die "scan not running"
	: > "$out"
	for t in /proc/"$pid"/task/*; do
		[ "$t" = /proc/"$pid"/task/"$pid" ] && continue
		awk '/^Cpus_allowed_list/ { print $2 }' "$t/status" >> "$out"
		n=$((n + 1))
	done
	kill -INT "$pid"
	wait "$bg" || true
	[ "$n" -ge 3 ] || die "$n scan threads seen, want 3"
}
affinity "$LAB_TMP/pinned" --pin-cpus --send-threads 2 --send-path ring
echo "pinned threads' CPUs: $(echo $(cat "$LAB_TMP/pinned"))"
# A ThreadSanitizer build has one thread of the runtime's own, unpinned.
unpinned_ok=0
grep -q -- '-fsanitize=thread' "$BUILD/flags" && unpinned_ok=1
while read -r c; do
	[[ $c =~ ^[0-9]+$ ]] && continue
	[ "$unpinned_ok" -gt 0 ] || die "a pinned thread may run on CPUs $c"
	unpinned_ok=$((unpinned_ok - 1))
done < "$LAB_TMP/pinned"
if [ "$ncpu" -gt 1 ]; then
	affinity "$LAB_TMP/free" --send-threads 2 --send-path ring
	echo "unpinned threads' CPUs: $(echo $(cat "$LAB_TMP/free"))"
	while read -r c; do
		[[ $c =~ ^[0-9]+$ ]] && die "an unpinned thread is bound to CPU $c"
	done < "$LAB_TMP/free"
fi

# Results: raw and connect() scans, pinned, against the truth.
scan 198.19.0.0/18 -p 22,80,443,8080,9000 --rate 300000 --pin-cpus --allow-reserved \
	--states open,closed,filtered -o "$LAB_TMP/raw.ndjson" --quiet
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/raw.ndjson" --targets 198.19.0.0/18 \
	--ports 22,80,443,8080,9000
scan 198.19.0.0/22 -p 22,80,443,8080,9000 --connect --pin-cpus --rate 50000 --wait 1 \
	--allow-reserved --states open,closed,filtered -o "$LAB_TMP/conn.ndjson" --quiet
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/conn.ndjson" --method connect \
	--targets 198.19.0.0/22 --ports 22,80,443,8080,9000
