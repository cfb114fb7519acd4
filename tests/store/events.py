#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""threat_event_v1 NDJSON for the store's tests.

events.py spec < SPEC      one scan from a compact description, one item a line:
    scan ID TIME [K/N]                 scan_started (TIME: 2026-01-01T00:00:00)
    port IP PORT PROTO STATE           port_state
    svc IP PORT PROTO NAME PRODUCT VERSION [SHA256]   service ('-': absent)
    end [interrupted]                  scan_completed
events.py grid ID NET HOSTS PORTS [TIME]   scan_started, HOSTS x PORTS open TCP
    port_state events of NET.x.y (the /16 x 5 figure: 65536 hosts, 5 ports),
    scan_completed
"""
import json
import sys

SENSOR = {"name": "fastport", "version": "0.1.0", "build_id": "00", "build_mode": "fast"}


class Scan:
    def __init__(self, sid, t):
        self.sid, self.t, self.seq = sid, t, 0

    def head(self, kind):
        us = self.seq % 1000000
        e = {"schema": "threat_event_v1", "event_id": "%s-%d" % (self.sid, self.seq),
             "time": "%s.%06dZ" % (self.t, us), "kind": kind, "scan_id": self.sid,
             "sensor": SENSOR}
        self.seq += 1
        return e


def out(e):
    sys.stdout.write(json.dumps(e, separators=(",", ":")) + "\n")


def spec():
    s = None
    for line in sys.stdin:
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        if w[0] == "scan":
            s = Scan(w[1], w[2])
            e = s.head("scan_started")
            e["scan"] = {"probes": 1, "shard": w[3] if len(w) > 3 else "1/1"}
        elif w[0] == "port":
            e = s.head("port_state")
            e["target"] = {"ip": w[1], "port": int(w[2]), "protocol": w[3]}
            e["result"] = {"state": w[4], "reason": "syn-ack" if w[4] == "open" else "rst"}
            if w[3] == "udp" and w[4] == "open":
                e["result"]["reason"] = "udp-response"
            # port IP PORT udp open SERVICE [PRODUCT [VERSION]]: a UDP reply
            # parsed as its protocol.
            for k, v in zip(("service", "product", "version"), w[5:8]):
                e["result"][k] = v
        elif w[0] == "svc":
            e = s.head("service")
            e["target"] = {"ip": w[1], "port": int(w[2]), "protocol": w[3]}
            svc = {"name": w[4]}
            if w[5] != "-":
                svc["product"] = w[5]
            if w[6] != "-":
                svc["version"] = w[6]
            svc["cpe"] = []
            if len(w) > 7 and w[7] != "-":
                svc["tls"] = {"version": "TLSv1.3", "sha256": w[7]}
            e["service"] = svc
        elif w[0] == "end":
            e = s.head("scan_completed")
            e["counters"] = {"sent": 1, "received": 1, "dropped": 0, "rate": 0, "progress": 1}
            e["interrupted"] = len(w) > 1 and w[1] == "interrupted"
        else:
            sys.exit("events.py: unknown item %r" % w[0])
        out(e)


def grid(sid, net, hosts, ports, t="2026-01-01T00:00:00"):
    s = Scan(sid, t)
    ports = [int(p) for p in ports.split(",")]
    e = s.head("scan_started")
    e["scan"] = {"probes": hosts * len(ports), "shard": "1/1"}
    out(e)
    w = sys.stdout.write
    for h in range(hosts):
        ip = "%s.%d.%d" % (net, h >> 8, h & 255)
        for p in ports:
            e = s.head("port_state")
            e["target"] = {"ip": ip, "port": p, "protocol": "tcp"}
            e["result"] = {"state": "open", "reason": "syn-ack", "ttl": 64, "rtt_us": 153}
            w(json.dumps(e, separators=(",", ":")) + "\n")
    e = s.head("scan_completed")
    e["counters"] = {"sent": hosts * len(ports), "received": hosts * len(ports), "dropped": 0,
                     "rate": 0, "progress": 1}
    e["interrupted"] = False
    out(e)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "spec":
        spec()
    elif len(sys.argv) >= 6 and sys.argv[1] == "grid":
        grid(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], *sys.argv[6:7])
    else:
        sys.exit(__doc__)
