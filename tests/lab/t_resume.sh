#!/usr/bin/env bash
# Resume: a scan stopped with SIGINT saves its progress (--resume-file); the
# resumed run (--resume) finishes it. Together their findings equal the
# truth exactly and no finding appears in both. A completed run leaves the
# file empty; a state for another scan is refused.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
F="$LAB_TMP/state"
args=(198.19.0.0/18 -p 22,80,443,8080,9000 --states all --rate 30000 --allow-reserved --quiet)

ip netns exec "$NS_S" "$FASTPORT" "${args[@]}" --resume-file "$F" -o "$LAB_TMP/ev1.ndjson" \
	2> "$LAB_TMP/err1" &
pid=$!
sleep 2
kill -INT $pid
rc=0
wait $pid || rc=$?
cat "$LAB_TMP/err1"
[ "$rc" = 0 ] || die "interrupted run exited $rc"
grep -q "interrupted; resume with --resume $F" "$LAB_TMP/err1" || die "no resume hint"
[ -s "$F" ] || die "no state saved"
tail -n 1 "$LAB_TMP/ev1.ndjson" | grep -q '"interrupted":true' || die "first run not interrupted"
[ "$(stat -c %a "$F")" = 600 ] || die "state file mode $(stat -c %a "$F")"

# A state for another scan is refused, and left as it was.
cp "$F" "$LAB_TMP/keep"
rc=0
scan 198.19.0.0/18 -p 22,80 --states all --allow-reserved --quiet --resume "$F" \
	--resume-file "$F" -o /dev/null 2> "$LAB_TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -q "resume file is for a different scan" "$LAB_TMP/err" ||
	die "mismatched resume: exit $rc, $(cat "$LAB_TMP/err")"
cmp -s "$F" "$LAB_TMP/keep" || die "a refused resume changed the state file"

scan "${args[@]}" --resume "$F" --resume-file "$F" -o "$LAB_TMP/ev2.ndjson"
[ -e "$F" ] && [ ! -s "$F" ] || die "a completed run must leave the state file empty"
tail -n 1 "$LAB_TMP/ev2.ndjson" | grep -q '"interrupted":false' || die "resumed run did not complete"
rc=0
scan "${args[@]}" --resume "$F" -o /dev/null 2> "$LAB_TMP/err" || rc=$?
[ "$rc" = 0 ] && grep -q "nothing to resume" "$LAB_TMP/err" || die "empty state: exit $rc"

$PY - "$LAB_TMP/ev1.ndjson" "$LAB_TMP/ev2.ndjson" <<'PYEOF'
import json, sys
def keys(path):
    return [(e["target"]["ip"], e["target"]["port"], e["target"]["protocol"])
            for e in map(json.loads, open(path)) if e["kind"] == "port_state"]
a, b = keys(sys.argv[1]), keys(sys.argv[2])
both = set(a) & set(b)
print("interrupted run", len(a), "findings; resumed run", len(b), "; in both", len(both))
assert a and b, "one run found nothing"
assert not both, sorted(both)[:5]
PYEOF
grep -v '"scan_completed"' "$LAB_TMP/ev1.ndjson" > "$LAB_TMP/merged.ndjson" || true
grep '"port_state"' "$LAB_TMP/ev2.ndjson" >> "$LAB_TMP/merged.ndjson" || true
grep '"scan_completed"' "$LAB_TMP/ev2.ndjson" >> "$LAB_TMP/merged.ndjson"
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/merged.ndjson" --targets 198.19.0.0/18 \
	--ports 22,80,443,8080,9000
