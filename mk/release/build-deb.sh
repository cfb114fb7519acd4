#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds dist/fastport_<version>_<debarch>.deb from a staged root (make deb):
# /usr/bin/fastport, /usr/lib/<multiarch>/libfastport.so.0, the man page
# and the bash completion, with DEBIAN/control, md5sums, an ldconfig trigger
# and a shlibs file. The development files stay in the dist tarball.
# Usage: build-deb.sh DIST_DIR STAGE_ROOT VERSION OUTDIR
# STAGE_ROOT may already hold `make install PREFIX=/usr DESTDIR=...`; what
# is missing is taken from DIST_DIR.
set -eu
dist=$1 root=$(realpath "$2") version=$3 out=$4
debarch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
libdir=usr/lib/$multiarch

mkdir -p "$root/usr/bin" "$root/$libdir"
install -m 755 "$dist/bin/fastport" "$root/usr/bin/fastport"
install -m 644 "$dist/lib/libfastport.so.0" "$root/$libdir/libfastport.so.0"
# Runtime package: no header, archive, .so link or pkg-config file.
rm -rf "$root/usr/include" "$root/$libdir/pkgconfig" "$root/$libdir/libfastport.a" \
	"$root/$libdir/libfastport.so"
man=$root/usr/share/man/man1/fastport.1
if [ ! -f "$man" ] && [ -f "$dist/share/man/man1/fastport.1" ]; then
	install -D -m 644 "$dist/share/man/man1/fastport.1" "$man"
fi
[ -f "$man" ] && gzip -9nf "$man"
comp=$root/usr/share/bash-completion/completions/fastport
if [ ! -f "$comp" ] && [ -f contrib/bash-completion/fastport ]; then
	install -D -m 644 contrib/bash-completion/fastport "$comp"
fi
install -D -m 644 /dev/stdin "$root/usr/share/doc/fastport/copyright" <<'COPYRIGHT'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: fastport

Files: *
License: MIT
COPYRIGHT
find "$root" -type d -empty -delete

# Depends: what dpkg-shlibdeps derives from the NEEDED entries (libc6, and
# whatever else the binaries link, e.g. libseccomp2/libcap2 for the CLI's
# sandbox); without dpkg-dev, the newest GLIBC_ version the binaries use.
depends=
if command -v dpkg-shlibdeps > /dev/null; then
	shl=$(mktemp -d)
	mkdir -p "$shl/debian"
	printf 'Source: fastport\n\nPackage: fastport\nArchitecture: any\n' > "$shl/debian/control"
	depends=$(cd "$shl" && dpkg-shlibdeps -O "$root/usr/bin/fastport" \
		"$root/$libdir/libfastport.so.0" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
	rm -rf "$shl"
fi
if [ -z "$depends" ]; then
	glibc=$(objdump -T "$root/usr/bin/fastport" "$root/$libdir/libfastport.so.0" |
		grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
	depends="libc6 (>= $glibc)"
fi

mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: fastport
Version: $version
Architecture: $debarch
Maintainer: fastport developers <fastport@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: net
Priority: optional
Description: fast, accurate and safe network port scanner
 fastport probes TCP (stateless SYN and connect), UDP and QUIC at high
 rates and reports every finding as a threat_event_v1 JSON event that
 names the exact binary (GNU build ID and build mode) that produced it.
 This package holds the command and the scan-core shared library.
CONTROL
echo "libfastport 0 fastport (>= $version)" > "$root/DEBIAN/shlibs"
echo "activate-noawait ldconfig" > "$root/DEBIAN/triggers"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' |
	LC_ALL=C sort | xargs -d '\n' md5sum) > "$root/DEBIAN/md5sums"
chmod 644 "$root"/DEBIAN/*
# Same content, same bytes: every member gets the last commit's time.
find "$root" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +

deb=$out/fastport_${version}_$debarch.deb
mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" > /dev/null
echo "  deb: $deb (Depends: $depends)"
