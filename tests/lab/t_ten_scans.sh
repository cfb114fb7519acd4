#!/usr/bin/env bash
# Ten scans back to back in one process through the library (tests/lab/
# ten_scans.c), with a new scanner each and with one reused: every scan
# finds every open port, no descriptor and no memory is left behind (equal
# descriptor count, RSS growth below 1 MiB from scan 3 to 10, and in
# sanitizer builds no ASan/LSan report at all).
. "$(dirname "$0")/lib.sh"
read -r cc _ < "$BUILD/flags"
san=$(grep -o -- '-fsanitize=[^ ]*' "$BUILD/flags" | sort -u | tr '\n' ' ' || true)
# shellcheck disable=SC2086
$cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror $san -I"$BUILD/include" \
	-o "$LAB_TMP/ten_scans" "$LAB_DIR/ten_scans.c" -L"$BUILD/lib" -lfastport \
	-Wl,-rpath,"$BUILD/lib" || die "building ten_scans"
lab_setup
lab_listen 22 80
# ASan keeps freed memory in a quarantine, which would look like growth.
export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=0:thread_local_quarantine_size_kb=0 UBSAN_OPTIONS=print_stacktrace=1
rc=0
in_s timeout -s KILL 120 "$LAB_TMP/ten_scans" 198.19.0.0/24 22,80,81 512 \
	> "$LAB_TMP/out" 2> "$LAB_TMP/err" || rc=$?
cat "$LAB_TMP/out"
cat "$LAB_TMP/err" >&2
[ "$rc" = 0 ] || die "ten_scans exited $rc"
! grep -qiE 'sanitizer|runtime error|leak' "$LAB_TMP/err" || die "sanitizer report"
grep -q '^ten_scans: ok$' "$LAB_TMP/out" || die "ten_scans did not finish"
