#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Renders bench/run's results (JSON lines) as docs/BENCHMARKS.md and the
gnuplot figures docs/bench-send.png and docs/bench-e2e.png; with --tables,
prints the end-to-end style tables (e2e, loss, connect) and the service
identification sections (service, service-scale) of a partial run
(bench/run with BENCH_ROWS) instead.

    report.py RESULTS.jsonl DOCS_DIR
    report.py --tables RESULTS.jsonl
"""
import json
import os
import statistics
import subprocess
import sys
from collections import OrderedDict


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=1):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return "%.*f" % (nd, x)
    return str(x)


def ratio(a, b):
    return "%.2f" % (a / b) if a and b else "n/a"


def paths_str(rs):
    """The send paths fastport used in these runs, e.g. "xdp (1)"."""
    seen = OrderedDict()
    for r in rs:
        if r.get("send_path") not in (None, "-"):
            n = r.get("send_threads", "?")
            seen["%s (%s thread%s)" % (r["send_path"], n, "" if n == 1 else "s")] = 1
    return ", ".join(seen) or "-"


def run_ratios(a, b):
    """a/b kpps for each run both measured."""
    bk = {r["run"]: r["kpps"] for r in b if r.get("kpps")}
    return [r["kpps"] / bk[r["run"]] for r in a if r.get("kpps") and bk.get(r["run"])]


def group(rows, kind, key="tool"):
    g = OrderedDict()
    for r in rows:
        if r["row"] == kind:
            g.setdefault(r[key], []).append(r)
    return g


def runs_str(rs, field, nd=1):
    return " / ".join(fmt(r.get(field), nd) for r in rs)


def plot(docs, name, title, ylabel, data, tmpdir):
    """A bar chart: data is [(label, value)]."""
    if not data:
        return None
    dat = os.path.join(tmpdir, name + ".dat")
    with open(dat, "w") as f:
        for label, v in data:
            f.write('"%s" %f\n' % (label, v or 0))
    png = os.path.join(docs, name + ".png")
    script = """
set terminal png size 800,420 font ",10"
set output '%s'
set title '%s'
set ylabel '%s'
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:*]
set grid ytics
set xtics rotate by -20
unset key
plot '%s' using 2:xtic(1) lc rgb '#3070b0', '' using 0:2:(sprintf('%%.1f', $2)) with labels offset 0,0.7 notitle
""" % (png, title, ylabel, dat)
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return os.path.basename(png)


E2E = {}
CPU = {}


def e2e_rows_table(rows, kind, w):
    """Writes the table of an end-to-end row kind through w; returns the
    runs by tool and the median wall time by tool."""
    g = group(rows, kind)
    w("| tool | targets x ports | probes | median wall s | runs (s) | recall | precision | "
      "duplicates | false open | probes/s of wall |")
    w("|---|---|---:|---:|---|---:|---:|---:|---:|---:|")
    walls = OrderedDict()
    for tool, rs in g.items():
        walls[tool] = med([r["wall"] for r in rs])
        w("| %s | %s x %s | %d | **%s** | %s | %s | %s | %s | %s | %s |" % (
            tool, rs[0]["targets"], rs[0]["ports"], rs[0]["probes"], fmt(walls[tool], 2),
            runs_str(rs, "wall", 2), fmt(med([r["recall"] for r in rs]), 6),
            fmt(med([r["precision"] for r in rs]), 6), fmt(med([r["duplicates"] for r in rs]), 0),
            fmt(med([r["false_open"] for r in rs]), 0),
            fmt(rs[0]["probes"] / walls[tool] if walls[tool] else None, 0)))
    w("")
    return g, walls


def frac(a, b):
    return "%d/%d" % (a, b)


def service_section(rows, w):
    """fastport -sV vs nmap -sV on the service lab (bench/sv-run service).
    Returns {tool: median wall} and the fastport runs, or None."""
    g = group(rows, "service")
    if not g:
        return None
    fr = g.get("fastport", [])
    w("## Service identification: fastport -sV vs nmap -sV")
    w("")
    r0 = (fr or next(iter(g.values())))[0]
    w("The service lab (tests/lab/svc/lab.sh, docs/SERVICES.md): %d TCP ports of one address, "
      "198.19.2.2, in the target namespace: 20 Debian daemons (OpenSSH, nginx with TLS, "
      "vsftpd, Exim, Dovecot, slapd, dnsmasq, rsync, dante, mosquitto, MariaDB, NATS, "
      "PostgreSQL, Redis, Python http.server, Caddy, lighttpd, Apache, memcached) on 24 "
      "ports, plus a silent port, a tarpit and a port that resets. Both tools run in the "
      "scanner namespace in the same run, on the same ports, with their defaults for "
      "identification (fastport `--sv-timeout` 6 s per port, nmap's version intensity 7). "
      "Scored by bench/sv_score.py against the truth the lab writes from `dpkg-query`: a "
      "name is right when it is the truth's (nmap's names mapped: `imaps` is imap in TLS; "
      "one nmap only took from its port table, printed with `?`, is no identification); "
      "a version is right when the installed upstream version is the reported one or one "
      "of its parts (nmap's `9.2p1 Debian 2+deb12u10` counts for OpenSSH 9.2p1); "
      "versions are expected on the %d ports whose daemon announces one, and any other "
      "reported version is wrong; \"non-services named\" counts names other than "
      "unknown/tcpwrapped on the silent, tarpit and reset ports. nmap -sV reports no "
      "certificates (that needs its ssl-cert script)." % (r0["ports"], r0["versions_expected"]))
    w("")
    w("| tool | median wall s | runs (s) | names right | versions right | wrong versions | "
      "non-services named | certificates right | peak RSS MiB |")
    w("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    walls = OrderedDict()
    for tool, rs in g.items():
        walls[tool] = med([r["wall"] for r in rs])
        r = rs[0]
        worst = min(rs, key=lambda x: (x["names_right"], x["versions_right"]))
        w("| %s | **%s** | %s | %s | %s | %s | %s | %s | %s |" % (
            tool, fmt(walls[tool], 2), runs_str(rs, "wall", 2),
            frac(worst["names_right"], r["names_expected"]),
            frac(worst["versions_right"], r["versions_expected"]),
            max(x["versions_wrong"] for x in rs), max(x["silent_named"] for x in rs),
            frac(worst["tls_right"], r["tls_expected"]) if tool.startswith("fastport") else "n/a",
            fmt(med([x.get("rss_kib") for x in rs]) / 1024.0, 1) if r.get("rss_kib") else "n/a"))
    w("")
    fw, nw = walls.get("fastport"), walls.get("nmap -sV")
    if fr:
        w("fastport's wall time / nmap's: **%s** (nmap/fastport **%s**). fastport's own check "
          "(tests/lab/svc_truth.py: products, exact versions, certificates, one event per "
          "port): %s. Its first service event came %s s after the scan started, the last "
          "one that names a service %s s after (medians); the rest of its wall time is the "
          "per-port deadline (`--sv-timeout`, 6 s) of the silent port and the tarpit, which "
          "answer no probe: nothing is known about them sooner."
          % (ratio(fw, nw), ratio(nw, fw), ", ".join(sorted(set(r["strict"] for r in fr))),
             fmt(med([r["first_service_s"] for r in fr]), 3),
             fmt(med([r["last_service_s"] for r in fr]), 3)))
        w("")
    st = g.get("fastport --sv-timeout 2", [])
    if st:
        w("With `--sv-timeout 2` (the deadline the only thing changed): %s s, %s of nmap's "
          "wall time, names %s, versions %s, certificates %s, svc_truth %s."
          % (fmt(walls["fastport --sv-timeout 2"], 2), ratio(walls["fastport --sv-timeout 2"], nw),
             frac(min(r["names_right"] for r in st), st[0]["names_expected"]),
             frac(min(r["versions_right"] for r in st), st[0]["versions_expected"]),
             frac(min(r["tls_right"] for r in st), st[0]["tls_expected"]),
             ", ".join(sorted(set(r["strict"] for r in st)))))
        w("")
    for tool, rs in g.items():
        if rs[0]["wrong"]:
            w("%s, what it missed or got wrong (run 1): %s." % (
                tool, "; ".join("`%s`" % x for x in rs[0]["wrong"])))
            w("")
    w("```")
    for tool, rs in g.items():
        w(rs[0]["cmd"])
    w("```")
    w("")
    return walls, fr


def scale_section(rows, w):
    """fastport -sV vs masscan --banners at scale (bench/sv-run service-scale)."""
    rs_all = [r for r in rows if r["row"] == "service-scale"]
    if not rs_all:
        return None
    r0 = rs_all[0]
    w("## Service identification at scale: fastport -sV vs masscan --banners")
    w("")
    w("One nginx (2 workers) bound to 0.0.0.0:80 in the target namespace answers on every "
      "address of %s, one sshd (MaxStartups raised, so it drops no early connection; it "
      "forks and re-executes itself for each one) on port 22 of %s (nft resets port 22 "
      "elsewhere). Both tools scan ports 22 and 80 of %s: %d services. A port counts as "
      "identified when its name is right (http on 80; ssh on 22 with the installed OpenSSH "
      "version: fastport's `version`, masscan's banner `SSH-2.0-OpenSSH_<version>`). masscan "
      "runs with its default `--wait` (10 s) and its own TCP stack from a source address of "
      "its own (198.18.0.100) so that the scanner's kernel does not reset its connections. "
      "\"per s\" = services identified / wall time; peak RSS from /usr/bin/time. masscan's "
      "transmit thread sends the packets of its banner connections (ACK, request, FIN) through "
      "the same `--rate` throttle as its SYNs (`flush_packets()` in its src/main.c), so at a "
      "low rate most of its wall time goes to them; why its recall falls at higher rates was "
      "not investigated. fastport identifies beside the sweep on kernel sockets: while the "
      "rate is what limits it, its wall time is the sweep's (probes / rate) and the last "
      "replies; above that, identification itself (nginx, sshd and fastport sharing the "
      "CPUs) is the bound."
      % (r0["http"], r0["ssh"], r0["http"], r0["expected"]))
    w("")
    w("| tool | rate (pps) | median wall s | runs (s) | identified (median) | recall (lowest) | "
      "http | ssh | wrong | identified per s | peak RSS MiB |")
    w("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    g = OrderedDict()
    for r in rs_all:
        g.setdefault((r["tool"], r["rate"], r["http"]), []).append(r)
    for (tool, rate, _), rs in g.items():
        wall = med([r["wall"] for r in rs])
        ident = med([r["identified"] for r in rs])
        per = ident / wall if wall else None
        w("| %s | %d | **%s** | %s | %s | %s | %s | %s | %s | **%s** | %s |" % (
            tool, rate, fmt(wall, 2), runs_str(rs, "wall", 2), fmt(ident, 0),
            fmt(min(r["recall"] for r in rs), 6), fmt(med([r["http_identified"] for r in rs]), 0),
            fmt(med([r["ssh_identified"] for r in rs]), 0), max(r["wrong"] for r in rs),
            fmt(per, 0), fmt(med([r.get("rss_kib") for r in rs]) / 1024.0, 1)
            if rs[0].get("rss_kib") else "n/a"))
    w("")
    same = [(rate, g[("fastport -sV", rate, net)], g[(tool, rate, net)])
            for (tool, rate, net) in g
            if tool == "masscan --banners" and ("fastport -sV", rate, net) in g]
    if same:
        w("At the same rate, services identified per second fastport/masscan: %s." % ", ".join(
            "**%s** at %d pps (recall %s vs %s)" % (
                ratio(med([r["identified"] for r in f]) / med([r["wall"] for r in f]),
                      med([r["identified"] for r in m]) / med([r["wall"] for r in m])),
                rate, fmt(min(r["recall"] for r in f), 6), fmt(min(r["recall"] for r in m), 6))
            for rate, f, m in same))
        w("")
    w("```")
    for key, rs in g.items():
        w(rs[0]["cmd"])
    w("```")
    w("")
    return same


def service_goals(sv, sc, w):
    """The goal rows of the service sections (their return values)."""
    if sv and sv[1]:
        walls, fr = sv
        worst = min(fr, key=lambda x: (x["names_right"], x["versions_right"], x["tls_right"]))
        allok = all(r["strict"] == "ok" and r["rc"] == 0 for r in fr)
        fw, nw = walls.get("fastport"), walls.get("nmap -sV")
        w("| -sV on the service lab: every name, every announced version, the certificate, "
          "no silent port named, exit 0, in <= 1/10 of nmap -sV's wall time | names %s, "
          "versions %s, certificates %s, svc_truth %s; %s s vs nmap %s s (%s) | %s |"
          % (frac(worst["names_right"], worst["names_expected"]),
             frac(worst["versions_right"], worst["versions_expected"]),
             frac(worst["tls_right"], worst["tls_expected"]), "ok" if allok else "FAIL",
             fmt(fw, 2), fmt(nw, 2), ratio(fw, nw),
             "yes" if allok and fw and nw and fw * 10 <= nw else "no"))
    if sc:
        pairs = []
        for rate, f, m in sc:
            fp = med([r["identified"] for r in f]) / med([r["wall"] for r in f])
            mp = med([r["identified"] for r in m]) / med([r["wall"] for r in m])
            pairs.append((rate, fp, mp, min(r["recall"] for r in f), min(r["recall"] for r in m)))
        w("| at scale, at every rate both ran: more services identified per second than "
          "masscan --banners, recall >= its | %s | %s |"
          % ("; ".join("%d pps: %s/s vs %s/s, recall %s vs %s" % (
              rate, fmt(fp, 0), fmt(mp, 0), fmt(fr_, 6), fmt(mr, 6))
              for rate, fp, mp, fr_, mr in pairs),
             "yes" if pairs and all(fp > mp and fr_ >= mr for _, fp, mp, fr_, mr in pairs) else "no"))


def fleet_section(rows, w):
    """The fleet on NATS JetStream (tests/fleet/bench through bench/run's fleet row)."""
    rs = [r for r in rows if r["row"] == "fleet"]
    if not rs:
        return
    w("## Fleet: agents on NATS JetStream")
    w("")
    w("The same lab scan (%s x 22,80,443,8080,9000, --retries 1, 100 kpps per shard) as one "
      "`fastport scan` and as 16 shard tasks through one nats-server (file storage) run by 1, 2 "
      "and 4 `fastport agent`s on this host; wall from `submit` to `results --wait` done "
      "(tests/fleet/bench, docs/SCALING.md)." % rs[0].get("spec", "?"))
    w("")
    w("| run | wall (s) | findings | duplicates | nats-server CPU (ms) | broker CPU per finding (us) | agents' CPU (ms) |")
    w("|---|---|---|---|---|---|---|")
    for r in rs:
        w("| %s | %s | %s | %s | %s | %s | %s |"
          % (r["tool"], fmt(r.get("wall"), 2), r.get("findings", "n/a"), r.get("duplicates", "n/a"),
             r.get("broker_cpu_ms", "-"), fmt(r.get("broker_us_per_finding"), 1) if "broker_us_per_finding" in r else "-",
             r.get("agents_cpu_ms", "-")))
    w("")


def tables(res_path):
    """The tables of the end-to-end style rows that a partial run measured."""
    rows = [json.loads(l) for l in open(res_path) if l.strip()]
    for kind in ("e2e", "loss", "connect", "store"):
        if not any(r["row"] == kind for r in rows):
            continue
        print("## %s" % kind)
        print("")
        g, _ = e2e_rows_table(rows, kind, print)
        for tool, rs in g.items():
            print("    %s" % rs[0]["cmd"])
        print("")
    service_section(rows, print)
    scale_section(rows, print)
    fleet_section(rows, print)


def main(res_path, docs):
    rows = [json.loads(l) for l in open(res_path) if l.strip()]
    meta = next(r for r in rows if r["row"] == "meta")
    end = next((r for r in rows if r["row"] == "end"), {})
    xdp = next((r for r in rows if r["row"] == "xdp"), {})
    loads = [r for r in rows if r["row"] == "load"]
    tmpdir = os.path.dirname(os.path.abspath(res_path))
    L = []
    w = L.append
    w("# fastport benchmarks")
    w("")
    w("Generated by `make bench` (bench/run, bench/report.py) on %s%s: %s run(s) per figure, "
      "figures are medians (individual runs in parentheses where useful) and ratios. "
      "The machine is shared: absolute numbers move with its load, ratios of tools "
      "measured in the same run much less. Nothing in the test suite asserts a time."
      % (meta["date"], " (**quick mode**: smaller sizes, smoke test only)" if meta["quick"] else "",
         meta["runs"]))
    w("")
    w("## Machine and tools")
    w("")
    w("| | |")
    w("|---|---|")
    w("| CPUs (nproc) | %s |" % meta["nproc"])
    w("| CPU model | %s |" % meta["cpu"])
    w("| memory | %s |" % meta.get("mem_total", "?"))
    w("| kernel | %s |" % meta["kernel"])
    w("| load average (1/5/15 min) at start | %s |" % meta["loadavg_start"])
    for l in loads:
        w("| load average before: %s | %s |" % (l["at"], l["loadavg"]))
    w("| load average at end | %s |" % end.get("loadavg_end", "?"))
    for k in ("fastport", "masscan", "zmap", "nmap", "trafgen", "valgrind", "cc", "clang", "gnuplot"):
        w("| %s | %s |" % (k, str(meta.get(k, "?")).strip()))
    w("")
    w("All probes are sent inside two network namespaces created by the run "
      "(tests/lab/lib.sh) and joined by one veth pair: scanner 198.18.0.1, targets "
      "198.19.0.0/16 and 2001:2:0:1::/64 answered by the target namespace (the \"basic\" "
      "ground truth of tests/lab/truth.py: listeners on 22, 80, 443, 8080 and nft rules "
      "that drop, reset or answer with ICMP errors). Every command has a rate cap and a "
      "timeout; the namespaces are removed at exit.")
    w("")

    # ---- send rate
    send = group(rows, "send")
    w("## Send rate into an XDP drop sink")
    w("")
    w("An XDP program (bench/xdp_sink.c, attached in %s mode to the target end of the "
      "veth) drops every frame and counts the IPv4 TCP ones with the times of the first "
      "and the last arrival; the rate is the same measure for every tool: "
      "(packets - 1) / (last - first)." % xdp.get("xdp_mode", "?"))
    w("")
    w("| tool | median kpps | runs (kpps) | packets at sink (median) | probes asked | send path (threads) |")
    w("|---|---:|---|---:|---:|---|")
    kp = OrderedDict()
    for tool, rs in send.items():
        kp[tool] = med([r["kpps"] for r in rs])
        w("| %s | **%s** | %s | %s | %s | %s |" % (tool, fmt(kp[tool]), runs_str(rs, "kpps"),
                                                  fmt(med([r["packets"] for r in rs]), 0), rs[0]["probes"],
                                                  paths_str(rs)))
    w("")
    xr = run_ratios(send.get("fastport-xdp", []), send.get("fastport-ring", []))
    x1 = run_ratios(send.get("fastport-xdp", []), send.get("fastport-ring-1t", []))
    if xr:
        w("fastport's two send paths, run by run (each run measures every tool once, so the "
          "ratio of a run compares the paths under the same load): `--send-path xdp` / "
          "`--send-path ring` median of the per-run ratios **%s** (runs: %s; ratio of the "
          "medians %s)%s. The default (`auto`) sent with %s."
          % ("%.2f" % med(xr), " / ".join("%.2f" % x for x in xr),
             ratio(kp.get("fastport-xdp"), kp.get("fastport-ring")),
             "; against the ring with one thread **%.2f** (runs: %s)"
             % (med(x1), " / ".join("%.2f" % x for x in x1)) if x1 else "",
             paths_str(send.get("fastport", []))))
        w("")
    f = kp.get("fastport")
    w("Ratios (median kpps): fastport/masscan **%s**, fastport/zmap **%s**, fastport/trafgen "
      "(TX ring) **%s**, fastport/trafgen (rate-capped, sendto) **%s** (fastport with one send "
      "thread: /masscan %s, /zmap %s, /trafgen (TX ring) %s)."
      % (ratio(f, kp.get("masscan")), ratio(f, kp.get("zmap")), ratio(f, kp.get("trafgen-ring")),
         ratio(f, kp.get("trafgen")),
         ratio(kp.get("fastport-1t"), kp.get("masscan")), ratio(kp.get("fastport-1t"), kp.get("zmap")),
         ratio(kp.get("fastport-1t"), kp.get("trafgen-ring"))))
    w("")
    w("Commands (in the scanner namespace, under `timeout -s KILL 300`):")
    w("")
    w("```")
    for tool, rs in send.items():
        w("%-16s %s" % (tool, rs[0]["cmd"]))
    w("```")
    w("")
    w("Notes: fastport sends with its default send path (`auto`) and thread count (one per "
      "CPU, at most 8; under the `xdp` path one per TX queue of the interface, and the lab's "
      "veth has one), with `--send-path xdp` (fastport-xdp: AF_XDP sockets), `--send-path "
      "ring` (fastport-ring: AF_PACKET TX rings, one per CPU; fastport-ring-1t: one), and "
      "with `--send-threads 1` (fastport-1t); zmap with `-T 2` (both CPUs), sending its one "
      "port %s times per address (`-P 16`) to reach the same probe count; masscan has one "
      "transmit thread. trafgen repeats one 74-byte SYN frame from one process (`-P 1`): "
      "trafgen-ring without a rate cap, which is its TX_RING path, and trafgen with a rate "
      "cap (`-b`), which makes it use sendto() instead; the frames of the scanners are 54 to 60 bytes. Frames the veth could not take are "
      "not counted: the sink measures arrivals." % 16)
    w("")
    img = plot(docs, "bench-send", "SYN probes per second at an XDP drop sink (median)",
               "kpps", list(kp.items()), tmpdir)
    if img:
        w("![send rate](%s)" % img)
        w("")

    # ---- end to end
    def e2e_table(kind):
        return e2e_rows_table(rows, kind, w)

    w("## End to end: /16 x 5 TCP ports against the ground truth")
    w("")
    w("Recall and precision of open ports against tests/lab/truth.py (\"basic\"), "
      "duplicates = open findings reported more than once, wall time includes each "
      "tool's cooldown (2 s for all three raw scanners). zmap scans one port per run "
      "(port 80 here), nmap a /20: compare them per probe (last column). masscan's "
      "duplicates are repeated `open` lines in its -oL output for the same port (masscan's "
      "own dedup table is best effort; the cause in this lab was not investigated); its wall "
      "time grows with them.")
    w("")
    g, walls = e2e_table("e2e")
    E2E.update(g=g, walls=walls)
    names = list(walls)
    fpw = walls.get("fastport")
    per_probe = {t: g[t][0]["probes"] / walls[t] for t in walls if walls[t]}
    w("Ratios: masscan/fastport wall time **%s** (same work); probes per second of wall "
      "fastport/zmap **%s**, fastport/nmap **%s**." % (
          ratio(walls.get("masscan"), fpw),
          ratio(per_probe.get("fastport"), next((per_probe[t] for t in names if t.startswith("zmap")), None)),
          ratio(per_probe.get("fastport"), next((per_probe[t] for t in names if t.startswith("nmap")), None))))
    w("")
    w("```")
    for tool, rs in g.items():
        w("%s" % rs[0]["cmd"])
    w("```")
    w("")
    img = plot(docs, "bench-e2e", "End to end on the lab /16 x 5 ports: wall time (median)",
               "seconds", [(t, v) for t, v in walls.items()], tmpdir)
    if img:
        w("![end to end](%s)" % img)
        w("")

    # ---- loss
    w("## 5% random loss each way, equal retries")
    w("")
    w("nft `numgen random mod 100 < 5 drop` on the probes and on the answers (as "
      "tests/lab/t_loss.sh), one port (zmap scans one), three probes per target: "
      "fastport and masscan `--retries 2`, zmap `-P 3` (sent back to back), all with the "
      "same bound on the wait after the last probe: fastport's `--wait`, which its "
      "cooldown adapts to the answers (it waits longer only while new answers come in, "
      "and once targets resend lost answers, for their first retransmission), and "
      "zmap's `-c` and masscan's `--wait`, which they always wait. A lost answer is "
      "resent by the target, so a port is missed mostly when all three SYNs are lost "
      "(0.05^3 = 1.25e-4 expected miss rate).")
    w("")
    g, walls = e2e_table("loss")
    w("Ratio of wall times zmap/fastport: **%s**, masscan/fastport: **%s**." % (
        ratio(walls.get("zmap -P 3"), walls.get("fastport")),
        ratio(walls.get("masscan"), walls.get("fastport"))))
    w("")
    w("```")
    for tool, rs in g.items():
        w("%s" % rs[0]["cmd"])
    w("```")
    w("")

    # ---- memory
    w("## Memory: peak RSS by plan size")
    w("")
    w("fastport planning scans of 10 ports from a /24 to a /8-sized block (IPv6 /104 = "
      "2^24 addresses, as the lab's IPv4 space is only a /15), at `--rate 10`, stopped with "
      "SIGINT; VmHWM read from /proc just before the signal.")
    w("")
    w("| targets | probes | median peak RSS (MiB) | runs (KiB) | bytes per probe above the /24 |")
    w("|---|---:|---:|---|---:|")
    g = group(rows, "mem", "spec")
    base = None
    for spec, rs in g.items():
        m = med([r["rss_kib"] for r in rs])
        if base is None:
            base = (m, rs[0]["probes"])
        per = ((m - base[0]) * 1024.0 / (rs[0]["probes"] - base[1])) if rs[0]["probes"] > base[1] else None
        w("| %s | %d | %s | %s | %s |" % (spec, rs[0]["probes"], fmt(m / 1024.0, 1),
                                          runs_str(rs, "rss_kib", 0), fmt(per, 3)))
    w("")
    if g:
        w("`%s`" % next(iter(g.values()))[0]["cmd"])
        w("")

    # ---- cpu
    w("## CPU: user-space instructions per probe")
    w("")
    w("`valgrind --tool=callgrind` counts every instruction the process executes in user "
      "space (all threads, setup included; kernel work is not counted), over a fixed probe "
      "count into the drop sink, one send thread. fastport runs as its scan library driven "
      "by bench/cg_scan.c, linked from the build's objects as the CLI is (fast mode: -O3, "
      "LTO, `CPU=x86-64-v2`): valgrind cannot run the CLI's seccomp sandbox, nor every "
      "-march=native instruction; the CLI adds option parsing and the event sink, which "
      "have no work here (no answers from the sink). Every silent probe is still walked "
      "once more at the end to be reported `filtered`.")
    w("")
    w("| tool | probes | Ir total | Ir per probe | packets at sink |")
    w("|---|---:|---:|---:|---:|")
    g = group(rows, "cpu")
    irp = {}
    for tool, rs in g.items():
        r = rs[0]
        irp[tool] = r["ir"] / r["probes"] if r["probes"] else None
        w("| %s | %d | %d | **%s** | %d |" % (tool, r["probes"], r["ir"], fmt(irp[tool], 1), r["packets"]))
    w("")
    fir = irp.get("fastport (library: bench/cg_scan.c)")
    CPU.update(fastport=fir, masscan=irp.get("masscan"), baseline=irp.get("fastport baseline (library)"))
    w("Ratio masscan/fastport Ir per probe: **%s**. The other fastport rows are the same "
      "library built otherwise (all for x86-64-v2): baseline (`-O2 -march=x86-64`, no LTO) / "
      "fast **%s**, secure / fast **%s**, fast / pgo **%s**; the scalar cookie code instead of "
      "the vector code the CPU offers (`FASTPORT_COOKIE_IMPL=scalar`) / fast **%s**."
      % (ratio(irp.get("masscan"), fir), ratio(irp.get("fastport baseline (library)"), fir),
         ratio(irp.get("fastport secure (library)"), fir), ratio(fir, irp.get("fastport pgo (library)")),
         ratio(irp.get("fastport, scalar cookies (library)"), fir)))
    w("")
    w("```")
    for tool, rs in g.items():
        w(rs[0]["cmd"])
    w("```")
    w("")

    # ---- cookies
    ck = [r for r in rows if r["row"] == "cookie"]
    if ck:
        w("## Cookies: scalar, AVX2, AVX-512")
        w("")
        w("bench/cookie_bench: every cookie implementation this CPU runs, in the sender's "
          "batches of %d IPv4 probes, checked equal to the scalar values, then timed in %d "
          "interleaved rounds (median). The sender picks the fastest by cpuid; the build "
          "targets no particular CPU for this (the vector code is compiled for its own "
          "target and only called when cpuid offers it)." % (ck[0]["batch"], ck[0]["rounds"]))
        w("")
        w("| implementation | ns per cookie | speed-up over scalar |")
        w("|---|---:|---:|")
        for r in ck:
            w("| %s | %s | **%s** |" % (r["impl"], fmt(r["ns_per_cookie"], 2), fmt(r["speedup_vs_scalar"], 2)))
        w("")

    # ---- build modes
    w("## Build modes")
    w("")
    w("Each mode built into build/bench/<mode>; pgo is the fast mode with profile-guided "
      "optimisation (`make pgo`, mk/pgo.mk: instrumented, trained on lab scans, rebuilt "
      "with the profile; docs/BUILDING.md); baseline is the fast mode's sources with "
      "`-O2 -march=x86-64` and no LTO (MODE_CFLAGS/MODE_LDFLAGS overridden on the make "
      "command line). All modes are built first, then each run goes round the modes. "
      "Send rate into the drop sink (fastport command of the send row) and "
      "the /16 x 5 scan with all states reported; \"findings\" is a hash of the sorted set "
      "of (address, port, state): equal hashes mean identical results.")
    w("")
    w("| mode | build | binary bytes | median kpps | median wall s | recall | precision | "
      "duplicates | distinct findings | findings hash (runs) |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    builds = {r["mode"]: r for r in rows if r["row"] == "build"}
    ms = group(rows, "modesend")
    mo = group(rows, "mode")
    hashes = set()
    kpm = {}
    for m, b in builds.items():
        if not b.get("ok"):
            w("| %s | build failed | | | | | | | | |" % m)
            continue
        s = ms.get(m, [])
        e = mo.get(m, [])
        kpm[m] = med([r["kpps"] for r in s])
        hs = sorted(set(r["findings"] for r in e))
        hashes.update(hs)
        w("| %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            m, b["make"], b["size"], fmt(kpm[m]), fmt(med([r["wall"] for r in e]), 2),
            fmt(med([r["recall"] for r in e]), 6), fmt(med([r["precision"] for r in e]), 6),
            fmt(med([r["duplicates"] for r in e]), 0), fmt(med([r["distinct_findings"] for r in e]), 0),
            ", ".join(hs)))
    w("")
    wall = {m: med([r["wall"] for r in mo.get(m, [])]) for m in builds}
    w("Identical findings in every mode and run: **%s**. Send-rate ratios: pgo/fast **%s**, "
      "fast/baseline **%s**, fast/secure **%s**, fast/debug **%s**; /16 x 5 wall time "
      "fast/pgo **%s**." % (
          "yes" if len(hashes) == 1 else "NO (%d different sets)" % len(hashes),
          ratio(kpm.get("pgo"), kpm.get("fast")),
          ratio(kpm.get("fast"), kpm.get("baseline")), ratio(kpm.get("fast"), kpm.get("secure")),
          ratio(kpm.get("fast"), kpm.get("debug")), ratio(wall.get("fast"), wall.get("pgo"))))
    w("")

    # ---- connect
    w("## Connect scan vs nmap -sT")
    w("")
    w("One lab host, every port in the range, through the kernel's TCP stack (no raw "
      "sockets).")
    w("")
    g, walls = e2e_table("connect")
    w("Ratio nmap/fastport wall time: **%s**." % ratio(walls.get("nmap -sT"), walls.get("fastport --connect")))
    w("")
    w("```")
    for tool, rs in g.items():
        w(rs[0]["cmd"])
    w("```")
    w("")
    # ---- service identification
    sv = service_section(rows, w)
    sc = scale_section(rows, w)
    fleet_section(rows, w)

    # ---- goals
    w("## Goals")
    w("")
    sr = send.get("fastport", [])
    gw = E2E["walls"]
    full = E2E["g"].get("fastport (full speed)", [])
    w("| goal | measured | reached |")
    w("|---|---|---|")
    a, b = ratio(kp.get("fastport"), kp.get("masscan")), ratio(kp.get("fastport"), kp.get("trafgen-ring"))
    w("| send rate >= 1.3x masscan's and >= 1.0x trafgen's | %sx masscan, %sx trafgen (TX ring) | %s |"
      % (a, b, "yes" if a != "n/a" and b != "n/a" and float(a) >= 1.3 and float(b) >= 1.0 else "no"))
    if full:
        fw = gw.get("fastport (full speed)")
        rec = min(r["recall"] for r in full)
        dup = max(r["duplicates"] for r in full)
        w("| /16 x 5 ports exact in <= 1.5 s at full speed | median %s s, recall %s (lowest), %s duplicates (most) | %s |"
          % (fmt(fw, 2), fmt(rec, 6), dup, "yes" if fw and fw <= 1.5 and rec == 1 and dup == 0 else "no"))
    if CPU.get("fastport") and CPU.get("masscan"):
        w("| user instructions per probe <= half masscan's | %s vs %s (%.2fx fewer) | %s |"
          % (fmt(CPU["fastport"], 0), fmt(CPU["masscan"], 0), CPU["masscan"] / CPU["fastport"],
             "yes" if CPU["fastport"] * 2 <= CPU["masscan"] else "no"))
    mg = group(rows, "mem", "spec")
    if mg:
        last, rs = list(mg.items())[-1]
        m = med([r["rss_kib"] for r in rs]) / 1024.0
        w("| RSS flat, <= 32 MiB for a /8 x 10 ports plan | %s MiB for %s x 10 (%d probes) | %s |"
          % (fmt(m, 1), last, rs[0]["probes"], "yes" if m <= 32 else "no"))
    if CPU.get("baseline") and CPU.get("fastport"):
        w("| fast build measurably faster than the baseline, identical results | %.2fx fewer instructions per probe; send rate %s; findings identical: %s | %s |"
          % (CPU["baseline"] / CPU["fastport"], ratio(kpm.get("fast"), kpm.get("baseline")),
             "yes" if len(hashes) == 1 else "no",
             "yes" if CPU["baseline"] > CPU["fastport"] * 1.02 and len(hashes) == 1 else "no"))
    service_goals(sv, sc, w)
    w("")

    w("## Reproduce")
    w("")
    w("```")
    w("make bench                              # full: BENCH_RUNS=3")
    w("make bench BENCH_RUNS=1 BENCH_QUICK=1   # smoke test, smaller sizes")
    w("make bench BENCH_ROWS=\"service service-scale\"   # the service identification rows only")
    w("make bench BENCH_ROWS=fleet              # the fleet row only")
    w("```")
    w("")
    w("Needs root, clang (BPF target), bpftool, masscan, zmap, nmap, netsniff-ng (trafgen), "
      "valgrind and gnuplot; the service rows the daemons of the service lab "
      "(tools/install-deps). Raw results: build/bench/results.jsonl.")
    w("")
    with open(os.path.join(docs, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(L))
    print("wrote %s" % os.path.join(docs, "BENCHMARKS.md"))


if __name__ == "__main__":
    if sys.argv[1] == "--tables":
        tables(sys.argv[2])
    else:
        main(sys.argv[1], sys.argv[2])
