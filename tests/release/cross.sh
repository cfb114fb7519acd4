#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cross builds: `make CROSS=aarch64-linux-gnu-` in each mode (Debian's
# gcc-aarch64-linux-gnu, warning-free) into build/<mode>-aarch64/, the
# artifacts are AArch64 ELF files, `fastport --version` under qemu-user
# names the build ID of the note, and the unit tests pass under qemu-user
# (cmocka from libcmocka-dev:arm64, Debian multiarch).
# Usage: tests/release/cross.sh [MODE...]   (default: fast secure debug)
set -u
cd "$(dirname "$0")/../.." || exit 1
cross=${CROSS:-aarch64-linux-gnu-}
arch=aarch64
modes=${*:-fast secure debug}
jobs=$(nproc 2>/dev/null || echo 2)
qemu=$(command -v qemu-$arch qemu-$arch-static | head -n 1)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT

command -v "${cross}gcc" > /dev/null || { echo "cross: ${cross}gcc missing (apt-get install gcc-aarch64-linux-gnu)"; exit 1; }
[ -n "$qemu" ] || { echo "cross: qemu-$arch missing (apt-get install qemu-user)"; exit 1; }
for mode in $modes; do
	b=build/$mode-$arch
	if ! make -s -j"$jobs" CROSS="$cross" MODE="$mode" WERROR=1 > "$log" 2>&1 ||
		grep -E '(^|[^a-z_])warning:' "$log"; then
		cat "$log"
		bad "cross $mode: build"
		continue
	fi
	for f in bin/fastport lib/libfastport.so.0 lib/libfastport.a; do
		[ -e "$b/$f" ] || bad "cross $mode: $b/$f missing"
	done
	machine=$(readelf -h "$b/bin/fastport" | awk -F: '/Machine:/ { gsub(/^ +/, "", $2); print $2 }')
	[ "$machine" = AArch64 ] || bad "cross $mode: bin/fastport is for '$machine'"
	want=$(readelf -n "$b/bin/fastport" | awk '/Build ID:/ { print $3 }')
	got=$(ASAN_OPTIONS=detect_leaks=0 "$qemu" -E LD_LIBRARY_PATH="/usr/${cross%-}/lib" \
		"$b/bin/fastport" --version | awk '/^build-id:/ { print $2 }')
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "cross $mode: $machine, --version under qemu names build ID $want"
	else
		bad "cross $mode: --version under qemu gave '$got', readelf '$want'"
	fi
	if make -s -j"$jobs" cross-unit CROSS="$cross" MODE="$mode" WERROR=1 > "$log" 2>&1; then
		ok "cross $mode: $(grep '^unit:' "$log") under $(basename "$qemu")$(sed -n 's/^ *skipped under qemu-user/; skipped/p' "$log")"
	else
		grep -v '^\[' "$log" | tail -20
		bad "cross $mode: unit tests under qemu"
	fi
done
echo "cross: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
