# SPDX-License-Identifier: MIT
# Lab helpers for the integration tests. Source this file, then call
# lab_setup. Safety (DESIGN.md): every probe is sent from a namespace this
# test created, linked only by a veth pair to a target namespace of the same
# test, with addresses from 198.18.0.0/15 and 2001:2::/48 only. Everything
# is removed on exit, also on failure.
set -eu

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/../.." && pwd)
BUILD=${BUILD:-$ROOT/build/fast}
FASTPORT=${FASTPORT:-$BUILD/bin/fastport}
PY=${PY:-/usr/bin/python3}
LAB_ID="fp$$r$RANDOM"
NS_S="${LAB_ID}s"   # the scanner's namespace
NS_T="${LAB_ID}t"   # the targets' namespace
LAB_PIDS=()
LAB_TMP=$(mktemp -d "/tmp/${LAB_ID}.XXXX")

lab_cleanup() {
	local rc=$?
	set +e
	for p in "${LAB_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${LAB_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	# Anything still running inside our namespaces goes too.
	for ns in "$NS_S" "$NS_T"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$LAB_TMP"
	exit $rc
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

in_s() { ip netns exec "$NS_S" "$@"; }
in_t() { ip netns exec "$NS_T" "$@"; }

die() { echo "FAIL: $*" >&2; exit 1; }

# The lab: scanner 198.18.0.1 <-veth-> 198.18.0.2 target; the target
# namespace answers for all of 198.19.0.0/16 and 2001:2:0:1::/64 (local
# routes on lo), and the scanner routes both through it.
lab_setup() {
	ip netns add "$NS_S"
	ip netns add "$NS_T"
	ip -n "$NS_S" link add eth0 type veth peer name eth0 netns "$NS_T"
	ip -n "$NS_S" link set lo up
	ip -n "$NS_T" link set lo up
	ip -n "$NS_S" addr add 198.18.0.1/24 dev eth0
	ip -n "$NS_T" addr add 198.18.0.2/24 dev eth0
	ip -n "$NS_S" addr add 2001:2::1/64 dev eth0 nodad
	ip -n "$NS_T" addr add 2001:2::2/64 dev eth0 nodad
	ip -n "$NS_S" link set eth0 up
	ip -n "$NS_T" link set eth0 up
	ip -n "$NS_T" route add local 198.19.0.0/16 dev lo
	ip -n "$NS_T" -6 route add local 2001:2:0:1::/64 dev lo
	ip -n "$NS_S" route add 198.19.0.0/16 via 198.18.0.2
	ip -n "$NS_S" -6 route add 2001:2:0:1::/64 via 2001:2::2
	# Ground truth must not depend on the kernel's ICMP rate limits or
	# on SYN queues overflowing.
	in_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=10000000 \
		net.ipv4.icmp_msgs_burst=10000000 net.ipv6.icmp.ratelimit=0 \
		net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
	# Replies to SYN-ACKs we did not ask for: the scanner's kernel sends RST.
}

# Starts TCP listeners on the given ports (all addresses) in the target.
lab_listen() {
	in_t "$PY" "$LAB_DIR/listen.py" "$@" &
	LAB_PIDS+=($!)
	# Wait until every port is listening.
	for _ in $(seq 50); do
		local n=0
		for p in "$@"; do
			in_t ss -ltnH "sport = :$p" | grep -q . && n=$((n + 1))
		done
		[ "$n" -eq $# ] && return 0
		sleep 0.1
	done
	die "listeners did not start"
}

# Loads an nft ruleset (from stdin) into the target namespace.
lab_nft() { in_t nft -f -; }

# Runs fastport in the scanner namespace with a hard timeout. LAB_RATE_MAX,
# when set, caps every --rate: a ThreadSanitizer build's receive thread
# keeps up with about 30,000 replies/s here, and beyond that the ring
# drops replies (tests/run-all sets it for that build).
scan() {
	local a=() prev=
	for x in "$@"; do
		[ "$prev" = --rate ] && [ -n "${LAB_RATE_MAX:-}" ] && [ "$x" -gt "$LAB_RATE_MAX" ] &&
			x=$LAB_RATE_MAX
		a+=("$x")
		prev=$x
	done
	in_s timeout -s KILL 120 "$FASTPORT" "${a[@]}"
}
