#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Completes a binary distribution tree from one build directory and writes
# its MANIFEST and SHA256SUMS, then a reproducible tarball next to it.
# Usage: stage-dist.sh BUILD_DIR DIST_DIR VERSION
#
# `make install PREFIX= DESTDIR=DIST_DIR` may already have filled the tree;
# what it did not install (or everything, when that target is not there yet)
# is copied here, so both ways end in the same layout:
#   bin/fastport  lib/libfastport.so.0 (+ .so link)  lib/libfastport.a
#   include/fastport.h  lib/pkgconfig/fastport.pc  share/man/man1/fastport.1
#   python/ (with libfastport.so.0 bundled)  MANIFEST  SHA256SUMS
set -eu
build=$1 dir=$2 version=$3
root=$(pwd)

mkdir -p "$dir/bin" "$dir/lib/pkgconfig" "$dir/include"
# The artifacts always come from the build itself, whoever staged first.
install -m 755 "$build/bin/fastport" "$dir/bin/fastport"
install -m 755 "$build/lib/libfastport.so.0" "$dir/lib/libfastport.so.0"
ln -sfn libfastport.so.0 "$dir/lib/libfastport.so"
install -m 644 "$build/lib/libfastport.a" "$dir/lib/libfastport.a"
# The shipped archive carries machine code only, as Debian's dh_strip makes
# static libraries: gcc's LTO IR is tied to one gcc version (another gcc with
# -flto fails on it) and gcc 12 streams the unmapped build directory into it,
# which would make the archive depend on where it was built.
${OBJCOPY:-objcopy} -D -R '.gnu.lto_*' -R '.gnu.debuglto_*' -N __gnu_lto_v1 -N __gnu_lto_slim \
	"$dir/lib/libfastport.a"
install -m 644 include/fastport.h "$dir/include/fastport.h"

# pkg-config: relocatable, so the tree works wherever it is unpacked.
pc=$dir/lib/pkgconfig/fastport.pc
if [ ! -f "$pc" ]; then
	if [ -f fastport.pc.in ]; then
		sed -e 's|@PREFIX@||' -e 's|@LIBDIR@|${prefix}/lib|' \
			-e 's|@INCLUDEDIR@|${prefix}/include|' -e "s|@VERSION@|$version|" \
			fastport.pc.in > "$pc"
	else
		printf '%s\n' 'prefix=' 'libdir=${prefix}/lib' 'includedir=${prefix}/include' '' \
			'Name: fastport' 'Description: fast network port scanner (scan core library)' \
			"Version: $version" 'Libs: -L${libdir} -lfastport' 'Libs.private: -pthread' \
			'Cflags: -I${includedir}' > "$pc"
	fi
fi
sed -i 's|^prefix=.*|prefix=${pcfiledir}/../..|' "$pc"

if [ -f docs/fastport.1 ] && [ ! -f "$dir/share/man/man1/fastport.1" ]; then
	install -D -m 644 docs/fastport.1 "$dir/share/man/man1/fastport.1"
fi

# The Python package, with the shared library inside it so that
# PYTHONPATH=DIST/python is all it needs.
if [ -d python ]; then
	rm -rf "$dir/python"
	mkdir -p "$dir/python"
	(cd python && find . -name __pycache__ -prune -o -name '*.pyc' -prune -o \
		-name '*.so*' -prune -o -type f -print0 | LC_ALL=C sort -z |
		xargs -0 -r tar --no-recursion -cf -) | tar -xf - -C "$dir/python"
	pkg=$dir/python
	[ -d "$dir/python/fastport" ] && pkg=$dir/python/fastport
	install -m 755 "$build/lib/libfastport.so.0" "$pkg/libfastport.so.0"
fi

# MANIFEST: one line per binary or library. Build IDs come from the notes
# themselves (readelf -n); the archive has none (its objects are not linked).
cd "$dir"
note_id() { readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }'; }
mode=$(awk -F'"' '/FP_BUILD_MODE/ { print $2 }' "$root/$build/gen/build_config.h")
{
	printf '# fastport %s %s: path, GNU build ID (readelf -n), build mode, sha256\n' \
		"$version" "$(basename "$(pwd)")"
	find . \( -path ./bin/\* -o -name '*.so.*' -o -name '*.a' \) -type f | sed 's|^\./||' |
		LC_ALL=C sort | while read -r f; do
		id=$(note_id "$f")
		printf '%s\t%s\t%s\t%s\n' "$f" "${id:--}" "$mode" "$(sha256sum "$f" | cut -d' ' -f1)"
	done
} > MANIFEST

find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort |
	xargs -d '\n' sha256sum > SHA256SUMS

# A tarball of the tree whose bytes depend only on its content.
cd "$root/$(dirname "$dir")"
name=$(basename "$dir")
tar --sort=name --mtime="@${SOURCE_DATE_EPOCH:-0}" --owner=0 --group=0 --numeric-owner \
	--mode='go-w' -cf - "$name" | gzip -n -9 > "$name.tar.gz"
echo "  dist: $dir/ and $(dirname "$dir")/$name.tar.gz"
