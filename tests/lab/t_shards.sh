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

# Without --seed, the shards of one plan agree on an order derived from the
# plan itself (scan_started: the same seed, seed_source "plan"), so they
# still partition it: with --states all each probe is reported exactly
# once by exactly one shard, and together they equal an unsharded scan.
scan 198.19.0.0/20 -p 22,80,443 --rate 50000 --retries 2 --allow-reserved --states all \
	-o "$LAB_TMP/full.ndjson" --quiet
for k in 1 2 3; do
	scan 198.19.0.0/20 -p 443,22,80 --rate 50000 --retries 2 --shard $k/3 \
		--allow-reserved --states all -o "$LAB_TMP/plan$k.ndjson" --quiet
done
$PY - "$LAB_TMP/full.ndjson" "$LAB_TMP"/plan{1,2,3}.ndjson <<'PY' || die "shards without --seed do not partition the plan"
import json, sys

def load(path):
    started, found = None, []
    for line in open(path):
        e = json.loads(line)
        if e["kind"] == "scan_started":
            started = e["scan"]
        elif e["kind"] == "port_state":
            t, r = e["target"], e["result"]
            found.append((t["ip"], t["port"], t["protocol"], r["state"], r["reason"]))
    return started, found

_, full = load(sys.argv[1])
n = 4096 * 3
assert len(full) == len(set(full)) == n, f"full scan: {len(full)} findings, expected {n}"
seeds, union = set(), []
for k, path in enumerate(sys.argv[2:], 1):
    started, found = load(path)
    assert started["seed_source"] == "plan", started
    assert started["shard"] == f"{k}/3", started
    seeds.add(started["seed"])
    union += found
    print(f"shard {k}/3: seed {started['seed']}, {len(found)} findings")
assert len(seeds) == 1, f"the shards chose different seeds: {seeds}"
keys = [f[:3] for f in union]
dup = len(keys) - len(set(keys))
assert dup == 0, f"{dup} probes reported by more than one shard"
assert len(union) == n, f"the shards reported {len(union)} probes, expected {n}"
only_s, only_f = set(union) - set(full), set(full) - set(union)
assert not only_s and not only_f, (f"shards and full scan differ: only in shards "
                                   f"{sorted(only_s)[:5]}, only in the full scan {sorted(only_f)[:5]}")
opened = sum(f[3] == "open" for f in full)
assert opened > 0, "no open port in the plan"
print(f"partition exact: {n} probes, {opened} open, union == full scan")
PY
