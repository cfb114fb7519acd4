#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Verifies a binary distribution tree (make dist): the shared library exports
# exactly the functions the header declares, the Python package imports from
# the tree, every binary's --version names the build ID its note carries and
# a portable CPU target, MANIFEST matches the files, SHA256SUMS verifies.
# Usage: verify-dist.sh dist/fastport-<version>-<arch>
set -u
dir=${1:?usage: verify-dist.sh DIST_DIR}
dir=$(cd "$dir" && pwd) || exit 1
fail=0
bad() { echo "verify-dist: FAIL: $*" >&2; fail=1; }
note_id() { readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in bin/fastport lib/libfastport.so.0 lib/libfastport.so lib/libfastport.a \
	include/fastport.h lib/pkgconfig/fastport.pc MANIFEST SHA256SUMS; do
	[ -e "$dir/$f" ] || bad "missing $f"
done
[ -e "$dir/share/man/man1/fastport.1" ] || echo "verify-dist: note: no man page yet (docs/fastport.1)"

# Exports: nm -D of the .so against the FP_EXTERN declarations. A
# declaration may wrap; the name is the identifier right before the "(".
sed -n 's/^[[:space:]]*FP_EXTERN[[:space:]].*[^A-Za-z0-9_]\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*(.*/\1/p' \
	"$dir/include/fastport.h" | LC_ALL=C sort -u > "$tmp/declared"
nm -D --defined-only "$dir/lib/libfastport.so.0" | awk '$3 != "FASTPORT_0" { sub(/@.*/, "", $3); print $3 }' |
	LC_ALL=C sort -u > "$tmp/exported"
if [ ! -s "$tmp/declared" ]; then
	bad "no FP_EXTERN declarations parsed from include/fastport.h"
elif cmp -s "$tmp/declared" "$tmp/exported"; then
	echo "verify-dist: exports: $(wc -l < "$tmp/exported") symbols, exactly the header's FP_EXTERN functions"
else
	bad "exports differ from the header (< declared only, > exported only):"
	diff "$tmp/declared" "$tmp/exported" | grep '^[<>]' >&2
fi

# Every binary: --version names the note's build ID, the build mode in the
# MANIFEST, and not a native CPU target.
for b in "$dir"/bin/*; do
	want=$(note_id "$b")
	out=$("$b" --version) || { bad "$b --version failed"; continue; }
	got=$(awk '/^build-id:/ { print $2 }' <<< "$out")
	mode=$(awk '/^build-mode:/ { print $2 }' <<< "$out")
	cpu=$(awk '/^cpu-target:/ { print $2 }' <<< "$out")
	echo "verify-dist: ${b#"$dir"/}: readelf=$want --version=$got mode=$mode cpu=$cpu"
	[ -n "$want" ] && [ "$want" = "$got" ] || bad "${b#"$dir"/}: --version build ID differs from the note"
	[ "$cpu" != native ] || bad "${b#"$dir"/}: built for the native CPU"
	grep -q "^${b#"$dir"/}	$want	$mode	" "$dir/MANIFEST" ||
		bad "${b#"$dir"/}: MANIFEST line does not match (id $want, mode $mode)"
done

# MANIFEST: every line's build ID and hash are the file's.
while IFS=$'\t' read -r path id mode sum; do
	case $path in '#'*|'') continue ;; esac
	[ -f "$dir/$path" ] || { bad "MANIFEST names missing $path"; continue; }
	real=$(note_id "$dir/$path")
	[ "${real:--}" = "$id" ] || bad "MANIFEST: $path build ID $id, note says ${real:--}"
	[ "$(sha256sum "$dir/$path" | cut -d' ' -f1)" = "$sum" ] || bad "MANIFEST: $path sha256 differs"
	[ "$mode" = fast ] || bad "MANIFEST: $path mode $mode (dist is fast)"
done < "$dir/MANIFEST"

# The library answers with its own build ID (ctypes, as the Python package does).
if [ -x /usr/bin/python3 ]; then
	got=$(/usr/bin/python3 -c 'import ctypes, sys
lib = ctypes.CDLL(sys.argv[1]); lib.fp_build_id.restype = ctypes.c_char_p
print(lib.fp_build_id().decode())' "$dir/lib/libfastport.so.0") || got=
	[ "$got" = "$(note_id "$dir/lib/libfastport.so.0")" ] || bad "fp_build_id() '$got' differs from the note"
fi

# The archive ships machine code only, and a program links against the tree
# through pkg-config (shared) and against the archive alone (static).
if readelf -SW "$dir/lib/libfastport.a" 2>/dev/null | grep -q '\.gnu\.lto_'; then
	bad "lib/libfastport.a still carries LTO IR"
fi
cat > "$tmp/use.c" <<'C'
#include <stdio.h>
#include <fastport.h>
int main(void)
{
	printf("%s %s\n", fp_version(), fp_build_mode());
	return 0;
}
C
pcflags() { PKG_CONFIG_PATH="$dir/lib/pkgconfig" pkg-config "$@" fastport; }
# pkg-config's output is a list of words: split on purpose. The static
# link takes the archive itself plus what Libs.private names (PCRE2, OpenSSL).
# shellcheck disable=SC2046
if command -v pkg-config > /dev/null &&
	cc -o "$tmp/use-shared" "$tmp/use.c" $(pcflags --cflags) $(pcflags --libs) \
		-Wl,-rpath,"$dir/lib" 2> "$tmp/cc.log" &&
	cc -o "$tmp/use-static" "$tmp/use.c" $(pcflags --cflags) "$dir/lib/libfastport.a" \
		$(pcflags --static --libs-only-other) \
		$(pcflags --static --libs-only-l | sed 's/-lfastport\b//') 2>> "$tmp/cc.log" &&
	[ "$("$tmp/use-shared")" = "$("$tmp/use-static")" ]; then
	echo "verify-dist: links: pkg-config (shared) and libfastport.a (static): $("$tmp/use-static")"
else
	bad "a program does not build against the tree: $(cat "$tmp/cc.log")"
fi

# Python: importable from the tree alone, and using the bundled library.
if [ -d "$dir/python" ]; then
	if out=$(cd / && PYTHONPATH="$dir/python" /usr/bin/python3 -c \
		'import fastport; print(fastport.build_info())' 2>&1); then
		echo "verify-dist: python: $out"
		# build_info() must describe the bundled library, not another one.
		grep -q "$(note_id "$dir/python/fastport/libfastport.so.0" 2>/dev/null || echo none)" <<< "$out" ||
			bad "python: build_info() does not name the bundled library's build ID"
	else
		bad "python: import fastport from the tree failed: $out"
	fi
else
	echo "verify-dist: SKIP python: no python/ package in the source tree yet"
fi

if (cd "$dir" && sha256sum --quiet -c SHA256SUMS); then
	echo "verify-dist: SHA256SUMS: $(wc -l < "$dir/SHA256SUMS") files verify"
else
	bad "SHA256SUMS does not verify"
fi
[ "$fail" = 0 ] && echo "verify-dist: ok ($dir)" || echo "verify-dist: FAILED ($dir)"
exit $fail
