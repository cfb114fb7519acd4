#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lab test of src/net/route.c: route lookup and next-hop MAC resolution
# (neighbour table, active ARP, active neighbour solicitation) between two
# namespaces of this test joined by one veth pair. Needs root. Nothing is
# sent from the root namespace; addresses are from 198.18.0.0/15 and
# 2001:2::/48 only.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
A=fpr-$$-a
B=fpr-$$-b
TMP=
FAILS=0

cleanup() {
	local ns pids
	for ns in "$A" "$B"; do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [ -n "$pids" ]; then kill -9 $pids 2>/dev/null || true; fi
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -n "$TMP" ]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# check NAME WANT GOT
check() {
	if [ "$2" = "$3" ]; then pass "$1 ($3)"; else fail "$1: want '$2', got '$3'"; fi
}

# field KEY TEXT: the value of KEY=... in the probe's output.
field() { printf '%s\n' "$2" | sed -n "s/^$1=//p"; }

inA() { ip netns exec "$A" "$@"; }
probe() { inA "$TMP/route_probe" "$@" 2>&1 || true; }

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: needs iproute2"; exit 77; }

TMP=$(mktemp -d /tmp/fpr.XXXXXX)
CC=${CC:-gcc}
$CC -std=gnu11 -D_GNU_SOURCE -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra -Wformat=2 -Wshadow \
	-Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith -Wvla -Werror \
	-I"$ROOT/include" -I"$ROOT/src" \
	"$ROOT/tests/lab/route_probe.c" "$ROOT"/src/net/{route,netlink,neigh,checksum}.c \
	"$ROOT"/src/core/{addr,ipset,targets,reserved,msg,rate}.c \
	-o "$TMP/route_probe"

# The lab: A (va) <-veth-> B (vb). The veth is created inside A with its
# peer placed straight into B, so it never exists in the root namespace.
ip netns add "$A"
ip netns add "$B"
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 198.18.0.1/24 dev va
ip -n "$B" addr add 198.18.0.2/24 dev vb
ip -n "$A" addr add 2001:2::1/64 dev va nodad
ip -n "$B" addr add 2001:2::2/64 dev vb nodad
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set va up
ip -n "$B" link set vb up
ip -n "$A" route add 198.19.0.0/16 via 198.18.0.2
# Carrier changes reach IPv6 through linkwatch, up to a second later; until
# then the peer drops neighbour solicitations. Operstate UP comes with it.
for _ in $(seq 50); do
	if ip -n "$A" link show va | grep -q 'state UP' &&
	   ip -n "$B" link show vb | grep -q 'state UP'; then break; fi
	sleep 0.1
done
ip -n "$A" -6 route add 2001:2:0:1::/64 via 2001:2::2

MAC_A=$(inA cat /sys/class/net/va/address)
MAC_B=$(ip netns exec "$B" cat /sys/class/net/vb/address)
FAKE=02:00:5e:00:00:99
ZERO=00:00:00:00:00:00

# ---- routes ----
out=$(probe route 198.19.3.4)
check "route 198.19.3.4 ifname" va "$(field ifname "$out")"
check "route 198.19.3.4 src" 198.18.0.1 "$(field src "$out")"
check "route 198.19.3.4 gw" 198.18.0.2 "$(field gw "$out")"
check "route 198.19.3.4 if_mac" "$MAC_A" "$(field if_mac "$out")"
check "route 198.19.3.4 mtu" 1500 "$(field mtu "$out")"
out=$(probe route 198.19.3.4 va)
check "route 198.19.3.4 via va" va "$(field ifname "$out")"
out=$(probe route 198.18.0.2)
check "route 198.18.0.2 on-link" none "$(field gw "$out")"
out=$(probe route 198.18.0.1)
check "route 198.18.0.1 local" lo "$(field ifname "$out")"
out=$(probe route 198.18.200.1)
check "route 198.18.200.1 unreachable" "error -6: no route to 198.18.200.1" "$out"
out=$(probe route 198.19.3.4 fp-nosuch0)
check "route via bogus interface" "error -1: no interface named 'fp-nosuch0'" "$out"

out=$(probe route 2001:2:0:1::5)
check "route 2001:2:0:1::5 ifname" va "$(field ifname "$out")"
check "route 2001:2:0:1::5 src" 2001:2::1 "$(field src "$out")"
check "route 2001:2:0:1::5 gw" 2001:2::2 "$(field gw "$out")"
out=$(probe route 2001:2::2)
check "route 2001:2::2 on-link" none "$(field gw "$out")"
out=$(probe route 2001:2:0:ffff::1)
check "route 2001:2:0:ffff::1 unreachable" "error -6: no route to 2001:2:0:ffff::1" "$out"

# usable NEIGH-ADDR: whether the kernel in A has a resolved entry.
usable() { inA ip neigh show to "$1" dev va | grep -q lladdr; }

# resolve FAMILY TARGET GW: the active path, then the kernel's table.
resolve() {
	local fam=$1 target=$2 gw=$3
	inA ip "$fam" neigh flush dev va
	if usable "$gw"; then fail "$fam neighbour table not empty"; fi
	out=$(probe neigh "$target")
	check "$fam active resolution of $gw" "$MAC_B" "$(field mac "$out")"
	if usable "$gw"; then
		fail "$fam kernel entry for $gw appeared: active path not proven"
	else
		pass "$fam no kernel entry for $gw: the answer came from our own request"
	fi
	# One datagram makes the kernel resolve gw itself (B answers it with
	# a port unreachable, inside the lab).
	inA bash -c "echo x >/dev/udp/$gw/9" || true
	for _ in 1 2 3 4 5 6 7 8 9 10; do usable "$gw" && break; sleep 0.1; done
	if usable "$gw"; then pass "$fam kernel knows $gw"; else fail "$fam kernel has no entry for $gw"; fi
	out=$(probe neigh "$target")
	check "$fam resolution of $gw from the kernel's entry" "$MAC_B" "$(field mac "$out")"
	inA ip neigh replace "$gw" lladdr "$FAKE" dev va nud permanent
	out=$(probe neigh "$target")
	check "$fam resolution of $gw from a permanent entry" "$FAKE" "$(field mac "$out")"
	inA ip neigh del "$gw" dev va
}

resolve -4 198.19.3.4 198.18.0.2
resolve -6 2001:2:0:1::5 2001:2::2

# ---- silence: nobody owns the address ----
for t in 198.18.0.77 2001:2::77; do
	start=$(date +%s%N)
	out=$(probe neigh "$t" 300)
	ms=$((($(date +%s%N) - start) / 1000000))
	case $out in
	"error -7: no "*" reply from $t within 300 ms") pass "unanswered $t gives FP_ENOMAC after ${ms} ms" ;;
	*) fail "unanswered $t: got '$out'" ;;
	esac
	if [ "$ms" -lt 250 ] || [ "$ms" -gt 2000 ]; then fail "unanswered $t took ${ms} ms"; fi
done

# ---- links without a neighbour protocol ----
out=$(probe neigh 198.18.0.1)
check "loopback next hop" "$ZERO" "$(field mac "$out")"
ip -n "$A" link set va arp off
out=$(probe neigh 198.19.3.4)
check "NOARP interface" "$ZERO" "$(field mac "$out")"
ip -n "$A" link set va arp on

cleanup
if ip netns list | grep -q -e "^$A\b" -e "^$B\b"; then fail "namespaces left behind"; else pass "namespaces removed"; fi

if [ "$FAILS" -ne 0 ]; then
	echo "route_resolve: $FAILS failed"
	exit 1
fi
echo "route_resolve: all passed"
