#!/usr/bin/env bash
# The C API examples (examples/*.c), built against this build's library as
# any user would build them, run in the scanner namespace: range_scan over
# 198.19.0.0/24 and batch_scan over explicit targets report exactly what the
# listeners make open (and closed, with -a).
. "$(dirname "$0")/lib.sh"
read -r cc _ < "$BUILD/flags"
san=$(grep -o -- '-fsanitize=[^ ]*' "$BUILD/flags" | sort -u | tr '\n' ' ' || true)
for ex in range_scan batch_scan; do
	# shellcheck disable=SC2086
	$cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror $san -I"$BUILD/include" \
		-o "$LAB_TMP/$ex" "$ROOT/examples/$ex.c" -L"$BUILD/lib" -lfastport \
		-Wl,-rpath,"$BUILD/lib" || die "building $ex"
done
lab_setup
lab_listen 22 80 8080
export ASAN_OPTIONS=detect_leaks=1

# range_scan: every open port of a /24, then every state of a /28.
in_s timeout -s KILL 60 "$LAB_TMP/range_scan" -R -r 20000 -w 1 198.19.0.0/24 22,80,81,8080 \
	> "$LAB_TMP/range.out" || die "range_scan failed"
for a in $(seq 0 255); do
	for p in 22 80 8080; do echo "198.19.0.$a $p/tcp open syn-ack"; done
done | sort > "$LAB_TMP/range.want"
sort "$LAB_TMP/range.out" | diff -u "$LAB_TMP/range.want" - || die "range_scan findings differ"
echo "range_scan: $(wc -l < "$LAB_TMP/range.out") open ports, as the listeners make them"

in_s timeout -s KILL 60 "$LAB_TMP/range_scan" -R -a -r 20000 -w 1 198.19.1.0/28 80,81 \
	> "$LAB_TMP/all.out" || die "range_scan -a failed"
for a in $(seq 0 15); do
	echo "198.19.1.$a 80/tcp open syn-ack"
	echo "198.19.1.$a 81/tcp closed rst"
done | sort > "$LAB_TMP/all.want"
sort "$LAB_TMP/all.out" | diff -u "$LAB_TMP/all.want" - || die "range_scan -a findings differ"

# batch_scan: explicit targets, every state, and its JSON form.
in_s timeout -s KILL 60 "$LAB_TMP/batch_scan" -R -a 198.19.0.1:22 198.19.0.2:81/tcp \
	198.19.7.9:8080 > "$LAB_TMP/batch.out" || die "batch_scan failed"
printf '%s\n' "198.19.0.1 22/tcp open syn-ack" "198.19.0.2 81/tcp closed rst" \
	"198.19.7.9 8080/tcp open syn-ack" > "$LAB_TMP/batch.want"
sort "$LAB_TMP/batch.out" | diff -u "$LAB_TMP/batch.want" - || die "batch_scan findings differ"
in_s timeout -s KILL 60 "$LAB_TMP/batch_scan" -R -j 198.19.0.1:22 198.19.0.1:81 \
	> "$LAB_TMP/batch.ndjson" || die "batch_scan -j failed"
$PY "$LAB_DIR/truth.py" validate "$LAB_TMP/batch.ndjson" || die "batch_scan -j events invalid"
[ "$(wc -l < "$LAB_TMP/batch.ndjson")" -eq 1 ] || die "batch_scan -j: expected the one open port"

# Usage errors exit 2 and name the problem.
rc=0
in_s "$LAB_TMP/batch_scan" -R 198.19.0.1:99999 2> "$LAB_TMP/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "198.19.0.1:99999" "$LAB_TMP/err" || die "batch_scan bad target: rc $rc"
rc=0
in_s "$LAB_TMP/range_scan" -R 198.19.0.0/33 22 2> "$LAB_TMP/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "198.19.0.0/33" "$LAB_TMP/err" || die "range_scan bad target: rc $rc"
echo "examples: ok"
