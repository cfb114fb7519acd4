# SPDX-License-Identifier: MIT
"""Checks fastport's nmap XML with nmap's own readers (run with /usr/bin/python3,
where Debian's python3-libnmap lives).

    nmap_xml_check.py truth SCENARIO XML EVENTS --targets SPEC --ports P,.. --states LIST
        python-libnmap reads XML; every host and port it sees must be the lab's
        ground truth (truth.py SCENARIO; "-": no truth, the events alone)
        over targets x ports for the states reported, nothing missing,
        nothing more; and each port must say what
        the scan's own events (NDJSON, EVENTS) say: state, reason in nmap's
        words, service name, product and version.
    nmap_xml_check.py same XML1 XML2
        python-libnmap reads the same hosts, ports, states and services in both.
    nmap_xml_check.py ndiff XML1 XML2
        runs nmap's ndiff --xml and prints one line per port it reports
        changed, as t_store's changes: "opened|closed|service_changed IP
        PROTO/PORT WHAT" (WHAT: "-", or for a service the parts that differ:
        version, product, name, cert_sha256 from the ssl-cert script).
Exit status 1 on any difference (the differences are printed).
"""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from libnmap.parser import NmapParser

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import truth  # noqa: E402

REASONS = {"syn-ack": "syn-ack", "connect": "syn-ack", "rst": "reset", "refused": "conn-refused",
           "icmp-port-unreachable": "port-unreach", "icmp-admin-prohibited": "admin-prohibited",
           "udp-reply": "udp-response", "quic-version-negotiation": "udp-response",
           "no-response": "no-response"}


def view(path):
    """{(ip, proto, port): (state, reason, service, product, version)} as libnmap reads it."""
    report = NmapParser.parse_fromfile(path)
    out = {}
    for h in report.hosts:
        if h.status != "up":
            raise SystemExit("%s: host %s is %s" % (path, h.address, h.status))
        for s in h.services:
            key = (h.address, s.protocol, s.port)
            if key in out:
                raise SystemExit("%s: %s twice" % (path, key))
            sd = s.service_dict
            out[key] = (s.state, s.reason, sd.get("name", ""), sd.get("product", ""),
                        sd.get("version", ""))
    return out


def events(path):
    st, svc = {}, {}
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e["kind"] not in ("port_state", "service"):
                continue
            t = e["target"]
            key = (t["ip"], "udp" if t["protocol"] == "quic" else t["protocol"], t["port"])
            if e["kind"] == "port_state":
                st[key] = e["result"]
            else:
                svc[key] = e["service"]
    return st, svc


def cmd_truth(a):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets")
    ap.add_argument("--ports")
    ap.add_argument("--states", default="open")
    o = ap.parse_args(a[3:])
    scen, xml, evpath = a[0], a[1], a[2]
    got = view(xml)
    states = set(o.states.split(","))
    ports = [int(p) for p in o.ports.split(",")] if o.ports else []
    want = {}
    for ip in truth.addresses(o.targets, None) if scen != "-" else ():
        for p in ports:
            state, _ = truth.truth(scen, ip, p)
            if state in states:
                want[(ip, "tcp", p)] = state
    if scen == "-":
        want = {k: v[0] for k, v in got.items()}
    bad = 0
    for k in sorted(set(want) | set(got)):
        if k not in got:
            print("missing from the XML: %s %s/%d (%s)" % (k[0], k[1], k[2], want[k]))
            bad += 1
        elif k not in want:
            print("not in the truth: %s %s/%d %s" % (k[0], k[1], k[2], got[k]))
            bad += 1
        elif got[k][0] != want[k]:
            print("%s %s/%d: XML %s, truth %s" % (k[0], k[1], k[2], got[k][0], want[k]))
            bad += 1
    st, svc = events(evpath)
    for k, v in got.items():
        r = st.get(k)
        s = svc.get(k, {})
        exp = (r["state"] if r else "open", REASONS.get(r["reason"], r["reason"]) if r else "syn-ack",
               s.get("name", "") if s.get("name") != "unknown" else "",
               s.get("product", ""), s.get("version", ""))
        if r is None and not s:
            print("%s: in the XML, not in the events" % (k,))
            bad += 1
        elif v != exp:
            print("%s: XML %s, events %s" % (k, v, exp))
            bad += 1
    if len(st) != len(set(st) | set(got)):
        print("%d port_state events, %d ports in the XML" % (len(st), len(got)))
        bad += 1
    hosts = len({k[0] for k in got})
    print("libnmap: %d hosts, %d ports, as %sthe events say%s" %
          (hosts, len(got), "the truth and " if scen != "-" else "",
           "" if not bad else " -- %d differences" % bad))
    return 1 if bad else 0


def cmd_same(a):
    x, y = view(a[0]), view(a[1])
    if x != y:
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k):
                print("%s: %s vs %s" % (k, x.get(k), y.get(k)))
        return 1
    print("libnmap: the same %d ports in both" % len(x))
    return 0


def cert_sha(elems):
    """The SHA-256 of an ssl-cert script's output (ndiff keeps the text;
    the line breaks of an attribute read as spaces)."""
    for elem in elems:
        for s in elem.iter("script"):
            if s.get("id") == "ssl-cert":
                m = re.search(r"SHA-256: ([0-9a-fA-F]+)", s.get("output") or "")
                if m:
                    return m.group(1)
    return None


def cmd_ndiff(a):
    """ndiff --xml: a <portdiff> holds either <a><port/></a><b><port/></b>
    (a port that appeared or disappeared: the side without it has a bare
    <port>), or one <port> whose differing parts come as <a>/<b> pairs."""
    r = subprocess.run(["ndiff", "--xml", a[0], a[1]], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit("ndiff failed (%d): %s" % (r.returncode, r.stderr))
    root = ET.fromstring(r.stdout)
    out = []
    for hd in root.iter("hostdiff"):
        addr = next(hd.iter("address")).get("addr")
        for pd in hd.iter("portdiff"):
            port = pd.find("port")
            if port is None:
                pa, pb = pd.find("a/port"), pd.find("b/port")
                where = "%s %s/%s" % (addr, pa.get("protocol"), pa.get("portid"))
                open_a = pa.find("state") is not None and pa.find("state").get("state") == "open"
                open_b = pb.find("state") is not None and pb.find("state").get("state") == "open"
                if open_b and not open_a:
                    out.append("opened %s -" % where)
                elif open_a and not open_b:
                    out.append("closed %s -" % where)
                else:
                    out.append("other %s -" % where)
                continue
            where = "%s %s/%s" % (addr, port.get("protocol"), port.get("portid"))
            sa, sb = port.find("a/service"), port.find("b/service")
            what = []
            if sa is not None or sb is not None:
                for attr in ("name", "product", "version"):
                    va = sa.get(attr) if sa is not None else None
                    vb = sb.get(attr) if sb is not None else None
                    if va != vb:
                        what.append(attr)
            if port.find("a/state") is not None or port.find("b/state") is not None:
                what.append("state")
            if cert_sha(port.findall("a")) != cert_sha(port.findall("b")):
                what.append("cert_sha256")
            out.append("service_changed %s %s" % (where, ",".join(what) or "-"))
    for line in sorted(out):
        print(line)
    return 0


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    return {"truth": cmd_truth, "same": cmd_same, "ndiff": cmd_ndiff}[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
