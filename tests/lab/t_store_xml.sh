#!/usr/bin/env bash
# nmap XML of a lab scan against the lab's ground truth (truth.py basic):
# fastport's -oX and --format nmap-xml of a raw scan (every state) and of a
# connect scan are valid against nmap's DTD (xmllint --dtdvalid, the nmap
# package's nmap.dtd) and python-libnmap reads every host and port as the
# truth and the scan's own events say; `fastport export --format nmap-xml`
# of the stored scan reads the same.
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
DTD=/usr/share/nmap/nmap.dtd
[ -r $DTD ] || die "no $DTD (the nmap package)"
T=198.19.0.0/21
P=22,80,443,8080,9000
check() { # XML EVENTS STATES
	xmllint --noout --dtdvalid $DTD "$1" || die "$1 is not valid against nmap.dtd"
	/usr/bin/python3 "$LAB_DIR/nmap_xml_check.py" truth basic "$1" "$2" --targets $T --ports $P \
		--states "$3" || die "python-libnmap does not read $1 as the truth and the events say"
}
scan $T -p $P --rate 50000 --retries 2 --wait 2 --allow-reserved --states open,closed,filtered \
	--telemetry 0 --quiet -o "$LAB_TMP/raw.ndjson" -oX "$LAB_TMP/raw.xml" \
	--store "sqlite:$LAB_TMP/s.db"
check "$LAB_TMP/raw.xml" "$LAB_TMP/raw.ndjson" open,closed,filtered
id=$(head -n 1 "$LAB_TMP/raw.ndjson" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["scan_id"])')
"$FASTPORT" export --store "sqlite:$LAB_TMP/s.db" --scan "$id" --format nmap-xml >"$LAB_TMP/export.xml"
check "$LAB_TMP/export.xml" "$LAB_TMP/raw.ndjson" open,closed,filtered
/usr/bin/python3 "$LAB_DIR/nmap_xml_check.py" same "$LAB_TMP/raw.xml" "$LAB_TMP/export.xml" ||
	die "the exported XML differs from the scan's"
# --format nmap-xml: the XML is the scan's output (here on standard output).
scan $T -p $P --connect --rate 20000 --retries 1 --wait 2 --allow-reserved --telemetry 0 \
	--quiet --format nmap-xml -oX "$LAB_TMP/connect.oX.xml" >"$LAB_TMP/connect.xml"
scan $T -p $P --connect --rate 20000 --retries 1 --wait 2 --allow-reserved --telemetry 0 \
	--quiet -o "$LAB_TMP/connect.ndjson"
check "$LAB_TMP/connect.xml" "$LAB_TMP/connect.ndjson" open
cmp -s <(grep -v "start\|finished\|args" "$LAB_TMP/connect.xml") \
	<(grep -v "start\|finished\|args" "$LAB_TMP/connect.oX.xml") ||
	die "--format nmap-xml and -oX of one scan differ"
grep -q '<scaninfo type="connect" protocol="tcp" numservices="5" services="22,80,443,8080,9000"/>' \
	"$LAB_TMP/connect.xml" || die "scaninfo: $(grep scaninfo "$LAB_TMP/connect.xml")"
echo "t_store_xml: ok"
