#!/usr/bin/env bash
# Every cookie implementation the CPU runs (scalar, avx2, avx512; chosen
# with FASTPORT_COOKIE_IMPL) sends probes whose replies validate: results
# equal the ground truth, and scan_started names the implementation used.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
impls="scalar"
grep -qw avx2 /proc/cpuinfo && impls="$impls avx2"
grep -qw avx512f /proc/cpuinfo && impls="$impls avx512"
for impl in $impls; do
	FASTPORT_COOKIE_IMPL=$impl scan 198.19.0.0/19 -p 22,80,443,8080,9000 --rate 300000 \
		--allow-reserved --states all -o "$LAB_TMP/$impl.ndjson" --quiet
	used=$(head -n 1 "$LAB_TMP/$impl.ndjson" | grep -o '"cookie_impl":"[a-z0-9]*"' || true)
	echo "$impl: $used"
	[ "$used" = "\"cookie_impl\":\"$impl\"" ] || die "asked for $impl, scan_started says '$used'"
	$PY "$LAB_DIR/truth.py" check basic "$LAB_TMP/$impl.ndjson" --targets 198.19.0.0/19 \
		--ports 22,80,443,8080,9000
done
