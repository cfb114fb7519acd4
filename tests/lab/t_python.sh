#!/usr/bin/env bash
# The Python bindings against a real lab: tests/python's `lab` tests run in
# the scanner namespace, with this build's library, against listeners on
# 22, 80 and 8080 (81 has none: closed) across 198.19.0.0/24.
. "$(dirname "$0")/lib.sh"
"$PY" -c 'import pytest' 2>/dev/null || die "python3-pytest is not installed"
lib=$BUILD/lib/libfastport.so.0
[ -e "$lib" ] || die "no $lib"
# A sanitizer build needs its runtime loaded first into the interpreter.
preload=
asan=$(ldd "$lib" | awk '/libasan/ { print $3 }')
if [ -n "$asan" ]; then
	preload=$asan
elif nm -D --undefined-only "$lib" | grep -q __asan_; then
	preload=$(clang -print-runtime-dir)/libclang_rt.asan-x86_64.so
	[ -e "$preload" ] || die "no ASan runtime for $lib"
fi
lab_setup
lab_listen 22 80 8080
in_s env PYTHONPATH="$ROOT/python" PYTHONDONTWRITEBYTECODE=1 FASTPORT_LIBRARY="$lib" \
	FASTPORT_LAB=1 FASTPORT_LAB_NETNS="$NS_S" FASTPORT_LAB_TARGETS=198.19.0.0/24 FASTPORT_LAB_OPEN=22,80,8080 \
	FASTPORT_LAB_CLOSED=81 ${preload:+LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0} \
	timeout -s KILL 240 "$PY" -m pytest -q -p no:cacheprovider "$ROOT/tests/python" -m lab
