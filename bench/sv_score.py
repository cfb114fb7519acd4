#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Scores service identification for the bench's service rows.

    sv_score.py lab TRUTH.json TOOL FILE --target IP --ports P,..
        The service lab (tests/lab/svc/lab.sh) against its ground truth.
        TOOL: fastport (threat_event_v1 NDJSON) or nmap (-oX). Prints one
        JSON object (see lab()).
    sv_score.py scale TOOL FILE --http NET --ssh NET --ssh-version V
        The scale row: nginx on every address of NET (port 80), sshd on
        every address of the smaller NET (port 22). TOOL: fastport or
        masscan (-oL with --banners). Prints one JSON object (see scale()).
    sv_score.py first-last FILE
        fastport's events: seconds from scan start to the first and the
        last service event that names a service (not unknown/tcpwrapped).

Both tools are scored by the same rules:

  name     right when the tool's service name (nmap's mapped by ALIAS: its
           "imaps" is our "imap" inside TLS) equals the truth's; on a port
           the truth runs inside TLS the tool must also say so (fastport:
           tunnel "ssl"; nmap: tunnel="ssl" or an ALIAS with TLS). A name
           nmap only looked up in its port table (method="table", printed
           with a "?") is no identification.
  version  right when the truth's upstream version equals the reported
           version or one of its parts split at white space, "-", "(", ")"
           or "," (nmap reports "9.2p1 Debian 2+deb12u10" for OpenSSH and
           "5.5.5-10.11.19-MariaDB-0+deb12u1" for MariaDB: both right).
           Expected on the ports whose daemon announces it; a version
           reported anywhere that is not right counts as a wrong version.
  silent   the lab's non-services (silent, tarpit, reset): a name other
           than the ones the truth allows there (unknown, tcpwrapped) is
           a false identification.
  tls      (fastport only; nmap -sV does not report certificates) subject
           and SANs as tests/lab/svc_truth.py compares them.

For fastport, "strict" is tests/lab/svc_truth.py's own verdict as well
(product too, exact versions, certificates, no duplicate event).
"""
import argparse
import io
import ipaddress
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from contextlib import redirect_stdout
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))
import svc_truth  # noqa: E402

# nmap service names that name one of ours, and whether they imply TLS.
ALIAS = {"imaps": ("imap", True), "pop3s": ("pop3", True), "https": ("http", True),
         "ssl/http": ("http", True), "ssl/imap": ("imap", True), "ssl/pop3": ("pop3", True),
         "mysql": ("mysql", False), "mqtt": ("mqtt", False)}


def nmap_name(name):
    # nmap 7.93 names mosquitto's port "mosquitto version X" (the product
    # in the name field): the protocol is MQTT.
    if name.startswith("mosquitto"):
        return "mqtt", False
    return ALIAS.get(name, (name, False))


def version_right(got, want):
    if not got or not want:
        return False
    if got == want:
        return True
    return want in {p for p in re.split(r"[\s\-(),]+", got) if p}


def load_fastport(path):
    """(ip, port) -> {name, tls_tunnel, version, tls, guessed}"""
    out = {}
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        e = json.loads(line)
        if e.get("kind") != "service":
            continue
        s = e.get("service") or {}
        key = (str(ipaddress.ip_address(e["target"]["ip"])), int(e["target"]["port"]))
        out[key] = {"name": s.get("name"), "ssl": s.get("tunnel") == "ssl",
                    "version": s.get("version"), "tls": s.get("tls"), "guessed": False}
    return out


def load_nmap(path):
    out = {}
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError):
        return out
    for host in root.iter("host"):
        addr = host.find("address").get("addr")
        for p in host.iter("port"):
            st = p.find("state")
            sv = p.find("service")
            if st is None or st.get("state") != "open" or sv is None:
                continue
            name, ssl = nmap_name(sv.get("name", ""))
            out[(str(ipaddress.ip_address(addr)), int(p.get("portid")))] = {
                "name": name, "ssl": ssl or sv.get("tunnel") == "ssl",
                "version": sv.get("version"), "tls": None,
                "guessed": sv.get("method") == "table"}
    return out


def lab(truth_path, tool, path, target, ports):
    truth = json.load(open(truth_path))
    got = load_fastport(path) if tool == "fastport" else load_nmap(path)
    ip = str(ipaddress.ip_address(target))
    r = {"names_expected": 0, "names_right": 0, "versions_expected": 0, "versions_right": 0,
         "versions_wrong": 0, "silent_named": 0, "tls_expected": 0, "tls_right": 0,
         "reported": 0, "wrong": []}
    for t in truth["ports"]:
        port = t["port"]
        if ports and port not in ports:
            continue
        g = got.get((ip, port))
        if g and not g["guessed"]:
            r["reported"] += 1
        else:
            g = None
        if t.get("service") is None:
            if g and g["name"] not in t["allowed"]:
                r["silent_named"] += 1
                r["wrong"].append("%d (%s): named %s" % (port, t["kind"], g["name"]))
            continue
        r["names_expected"] += 1
        name_ok = g is not None and g["name"] == t["service"] and \
            (not t.get("tunnel") or g["ssl"])
        if name_ok:
            r["names_right"] += 1
        else:
            r["wrong"].append("%d: %s, truth %s%s" % (
                port, "%s%s" % ("ssl/" if g and g["ssl"] else "", g["name"]) if g else "nothing",
                "ssl/" if t.get("tunnel") else "", t["service"]))
        if t.get("version_announced"):
            r["versions_expected"] += 1
        v = g.get("version") if g else None
        if v:
            if version_right(v, t.get("version")):
                r["versions_right"] += 1
            else:
                r["versions_wrong"] += 1
                r["wrong"].append("%d: version %r, truth %r" % (port, v, t.get("version")))
        elif t.get("version_announced"):
            r["wrong"].append("%d: no version, truth %r" % (port, t.get("version")))
        if t.get("tls"):
            r["tls_expected"] += 1
            c = g.get("tls") if g else None
            if c and svc_truth.rdns(c.get("subject")) == svc_truth.rdns(t["tls"]["subject"]) \
                    and svc_truth.sanset(c.get("san")) == svc_truth.sanset(t["tls"]["san"]):
                r["tls_right"] += 1
    if tool == "fastport":
        buf = io.StringIO()
        with redirect_stdout(buf):
            rc = svc_truth.main([truth_path, path, "--targets", target, "--ports",
                                 ",".join(str(p) for p in sorted(ports)), "-q"])
        r["strict"] = "ok" if rc == 0 else "FAIL"
        r["strict_out"] = buf.getvalue().strip().splitlines()[-1]
    return r


def ts(s):
    return datetime.strptime(s.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f").timestamp()


def first_last(path):
    start, times = None, []
    for line in open(path):
        if not line.strip():
            continue
        e = json.loads(line)
        if e.get("kind") == "scan_started":
            start = ts(e["time"])
        elif e.get("kind") == "service" and \
                (e.get("service") or {}).get("name") not in ("unknown", "tcpwrapped", None):
            times.append(ts(e["time"]))
    if start is None or not times:
        return {"first_service_s": None, "last_service_s": None}
    return {"first_service_s": round(min(times) - start, 3),
            "last_service_s": round(max(times) - start, 3)}


def in_net(ip, net):
    return ipaddress.ip_address(ip) in net


def scale(tool, path, http_net, ssh_net, ssh_version):
    """identified: ports whose service is named right (ssh: with the
    version); expected: every address of http_net on 80 and of ssh_net on
    22; wrong: a name or version on one of those ports that is not right;
    duplicates: ports identified more than once (masscan may print a
    banner twice)."""
    http_net = ipaddress.ip_network(http_net)
    ssh_net = ipaddress.ip_network(ssh_net)
    ok, seen, wrong, dups = set(), set(), 0, 0
    want_ssh = "OpenSSH_%s" % ssh_version

    def credit(ip, port, right):
        nonlocal wrong, dups
        key = (ip, port)
        if port == 80 and not in_net(ip, http_net) or port == 22 and not in_net(ip, ssh_net):
            wrong += 1
            return
        if right:
            if key in ok:
                dups += 1
            ok.add(key)

    if tool == "fastport":
        for line in open(path):
            if not line.strip():
                continue
            e = json.loads(line)
            if e.get("kind") != "service":
                continue
            s = e.get("service") or {}
            ip, port = e["target"]["ip"], int(e["target"]["port"])
            seen.add((ip, port))
            right = (port == 80 and s.get("name") == "http") or \
                (port == 22 and s.get("name") == "ssh" and s.get("version") == ssh_version)
            if not right and s.get("name") not in ("unknown", "tcpwrapped"):
                wrong += 1
            credit(ip, port, right)
    else:
        # masscan -oL: "banner tcp PORT IP TIME SERVICE TEXT"; one port can
        # have several banner lines (http, http.server, title).
        for line in open(path, errors="replace"):
            f = line.rstrip("\n").split(" ", 6)
            if len(f) < 6 or f[0] != "banner":
                continue
            port, ip, svc = int(f[2]), f[3], f[5]
            text = f[6] if len(f) > 6 else ""
            seen.add((ip, port))
            if port == 80 and svc == "http":
                credit(ip, port, True)
            elif port == 22 and svc == "ssh":
                right = text.startswith("SSH-2.0-" + want_ssh)
                if not right:
                    wrong += 1
                credit(ip, port, right)
    expected = http_net.num_addresses + ssh_net.num_addresses
    return {"expected": expected, "identified": len(ok), "recall": round(len(ok) / expected, 6),
            "http_identified": sum(1 for k in ok if k[1] == 80),
            "ssh_identified": sum(1 for k in ok if k[1] == 22),
            "ports_reported": len(seen), "wrong": wrong, "duplicates": dups}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("lab")
    a.add_argument("truth")
    a.add_argument("tool", choices=("fastport", "nmap"))
    a.add_argument("file")
    a.add_argument("--target", required=True)
    a.add_argument("--ports", required=True)
    b = sub.add_parser("scale")
    b.add_argument("tool", choices=("fastport", "masscan"))
    b.add_argument("file")
    b.add_argument("--http", required=True)
    b.add_argument("--ssh", required=True)
    b.add_argument("--ssh-version", required=True)
    c = sub.add_parser("first-last")
    c.add_argument("file")
    o = ap.parse_args(argv)
    if o.cmd == "lab":
        r = lab(o.truth, o.tool, o.file, o.target, {int(p) for p in o.ports.split(",")})
    elif o.cmd == "scale":
        r = scale(o.tool, o.file, o.http, o.ssh, o.ssh_version)
    else:
        r = first_last(o.file)
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
