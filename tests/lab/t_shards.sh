#!/usr/bin/env bash
# Shards: three runs with --shard K/3 and one seed partition the work
# exactly: every probe is sent once in all (counted in the target), no
# finding appears in two shards, and together they equal the truth.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
lab_nft <<'NFT'
table ip fpshard {
	counter probes {}
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip saddr 198.18.0.1 tcp flags & (syn | ack) == syn counter name probes
	}
}
NFT
for k in 1 2 3; do
	scan 198.19.0.0/20 -p 22,80,443 --rate 100000 --retries 0 --seed 12345 --shard $k/3 \
		--allow-reserved --states all -o "$LAB_TMP/ev$k.ndjson" --quiet
done
n=$(in_t nft list counter ip fpshard probes | awk '/packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }')
echo "probes=$n expected=$((4096 * 3))"
[ "$n" = $((4096 * 3)) ] || die "shards sent $n probes, expected $((4096 * 3))"
# Findings of different shards never overlap; together they are the truth.
cat "$LAB_TMP"/ev1.ndjson > "$LAB_TMP/all.ndjson"
for k in 2 3; do grep '"port_state"' "$LAB_TMP/ev$k.ndjson" >> "$LAB_TMP/all.ndjson" || true; done
# Keep one scan_completed at the end for the checker.
grep -v '"scan_completed"' "$LAB_TMP/all.ndjson" > "$LAB_TMP/merged.ndjson" || true
grep '"scan_completed"' "$LAB_TMP/ev1.ndjson" >> "$LAB_TMP/merged.ndjson"
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/merged.ndjson" --targets 198.19.0.0/20 \
	--ports 22,80,443
