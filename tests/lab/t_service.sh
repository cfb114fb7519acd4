#!/usr/bin/env bash
# Service identification (-sV) against the service lab's real daemons
# (tests/lab/svc/lab.sh): every port of the lab on IPv4 and IPv6, raw SYN
# discovery and the connect() method; every service named as the ground
# truth says, with the installed version wherever the daemon announces one,
# the lab certificate's subject and SANs on the TLS ports, nothing named on
# the silent, tarpit and reset ports (tests/lab/svc_truth.py); every event
# valid against the schema; the list format shows the services.
. "$(dirname "$0")/lib.sh"
. "$LAB_DIR/svc/lab.sh"
lab_setup
svc_lab_start
ports=$(echo $SVC_PORTS | tr " " ,)
targets="$SVC_IP4,$SVC_IP6"
check() { # $1: events file
	"$PY" "$ROOT/tests/lab/svc_truth.py" --targets "$targets" --ports "$ports" \
		"$SVC_TRUTH" "$1" || die "service events differ from the truth ($1)"
	"$PY" "$LAB_DIR/truth.py" validate "$1" >/dev/null || die "events not valid ($1)"
}
ev=$LAB_TMP/sv_raw.ndjson
scan "$SVC_IP4" "$SVC_IP6" -p "$ports" -sV --rate 5000 --wait 1 --allow-reserved -q -o "$ev" ||
	die "raw -sV scan failed"
check "$ev"
ev=$LAB_TMP/sv_connect.ndjson
scan "$SVC_IP4" "$SVC_IP6" -p "$ports" --connect --service-scan --allow-reserved -q -o "$ev" ||
	die "connect -sV scan failed"
check "$ev"
# The list format names each service.
out=$(scan "$SVC_IP4" -p 22,80 -sV --allow-reserved -q --format list)
echo "$out"
echo "$out" | grep -Eq '^service +198\.19\.2\.2:22/tcp ssh OpenSSH ' || die "list: no ssh line"
echo "$out" | grep -Eq '^service +198\.19\.2\.2:80/tcp http nginx ' || die "list: no http line"
echo "t_service: ok"
