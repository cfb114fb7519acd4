#!/usr/bin/env bash
# Output options: --format list prints one line per finding, the same
# findings as the NDJSON stream; --states filters; -o - is standard output.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen 22 80
scan 198.19.0.0/28 -p 22,80,81 --rate 5000 --allow-reserved --states open,closed --format list \
	--seed 1 --quiet > "$LAB_TMP/list.txt"
scan 198.19.0.0/28 -p 22,80,81 --rate 5000 --allow-reserved --states closed --seed 1 --quiet \
	-o - > "$LAB_TMP/ev.ndjson"
$PY "$LAB_DIR/truth.py" validate "$LAB_TMP/ev.ndjson"
open=$(grep -c '^open .*/tcp syn-ack$' "$LAB_TMP/list.txt")
closed=$(grep -c '^closed .*:81/tcp rst$' "$LAB_TMP/list.txt")
nd=$(grep -c '"state":"closed"' "$LAB_TMP/ev.ndjson")
nopen=$(grep -c '"state":"open"' "$LAB_TMP/ev.ndjson" || true)
echo "list: open=$open closed=$closed lines=$(wc -l < "$LAB_TMP/list.txt"); ndjson closed=$nd open=$nopen"
[ "$open" = 32 ] && [ "$closed" = 16 ] && [ "$(wc -l < "$LAB_TMP/list.txt")" = 48 ] || die "list output"
[ "$nd" = 16 ] && [ "$nopen" = 0 ] || die "--states closed"
