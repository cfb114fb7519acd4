#!/usr/bin/env bash
# valgrind memcheck on a lab scan through the library (examples/range_scan:
# the sender and receiver threads, the rings, the events): no error, no
# definite or indirect leak. Skipped on sanitizer builds, and on builds for
# a CPU valgrind cannot emulate (CPU=native with AVX-512: use x86-64-v2).
. "$(dirname "$0")/lib.sh"
ex=$BUILD/examples/range_scan
command -v valgrind >/dev/null || die "valgrind is not installed"
case "$(basename "$BUILD")" in debug*) echo "skipped: ASan build"; exit 0 ;; esac
[ -x "$ex" ] || die "$ex missing: make examples"
lab_setup
lab_listen 22 80
rc=0
in_s timeout -s KILL 300 valgrind --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect -q \
	"$ex" -R -a -r 2000 -w 1 198.19.0.0/28 22,80,81 > "$LAB_TMP/out" 2> "$LAB_TMP/err" || rc=$?
if grep -q "Illegal opcode\|SIGILL" "$LAB_TMP/err"; then
	echo "skipped: this build uses instructions valgrind cannot run (build with CPU=x86-64-v2)"
	exit 0
fi
cat "$LAB_TMP/err"
[ "$rc" = 0 ] || die "valgrind exit $rc"
n=$(grep -c . "$LAB_TMP/out")
echo "memcheck clean; $n findings"
[ "$n" = 48 ] || die "expected 48 findings (16 addresses x 3 ports), got $n"
