#!/usr/bin/env bash
# An answering /16 x 5 TCP ports with open, closed (RST, no listener) and
# filtered (drop, ICMP admin-prohibited, ICMP port-unreachable) patterns:
# the scan's findings equal the ground truth exactly, with no duplicates.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
start=$(date +%s.%N)
scan 198.19.0.0/16 -p 22,80,443,8080,9000 --rate 300000 --retries 1 --allow-reserved \
	--states open,closed,filtered -o "$LAB_TMP/ev.ndjson" --quiet
end=$(date +%s.%N)
echo "wall $(echo "$end - $start" | bc) s"
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/ev.ndjson" --targets 198.19.0.0/16 \
	--ports 22,80,443,8080,9000
