#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark helpers: read the XDP sink's counters, and score a scanner's
output against the lab's ground truth (tests/lab/truth.py).

    score.py sink MAP_ID                      -> "packets first_ns last_ns"
    score.py score TOOL FILE --targets SPEC --ports P,.. [--cache DIR]
        TOOL: fastport (NDJSON), masscan (-oL), zmap (CSV saddr,sport,..),
        nmap (-oG). Prints one JSON object: open_expected, found (distinct
        open), recall, precision, duplicates, findings (sha256 of the sorted
        distinct findings with their states, for comparing builds).
"""
import hashlib
import json
import os
import pickle
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))
import truth  # noqa: E402


def sink(map_id):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "id", map_id],
                         check=True, capture_output=True, text=True).stdout
    n, first, last = 0, None, None
    for ent in json.loads(out):
        for v in ent["formatted"]["values"]:
            s = v["value"]
            if not s["n"]:
                continue
            n += s["n"]
            first = s["first"] if first is None else min(first, s["first"])
            last = s["last"] if last is None else max(last, s["last"])
    print(n, first or 0, last or 0)


def expected_open(targets, ports, cache):
    """The open (ip, port) pairs of the 'basic' scenario; truth.truth() is
    slow on a /16, so the set is kept in the cache directory."""
    key = hashlib.sha256(("basic|%s|%s" % (targets, ports)).encode()).hexdigest()[:16]
    path = os.path.join(cache, "truth-%s.pickle" % key) if cache else None
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            return pickle.load(f)
    exp = set()
    for ip in truth.addresses(targets, ""):
        for p in ports:
            if truth.truth("basic", ip, p)[0] == "open":
                exp.add((ip, p))
    if path:
        os.makedirs(cache, exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            pickle.dump(exp, f)
        os.replace(path + ".tmp", path)
    return exp


def parse(tool, path):
    """(ip, port, state) for every reported finding, repeats included."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if tool == "fastport":
                e = json.loads(line)
                if e.get("kind") == "port_state" and e["target"]["protocol"] == "tcp":
                    out.append((e["target"]["ip"], e["target"]["port"], e["result"]["state"]))
            elif tool == "masscan":
                # open tcp 80 198.19.0.1 1700000000
                f_ = line.split()
                if line.startswith("#") or len(f_) < 4 or f_[1] != "tcp":
                    continue
                out.append((f_[3], int(f_[2]), f_[0]))
            elif tool == "zmap":
                # saddr,sport,classification,success
                f_ = line.split(",")
                if f_[0] == "saddr" or len(f_) < 4:
                    continue
                st = "open" if f_[2] == "synack" else "closed"
                out.append((f_[0], int(f_[1]), st))
            elif tool == "nmap":
                # Host: 198.19.0.1 ()\tPorts: 22/open/tcp//ssh///, 80/closed/...
                if not line.startswith("Host:") or "Ports:" not in line:
                    continue
                ip = line.split()[1]
                ports = line.split("Ports:", 1)[1].split("\t")[0]
                for ent in ports.split(","):
                    p = ent.strip().split("/")
                    if len(p) > 2 and p[2] == "tcp":
                        out.append((ip, int(p[0]), p[1]))
            else:
                raise SystemExit("unknown tool " + tool)
    return out


def score(tool, path, targets, ports, cache):
    exp = expected_open(targets, ports, cache)
    rows = parse(tool, path)
    opens = [(ip, p) for ip, p, st in rows if st == "open"]
    got = set(opens)
    tp = len(exp & got)
    res = {
        "open_expected": len(exp),
        "found": len(got),
        "recall": tp / len(exp) if exp else 1.0,
        "precision": tp / len(got) if got else 1.0,
        "duplicates": len(opens) - len(got),
        "false_open": len(got - exp),
        "findings": hashlib.sha256("\n".join(
            "%s %d %s" % r for r in sorted(set(rows))).encode()).hexdigest()[:16],
        "distinct_findings": len(set(rows)),
    }
    print(json.dumps(res))


def main(argv):
    if argv[1] == "sink":
        sink(argv[2])
        return 0
    if argv[1] == "score":
        import argparse
        ap = argparse.ArgumentParser()
        ap.add_argument("tool")
        ap.add_argument("file")
        ap.add_argument("--targets", required=True)
        ap.add_argument("--ports", required=True)
        ap.add_argument("--cache")
        a = ap.parse_args(argv[2:])
        ports = []
        for tok in a.ports.split(","):
            lo, _, hi = tok.partition("-")
            ports.extend(range(int(lo), int(hi or lo) + 1))
        score(a.tool, a.file, a.targets, ports, a.cache)
        return 0
    raise SystemExit("usage: score.py sink MAP_ID | score TOOL FILE ...")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
