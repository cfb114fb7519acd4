# SPDX-License-Identifier: MIT
"""Shared by the lab cases that check one target's findings in detail
(t_quic.sh, t_udp_quic.sh): load() reads a scan's events for one address,
want() collects failed expectations, done() exits with the verdict."""
import json
import sys

_ok = True


def load(path, target):
    """The port_state results by "PORT/PROTO" (each once, all for target)
    and scan_completed's counters; both printed for the log."""
    found, counters = {}, None
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e["kind"] == "port_state":
                t, r = e["target"], e["result"]
                key = "%d/%s" % (t["port"], t["protocol"])
                assert t["ip"] == target, e
                assert key not in found, "duplicate %s" % key
                found[key] = r
            elif e["kind"] == "scan_completed":
                counters = e["counters"]
    for k in sorted(found):
        print("%s %s: %s" % (target, k, json.dumps(found[k], sort_keys=True)))
    print("%s counters: %s" % (target, json.dumps(counters, sort_keys=True)))
    return found, counters


def want(cond, what):
    global _ok
    if not cond:
        print("FAIL: " + what)
        _ok = False


def done():
    sys.exit(0 if _ok else 1)
