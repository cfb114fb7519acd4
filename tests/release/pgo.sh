#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Profile-guided builds (mk/pgo.mk), one per compiler, each into a build
# directory of its own (build/pgo-<cc>, profile in build/pgo/), so
# build/<mode> keeps what the lab steps after this one expect. For each:
# `make pgo` (instrument, train on lab scans checked against the ground
# truth, merge, rebuild, the same scans with the final CLI), then checks
# that the profile is there and non-empty, that the final objects were
# built with it and with a missing profile as an error, that --version says
# pgo: yes and build-mode: fast, and that `make pgo-use` without a profile
# stops before it builds anything. Needs root (the lab).
# Usage: tests/release/pgo.sh [CC...]   (default: gcc clang)
set -u
cd "$(dirname "$0")/../.." || exit 1
[ $# -gt 0 ] || set -- gcc clang
jobs=$(nproc 2>/dev/null || echo 2)
fail=0
ok() { echo "pgo: ok   $*"; }
bad() { echo "pgo: FAIL $*"; fail=1; }
for cc in "$@"; do
	b=build/pgo-$cc
	p=build/pgo/pgo-$cc-$cc
	t0=$(date +%s)
	if ! make -s -j"$jobs" pgo CC="$cc" BUILD="$b" PGO_DIR="$p" WERROR=1 CPU=x86-64-v2; then
		bad "$cc: make pgo failed"
		continue
	fi
	ok "$cc: make pgo in $(($(date +%s) - t0)) s"
	if [ "$cc" = gcc ]; then
		n=$(find "$p" -name '*.gcda' -size +0 | wc -l)
		[ "$n" -gt 0 ] && [ -z "$(find "$p" -name '*.gcda' -empty)" ] &&
			ok "$cc: $n non-empty .gcda files" || bad "$cc: no or empty .gcda files in $p"
		use='-fprofile-use=[^ ]* .*-Werror=missing-profile'
	else
		[ -s "$p/fastport.profdata" ] && ok "$cc: $p/fastport.profdata, $(stat -c %s "$p/fastport.profdata") bytes" ||
			bad "$cc: no $p/fastport.profdata"
		use='-fprofile-instr-use=[^ ]* .*-Werror=profile-instr-unprofiled'
	fi
	grep -q -e "$use" "$b/flags" && ok "$cc: built with $(grep -o -e "$use" "$b/flags")" ||
		bad "$cc: $b/flags lacks the profile-use flags: $(cat "$b/flags")"
	v=$("$b/bin/fastport" --version)
	grep -qx 'pgo: yes' <<< "$v" && grep -qx 'build-mode: fast' <<< "$v" &&
		ok "$cc: --version: $(grep -e '^build-id:' -e '^pgo:' <<< "$v" | paste -sd' ')" ||
		bad "$cc: --version: $v"
	# No profile: refused before any object is built.
	empty=$(mktemp -d)
	if out=$(make -s pgo-use CC="$cc" BUILD="$b-none" PGO_DIR="$empty" 2>&1); then
		bad "$cc: pgo-use without a profile succeeded"
	elif [ -e "$b-none" ] || ! grep -q 'no profile' <<< "$out"; then
		bad "$cc: pgo-use without a profile: $out (built: $(ls "$b-none" 2>/dev/null | paste -sd' '))"
	else
		ok "$cc: without a profile: $(grep -m1 -o 'PGO=use: no profile.*' <<< "$out")"
	fi
	rm -rf "$empty" "$b-none"
done
[ "$fail" = 0 ] && echo "pgo: all ok" || echo "pgo: FAILED"
exit "$fail"
