#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package: dpkg -i installs it, the installed fastport runs and
# names its build ID, the library is in the ldconfig cache, dpkg -r removes
# it and nothing is left (no dpkg record, none of its files).
# Usage: tests/release/deb.sh [PACKAGE.deb]   (default: make deb, then dist/*.deb)
# Needs root; refuses to run when a fastport package is already installed.
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
status() { dpkg-query -W -f '${db:Status-Status}' fastport 2>/dev/null; }

if [ "$(status)" = installed ]; then
	echo "deb: a fastport package is installed already; not touching it" >&2
	exit 1
fi
deb=${1:-}
if [ -z "$deb" ]; then
	make -s deb > /dev/null || { echo "deb: make deb failed" >&2; exit 1; }
	deb=$(ls dist/fastport_*_"$(dpkg --print-architecture)".deb)
fi
files=$(mktemp)
trap 'rm -f "$files"; [ "$(status)" = installed ] && dpkg -r fastport > /dev/null' EXIT

if dpkg -i "$deb" > /dev/null; then
	ok "dpkg -i $deb"
else
	bad "dpkg -i $deb"
fi
dpkg -L fastport > "$files" 2>/dev/null
out=$(/usr/bin/fastport --version 2>&1)
want=$(readelf -n /usr/bin/fastport | awk '/Build ID:/ { print $3 }')
if grep -q "^build-id: $want\$" <<< "$out" && [ -n "$want" ]; then
	ok "/usr/bin/fastport --version: $(head -n 1 <<< "$out"), build ID $want"
else
	bad "/usr/bin/fastport --version: $out"
fi
if ldconfig -p | grep -q 'libfastport.so.0 '; then
	ok "libfastport.so.0 in the ldconfig cache"
else
	bad "libfastport.so.0 not in the ldconfig cache (trigger)"
fi
for f in /usr/share/man/man1/fastport.1.gz /usr/share/bash-completion/completions/fastport; do
	grep -qx "$f" "$files" && ok "ships $f" || echo "note: package has no $f"
done

if dpkg -r fastport > /dev/null; then
	ok "dpkg -r fastport"
else
	bad "dpkg -r fastport"
fi
if dpkg -L fastport > /dev/null 2>&1; then
	bad "dpkg -L fastport still lists files ($(status))"
else
	ok "dpkg -L fastport: not installed"
fi
left=0
while read -r f; do
	# Directories are shared (/usr/bin); the package's own files must go.
	if [ -e "$f" ] && [ ! -d "$f" ]; then
		echo "left behind: $f"
		left=1
	fi
done < "$files"
[ -d /usr/share/doc/fastport ] && { echo "left behind: /usr/share/doc/fastport/"; left=1; }
if [ "$left" = 0 ]; then
	ok "no file of the package left ($(wc -l < "$files") paths checked)"
else
	bad "files left behind"
fi
ldconfig -p | grep -q 'libfastport.so.0 ' && bad "libfastport.so.0 still in the ldconfig cache"
echo "deb: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
