# SPDX-License-Identifier: MIT
"""Compares a scan's service events with the service lab's ground truth.

  svc_truth.py TRUTH.json EVENTS.ndjson [--targets IP,...] [--ports P,...] [-q]

TRUTH.json is $LAB_TMP/svc_truth.json written by tests/lab/svc/lab.sh;
EVENTS.ndjson is fastport's output (threat_event_v1; only kind "service"
is read: target.ip, target.port, service.name/tunnel/product/version/tls).
--targets and --ports limit the check to what the scan covered (default:
every truth address and port).

For every (address, port):
  name      must equal the truth; a port that is no service (silent,
            tarpit, reset) must be absent or one of the names its truth
            allows (silent: unknown; tarpit: unknown or tcpwrapped; reset:
            tcpwrapped or unknown) and carry no product or version;
  tunnel    "ssl" where the truth says so;
  product   must equal the truth where the daemon announces it (absent or
            equal where it does not);
  version   the installed upstream version, likewise;
  tls       on TLS ports: the certificate subject (RDNs compared as a set,
            so "CN=a,O=b" equals "O=b,CN=a") and SANs (as a set of values,
            with or without "DNS:"/"IP:" prefixes; IPs compared as
            addresses); if a STARTTLS port reports tls, the same.
Prints recall (right / expected) and precision (right / reported) per
field and every mismatch; exits 1 on any mismatch or duplicate event, 2 on
bad input.
"""
import argparse
import ipaddress
import json
import re
import sys


def rdns(subject):
    if subject is None:
        return None
    parts = re.split(r"(?<!\\)[,/]\s*", subject.strip("/"))
    return {p.strip() for p in parts if p.strip()}


def sanset(sans):
    out = set()
    for s in sans or []:
        v = re.sub(r"^(DNS|IP|IP Address|email|URI):", "", str(s)).strip()
        try:
            v = str(ipaddress.ip_address(v))
        except ValueError:
            v = v.lower()
        out.add(v)
    return out


def norm_ip(ip):
    return str(ipaddress.ip_address(ip))


def load_events(path):
    events, dups = {}, []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                e = json.loads(line)
            except ValueError as x:
                raise SystemExit(f"svc_truth: {path}:{n}: not JSON: {x}")
            if e.get("kind") != "service":
                continue
            t = e.get("target") or {}
            try:
                key = (norm_ip(t["ip"]), int(t["port"]))
            except (KeyError, ValueError, TypeError):
                raise SystemExit(f"svc_truth: {path}:{n}: service event without target ip/port")
            if key in events:
                dups.append(key)
            events[key] = e.get("service") or {}
    return events, dups


class Field:
    def __init__(self):
        self.expected = self.reported = self.right = 0

    def line(self, name):
        r = self.right / self.expected if self.expected else 1.0
        p = self.right / self.reported if self.reported else 1.0
        return (f"{name:<8} recall {self.right}/{self.expected} = {r:.3f}   "
                f"precision {self.right}/{self.reported} = {p:.3f}")


def check(truth, events, targets, ports):
    f = {k: Field() for k in ("name", "product", "version", "tls")}
    bad = []
    for ip in targets:
        for t in truth["ports"]:
            if ports and t["port"] not in ports:
                continue
            where = f"{ip} port {t['port']}"
            ev = events.get((norm_ip(ip), t["port"]))
            name = ev.get("name") if ev else None
            if t.get("service") is None:
                # Not a service: absent or an allowed non-name, nothing more.
                if ev is None:
                    continue
                f["name"].reported += 1
                if name in t["allowed"] and not ev.get("product") and not ev.get("version"):
                    f["name"].right += 1
                    f["name"].expected += 1
                else:
                    bad.append(f"{where} ({t['kind']}): reported as {name!r} "
                               f"{ev.get('product') or ''} {ev.get('version') or ''}".rstrip())
                continue
            f["name"].expected += 1
            if ev is None:
                bad.append(f"{where}: no service event (truth {t['service']})")
                continue
            f["name"].reported += 1
            if name == t["service"]:
                f["name"].right += 1
            else:
                bad.append(f"{where}: name {name!r}, truth {t['service']!r}")
            if t.get("tunnel") and ev.get("tunnel") != t["tunnel"]:
                bad.append(f"{where}: tunnel {ev.get('tunnel')!r}, truth {t['tunnel']!r}")
            for k in ("product", "version"):
                got, want = ev.get(k) or None, t.get(k)
                announced = t.get(f"{k}_announced")
                if announced:
                    f[k].expected += 1
                if got is not None:
                    f[k].reported += 1
                if got is not None and got == want:
                    f[k].right += 1
                elif got is not None:
                    bad.append(f"{where}: {k} {got!r}, truth {want!r}")
                elif announced:
                    bad.append(f"{where}: no {k} (truth {want!r}, announced)")
            want_tls = t.get("tls") or (t.get("starttls") if ev.get("tls") else None)
            if want_tls:
                if t.get("tls"):
                    f["tls"].expected += 1
                got = ev.get("tls")
                if not got:
                    bad.append(f"{where}: no tls (truth subject {want_tls['subject']!r})")
                    continue
                f["tls"].reported += 1
                ok = True
                if rdns(got.get("subject")) != rdns(want_tls["subject"]):
                    bad.append(f"{where}: tls subject {got.get('subject')!r}, truth "
                               f"{want_tls['subject']!r}")
                    ok = False
                if sanset(got.get("san")) != sanset(want_tls["san"]):
                    bad.append(f"{where}: tls san {got.get('san')}, truth {want_tls['san']}")
                    ok = False
                if ok and t.get("tls"):
                    f["tls"].right += 1
    return f, bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("truth")
    ap.add_argument("events")
    ap.add_argument("--targets", help="comma list of addresses the scan covered")
    ap.add_argument("--ports", help="comma list of ports the scan covered")
    ap.add_argument("-q", action="store_true", help="print only mismatches and the verdict")
    a = ap.parse_args(argv)
    try:
        truth = json.load(open(a.truth))
    except (OSError, ValueError) as x:
        print(f"svc_truth: {a.truth}: {x}", file=sys.stderr)
        return 2
    targets = a.targets.split(",") if a.targets else truth["targets"]
    ports = {int(p) for p in a.ports.split(",")} if a.ports else None
    events, dups = load_events(a.events)
    fields, bad = check(truth, events, targets, ports)
    for d in dups:
        bad.append(f"{d[0]} port {d[1]}: more than one service event")
    if not a.q:
        for k, v in fields.items():
            print("svc_truth: " + v.line(k))
    for b in bad:
        print("svc_truth: MISMATCH " + b)
    print(f"svc_truth: {'FAIL' if bad else 'ok'}: {len(bad)} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
