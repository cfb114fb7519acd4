# SPDX-License-Identifier: MIT
"""Lab ground truth: one description of a target namespace's behaviour that
both becomes its nft ruleset and predicts every port's state.

    truth.py nft SCENARIO            print the nft ruleset
    truth.py listen SCENARIO         print the TCP ports to listen on
    truth.py validate EVENTS         validate every event of an NDJSON file
    truth.py check SCENARIO EVENTS [--targets SPEC] [--ports P,..] [--exclude SPEC]
                   [--min-recall R] [--states LIST] [--allow-loss]
                   [--method raw|connect]
        compare the port_state events in EVENTS (NDJSON) with the truth over
        targets x ports minus excludes; validate every event against the
        schema; print figures; exit 1 on any difference.

States are the same for every scan method; reasons name what the method
saw. A connect() scan (--method connect) reports "connect" for a completed
handshake (raw: syn-ack), "refused" for a RST (raw: rst) and "timeout" when
no answer came after the retries (raw: no-response); ICMP errors keep the
raw names (icmp-admin-prohibited, icmp-port-unreachable, ...) because it
reads them from the socket's error queue. With --method connect the
timeout reason is checked too: it is decided per probe, not inferred.
"""
import ipaddress
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "docs", "threat_event_v1.schema.json")

# A rule: (network, (mask, value) or None, port, action). First match wins,
# as in the nft chain. Actions: drop (filtered, no-response), reset (closed,
# rst), admin (filtered, icmp-admin-prohibited), unreach (filtered,
# icmp-port-unreachable). Unmatched: open when listened on, else closed.
SCENARIOS = {
    "basic": {
        "listen": [22, 80, 443, 8080],
        "rules": [
            ("198.19.1.0/24", None, 80, "drop"),
            ("198.19.2.0/24", None, 443, "admin"),
            ("198.19.3.0/24", None, 22, "reset"),
            ("198.19.0.0/16", (7, 5), 22, "drop"),
            ("198.19.0.0/16", (15, 9), 8080, "unreach"),
            ("198.19.128.0/17", None, 8080, "reset"),
            ("198.19.4.0/22", None, 9000, "drop"),
            ("198.19.64.0/18", (3, 2), 443, "admin"),
        ],
    },
    "demo": {
        "listen": [22, 80, 443],
        "rules": [
            ("198.19.0.0/24", (3, 1), 80, "drop"),
            ("198.19.0.0/24", (7, 2), 443, "admin"),
        ],
    },
}

ACTION = {
    "drop": ("filtered", "no-response"),
    "reset": ("closed", "rst"),
    "admin": ("filtered", "icmp-admin-prohibited"),
    "unreach": ("filtered", "icmp-port-unreachable"),
}
# Reasons of a connect() scan for the raw-scan reasons that differ.
METHOD_REASON = {
    "raw": {},
    "connect": {"syn-ack": "connect", "rst": "refused", "no-response": "timeout"},
}
NFT_VERDICT = {
    "drop": "drop",
    "reset": "reject with tcp reset",
    "admin": "reject with icmp type admin-prohibited",
    "unreach": "reject with icmp type port-unreachable",
}


def nft(name):
    sc = SCENARIOS[name]
    lines = ["table inet fptruth {", " chain input {",
             "  type filter hook input priority 0; policy accept;"]
    for net, mask, port, action in sc["rules"]:
        m = ""
        if mask:
            m = " ip daddr & 0.0.0.%d == 0.0.0.%d" % mask
        lines.append("  ip daddr %s%s tcp dport %d %s" % (net, m, port, NFT_VERDICT[action]))
    lines += [" }", "}"]
    return "\n".join(lines)


_RULES = {}


def _rules(name):
    """The scenario's rules with their networks as integer ranges, parsed once."""
    if name not in _RULES:
        rules = []
        for net, mask, rport, action in SCENARIOS[name]["rules"]:
            n = ipaddress.ip_network(net)
            rules.append((int(n.network_address), int(n.broadcast_address), mask, rport, action))
        _RULES[name] = rules
    return _RULES[name]


def truth(name, ip, port):
    a = int(ipaddress.ip_address(ip))
    for lo, hi, mask, rport, action in _rules(name):
        if rport != port or not lo <= a <= hi:
            continue
        if mask and (a & mask[0]) != mask[1]:
            continue
        return ACTION[action]
    return ("open", "syn-ack") if port in SCENARIOS[name]["listen"] else ("closed", "rst")


def parse_spec(spec):
    nets = []
    for tok in spec.replace(",", " ").split():
        if "-" in tok:
            lo, hi = tok.split("-")
            nets.extend(ipaddress.summarize_address_range(ipaddress.ip_address(lo),
                                                          ipaddress.ip_address(hi)))
        else:
            nets.append(ipaddress.ip_network(tok, strict=False))
    return nets


def addresses(targets, excludes):
    ex = parse_spec(excludes) if excludes else []
    for net in parse_spec(targets):
        for a in net:
            if not any(a in e for e in ex):
                yield str(a)


def validator():
    """A function that raises SystemExit naming the first schema violation of
    an event. Every event is checked: with fastjsonschema (the schema compiled
    to Python; it uses no keyword beyond draft 7, so the meaning is the same)
    when it is installed, as it is about nine times faster (2.7 s against
    24 s for the 327,683 events of a /16 x 5 scan), else with jsonschema's
    2020-12 validator.
    The first event of each kind always goes through jsonschema too."""
    import jsonschema
    with open(SCHEMA) as f:
        schema = json.load(f)
    full = jsonschema.Draft202012Validator(schema)
    try:
        import fastjsonschema
        fast = fastjsonschema.compile(schema)
    except ImportError:
        fast = None
    kinds = set()

    def check_one(n, ev):
        errs = []
        if fast is None or ev.get("kind") not in kinds:
            kinds.add(ev.get("kind"))
            errs = [e.message for e in full.iter_errors(ev)]
        if not errs and fast is not None:
            try:
                fast(ev)
            except fastjsonschema.JsonSchemaException as e:
                errs = [e.message]
        if errs:
            raise SystemExit("FAIL: line %d does not validate: %s" % (n, errs[0]))
    return check_one


def load_events(path):
    validate = validator()
    events = []
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        raise SystemExit("FAIL: the last line is not terminated (torn output)")
    for n, line in enumerate(data.decode().splitlines(), 1):
        try:
            ev = json.loads(line)
        except ValueError as e:
            raise SystemExit("FAIL: line %d is not JSON: %s" % (n, e))
        validate(n, ev)
        events.append(ev)
    return events


def check(name, path, targets, ports, excludes, states, min_recall, method="raw"):
    events = load_events(path)
    kinds = [e["kind"] for e in events]
    seen = {}
    dups = 0
    for e in events:
        if e["kind"] != "port_state":
            continue
        key = (e["target"]["ip"], e["target"]["port"], e["target"]["protocol"])
        if key in seen:
            dups += 1
        seen[key] = (e["result"]["state"], e["result"]["reason"])
    expect = {}
    for ip in addresses(targets, excludes):
        for p in ports:
            st = truth(name, ip, p)
            st = (st[0], METHOD_REASON[method].get(st[1], st[1]))
            if st[0] in states:
                expect[(ip, p, "tcp")] = st
    open_exp = {k for k, v in expect.items() if v[0] == "open"}
    open_got = {k for k, v in seen.items() if v[0] == "open"}
    tp = len(open_exp & open_got)
    recall = tp / len(open_exp) if open_exp else 1.0
    precision = tp / len(open_got) if open_got else 1.0
    out_of_scope = [k for k in seen if k not in expect]
    wrong = [(k, seen[k], expect[k]) for k in seen if k in expect and seen[k][0] != expect[k][0]]
    wrong_reason = [(k, seen[k], expect[k]) for k in seen if k in expect and seen[k] != expect[k]
                    and seen[k][0] == expect[k][0] and expect[k][1] != "no-response"]
    missing = [k for k in expect if k not in seen]
    print("events=%d expected=%d reported=%d open_expected=%d recall=%.6f precision=%.6f "
          "duplicates=%d wrong_state=%d wrong_reason=%d missing=%d out_of_scope=%d"
          % (len(events), len(expect), len(seen), len(open_exp), recall, precision, dups,
             len(wrong), len(wrong_reason), len(missing), len(out_of_scope)))
    fail = []
    if kinds[:1] != ["scan_started"] or kinds[-1:] != ["scan_completed"]:
        fail.append("events must start with scan_started and end with scan_completed")
    if dups:
        fail.append("duplicate port_state events")
    if out_of_scope:
        fail.append("findings outside the scan: %s" % out_of_scope[:5])
    if precision < 1.0:
        fail.append("false open ports")
    if min_recall is None:
        if recall < 1.0 or wrong or missing:
            fail.append("differs from ground truth: wrong %s missing %s"
                        % (wrong[:5], missing[:5]))
        if wrong_reason:
            fail.append("wrong reasons: %s" % wrong_reason[:5])
    elif recall < min_recall:
        fail.append("recall %.6f below %.6f" % (recall, min_recall))
    for f in fail:
        print("FAIL:", f)
    return 1 if fail else 0


def main(argv):
    cmd, name = argv[1], argv[2]
    if cmd == "nft":
        print(nft(name))
        return 0
    if cmd == "validate":
        evs = load_events(name)
        print("%d events valid" % len(evs))
        return 0
    if cmd == "listen":
        print(" ".join(str(p) for p in SCENARIOS[name]["listen"]))
        return 0
    if cmd == "check":
        import argparse
        ap = argparse.ArgumentParser()
        ap.add_argument("events")
        ap.add_argument("--targets", required=True)
        ap.add_argument("--ports", required=True)
        ap.add_argument("--exclude", default="")
        ap.add_argument("--states", default="open,closed,filtered")
        ap.add_argument("--min-recall", type=float)
        ap.add_argument("--method", choices=sorted(METHOD_REASON), default="raw")
        a = ap.parse_args(argv[3:])
        return check(name, a.events, a.targets, [int(p) for p in a.ports.split(",")],
                     a.exclude, a.states.split(","), a.min_recall, a.method)
    raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
