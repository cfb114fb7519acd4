#!/usr/bin/env bash
# The service lab's set-up check: every daemon of tests/lab/svc/lab.sh
# comes up in the target namespace and, seen from the scanner namespace
# over IPv4 and IPv6, answers as the ground truth says (greeting or hello
# answer with the installed upstream version where the daemon announces
# it, the lab certificate on the TLS ports and after STARTTLS); the silent
# port stays silent, the tarpit drips, the reset port resets. Plain Python
# clients only (tests/lab/svc/check.py), no scanner. Then the probe
# database identifies every answer right (tools/svc-dbcheck).
. "$(dirname "$0")/lib.sh"
. "$LAB_DIR/svc/lab.sh"
lab_setup
svc_lab_start
in_s "$PY" "$LAB_DIR/svc/check.py" "$SVC_TRUTH" ||
	die "a lab daemon does not answer as its truth says"
# Every probe of the database to every lab port; every answer must be
# identified right or not at all, every port named, every announced
# version found.
in_s "$PY" "$LAB_DIR/svc/capture_all.py" "$SVC_TRUTH" "$LAB_TMP/captures.ndjson"
"$PY" "$ROOT/tools/svc-dbcheck" --captures "$LAB_TMP/captures.ndjson" ||
	die "the probe database does not identify every lab answer right"
# Every daemon is still running after the checks.
for n in "${SVC_NAMES[@]}"; do
	kill -0 "${n#*:}" 2>/dev/null || die "svc lab: ${n%%:*} exited during the checks"
done
echo "t_service_lab: ok"
