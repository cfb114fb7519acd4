#!/usr/bin/env bash
# Bad input gets a clear message naming the token and exit status 2, never a
# crash; each case runs both as `fastport ARGS` and as `fastport scan ARGS`.
# Then the commands: help, version, unknown commands, and (as root) one
# connect scan of 127.0.0.1 in both forms, which must report the same.
# Runs in a new, empty network namespace (unshare -n) so that nothing
# could leave this machine even if a check went wrong.
set -u
here=$(cd "$(dirname "$0")" && pwd)
FASTPORT=${FASTPORT:-$here/../../build/${MODE:-fast}/bin/fastport}
if [ "${FP_IN_NETNS:-}" != 1 ]; then
	FP_IN_NETNS=1 exec unshare -n "$0" "$@"
fi
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect1 STATUS PATTERN ARGS...: standard error holds PATTERN.
expect1() {
	local want=$1 pat=$2 out rc
	shift 2
	out=$(timeout 10 "$FASTPORT" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$pat" <<<"$out"; then
		ok
	else
		bad "fastport $* -> exit $rc, wanted $want and '$pat'; said: $out"
	fi
}
# expect STATUS PATTERN ARGS...: the same for the bare and the scan form.
expect() {
	expect1 "$@"
	expect1 "$1" "$2" scan "${@:3}"
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
expect 2 "need --service-scan" 198.19.0.1 -p 80 --sv-timeout 2
expect 2 "need --service-scan" 198.19.0.1 -p 80 --sv-db /nonexistent
expect 2 "at least 0.001 seconds" 198.19.0.1 -p 80 -sV --sv-timeout 0
expect 2 "invalid number" 198.19.0.1 -p 80 -sV --sv-concurrency many
expect 2 "out of range" 198.19.0.1 -p 80 -sV --sv-concurrency 0
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

# The results store (when built in): bad URLs and options exit 2 with the
# reason, a store that cannot be reached or read exits 1.
if "$FASTPORT" --help | grep -q "^  scans "; then
	expect 2 "has no scheme: use sqlite:PATH" 198.19.0.1 -p 80 --allow-reserved --store "$tmp/x.db"
	expect 2 "unsupported store URL scheme 'mysql:'" 198.19.0.1 -p 80 --allow-reserved \
		--store "mysql://u:secret@h/db"
	expect 2 "bad port '99999'" 198.19.0.1 -p 80 --allow-reserved --store "postgresql://h:99999/db"
	expect 2 "need --store" 198.19.0.1 -p 80 --allow-reserved --confirm 3
	expect 2 "need --store" 198.19.0.1 -p 80 --allow-reserved --scan-id 0123
	expect 2 "--confirm" 198.19.0.1 -p 80 --allow-reserved --store "sqlite:$tmp/s.db" --confirm x
	expect 2 "is not a scan id" 198.19.0.1 -p 80 --allow-reserved --store "sqlite:$tmp/s.db" \
		--scan-id 0123
	expect 2 "10.0.0.300" 10.0.0.300 -p 80 --store "sqlite:$tmp/s.db"
	expect 1 "cannot connect" 198.19.0.1 -p 80 --allow-reserved \
		--store "postgresql:///db?host=$tmp/nosock"
	declare -A more=([scans]="" [diff]="--to abcd" [export]="--scan abcd")
	for c in scans diff export; do
		expect1 2 "--store URL is required" $c ${more[$c]}
		expect1 2 "has no scheme" $c --store "$tmp/x.db" ${more[$c]}
		expect1 2 "unknown option '--nope'" $c --nope
		expect1 1 "no store there" $c --store "sqlite:$tmp/none.db" ${more[$c]}
		"$FASTPORT" help $c | grep -q "^Usage: fastport $c --store URL" && ok || bad "help $c"
		"$FASTPORT" $c --help | grep -q "^Usage: fastport $c --store URL" && ok || bad "$c --help"
	done
	expect1 2 "unknown format 'xml'" diff --store "sqlite:$tmp/s.db" --format xml
	expect1 2 "--scan ID is required" export --store "sqlite:$tmp/s.db"
	expect1 2 "unknown format 'yaml'" export --store "sqlite:$tmp/s.db" --scan abcd --format yaml
	! grep -q secret <<<"$("$FASTPORT" scans --store "mysql://u:secret@h/db" 2>&1)" && ok ||
		bad "a password is repeated in a message"
fi

# A first word that is neither a command nor an option is a target, as
# before; one that reads as a command name and is none is refused.
expect1 2 "unknown command 'agentx'" agentx --nats nats://127.0.0.1
# The fleet's usage errors (built unless FLEET=0).
if "$FASTPORT" help agent > /dev/null 2>&1; then
	expect1 2 "--nats URL is required" agent --allow 198.51.100.0/24
	expect1 2 "--allow SPEC is required" agent --nats nats://127.0.0.1 --name a1
	expect1 2 "--name: 1..64 letters" agent --nats nats://127.0.0.1 --name a.b --allow 198.51.100.1
	expect1 2 "--shards N is required" submit --nats nats://127.0.0.1 198.51.100.1
	expect1 2 "invalid target" submit --nats nats://127.0.0.1 --shards 2 198.51.100.300
	expect1 2 "expected 32 lowercase hex digits" results --nats nats://127.0.0.1 xyz
fi
# serve's own usage errors: scope and the non-loopback rule.
expect1 2 "--allow is required" serve --listen 127.0.0.1:8080
expect1 2 "Try 'fastport serve --help'" serve --listen 127.0.0.1:8080
expect1 2 "not a loopback address" serve --allow 198.51.100.0/24 --listen 0.0.0.0:8700
expect1 2 "invalid target" serve --allow 198.51.100.300
expect1 2 "unknown command 'example'" example -p 80
expect1 2 "Try 'fastport --help'" example -p 80
expect1 2 "'scan'" -p 80 scan
expect1 2 "Try 'fastport scan --help'" scan -p 80
expect1 2 "unknown command 'nope'" help nope
expect1 2 "one command at most" help scan version
expect1 2 "unexpected argument 'now'" version now

# same NAME ARGS... -- ARGS...: both commands exit 0 with the same output.
same() {
	local name=$1 a=() b=() x y
	shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	x=$(timeout 10 "$FASTPORT" "${a[@]}" 2>&1) && y=$(timeout 10 "$FASTPORT" "${b[@]}" 2>&1) &&
		[ -n "$x" ] && [ "$x" = "$y" ] && ok || bad "$name: 'fastport ${a[*]}' and 'fastport ${b[*]}' differ or fail"
}
help=$("$FASTPORT" --help)
grep -q -- "--shard K/N" <<<"$help" && grep -q "^  scan " <<<"$help" && grep -q "^  help " <<<"$help" &&
	grep -q "^  version " <<<"$help" && ok || bad "--help lists the commands and the scan options"
same "help" --help -- help
same "-h" -h -- help
same "help --help" help --help -- help
same "help after options" -p 80 --help -- --help
same "scan help" scan --help -- help scan
scan_help=$("$FASTPORT" help scan)
grep -q "^Usage: fastport scan \[OPTIONS\] TARGET" <<<"$scan_help" && grep -q -- "--shard K/N" <<<"$scan_help" &&
	ok || bad "fastport help scan: $scan_help"
"$FASTPORT" --version | grep -q "^build-id: " && ok || bad "--version"
same "version" --version -- version
same "scan --version" scan --version -- version
"$FASTPORT" help version | grep -q "^Usage: fastport version" && ok || bad "help version"

# The same scan, bare and as `fastport scan`: a connect scan of 127.0.0.1
# inside this empty namespace (nothing listens: every port closed).
if [ "$(id -u)" = 0 ] && ip link set lo up 2>/dev/null; then
	args=(127.0.0.1 -p 1-5,7 --connect --states all --seed 3 --rate 1000 --wait 1 --format list --quiet)
	a=$(timeout 30 "$FASTPORT" "${args[@]}" | sort) && b=$(timeout 30 "$FASTPORT" scan "${args[@]}" | sort) &&
		[ "$(grep -c '^closed .*127.0.0.1:[0-9]*/tcp refused$' <<<"$a")" = 6 ] && [ "$a" = "$b" ] &&
		ok || bad "fastport ${args[*]} and fastport scan ... differ: '$a' vs '$b'"
else
	echo "note: not root: the scan in both forms is not compared"
fi
echo "cli errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
