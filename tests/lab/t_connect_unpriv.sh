#!/usr/bin/env bash
# The connect() scan as an unprivileged user (nobody, no capabilities):
# 1. the lab scan of t_connect.sh gives the same findings as user nobody as
#    it gives as root, and both equal the ground truth;
# 2. all 65535 ports of 127.0.0.1 in the root namespace (the one place a
#    connect scan may run outside a lab namespace) as nobody: exactly the
#    ports of the listeners this test starts (bound to 127.0.0.1 only) are
#    open, apart from listeners that were already there; prints the wall time.
. "$(dirname "$0")/lib.sh"

# Runs a command as nobody with no capabilities and no groups.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"
}
caps=$(as_nobody sh -c 'grep ^CapEff: /proc/self/status' | awk '{print $2}')
[ "$caps" = 0000000000000000 ] || die "setpriv left capabilities: $caps"
# nobody writes its events here.
chmod 711 "$LAB_TMP"
out_dir="$LAB_TMP/nobody"
mkdir "$out_dir"
chown nobody "$out_dir"

# Port_state findings of an NDJSON file, one "ip port state reason" a line.
findings() {
	$PY -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["kind"] == "port_state":
        print(e["target"]["ip"], e["target"]["port"], e["result"]["state"], e["result"]["reason"])
' "$1" | sort
}

lab_setup
lab_listen $($PY "$LAB_DIR/truth.py" listen basic)
$PY "$LAB_DIR/truth.py" nft basic | lab_nft
args=(198.19.0.0/22 -p 22,80,443,8080,9000 --connect --states open,closed,filtered
	--rate 50000 --wait 1 --allow-reserved --quiet)
scan "${args[@]}" -o "$LAB_TMP/root.ndjson"
in_s timeout -s KILL 120 setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$FASTPORT" "${args[@]}" -o "$out_dir/nobody.ndjson"
for f in "$LAB_TMP/root.ndjson" "$out_dir/nobody.ndjson"; do
	$PY "$LAB_DIR/truth.py" check basic "$f" --method connect \
		--targets 198.19.0.0/22 --ports 22,80,443,8080,9000
done
diff <(findings "$LAB_TMP/root.ndjson") <(findings "$out_dir/nobody.ndjson") >/dev/null ||
	die "findings as nobody differ from those as root"
echo "lab: root and nobody give the same $(findings "$out_dir/nobody.ndjson" | wc -l) findings"

# Without --connect, an unprivileged run falls back to it with a notice.
noconnect=()
for a in "${args[@]}"; do [ "$a" = --connect ] || noconnect+=("$a"); done
in_s timeout -s KILL 120 setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$FASTPORT" "${noconnect[@]}" -o "$out_dir/fallback.ndjson" 2> "$LAB_TMP/fallback.err"
grep -q "scanning with --connect" "$LAB_TMP/fallback.err" || die "no fallback notice: $(cat "$LAB_TMP/fallback.err")"
diff <(findings "$LAB_TMP/root.ndjson") <(findings "$out_dir/fallback.ndjson") >/dev/null ||
	die "the automatic connect fallback differs from --connect"
echo "lab: unprivileged run without --connect fell back with a notice, same findings"

# 127.0.0.1, every port, as nobody, in the root namespace.
$PY - "$LAB_TMP/ports" <<'PYEOF' &
import signal, socket, sys
socks = []
for _ in range(4):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    socks.append(s)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(" ".join(str(s.getsockname()[1]) for s in socks) + "\n")
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.pause()
PYEOF
LAB_PIDS+=($!)
for _ in $(seq 50); do [ -s "$LAB_TMP/ports" ] && break; sleep 0.1; done
[ -s "$LAB_TMP/ports" ] || die "127.0.0.1 listeners did not start"
# comm needs its inputs in the collating order: sort, not sort -n.
ours=$(tr ' ' '\n' <"$LAB_TMP/ports" | LC_ALL=C sort)
# Listeners that were there before (any address 127.0.0.1 reaches).
others() {
	ss -ltnH | awk '{print $4}' | grep -E '^(127\.|0\.0\.0\.0:|\*:|\[::\]:|\[::ffff:127\.)' |
		sed 's/.*://' | LC_ALL=C sort -u
}
before=$(others)
start=$(date +%s.%N)
timeout -s KILL 120 setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$FASTPORT" 127.0.0.1 -p - --connect --rate 1000000 --wait 1 --quiet \
	-o "$out_dir/lo.ndjson"
end=$(date +%s.%N)
echo "127.0.0.1 all 65535 ports as nobody: wall $(echo "$end - $start" | bc) s"
$PY "$LAB_DIR/truth.py" validate "$out_dir/lo.ndjson"
got=$(findings "$out_dir/lo.ndjson" | awk '$3 == "open" {print $2}' | LC_ALL=C sort)
after=$(others)
missing=$(LC_ALL=C comm -23 <(echo "$ours") <(echo "$got"))
extra=$(LC_ALL=C comm -13 <(echo "$ours") <(echo "$got"))
foreign=$(printf '%s\n%s\n' "$before" "$after" | LC_ALL=C sort -u)
unexplained=$(LC_ALL=C comm -23 <(echo "$extra" | grep . || true) <(echo "$foreign"))
echo "ours: $(echo $ours) open: $(echo $got)"
[ -z "$missing" ] || die "listeners not found open: $missing"
[ -z "$unexplained" ] || die "open ports without a listener: $unexplained"
[ -z "$extra" ] || echo "also open (listeners not ours): $(echo $extra)"
