# SPDX-License-Identifier: MIT
"""Lab tests of the bindings: real scans, run only by tests/lab/t_python.sh
inside its namespaces (see conftest.py). The lab's facts come from the
environment: FASTPORT_LAB_TARGETS (a /24 that answers), FASTPORT_LAB_OPEN
(ports with listeners), FASTPORT_LAB_CLOSED (ports without)."""
import ipaddress
import json
import os
import time

import pytest

import fastport

pytestmark = pytest.mark.lab

TARGETS = os.environ.get("FASTPORT_LAB_TARGETS", "198.19.0.0/24")
OPEN = [int(p) for p in os.environ.get("FASTPORT_LAB_OPEN", "22,80,8080").split(",")]
CLOSED = [int(p) for p in os.environ.get("FASTPORT_LAB_CLOSED", "81").split(",")]
SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                      "threat_event_v1.schema.json")


@pytest.fixture(scope="module")
def validate():
    try:
        import jsonschema
    except ImportError:
        return lambda ev: None
    with open(SCHEMA) as f:
        v = jsonschema.Draft202012Validator(json.load(f))
    return v.validate


def findings(events):
    out = {}
    for ev in events:
        if ev["kind"] == "port_state":
            key = (ev["target"]["ip"], ev["target"]["port"], ev["target"]["protocol"])
            assert key not in out, "duplicate finding %r" % (key,)
            out[key] = ev["result"]["state"]
    return out


def test_range_scan_incremental(validate):
    addrs = [str(a) for a in ipaddress.ip_network(TARGETS)]
    ports = OPEN + CLOSED
    # 256 x 4 probes at 2000 pps: sending alone takes half a second.
    s = fastport.scan(TARGETS, ports, rate=2000, retries=1, wait=1, telemetry=0.2,
                      states="open,closed", allow_reserved=True, seed=7)
    events, seen = [], []
    with s:
        for ev in s:
            validate(ev)
            events.append(ev)
            seen.append((time.monotonic(), s.running))
    kinds = [ev["kind"] for ev in events]
    assert kinds[0] == "scan_started" and kinds[-1] == "scan_completed"
    assert kinds.count("scan_completed") == 1
    first = kinds.index("port_state")
    # Incremental: the first finding reached us while the scan still ran,
    # well before its end.
    assert seen[first][1], "first port_state arrived after the scan had ended"
    assert seen[first][0] < seen[-1][0] - 0.3
    assert "telemetry" in kinds[first:]
    got = findings(events)
    want = {(a, p, "tcp"): "open" for a in addrs for p in OPEN}
    want.update({(a, p, "tcp"): "closed" for a in addrs for p in CLOSED})
    assert got == want
    st = s.stats()
    assert st["open"] == len(addrs) * len(OPEN)
    assert st["closed"] == len(addrs) * len(CLOSED)
    assert st["sent"] >= len(addrs) * len(ports)
    assert st["planned"] == len(addrs) * len(ports)


def test_open_only_by_default():
    net = ipaddress.ip_network(TARGETS)
    first8 = "%s-%s" % (net[0], net[7])
    got = findings(fastport.scan(first8, OPEN + CLOSED, rate=5000, wait=1,
                                 allow_reserved=True, telemetry=0))
    assert got == {(str(net[i]), p, "tcp"): "open" for i in range(8) for p in OPEN}


@pytest.mark.parametrize("path", ["ring", "xdp"])
def test_send_path(path):
    net = ipaddress.ip_network(TARGETS)
    first8 = "%s-%s" % (net[0], net[7])
    events = list(fastport.scan(first8, OPEN + CLOSED, rate=5000, wait=1, allow_reserved=True,
                                telemetry=0, send_path=path))
    assert events[0]["kind"] == "scan_started"
    assert events[0]["scan"]["send_path"] == path
    assert findings(events) == {(str(net[i]), p, "tcp"): "open" for i in range(8) for p in OPEN}


def test_scan_batch(validate):
    net = ipaddress.ip_network(TARGETS)
    items = [(net[1], OPEN[0]), (str(net[2]), CLOSED[0], "tcp"), (str(net[3]), OPEN[-1], 0)]
    events = []
    with fastport.scan_batch(items, states="all", rate=1000, wait=1, allow_reserved=True,
                             telemetry=0) as s:
        for ev in s:
            validate(ev)
            events.append(ev)
    assert findings(events) == {
        (str(net[1]), OPEN[0], "tcp"): "open",
        (str(net[2]), CLOSED[0], "tcp"): "closed",
        (str(net[3]), OPEN[-1], "tcp"): "open",
    }
    assert s.stats()["planned"] == 3


def test_batch_exclude():
    net = ipaddress.ip_network(TARGETS)
    s = fastport.scan_batch([(net[1], OPEN[0]), (net[2], OPEN[0])], exclude=str(net[2]),
                            rate=1000, wait=1, allow_reserved=True, telemetry=0)
    assert findings(s) == {(str(net[1]), OPEN[0], "tcp"): "open"}
    assert s.stats()["excluded"] == 1


def test_close_early_stops_scan():
    # 65536 probes at 1000 pps would take over a minute.
    wide = str(ipaddress.ip_network(TARGETS).supernet(new_prefix=16))
    s = fastport.scan(wide, OPEN[0], rate=1000, retries=0, wait=1, allow_reserved=True,
                      telemetry=0)
    got = 0
    for ev in s:
        if ev["kind"] == "port_state":
            got += 1
            if got == 3:
                break
    assert s.running
    t0 = time.monotonic()
    s.close()
    assert time.monotonic() - t0 < 5
    assert not s.running
    st = s.stats()
    assert 3 <= st["sent"] < st["planned"] / 4, st
    with pytest.raises(StopIteration):
        next(s)


def test_interrupted_flag_when_consumer_breaks_with():
    wide = str(ipaddress.ip_network(TARGETS).supernet(new_prefix=16))
    t0 = time.monotonic()
    with fastport.scan(wide, OPEN[0], rate=1000, wait=1, allow_reserved=True) as s:
        for ev in s:
            if ev["kind"] == "port_state":
                break
    assert not s.running and time.monotonic() - t0 < 10


def test_service_scan(validate):
    """service_scan: every open TCP port gets exactly one "service" event.
    The lab's listeners accept and never say a word, so each is "unknown":
    nothing is named from the port number (22 is not called ssh)."""
    net = ipaddress.ip_network(TARGETS)
    first4 = "%s-%s" % (net[0], net[3])
    events = list(fastport.scan(first4, OPEN + CLOSED, rate=5000, wait=1, allow_reserved=True,
                                service_scan=True, sv_timeout=1))
    for ev in events:
        validate(ev)
    opened = {k for k, st in findings(events).items() if st == "open"}
    assert opened == {(str(net[i]), p, "tcp") for i in range(4) for p in OPEN}
    services = {}
    for ev in events:
        if ev["kind"] == "service":
            key = (ev["target"]["ip"], ev["target"]["port"], ev["target"]["protocol"])
            assert key not in services, "two service events for %r" % (key,)
            services[key] = ev["service"]
    assert set(services) == opened
    assert {s["name"] for s in services.values()} == {"unknown"}
    kinds = [ev["kind"] for ev in events]
    assert kinds[-1] == "scan_completed"
