#!/usr/bin/env bash
# Scope: counters in the target prove that excluded, built-in excluded and
# out-of-scope addresses receive no probe, and that every in-scope probe
# arrives exactly once per pass; findings equal the truth minus excludes.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
lab_nft <<'NFT'
table ip fpscope {
	counter excluded {}
	counter outside {}
	counter reserved {}
	counter inscope {}
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip saddr 198.18.0.1 tcp flags & (syn | ack) == syn jump probes
	}
	chain probes {
		ip daddr { 198.19.5.0/24, 198.19.9.9, 198.19.10.0-198.19.10.127 } counter name excluded return
		ip daddr { 0.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4 } counter name reserved return
		ip daddr != 198.19.0.0/20 counter name outside return
		counter name inscope
	}
}
NFT
# The target list also names addresses that must never be probed: this
# host, a multicast and a reserved address (built-in exclusions), and an
# exclusion file.
printf '# excluded by file\n198.19.10.0/25\n' > "$LAB_TMP/ex.txt"
scan 198.19.0.0/20 224.0.0.1 240.0.0.9 0.0.0.7 -p 22,80 --rate 100000 --retries 0 \
	--allow-reserved --exclude 198.19.5.0/24,198.19.9.9 --excludefile "$LAB_TMP/ex.txt" \
	--states open,closed,filtered -o "$LAB_TMP/ev.ndjson" --quiet
in_t nft list table ip fpscope > "$LAB_TMP/counters"
count() { awk -v n="$1" '$1 == "counter" && $2 == n { f = 1 } f && /packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") { print $(i + 1); exit } }' "$LAB_TMP/counters"; }
exp=$(( (4096 - 256 - 1 - 128) * 2 ))
echo "excluded=$(count excluded) reserved=$(count reserved) outside=$(count outside) inscope=$(count inscope) expected_inscope=$exp"
[ "$(count excluded)" = 0 ] || die "excluded addresses were probed"
[ "$(count reserved)" = 0 ] || die "built-in excluded addresses were probed"
[ "$(count outside)" = 0 ] || die "out-of-scope addresses were probed"
[ "$(count inscope)" = "$exp" ] || die "in-scope probes: $(count inscope), expected $exp"
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/ev.ndjson" --targets 198.19.0.0/20 --ports 22,80 \
	--exclude 198.19.5.0/24,198.19.9.9,198.19.10.0/25
