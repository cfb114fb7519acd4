#!/usr/bin/env bash
# Build identity: `fastport --version` and fp_build_id() print exactly the
# GNU build ID that readelf -n shows, for every mode built; and two builds of
# the same source in different directories get the same build ID.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
fail=0
note_id() { readelf -n "$1" | awk '/Build ID:/ { print $3 }'; }
for mode in fast secure debug; do
	bin=build/$mode/bin/fastport
	so=build/$mode/lib/libfastport.so.0
	[ -x "$bin" ] || continue
	want=$(note_id "$bin")
	got=$("$bin" --version | awk '/^build-id:/ { print $2 }')
	mode_got=$("$bin" --version | awk '/^build-mode:/ { print $2 }')
	echo "$mode bin: readelf=$want --version=$got mode=$mode_got"
	[ -n "$want" ] && [ "$want" = "$got" ] || fail=1
	[ "$mode_got" = "$mode" ] || fail=1
	if [ "$mode" != debug ]; then
		want=$(note_id "$so")
		got=$(/usr/bin/python3 -c 'import ctypes, sys
lib = ctypes.CDLL(sys.argv[1]); lib.fp_build_id.restype = ctypes.c_char_p
lib.fp_build_mode.restype = ctypes.c_char_p
print(lib.fp_build_id().decode(), lib.fp_build_mode().decode())' "$so")
		echo "$mode lib: readelf=$want fp_build_id=$got"
		[ "$got" = "$want $mode" ] || fail=1
	fi
done
# Reproducible: the same source built in two directories.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in a b; do
	mkdir -p "$tmp/$d/fastport-src"
	git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$tmp/$d/fastport-src"
	make -s -C "$tmp/$d/fastport-src" MODE=fast CPU=x86-64-v2 -j"$(nproc)" all REV=repro >/dev/null
done
ida=$(note_id "$tmp/a/fastport-src/build/fast/bin/fastport")
idb=$(note_id "$tmp/b/fastport-src/build/fast/bin/fastport")
la=$(note_id "$tmp/a/fastport-src/build/fast/lib/libfastport.so.0")
lb=$(note_id "$tmp/b/fastport-src/build/fast/lib/libfastport.so.0")
echo "two builds: bin $ida / $idb, lib $la / $lb"
[ "$ida" = "$idb" ] && [ "$la" = "$lb" ] || fail=1
cmp "$tmp/a/fastport-src/build/fast/lib/libfastport.a" "$tmp/b/fastport-src/build/fast/lib/libfastport.a" || fail=1
[ "$fail" = 0 ] && echo "build identity: ok" || echo "build identity: FAILED"
exit $fail
