#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reproducibility: the tree is copied into two directories of different
# names and depths, each copy is built (same REV, same flags) in every mode
# with every compiler asked for, and every artifact (bin/fastport,
# lib/libfastport.so.0, lib/libfastport.a) must have the same sha256.
# The archive is also compared as shipped (make dist strips gcc's LTO IR from
# it): gcc 12 writes the unmapped build directory into LTO IR, so a raw fat-LTO
# archive differs between directories while its machine code does not; that
# case is reported as "same*" with the reason.
# Usage: repro-check.sh [REV] [MODES] [CPU]    (make repro-check; REPRO_CCS="gcc clang")
set -u
cd "$(dirname "$0")/../.." || exit 1
rev=${1:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
modes=${2:-fast secure debug}
cpu=${3:-x86-64-v2}
ccs=${REPRO_CCS:-gcc clang}
jobs=$(nproc 2>/dev/null || echo 2)
tmp=$(mktemp -d /tmp/fastport-repro.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# What `make` in this tree would build: tracked files plus new, not ignored ones.
a=$tmp/a/fastport-src
b=$tmp/bb/deeper/fastport-tree
# Outside git (an unpacked source tarball): everything but build/ and dist/.
copy_tree() {
	mkdir -p "$1"
	if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard |
			xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
			xargs -0 tar -cf - | tar -xf - -C "$1"
	else
		tar --exclude=./build --exclude=./dist -cf - . | tar -xf - -C "$1"
	fi
}
copy_tree "$a"
copy_tree "$b"

# The archive as make dist ships it: without LTO IR (see stage-dist.sh).
strip_lto() {
	cp "$1" "$2" && objcopy -D -R '.gnu.lto_*' -R '.gnu.debuglto_*' -N __gnu_lto_v1 \
		-N __gnu_lto_slim "$2"
}

fail=0 lto_note=0
for cc in $ccs; do
	for mode in $modes; do
		for d in "$a" "$b"; do
			if ! make -s -C "$d" -j"$jobs" MODE="$mode" CC="$cc" CPU="$cpu" REV="$rev" \
				BUILD="build/$cc-$mode" all > "$tmp/log" 2>&1; then
				cat "$tmp/log" >&2
				echo "repro-check: build $cc $mode in $d failed" >&2
				fail=1
				continue 2
			fi
		done
		for f in bin/fastport lib/libfastport.so.0 lib/libfastport.a; do
			ha=$(sha256sum < "$a/build/$cc-$mode/$f" | cut -d' ' -f1)
			hb=$(sha256sum < "$b/build/$cc-$mode/$f" | cut -d' ' -f1)
			if [ "$ha" = "$hb" ]; then
				printf 'same  %-6s %-6s %-22s %s\n' "$cc" "$mode" "$f" "$ha"
			elif [ "$f" = lib/libfastport.a ] && strip_lto "$a/build/$cc-$mode/$f" "$tmp/sa.a" &&
				strip_lto "$b/build/$cc-$mode/$f" "$tmp/sb.a" && cmp -s "$tmp/sa.a" "$tmp/sb.a"; then
				printf 'same* %-6s %-6s %-22s %s (as shipped; raw archives differ only in LTO IR)\n' \
					"$cc" "$mode" "$f" "$(sha256sum < "$tmp/sa.a" | cut -d' ' -f1)"
				lto_note=1
			else
				printf 'DIFF  %-6s %-6s %-22s %s %s\n' "$cc" "$mode" "$f" "$ha" "$hb"
				fail=1
			fi
		done
	done
done
if [ "$lto_note" = 1 ]; then
	echo "repro-check: note: build/<mode>/lib/libfastport.a (fat LTO, gcc) embeds the build directory"
	echo "  in its LTO IR (gcc 12 does not apply -ffile-prefix-map there); dist/ and the .deb ship it"
	echo "  stripped of LTO IR, which is identical. REPRO_STRICT_AR=1 makes this a failure."
	[ "${REPRO_STRICT_AR:-0}" = 1 ] && fail=1
fi
[ "$fail" = 0 ] && echo "repro-check: ok, every artifact identical" || echo "repro-check: FAILED"
exit $fail
