#!/usr/bin/env bash
# The results store on lab scans, with SQLite and with a PostgreSQL server
# of the test's own (tests/store/pg.sh: a Unix socket in a temporary
# directory, stopped on exit):
#  1. a lab scanned with -sV --store, changed (a port opened on one address,
#     one on another, one over IPv6, one closed, an SSH daemon upgraded, a
#     TLS certificate replaced), scanned again: the scan's own
#     exposure_change events and `fastport diff` are exactly those six
#     changes, the closed one re-probed; every finding stored once;
#  2. (SQLite) the same lab with 40% of the probes dropped (nft numgen) and
#     no retries: the ports missed are re-probed (--confirm) and none is
#     reported closed;
#  3. SIGKILL in the middle of a stored scan: the store opens, the scan is
#     interrupted, what was committed is there, the database is consistent;
#     rerunning it with --scan-id completes it, each finding once;
#  4. SIGINT with --resume-file, then --resume: the resumed run continues
#     the same stored scan, which completes with every finding once.
. "$(dirname "$0")/lib.sh"
. "$LAB_DIR/../store/pg.sh"
. "$LAB_DIR/store_lib.sh"
store_cleanup() {
	local rc=$?
	set +e
	pg_stop >/dev/null 2>&1
	[ $rc = 0 ] || [ -z "${T_STORE_KEEP:-}" ] || cp -r "$LAB_TMP" "$T_STORE_KEEP"
	(exit $rc)
	lab_cleanup
}
trap store_cleanup EXIT
lab_setup
chmod 755 "$LAB_TMP"
pg_start "$LAB_TMP/pg" >/dev/null || die "PostgreSQL did not start"
SQ="sqlite:$LAB_TMP/store.db"
PG=$PG_URL

# The exposure_change events of an nmap XML document's comments.
xml_changes() {
	"$PY" -c '
import re, sys
for m in re.finditer(r"<!-- fastport exposure_change: (.*?) -->", sys.stdin.read()):
    print(m.group(1))
'
}

count() { # URL SQL: one number
	case $1 in
	sqlite:*) sqlite3 "${1#sqlite:}" "$2" ;;
	*) pg_psql -c "$2" ;;
	esac
}

store_lab_a
lab_scan() { # URL OUT [ARGS...]
	local url=$1 out=$2
	shift 2
	scan "${STORE_TARGETS[@]}" -p $STORE_PORTS --allow-reserved --rate 5000 --retries 2 --wait 1 -sV \
		--sv-timeout 3 --telemetry 0 --quiet --store "$url" -o "$out" "$@"
}
for url in "$SQ" "$PG"; do
	b=${url%%:*}
	lab_scan "$url" "$LAB_TMP/$b.1.ndjson" -oX "$LAB_TMP/$b.1.xml" || die "$b: first scan failed"
done

# A copy of the SQLite store after the first scan, for a second scan whose
# output is nmap XML (below).
cp "${SQ#sqlite:}" "$LAB_TMP/store3.db"
[ -e "${SQ#sqlite:}-wal" ] && cp "${SQ#sqlite:}-wal" "$LAB_TMP/store3.db-wal"

# The lab changes.
store_lab_b

want=$STORE_CHANGES
for url in "$SQ" "$PG"; do
	b=${url%%:*}
	lab_scan "$url" "$LAB_TMP/$b.2.ndjson" -oX "$LAB_TMP/$b.2.xml" || die "$b: second scan failed"
	got=$(store_changes <"$LAB_TMP/$b.2.ndjson")
	[ "$got" = "$want" ] || die "$b: the scan's exposure_change events are not the lab's changes:
$got
wanted:
$want"
	"$FASTPORT" diff --store "$url" --format ndjson >"$LAB_TMP/$b.diff" || die "$b: diff failed"
	got=$(store_changes <"$LAB_TMP/$b.diff")
	[ "$got" = "$want" ] || die "$b: fastport diff is not the lab's changes: $got"
	[ "$(grep exposure_change "$LAB_TMP/$b.2.ndjson" | sort)" = "$(sort "$LAB_TMP/$b.diff")" ] ||
		die "$b: fastport diff and the scan's own events differ"
	"$FASTPORT" diff --store "$url" | tail -n 1 | grep -qx "6 changes: 3 opened, 1 closed, 2 service changed" ||
		die "$b: the diff table's summary"
	# Every finding of the scan stored once, and nothing else.
	id=$(head -n 1 "$LAB_TMP/$b.2.ndjson" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["scan_id"])')
	n=$(grep -cE '"kind":"(port_state|service)"' "$LAB_TMP/$b.2.ndjson")
	[ "$(count "$url" "SELECT COUNT(*) FROM findings WHERE scan_id = '$id'")" = "$n" ] ||
		die "$b: the store does not hold the $n findings of scan $id once each"
	[ "$(count "$url" "SELECT state FROM scans WHERE scan_id = '$id'")" = complete ] ||
		die "$b: scan $id is not complete"
	echo "$b: the six lab changes, exactly; $n findings stored once"
	# nmap XML of both scans: valid against nmap's DTD, read by
	# python-libnmap as the events say, and nmap's ndiff finds the lab's
	# changes in it, nothing else. The store's export says the same.
	for n in 1 2; do
		xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$LAB_TMP/$b.$n.xml" ||
			die "$b: scan $n's nmap XML is not valid against nmap.dtd"
		/usr/bin/python3 "$LAB_DIR/nmap_xml_check.py" truth - "$LAB_TMP/$b.$n.xml" \
			"$LAB_TMP/$b.$n.ndjson" || die "$b: python-libnmap does not read scan $n as its events"
	done
	"$FASTPORT" export --store "$url" --scan "$id" --format nmap-xml >"$LAB_TMP/$b.export.xml" ||
		die "$b: export --format nmap-xml failed"
	xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$LAB_TMP/$b.export.xml" ||
		die "$b: the exported nmap XML is not valid against nmap.dtd"
	/usr/bin/python3 "$LAB_DIR/nmap_xml_check.py" same "$LAB_TMP/$b.2.xml" "$LAB_TMP/$b.export.xml" ||
		die "$b: the exported nmap XML differs from the scan's"
	got=$(/usr/bin/python3 "$LAB_DIR/nmap_xml_check.py" ndiff "$LAB_TMP/$b.1.xml" "$LAB_TMP/$b.2.xml" |
		sed 's/^closed \(.*\) -$/closed \1 closed/') || die "$b: ndiff failed"
	[ "$got" = "$want" ] || die "$b: ndiff between the scans' nmap XML is not the lab's changes:
$got"
	echo "$b: nmap XML valid, read right by python-libnmap; ndiff reports the six changes"
	# The changes are in the second scan's XML too, as comments (the
	# document stays valid: checked above), each one exposure_change event.
	got=$(xml_changes <"$LAB_TMP/$b.2.xml" | store_changes)
	[ "$got" = "$want" ] || die "$b: the changes in the nmap XML's comments: $got"
	[ -z "$(xml_changes <"$LAB_TMP/$b.1.xml")" ] || die "$b: changes in the first scan's XML"
	# OCSF: the export's classes, ids and times, one Network Activity per
	# finding, the SSH product as Software Inventory Info, the new
	# certificate's fingerprint; the diff as six Detection Findings.
	"$FASTPORT" export --store "$url" --scan "$id" --format ocsf >"$LAB_TMP/$b.ocsf" ||
		die "$b: export --format ocsf failed"
	"$FASTPORT" diff --store "$url" --format ocsf >"$LAB_TMP/$b.diff.ocsf" || die "$b: diff --format ocsf"
	"$PY" - "$LAB_TMP/$b.ocsf" "$LAB_TMP/$b.2.ndjson" "$LAB_TMP/$b.diff.ocsf" \
		"$(openssl x509 -in "$LAB_TMP/b.pem" -outform der | sha256sum | cut -d' ' -f1)" <<-'PY' ||
	import collections, json, sys
	ev = [json.loads(l) for l in open(sys.argv[1])]
	src = [json.loads(l) for l in open(sys.argv[2])]
	diff = [json.loads(l) for l in open(sys.argv[3])]
	for e in ev + diff:
	    assert e["type_uid"] == e["class_uid"] * 100 + e["activity_id"], e
	    assert isinstance(e["time"], int) and e["time"] > 1.6e12, e
	    assert e["metadata"]["version"] == "1.1.0" and e["metadata"]["product"]["name"] == "fastport"
	n = collections.Counter(e["class_uid"] for e in ev)
	findings = sum(1 for e in src if e["kind"] in ("port_state", "service"))
	assert n[4001] == findings, (n, findings)
	assert n[6007] == 2 and set(n) <= {4001, 5020, 6007}, n
	for e in ev:
	    if e["class_uid"] == 4001:
	        assert isinstance(e["dst_endpoint"]["port"], int), e
	sw = [e for e in ev if e["class_uid"] == 5020 and e["device"]["ip"] == "198.19.1.2"
	      and e["package"]["name"] == "OpenSSH"]
	assert sw and sw[0]["package"]["version"] == "9.2p1", sw
	tls = [e for e in ev if e["class_uid"] == 4001 and "tls" in e and e["dst_endpoint"]["port"] == 8443]
	assert tls and tls[0]["tls"]["certificate"]["fingerprints"][0]["value"] == sys.argv[4], tls
	assert sorted(e["finding_info"]["types"][0] for e in diff) == sorted(
	    ["exposure_change/closed"] + ["exposure_change/opened"] * 3 + ["exposure_change/service_changed"] * 2)
	print("ocsf: %d events (%s), 6 detection findings" % (len(ev), dict(n)))
	PY
		die "$b: the OCSF export is not as expected"
done

# --format nmap-xml: the XML is the scan's output, so the changes go to
# standard error as lines of the list format ("fastport: opened ...") and
# into the document as comments; the document stays valid.
lab_scan "sqlite:$LAB_TMP/store3.db" "$LAB_TMP/x3.xml" --format nmap-xml 2>"$LAB_TMP/x3.err" ||
	die "the --format nmap-xml scan failed: $(cat "$LAB_TMP/x3.err")"
xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$LAB_TMP/x3.xml" ||
	die "--format nmap-xml with changes: not valid against nmap.dtd"
got=$(xml_changes <"$LAB_TMP/x3.xml" | store_changes)
[ "$got" = "$want" ] || die "--format nmap-xml: the changes in the XML's comments: $got"
got=$(sed -n 's/^fastport: \(opened\|closed\|service_changed\) *\([^ ]*\)$/\1 \2/p' "$LAB_TMP/x3.err" | sort)
[ "$got" = "$(echo "$want" | awk '{ split($3, p, "/"); a = $2 ~ /:/ ? "[" $2 "]" : $2; print $1, a ":" p[2] "/" p[1] }' | sort)" ] ||
	die "--format nmap-xml: the changes on standard error: $(cat "$LAB_TMP/x3.err")"
echo "nmap-xml: the six changes on standard error and as comments in the valid document"

# 2. Loss: 40% of the probes dropped, no retries; the missed ports are
# re-probed up to 12 times (a port lost every time: 0.4^12 = 1.7e-5).
lab_nft <<'NFT'
table inet fploss {
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		ip saddr 198.18.0.1 tcp flags syn numgen random mod 100 < 40 drop
		ip6 saddr 2001:2::1 tcp flags syn numgen random mod 100 < 40 drop
	}
}
NFT
scan "${STORE_TARGETS[@]}" -p $STORE_PORTS --allow-reserved --rate 5000 --retries 0 --wait 1 --telemetry 0 \
	--quiet --store "$SQ" --confirm 12 -o "$LAB_TMP/loss.ndjson" 2>"$LAB_TMP/loss.err" ||
	die "the scan under loss failed: $(cat "$LAB_TMP/loss.err")"
in_t nft delete table inet fploss
id=$(head -n 1 "$LAB_TMP/loss.ndjson" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["scan_id"])')
grep -q '"change":"closed"' "$LAB_TMP/loss.ndjson" &&
	die "loss made closed changes: $(grep '"change":"closed"' "$LAB_TMP/loss.ndjson")"
reprobed=$(count "$SQ" "SELECT COUNT(*) FROM confirmations WHERE scan_id = '$id' AND state = 'open'")
missed=$(count "$SQ" "SELECT COUNT(*) FROM confirmations WHERE scan_id = '$id'")
# Of 22 open ports, each missed with probability 0.4: none missed 1.3e-5.
[ "$missed" -gt 0 ] || die "no port was missed at 40% loss: the loss rules did not apply"
[ "$reprobed" = "$missed" ] || die "$missed ports missed, only $reprobed found open again"
echo "loss: $missed open ports missed by the scan, all found open by the re-probe, no closed change"

# 3. SIGKILL mid-scan, and 4. SIGINT then --resume, on both stores; the
# whole /19 answers on 22 and 80 (the base responder listens everywhere).
# The scan is killed once some batches are committed (polled, not timed).
wait_findings() { # URL MIN PID: sets SEEN, the findings committed then
	for _ in $(seq 1200); do
		SEEN=$(count "$1" "SELECT COUNT(*) FROM findings" 2>/dev/null || echo 0)
		[ "$SEEN" -ge "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || die "the scan ended before it could be stopped"
		sleep 0.05
	done
	die "no findings were committed"
}
net=32
for url in "$SQ" "$PG"; do
	b=${url%%:*}
	for sig in KILL INT; do
		net=$((net + 32))
		range=198.19.$net.0/19
		before=$(count "$url" "SELECT COUNT(*) FROM findings")
		args=("$range" -p 22,80 --allow-reserved --rate 3000 --retries 1 --wait 1 --telemetry 0
			--quiet --store "$url" --confirm 0)
		[ $sig = INT ] && args+=(--resume-file "$LAB_TMP/resume.$b")
		# ip netns exec execs: $! is fastport itself.
		ip netns exec "$NS_S" "$FASTPORT" "${args[@]}" -o "$LAB_TMP/kill.ndjson" \
			2>"$LAB_TMP/kill.err" &
		pid=$!
		wait_findings "$url" $((before + 2000)) $pid
		kill -$sig $pid
		wait $pid 2>/dev/null && rc=0 || rc=$?
		id=$(head -n 1 "$LAB_TMP/kill.ndjson" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["scan_id"])')
		have=$(count "$url" "SELECT COUNT(*) FROM findings WHERE scan_id = '$id'")
		# What was committed before the signal is all there.
		[ "$have" -ge $((SEEN - before)) ] ||
			die "$b: $((SEEN - before)) findings were committed before SIG$sig, $have remain"
		"$FASTPORT" scans --store "$url" >"$LAB_TMP/scans" || die "$b: scans after SIG$sig"
		grep -q "^$id  interrupted " "$LAB_TMP/scans" ||
			die "$b: scan $id is not interrupted after SIG$sig: $(cat "$LAB_TMP/scans")"
		if [ $sig = KILL ]; then
			[ $rc = 137 ] || die "$b: the scan was not killed (exit $rc)"
			case $url in sqlite:*) [ "$(sqlite3 "${url#sqlite:}" 'PRAGMA integrity_check')" = ok ] ||
				die "$b: the database is not consistent after SIGKILL" ;;
			esac
			rerun=(--scan-id "$id")
		else
			[ $rc = 0 ] || die "$b: SIGINT: exit $rc: $(cat "$LAB_TMP/kill.err")"
			[ -s "$LAB_TMP/resume.$b" ] || die "$b: no resume state after SIGINT"
			rerun=(--resume "$LAB_TMP/resume.$b")
		fi
		[ "$have" -gt 0 ] && [ "$have" -lt 16384 ] || die "$b: $have findings after SIG$sig"
		in_s timeout -s KILL 120 "$FASTPORT" "${args[@]}" "${rerun[@]}" \
			-o "$LAB_TMP/rerun.ndjson" 2>"$LAB_TMP/rerun.err" ||
			die "$b: the rerun failed: $(cat "$LAB_TMP/rerun.err")"
		grep -q "\"scan_id\":\"$id\"" "$LAB_TMP/rerun.ndjson" || die "$b: the rerun has another scan id"
		[ "$(count "$url" "SELECT state FROM scans WHERE scan_id = '$id'")" = complete ] ||
			die "$b: scan $id is not complete after the rerun"
		all=$(count "$url" "SELECT COUNT(*) FROM findings WHERE scan_id = '$id'")
		distinct=$(count "$url" "SELECT COUNT(*) FROM (SELECT DISTINCT addr, port FROM findings WHERE scan_id = '$id') x")
		[ "$all" = 16384 ] && [ "$distinct" = 16384 ] ||
			die "$b: scan $id holds $all findings ($distinct distinct), not the 16384 of the lab"
		echo "$b: SIG$sig after $have findings: interrupted and consistent; the ${rerun[0]} run completed scan $id with 16384 findings, each once"
	done
done
echo "t_store: ok"
