# SPDX-License-Identifier: MIT
"""Unit tests of tests/lab/svc_truth.py on hand-made NDJSON (no lab, no root).

  python3 -m pytest tests/lab/svc/test_svc_truth.py   (or run it directly)
The truth is a lab run's svc_truth.json kept in fixtures/.
"""
import copy
import importlib.util
import io
import json
import os
import contextlib
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("svc_truth", os.path.join(HERE, "..", "svc_truth.py"))
ST = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ST)
TRUTH = os.path.join(HERE, "fixtures", "svc_truth.json")


def perfect():
    """Service events a perfect scan would give, both lab addresses."""
    truth = json.load(open(TRUTH))
    evs = []
    for ip in truth["targets"]:
        for t in truth["ports"]:
            if t.get("service") is None:
                if t["kind"] == "silent":
                    evs.append({"kind": "service", "target": {"ip": ip, "port": t["port"], "protocol": "tcp"},
                                "service": {"name": "unknown", "method": "none", "banner": ""}})
                continue  # tarpit, reset: absent is fine
            s = {"name": t["service"], "method": "probe"}
            if t["product_announced"]:
                s["product"] = t["product"]
            if t["version_announced"]:
                s["version"] = t["version"]
            if t.get("tunnel"):
                s["tunnel"] = t["tunnel"]
                # Subject in the other order and SANs without prefixes, IPv6 expanded.
                tls = t["tls"]
                s["tls"] = {"subject": ",".join(reversed(tls["subject"].split(","))),
                            "san": [x.split(":", 1)[1] if not x.startswith("IP:2001")
                                    else "2001:2:0:1:0:0:0:2" for x in tls["san"]]}
            evs.append({"kind": "service", "target": {"ip": ip, "port": t["port"], "protocol": "tcp"},
                        "service": s})
    evs.append({"kind": "scan_completed"})
    return evs


def run(evs, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as f:
        for e in evs:
            f.write(json.dumps(e) + "\n")
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            rc = ST.main([TRUTH, f.name, *args])
    finally:
        os.unlink(f.name)
    return rc, out.getvalue()


def find(evs, port, ip="198.19.2.2"):
    for e in evs:
        if e.get("target", {}).get("port") == port and e["target"]["ip"] == ip:
            return e
    raise KeyError(port)


def test_perfect_scan_passes():
    rc, out = run(perfect())
    assert rc == 0, out
    assert "name     recall 52/52" in out or "recall" in out


def test_wrong_version_fails():
    evs = perfect()
    find(evs, 22)["service"]["version"] = "9.2"
    rc, out = run(evs)
    assert rc == 1 and "port 22: version '9.2'" in out


def test_missing_announced_version_fails():
    evs = perfect()
    del find(evs, 80)["service"]["version"]
    rc, out = run(evs)
    assert rc == 1 and "no version" in out


def test_hidden_version_may_be_absent_or_right_but_not_wrong():
    evs = perfect()
    pg = find(evs, 5432)["service"]
    rc, _ = run(evs)
    assert rc == 0
    truth = json.load(open(TRUTH))
    pg["version"] = [t for t in truth["ports"] if t["port"] == 5432][0]["version"]
    assert run(evs)[0] == 0
    pg["version"] = "9.6"
    assert run(evs)[0] == 1


def test_silent_port_named_fails():
    evs = perfect()
    find(evs, 9999)["service"].update({"name": "ssh", "method": "soft"})
    rc, out = run(evs)
    assert rc == 1 and "(silent)" in out


def test_tarpit_and_reset_may_be_unknown_or_tcpwrapped():
    evs = perfect()
    for port, name in ((9998, "unknown"), (9997, "tcpwrapped")):
        evs.append({"kind": "service", "target": {"ip": "198.19.2.2", "port": port, "protocol": "tcp"},
                    "service": {"name": name, "method": "none"}})
    assert run(evs)[0] == 0
    evs[-1]["service"]["name"] = "http"
    assert run(evs)[0] == 1


def test_tls_san_and_subject_checked():
    evs = perfect()
    find(evs, 443)["service"]["tls"]["san"].pop()
    rc, out = run(evs)
    assert rc == 1 and "tls san" in out
    evs = perfect()
    find(evs, 443)["service"]["tls"]["subject"] = "CN=other.example"
    rc, out = run(evs)
    assert rc == 1 and "tls subject" in out
    evs = perfect()
    del find(evs, 993)["service"]["tls"]
    assert run(evs)[0] == 1


def test_missing_port_and_duplicates_fail():
    evs = perfect()
    evs.remove(find(evs, 6379))
    rc, out = run(evs)
    assert rc == 1 and "port 6379: no service event" in out
    evs = perfect()
    evs.append(copy.deepcopy(find(evs, 21)))
    rc, out = run(evs)
    assert rc == 1 and "more than one" in out


def test_limits_to_what_was_scanned():
    evs = [e for e in perfect() if e.get("target", {}).get("ip") == "198.19.2.2"
           and e["target"]["port"] in (22, 80)]
    assert run(evs)[0] == 1
    assert run(evs, "--targets", "198.19.2.2", "--ports", "22,80")[0] == 0


def test_wrong_name_fails_and_counts():
    evs = perfect()
    find(evs, 8080)["service"]["name"] = "http-proxy"
    rc, out = run(evs)
    assert rc == 1 and "name 'http-proxy'" in out and "precision" in out


if __name__ == "__main__":
    n = 0
    for k, v in sorted(globals().items()):
        if k.startswith("test_"):
            v()
            n += 1
    print(f"test_svc_truth: {n} tests passed")
