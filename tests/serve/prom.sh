#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real Prometheus (Debian's) scrapes `fastport serve` during a lab scan.
# serve runs inside a lab namespace (tests/lab/lib.sh) on that namespace's
# 127.0.0.1 with a bearer token; Prometheus runs unprivileged (nobody) in
# the same namespace with a temporary configuration and storage directory,
# listening on a free port of that namespace's 127.0.0.1, and presents the
# token from a credentials_file. Checked through Prometheus' HTTP API: the
# target is up, fastport_build_info names the build ID that `readelf -n`
# shows, and probes were counted; `promtool check metrics` passes on
# /metrics. Both are stopped by pid. Usage: tests/serve/prom.sh [BUILD_DIR]
# (default build/fast). Prints "N passed, N failed"; exits 1 on a failure.
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-$HERE/../../build/fast}" && pwd)
export BUILD
. "$HERE/../lab/lib.sh"
. "$HERE/../lab/serve_lib.sh"
set +e

for t in prometheus promtool readelf curl; do
	command -v "$t" > /dev/null || die "$t is missing (tools/install-deps test)"
done
lab_setup
lab_listen 22 80 8080

TOK=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$TOK" > "$LAB_TMP/token"
chmod 600 "$LAB_TMP/token"
URL=http://127.0.0.1:8700
# Where serve has --state-dir (tasks and checkpoints), it goes to the lab's temporary directory.
STATE=()
"$FASTPORT" serve --help 2> /dev/null | grep -q -- --state-dir && STATE=(--state-dir "$LAB_TMP/state")
SERVE_START_TRIES=100
WAIT_STATE_TRIES=3000
WAIT_STATE_PAUSE=0.1
serve_launch "$LAB_TMP/serve.err" "${STATE[@]}" --listen 127.0.0.1:8700 --allow 198.19.0.0/24 --allow-reserved \
	--token-file "$LAB_TMP/token" --store none --max-rate 50000

# ---- Prometheus, unprivileged, in the namespace ----
# Its directory is nobody's; the lab's own stays closed to it but for passing through.
chmod 711 "$LAB_TMP"
P=$LAB_TMP/prom
mkdir -p "$P/data"
cp "$LAB_TMP/token" "$P/token"
PROM_PORT=$(in_s "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$P/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: fastport
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: $P/token
    static_configs:
      - targets: ['127.0.0.1:8700']
YML
chown -R nobody:nogroup "$P"
chmod 600 "$P/token"
ip netns exec "$NS_S" setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
	prometheus --config.file="$P/prometheus.yml" --storage.tsdb.path="$P/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" > "$P/prom.log" 2>&1 &
PROM_PID=$!
LAB_PIDS+=("$PROM_PID")
PROM=http://127.0.0.1:$PROM_PORT
for _ in $(seq 300); do
	in_s curl -sf "$PROM/-/ready" > /dev/null 2>&1 && break
	kill -0 "$PROM_PID" 2>/dev/null || break
	sleep 0.1
done
in_s curl -sf "$PROM/-/ready" > /dev/null && ok "prometheus ready on 127.0.0.1:$PROM_PORT" ||
	{ tail -n 20 "$P/prom.log"; die "prometheus did not start"; }
check "prometheus runs as nobody" nobody "$(ps -o user= -p "$PROM_PID" | tr -d ' ')"

# ---- a scan while it scrapes ----
task='{"targets":["198.19.0.0/28"],"ports":"22,80,443,8080","states":["open","closed"],"allow_reserved":true,"rate":20000}'
check "POST a scan" 201 "$(req "$LAB_TMP/s.json" POST /v1/scans -d "$task")"
id=$(jget "$LAB_TMP/s.json" 'd["id"]')
check "scan complete" complete "$(wait_state "$id" complete failed interrupted)"
sent=$(scan_field "$id" 'd["counters"]["sent"]')

check "GET /metrics" 200 "$(req "$LAB_TMP/m.txt" GET /metrics)"
if promtool check metrics < "$LAB_TMP/m.txt" > "$LAB_TMP/promtool.out" 2>&1; then ok "promtool check metrics"
else bad "promtool check metrics: $(cat "$LAB_TMP/promtool.out")"; fi

# q NAME EXPR: Prometheus' instant query; the result vector in $LAB_TMP/NAME.json.
q() { in_s curl -s -o "$LAB_TMP/$1.json" -G "$PROM/api/v1/query" --data-urlencode "query=$2"; }
# Until a scrape after the scan's end is in: the counter reaches what serve reported.
got=
for _ in $(seq 600); do
	q sent 'fastport_probes_sent_total{job="fastport"}'
	got=$(jget "$LAB_TMP/sent.json" 'int(float(d["data"]["result"][0]["value"][1])) if d["data"]["result"] else -1' 2>/dev/null)
	[ -n "$got" ] && [ "$got" -ge "$sent" ] && break
	sleep 0.2
done
check "prometheus: fastport_probes_sent_total > 0" True "$([ "${got:--1}" -gt 0 ] && echo True || echo "False ($got)")"
check "prometheus: probes sent equal serve's counters.sent" "$sent" "$got"
q up 'up{job="fastport"}'
check "prometheus: up == 1" 1 "$(jget "$LAB_TMP/up.json" 'd["data"]["result"][0]["value"][1]')"
want_id=$(readelf -n "$FASTPORT" | awk '/Build ID/ {print $3}')
q bi 'fastport_build_info{job="fastport"}'
check "prometheus: fastport_build_info build_id is readelf -n's" "$want_id" \
	"$(jget "$LAB_TMP/bi.json" 'd["data"]["result"][0]["metric"]["build_id"]')"
check "prometheus: fastport_build_info is 1" 1 "$(jget "$LAB_TMP/bi.json" 'd["data"]["result"][0]["value"][1]')"
q open 'fastport_replies_total{job="fastport",state="open"}'
check "prometheus: open replies >= 48" True "$(jget "$LAB_TMP/open.json" 'float(d["data"]["result"][0]["value"][1]) >= 48')"
in_s curl -s -o "$LAB_TMP/targets.json" "$PROM/api/v1/targets"
check "prometheus: the target's health" up "$(jget "$LAB_TMP/targets.json" 'd["data"]["activeTargets"][0]["health"]')"

# ---- stop, by pid ----
kill -TERM "$PROM_PID"
wait "$PROM_PID"
check "prometheus exits 0 on SIGTERM" 0 "$?"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
check "serve exits 0 on SIGTERM" 0 "$?"
if grep -qiE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$LAB_TMP/serve.err"; then
	bad "sanitizer report: $(head -c 2000 "$LAB_TMP/serve.err")"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
