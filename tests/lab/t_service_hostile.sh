#!/usr/bin/env bash
# Service identification (-sV) against hostile servers (tests/lab/svc/
# hostile_srv.py in the target namespace, on 16 IPv4 addresses and one
# IPv6 address): an endless banner, a slow drip, a tarpit, RST after accept
# and after the first bytes, binary junk, a server that never reads, an
# endless HTTP header, half a TLS record, garbage after a TLS record header,
# a TLS server whose certificate is ~270 KiB (over the stage's chain limit)
# and one that never answers the ClientHello, beside normal ports (an SSH
# and an FTP greeting, an HTTP server, HTTP in TLS with a 400-SAN
# certificate). With a short --sv-timeout: exit 0, no sanitizer report,
# exactly one service event for every open port, every normal port named
# right (with product and version; subject and SANs on the TLS one), no
# hostile port given a name it does not half speak nor any product or
# version; then the same on one address with 3 connections in all, so
# the ports pass one at a time and none may hold up the next. Peak RSS
# and wall time are printed (measured, not asserted against a time); the
# peak RSS must stay under RSS_MAX_MIB (about 6x what the fast build
# measures here; 4x that under a sanitizer, whose shadow memory and
# quarantine it counts too).
. "$(dirname "$0")/lib.sh"
lab_setup
SRV=$LAB_DIR/svc/hostile_srv.py
TLS=$LAB_TMP/tls
mkdir -p "$TLS"

# mkcert NAME CN NSANS: a self-signed certificate with NSANS DNS names.
mkcert() {
	"$PY" - "$TLS/$1.cnf" "$2" "$3" <<-'PY'
	import sys
	path, cn, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
	with open(path, "w") as f:
	    f.write("[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ext\n")
	    f.write("[dn]\nCN = %s\nO = fastport lab\n[ext]\nsubjectAltName = @san\n[san]\n" % cn)
	    for i in range(n):
	        f.write("DNS.%d = h%05d.%s\n" % (i + 1, i, cn))
	PY
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -config "$TLS/$1.cnf" \
		-keyout "$TLS/$1.key" -out "$TLS/$1.pem" 2>/dev/null || die "openssl req $1"
}
mkcert big big.example 400
mkcert huge huge.example 8000
huge_der=$(openssl x509 -in "$TLS/huge.pem" -outform DER | wc -c)
[ "$huge_der" -gt $((128 * 1024)) ] || die "the huge certificate is only $huge_der bytes"
echo "certificates: big $(openssl x509 -in "$TLS/big.pem" -outform DER | wc -c) bytes (400 SANs)," \
	"huge $huge_der bytes (8000 SANs)"

in_t "$PY" "$SRV" "$TLS" "$LAB_TMP/ready" 2>"$LAB_TMP/srv.log" &
LAB_PIDS+=($!)
for _ in $(seq 100); do [ -f "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -f "$LAB_TMP/ready" ] || die "hostile_srv.py did not start: $(cat "$LAB_TMP/srv.log")"
ports=$("$PY" "$SRV" --plan | awk '{print $1}' | paste -sd,)
case $("$FASTPORT" --version | sed -n 's/^build-mode: //p') in
fast | secure) RSS_MAX_MIB=256 ;;
*) RSS_MAX_MIB=1024 ;;
esac

# hostile_scan NAME TARGETS... -- OPTIONS...: scans under a generous hard
# timeout with /usr/bin/time; checks exit 0 and no sanitizer report.
hostile_scan() {
	local name=$1 t0 t1 rc=0
	shift
	t0=$(date +%s.%N)
	in_s timeout -s KILL 300 /usr/bin/time -f %M -o "$LAB_TMP/$name.rss" "$FASTPORT" "$@" \
		-p "$ports" -sV --allow-reserved -q -o "$LAB_TMP/$name.ndjson" 2>"$LAB_TMP/$name.err" || rc=$?
	t1=$(date +%s.%N)
	cat "$LAB_TMP/$name.err" >&2
	[ "$rc" = 0 ] || die "$name: fastport exited $rc"
	! grep -E -m 3 'Sanitizer|runtime error:' "$LAB_TMP/$name.err" || die "$name: sanitizer report"
	local rss=$(($(tail -n 1 "$LAB_TMP/$name.rss") / 1024))
	echo "$name: wall $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}') s," \
		"peak RSS $rss MiB ($*)"
	[ "$rss" -lt "$RSS_MAX_MIB" ] || die "$name: peak RSS $rss MiB, bound $RSS_MAX_MIB MiB"
}

# check EVENTS TARGETS...: the plan against the events.
check() {
	"$PY" - "$SRV" "$TLS/big.pem" "$@" <<-'PY' || die "service events of $1 differ from the plan"
	import ipaddress, json, subprocess, sys
	from datetime import datetime
	srv, big, path, *targets = sys.argv[1:]
	plan = {}
	for line in subprocess.run([sys.executable, srv, "--plan"], capture_output=True,
	                           text=True, check=True).stdout.split("\n"):
	    if line:
	        port, kind, names = line.split()
	        plan[int(port)] = (kind, names.split(","))
	addrs = []
	for t in targets:
	    if "-" in t:
	        a, b = (ipaddress.ip_address(x) for x in t.split("-"))
	        addrs += [str(ipaddress.ip_address(int(a) + i)) for i in range(int(b) - int(a) + 1)]
	    else:
	        addrs.append(str(ipaddress.ip_address(t)))
	ev, opened, bad, done = {}, {}, [], 0
	ts = lambda s: datetime.strptime(s.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
	for line in open(path):
	    e = json.loads(line)
	    k = e.get("kind")
	    if k == "scan_completed":
	        done += 1
	    if k not in ("service", "port_state"):
	        continue
	    key = (str(ipaddress.ip_address(e["target"]["ip"])), int(e["target"]["port"]))
	    if k == "port_state":
	        opened[key] = ts(e["time"])
	        continue
	    if key in ev:
	        bad.append("%s port %d: more than one service event" % key)
	    ev[key] = (e["service"], ts(e["time"]))
	if done != 1:
	    bad.append("no scan_completed event")
	san_want = set(subprocess.run(["openssl", "x509", "-in", big, "-noout", "-ext",
	    "subjectAltName"], capture_output=True, text=True, check=True).stdout.replace(
	    "DNS:", "").replace(",", " ").split()[4:])
	seen, longest = {}, (0, None)
	for a in addrs:
	    for port, (kind, names) in plan.items():
	        where = "%s port %d (%s)" % (a, port, kind)
	        if (a, port) not in ev:
	            bad.append(where + ": no service event")
	            continue
	        s, t = ev[(a, port)]
	        n = s.get("name")
	        seen.setdefault(kind, set()).add(n + ("/ssl" if s.get("tunnel") else ""))
	        if (a, port) in opened and t - opened[(a, port)] > longest[0]:
	            longest = (t - opened[(a, port)], where)
	        if n not in names:
	            bad.append("%s: named %r, allowed %s" % (where, n, names))
	            continue
	        pv = (s.get("product"), s.get("version"))
	        want = {"ssh": ("OpenSSH", "9.2p1"), "drip": ("OpenSSH", "9.2p1"),
	                "http": ("nginx", "1.22.1"), "ftp": ("vsftpd", "3.0.3"),
	                "tls-big": ("nginx", "1.22.1"), "huge-cert": ("nginx", "1.22.1"),
	                "endless-http": (None, None)}.get(kind, (None, None))
	        if n in ("unknown", "tcpwrapped"):
	            want = (None, None)
	        if pv != want:
	            bad.append("%s: product/version %s, want %s" % (where, pv, want))
	        if kind == "tls-big":
	            tls = s.get("tls") or {}
	            if s.get("tunnel") != "ssl":
	                bad.append(where + ": no ssl tunnel")
	            subj = set(x.strip() for x in (tls.get("subject") or "").split(","))
	            if subj != {"CN=big.example", "O=fastport lab"}:
	                bad.append("%s: subject %r" % (where, tls.get("subject")))
	            got = set(x.replace("DNS:", "") for x in tls.get("san") or [])
	            if not got or not got <= san_want:
	                bad.append("%s: %d SANs, not from the certificate" % (where, len(got)))
	for k in sorted(seen):
	    print("  %-13s port %5d: %s" % (k, [p for p, v in plan.items() if v[0] == k][0],
	                                     " ".join(sorted(seen[k]))))
	print("  longest port: %.2f s from open to its service event, waiting for a "
	      "free slot included (%s)" % longest)
	extra = set(ev) - {(a, p) for a in addrs for p in plan}
	if extra:
	    bad.append("service events for ports not in the plan: %s" % sorted(extra)[:5])
	for b in bad[:30]:
	    print("MISMATCH " + b)
	print("%s: %d ports, %d service events, %d mismatches" % (path, len(addrs) * len(plan),
	                                                          len(ev), len(bad)))
	sys.exit(1 if bad else 0)
	PY
}

targets="198.19.3.1-198.19.3.16 2001:2:0:1::3:1"
hostile_scan many $targets --sv-timeout 3 --rate 5000 --wait 1
check "$LAB_TMP/many.ndjson" $targets
# Three connections in all: one port at a time (svc.h: ports at once =
# concurrency / 3), so a hostile port that held on past its deadline
# would hold up every port after it.
hostile_scan serial 198.19.3.20 --sv-timeout 2 --sv-concurrency 3 --rate 5000 --wait 1
check "$LAB_TMP/serial.ndjson" 198.19.3.20
echo "t_service_hostile: ok"
