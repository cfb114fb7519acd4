#!/usr/bin/env bash
# 5% random loss each way (nft numgen) with --retries 2: recall of open
# ports stays at or above 99.99%, with no duplicates and no false finding.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
lab_nft <<'NFT'
table inet fploss {
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		ip saddr 198.18.0.1 numgen random mod 100 < 5 drop
	}
	chain out {
		type filter hook output priority -400; policy accept;
		ip daddr 198.18.0.1 numgen random mod 100 < 5 drop
	}
}
NFT
scan 198.19.0.0/16 -p 22,80 --rate 200000 --retries 2 --allow-reserved \
	-o "$LAB_TMP/ev.ndjson" --quiet
$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/ev.ndjson" --targets 198.19.0.0/16 --ports 22,80 \
	--states open --min-recall 0.9999
