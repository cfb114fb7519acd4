#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Toolchains: warning-free builds (WERROR=1, and no linker warning either)
# with every compiler that is here, each in its own build directory of a
# temporary copy of the tree (build/ is never touched), plus the DSLLVM=
# path with a prefix made from Debian's clang-14 and lld-14: the result must
# be linked by lld and run.
#
#   tests/release/toolchains.sh          lean (CI): fast mode + unit tests with each
#                                        extra clang (clang-16, else clang-15/13),
#                                        DSLLVM fast; gcc and clang-14 are covered by
#                                        tests/run-all
#   tests/release/toolchains.sh --all    every mode with gcc, clang-14, each extra clang
#                                        and DSLLVM
set -u
cd "$(dirname "$0")/../.." || exit 1
all=0
[ "${1:-}" = --all ] && all=1
jobs=$(nproc 2>/dev/null || echo 2)
tmp=$(mktemp -d /tmp/fastport-toolchains.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src
mkdir -p "$src"
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		xargs -0 tar -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./dist -cf - . | tar -xf - -C "$src"
fi

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# build NAME MODE UNIT MAKE-ARGS...: builds into build/NAME-MODE, fails on
# any warning, checks --version, and runs the unit tests when UNIT=1.
build() {
	local name=$1 mode=$2 unit=$3
	shift 3
	local dir=build/$name-$mode log=$tmp/$name-$mode.log
	local goals=all
	[ "$unit" = 1 ] && goals="all unit"
	# shellcheck disable=SC2086 # $goals is a list of goals
	if ! make -C "$src" -s -j"$jobs" MODE="$mode" WERROR=1 CPU=x86-64-v2 BUILD="$dir" \
		"$@" $goals > "$log" 2>&1; then
		cat "$log"
		bad "$name $mode: build or unit tests failed"
		return 1
	fi
	if grep -E '(^|[^a-z_])warning:' "$log"; then
		bad "$name $mode: warnings"
		return 1
	fi
	local v
	if ! v=$("$src/$dir/bin/fastport" --version 2>&1); then
		bad "$name $mode: --version failed: $v"
		return 1
	fi
	ok "$name $mode: $(sed -n 's/^compiler: //p' <<< "$v")$([ "$unit" = 1 ] && echo ", $(grep '^unit:' "$log")")"
}

# Compilers: gcc and clang-14 (Debian's default clang) only with --all;
# any other clang version Debian installed here always.
extra=()
for v in 16 15 17 13; do
	command -v clang-$v > /dev/null && extra+=("$v")
done
[ ${#extra[@]} -gt 0 ] || bad "no extra clang version (apt-get install clang-16 llvm-16 libclang-rt-16-dev)"
modes_extra=fast
[ "$all" = 1 ] && modes_extra="fast secure debug"
if [ "$all" = 1 ]; then
	for mode in fast secure debug; do
		build gcc "$mode" 0 CC=gcc
		build clang-14 "$mode" 0 CC=clang-14 AR=llvm-ar-14
	done
fi
for v in "${extra[@]}"; do
	# Thin-LTO archives need the matching llvm-ar (the default one is 14's).
	ar=$(command -v llvm-ar-$v) || { bad "clang-$v: llvm-ar-$v missing (apt-get install llvm-$v)"; continue; }
	for mode in $modes_extra; do
		build clang-$v "$mode" 1 CC=clang-$v AR="$ar"
	done
done

# DSLLVM: a prefix whose bin/ holds clang, ld.lld and llvm-ar, as a DSLLVM
# installation does; here they are Debian's clang-14 toolchain.
prefix=$tmp/dsllvm
mkdir -p "$prefix/bin"
ln -s /usr/bin/clang-14 "$prefix/bin/clang"
ln -s /usr/bin/ld.lld-14 "$prefix/bin/ld.lld"
ln -s /usr/bin/llvm-ar-14 "$prefix/bin/llvm-ar"
# clang must take ld.lld from the prefix (it looks next to the path it was
# called by), not from PATH.
if "$prefix/bin/clang" -### -fuse-ld=lld -x c /dev/null -o /dev/null 2>&1 |
	grep -q "\"$prefix/bin/ld.lld\""; then
	ok "dsllvm: $prefix/bin/clang links with $prefix/bin/ld.lld"
else
	bad "dsllvm: clang does not use the prefix's ld.lld"
fi
dmodes=fast
[ "$all" = 1 ] && dmodes="fast secure debug"
for mode in $dmodes; do
	build dsllvm "$mode" 0 DSLLVM="$prefix" || continue
	for f in bin/fastport lib/libfastport.so.0; do
		if readelf -p .comment "$src/build/dsllvm-$mode/$f" | grep -q 'Linker: .*LLD'; then
			ok "dsllvm $mode: $f linked by $(readelf -p .comment "$src/build/dsllvm-$mode/$f" |
				grep -o 'Linker: .*LLD [0-9.]*')"
		else
			bad "dsllvm $mode: $f was not linked by lld"
		fi
	done
done
echo "toolchains: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
