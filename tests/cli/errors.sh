#!/usr/bin/env bash
# Bad input gets a clear message naming the token and exit status 2, never a
# crash. Runs in a new, empty network namespace (unshare -n) so that nothing
# could leave this machine even if a check went wrong.
set -u
here=$(cd "$(dirname "$0")" && pwd)
FASTPORT=${FASTPORT:-$here/../../build/${MODE:-fast}/bin/fastport}
if [ "${FP_IN_NETNS:-}" != 1 ]; then
	FP_IN_NETNS=1 exec unshare -n "$0" "$@"
fi
pass=0 fail=0
expect() { # expect STATUS PATTERN ARGS...
	local want=$1 pat=$2 out rc
	shift 2
	out=$(timeout 10 "$FASTPORT" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$pat" <<<"$out"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: fastport $* -> exit $rc, wanted $want and '$pat'; said: $out"
	fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '198.19.0.1\n# comment\n198.19.0.999\n' > "$tmp/bad.txt"
expect 2 "10.0.0.300" 10.0.0.300 -p 80
expect 2 "10.0.0.0/33" 10.0.0.0/33 -p 80
expect 2 "10.0.0.9-10.0.0.1" 10.0.0.9-10.0.0.1 -p 80
expect 2 "1.2.3.4-::1" 1.2.3.4-::1 -p 80
expect 2 "fe80::1%eth0" fe80::1%eth0 -p 80
expect 2 "70000" 198.19.0.1 -p 70000
expect 2 "90-80" 198.19.0.1 -p 90-80
expect 2 "X:80" 198.19.0.1 -p X:80
expect 2 "22,,80" 198.19.0.1 -p 22,,80
expect 2 "abc" 198.19.0.1 -p 80 --rate abc
expect 2 "--rate" 198.19.0.1 -p 80 --rate 0
expect 2 "4/3" 198.19.0.1 -p 80 --shard 4/3
expect 2 "--shard" 198.19.0.1 -p 80 --shard 0/3
expect 2 "bogus" 198.19.0.1 -p 80 --states bogus
expect 2 "--nope" 198.19.0.1 --nope
expect 2 "no targets" -p 80
expect 2 "bad.txt:3" -iL "$tmp/bad.txt" -p 80
expect 2 "missing.txt" -iL "$tmp/missing.txt" -p 80
expect 2 "300.1.1.1" 198.19.0.1 -p 80 --exclude 300.1.1.1
expect 2 "--allow-reserved" 198.19.0.0/24 -p 80
expect 2 "excluded" 198.19.0.0/24 -p 80 --allow-reserved --exclude 198.19.0.0/16
expect 2 "2^40" 2001:2::/48 -p 80 --allow-reserved
expect 2 "zz:zz" 198.19.0.1 -p 80 --allow-reserved --router-mac zz:zz
expect 2 "--format" 198.19.0.1 -p 80 --format xml
expect 2 "unknown path 'fast'" 198.19.0.1 -p 80 --send-path fast
expect 2 "--send-path" 198.19.0.1 -p 80 --connect --send-path xdp
printf '# user payloads\n53 0001\n\n  161:zz # not hex\n' > "$tmp/payloads.txt"
expect 2 "expected PORT:HEX with PORT from 0 to 65535, got '70000:00'" 198.19.0.1 -p U:53 \
	--allow-reserved --udp-payload 70000:00
expect 2 "expected PORT:HEX" 198.19.0.1 -p U:53 --allow-reserved --udp-payload 0001
expect 2 "invalid hex 'zz'" 198.19.0.1 -p U:53 --allow-reserved --udp-payload 53:zz
expect 2 "invalid hex 'abc'" 198.19.0.1 -p U:53 --allow-reserved --udp-payload 53:abc
expect 2 "payloads.txt:4: invalid hex 'zz' in '161:zz'" 198.19.0.1 -p U:53 --allow-reserved \
	--udp-payload-file "$tmp/payloads.txt"
expect 2 "cannot open" 198.19.0.1 -p U:53 --allow-reserved --udp-payload-file "$tmp/missing.txt"
printf 'not a state' > "$tmp/garbage.state"
: > "$tmp/empty.state"
expect 2 "cannot open" 198.19.0.1 -p 80 --allow-reserved --resume "$tmp/missing.state"
expect 2 "not a resume file" 198.19.0.1 -p 80 --allow-reserved --resume "$tmp/garbage.state"
expect 0 "nothing to resume" 198.19.0.1 -p 80 --allow-reserved --resume "$tmp/empty.state"
out=$("$FASTPORT" --help)
if grep -q -- "--shard K/N" <<<"$out" && "$FASTPORT" --version | grep -q "^build-id: "; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: --help/--version"
fi
echo "cli errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
