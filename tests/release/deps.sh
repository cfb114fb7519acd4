#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Dependency audit: every NEEDED entry (readelf -d) of every built binary and
# library (build/*/bin/fastport, build/*/lib/libfastport.so.0, or the files
# given) must be listed in the sonames table of docs/DEPENDENCIES.md. Also
# prints the installed version of each package that file records, as notes.
# Usage: tests/release/deps.sh [ELF...]
set -u
cd "$(dirname "$0")/../.." || exit 1
doc=docs/DEPENDENCIES.md
section() { sed -n "/<!-- $1:begin -->/,/<!-- $1:end -->/p" "$doc"; }
listed=$(section sonames | sed -n 's/^| *`\([^`]*\)`.*/\1/p')
[ -n "$listed" ] || { echo "deps: no sonames table in $doc" >&2; exit 1; }

if [ $# -gt 0 ]; then
	files=("$@")
else
	shopt -s nullglob
	files=(build/*/bin/fastport build/*/lib/libfastport.so.0)
fi
[ ${#files[@]} -gt 0 ] || { echo "deps: nothing built to audit (build/*/bin/fastport)" >&2; exit 1; }

fail=0
for f in "${files[@]}"; do
	needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	unlisted=$(grep -vxF -f <(printf '%s\n' "$listed") <<< "$needed" | grep . || true)
	if [ -n "$unlisted" ]; then
		echo "deps: FAIL $f needs $(paste -sd' ' <<< "$unlisted"), not in $doc" >&2
		fail=1
	else
		echo "deps: $f: $(paste -sd' ' <<< "$needed")"
	fi
done

# Versions: a difference from the recorded one is worth a look, not a failure.
section packages | sed -n 's/^| *\([a-z0-9][^ |]*\) *| *\([^ |]*\) *|.*/\1 \2/p' |
	while read -r pkg want; do
		have=$(dpkg-query -W -f '${Version}\n' "$pkg" 2>/dev/null | head -n 1)
		if [ -z "$have" ]; then
			echo "deps: note: $pkg not installed (recorded $want)"
		elif [ "$have" != "$want" ]; then
			echo "deps: note: $pkg $have installed, $doc records $want"
		fi
	done
[ "$fail" = 0 ] && echo "deps: ok, ${#files[@]} files, every NEEDED library is listed" || echo "deps: FAILED"
exit $fail
