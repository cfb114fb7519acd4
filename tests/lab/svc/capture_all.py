# SPDX-License-Identifier: MIT
"""Sends every probe of the probe database to every port of the service lab.

  capture_all.py TRUTH.json OUT.ndjson [--db FILE] [--addr ADDR]

Run in the SCANNER namespace. For each truth port and address, sends each
probe (the null probe included) and writes one JSON line per answer with
the port's truth (for tools/svc-dbcheck). TLS ports are captured inside
TLS. At most four connections per port at a time (sshd's MaxStartups and
the like stay out of the way); ports run in parallel.
"""
import argparse
import base64
import concurrent.futures as cf
import importlib.machinery
import json
import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
CAP = importlib.machinery.SourceFileLoader(
    "svc_capture", os.path.join(ROOT, "tools", "svc-capture")).load_module()
DBC = importlib.machinery.SourceFileLoader(
    "svc_dbcheck", os.path.join(ROOT, "tools", "svc-dbcheck")).load_module()
TRUTH_KEYS = ("service", "product", "version", "product_announced", "version_announced",
              "package", "package_version", "kind", "tunnel")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("out")
    ap.add_argument("--db", default=os.path.join(ROOT, "data", "service-probes.db"))
    ap.add_argument("--addr", action="append")
    a = ap.parse_args()
    truth = json.load(open(a.truth))
    probes, _ = DBC.parse_db(a.db)
    addrs = a.addr or truth["targets"]
    lock = threading.Lock()
    out = open(a.out, "w")
    fails = []

    def one(host, e, name):
        payload = probes[name]["send"]
        hosttxt = f"[{host}]" if ":" in host else host
        payload = payload.replace(b"{host}", hosttxt.encode()).replace(b"{version}", b"lab")
        tls = e.get("tunnel") == "ssl"
        wait = min(int(probes[name].get("wait", 2000)), 2000) / 1000
        try:
            data, end, _ = CAP.exchange(host, e["port"], payload, tls=tls, wait=wait, idle=0.3)
        except OSError as x:
            with lock:
                fails.append(f"{host} port {e['port']} probe {name}: {x}")
            return
        rec = {"host": host, "port": e["port"], "probe": name, "tls": tls, "end": end,
               "answer": CAP.escape(data[:200]),
               "answer_b64": base64.b64encode(data).decode()}
        rec.update({k: e.get(k) for k in TRUTH_KEYS})
        with lock:
            out.write(json.dumps(rec) + "\n")

    def port_job(host, e):
        with cf.ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda n: one(host, e, n), probes))

    with cf.ThreadPoolExecutor(64) as ex:
        futs = [ex.submit(port_job, h, e) for h in addrs for e in truth["ports"]]
        for f in futs:
            f.result()
    out.close()
    for f in fails:
        print("capture_all: " + f, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
