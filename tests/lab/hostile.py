# SPDX-License-Identifier: MIT
"""A hostile responder for the lab (t_hostile.sh) and the check of its scan.

    hostile.py serve IFACE READYFILE   answer every probe seen on IFACE
    hostile.py check EVENTS            compare a scan's events with the plan

serve runs inside the target namespace (the kernel there stays silent: the
scanned addresses are not its own). It reads our probes from an AF_PACKET
socket and answers each with a battery of forgeries built from the probe's
own fields, so that only the one thing each forgery breaks can reject it:
SYN-ACK/RST with wrong acknowledgement numbers, replies from addresses and
ports never probed, truncated and malformed IPv4/TCP/UDP/ICMP (bad IHL,
lying total and UDP lengths, bad TCP data offsets, TCP options with bad
lengths), ICMP errors quoting forged headers, QUIC Version Negotiation with
wrong connection IDs, lying lengths and thousands of versions, DNS replies
with the wrong ID or lying lengths. A known subset of probes (VALID) also
gets a valid reply, some of them flooded with duplicates.

Probes: 198.19.200.0/27 x T:22,80 U:53 Q:443, IPv4 only.
"""
import json
import socket
import struct
import sys

NET = "198.19.200."
NHOSTS = 32
SCANNER = "198.18.0.1"
ROUTER = "198.18.0.2"
FLOOD = 300
MANY_VERSIONS = 2000  # needs the jumbo MTU t_hostile.sh sets on the veth

# The valid answers: (host, port, protocol) -> (state, reason).
VALID = {
    (1, 80, "tcp"): ("open", "syn-ack"),
    (1, 22, "tcp"): ("closed", "rst"),
    (1, 53, "udp"): ("open", "udp-reply"),
    (1, 443, "quic"): ("open", "quic-version-negotiation"),
    (2, 80, "tcp"): ("open", "syn-ack"),
    (2, 443, "quic"): ("open", "quic-version-negotiation"),
    (3, 80, "tcp"): ("filtered", "icmp-admin-prohibited"),
    (3, 53, "udp"): ("closed", "icmp-port-unreachable"),
}
FLOODED = {(1, 80, "tcp"), (1, 53, "udp")}
PROBES = [(p, "tcp") for p in (22, 80)] + [(53, "udp"), (443, "quic")]


def serve(iface, readyfile):
    global Ether, IP, TCP, UDP, ICMP, Raw
    from scapy.all import Ether, IP, TCP, UDP, ICMP, Raw

    ETH_P_ALL = 3
    PACKET_OUTGOING = 4
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 << 20)
    s.bind((iface, 0))
    open(readyfile, "w").write("ready\n")
    answered = 0

    def send(frame):
        try:
            s.send(bytes(frame))
        except OSError:
            pass  # a frame the kernel refuses is no test

    while True:
        frame, addr = s.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING or len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        probe = IP(frame[14:])
        if probe.src != SCANNER or not probe.dst.startswith(NET):
            continue
        eth = Ether(src=mac(frame[0:6]), dst=mac(frame[6:12]))
        host = int(probe.dst.split(".")[3])
        other = NET + str((host + 1) % NHOSTS)
        if probe.proto == 6 and probe[TCP].flags == "S":
            key = (host, probe[TCP].dport, "tcp")
            frames = tcp_battery(eth, probe, other)
            frames += icmp_battery(eth, probe, other)
            frames += valid_tcp(eth, probe, key)
        elif probe.proto == 17 and probe[UDP].dport == 53:
            key = (host, 53, "udp")
            frames = dns_battery(eth, probe, other)
            frames += icmp_battery(eth, probe, other)
            frames += valid_dns(eth, probe, key)
        elif probe.proto == 17 and probe[UDP].dport == 443:
            key = (host, 443, "quic")
            frames = quic_battery(eth, probe, other)
            frames += icmp_battery(eth, probe, other)
            frames += valid_quic(eth, probe, key)
        else:
            continue
        for f in frames:
            send(f)
        answered += 1
        print("answered %d probes" % answered, file=sys.stderr, flush=True)


def mac(b):
    return ":".join("%02x" % x for x in b)


def mutate(frame, off, data):
    """frame (bytes) with data written at off."""
    b = bytearray(bytes(frame))
    b[off:off + len(data)] = data
    return bytes(b)


def synack(eth, probe, flags="SA", ack=None, src=None, sport=None, dport=None,
           options=None):
    t = probe["TCP"]
    return eth / IP(src=src or probe.dst, dst=probe.src, ttl=64) / TCP(
        sport=sport or t.dport, dport=dport or t.sport, seq=0x11223344,
        ack=(t.seq + 1) & 0xffffffff if ack is None else ack & 0xffffffff, flags=flags,
        window=64240, options=options or [])


def tcp_battery(eth, probe, other):
    t = probe["TCP"]
    good = synack(eth, probe)
    raw = bytes(good)
    ip = 14
    tcp = ip + 20
    out = [
        # Wrong acknowledgement numbers.
        synack(eth, probe, ack=t.seq + 2),
        synack(eth, probe, ack=t.seq),
        synack(eth, probe, ack=t.seq ^ 0x80000000),
        synack(eth, probe, flags="RA", ack=t.seq + 2),
        synack(eth, probe, flags="RA", ack=0),
        # A SYN alone, an ACK alone: neither answers a SYN.
        synack(eth, probe, flags="S"),
        synack(eth, probe, flags="A"),
        # From addresses never probed (and another probed one), from a port
        # never probed, to a port we did not send from.
        synack(eth, probe, src="198.19.201.77"),
        synack(eth, probe, src=ROUTER),
        synack(eth, probe, src=other),
        synack(eth, probe, flags="RA", src=other),
        synack(eth, probe, sport=8080),
        synack(eth, probe, flags="RA", sport=8080),
        synack(eth, probe, dport=t.sport ^ 1),
        # Malformed, with every other field right: IHL below 5, IHL past
        # the total length, total length past the frame, total length
        # cutting the TCP header, version 5, a later fragment.
        mutate(raw, ip, b"\x44"),
        mutate(raw, ip, b"\x4f"),
        mutate(raw, ip + 2, struct.pack(">H", 1000)),
        mutate(raw, ip + 2, struct.pack(">H", 30)),
        mutate(raw, ip, b"\x55"),
        mutate(raw, ip + 6, struct.pack(">H", 0x0010)),
        # TCP data offset below 5 and past the packet.
        mutate(raw, tcp + 12, b"\x30"),
        mutate(raw, tcp + 12, b"\xf0"),
        # Frames cut short: inside the TCP header, inside the IP header,
        # inside the Ethernet header.
        raw[:tcp + 10],
        raw[:ip + 12],
        raw[:12],
        # Not IP at all, and three VLAN tags.
        mutate(raw, 12, b"\x88\xb5"),
        raw[:12] + b"\x81\x00\x00\x01" * 3 + raw[12:],
    ]
    # TCP options whose lengths lie: 0, 1, past the options, and a kind
    # without its length byte at the end.
    for opts in (b"\x02\x00\x05\xb4", b"\x08\x01\x00\x00", b"\x01\x01\x08\x28",
                 b"\x01\x01\x01\x08", b"\x08\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x02\x05"):
        b = bytearray(raw[:tcp + 20] + opts)
        struct.pack_into(">H", b, ip + 2, 20 + 20 + len(opts))
        b[tcp + 12] = ((20 + len(opts)) // 4) << 4
        out.append(bytes(b))
    return out


def quote(probe, **change):
    """The probe's IP packet as an ICMP error quotes it, fields changed."""
    q = probe.copy()
    for k, v in change.items():
        layer, field = k.split("_", 1)
        setattr(q[layer], field, v)
    if any(k.startswith("IP_") for k in change):
        del q["IP"].chksum
    return bytes(q)


def icmp_battery(eth, probe, other):
    l4 = "TCP" if probe.proto == 6 else "UDP"
    p = probe[l4]
    unreach = ICMP(type=3, code=13) if l4 == "TCP" else ICMP(type=3, code=3)

    def err(q, icmp=None, src=ROUTER):
        return eth / IP(src=src, dst=probe.src, ttl=64) / (icmp or unreach) / Raw(q)

    full = quote(probe)
    out = [
        err(quote(probe, IP_dst=other)),
        err(quote(probe, IP_dst="198.19.201.77")),
        err(quote(probe, IP_src="198.18.0.9")),
        err(quote(probe, **{l4 + "_dport": 8080})),
        err(quote(probe, **{l4 + "_sport": p.sport ^ 2})),
        # The wrong ICMP types for a verdict, quoting the probe exactly.
        err(full, ICMP(type=11, code=0)),
        err(full, ICMP(type=5, code=1)),
        err(full, ICMP(type=12, code=0)),
        # A quote with a bad IHL, a total length below its header, cut
        # inside the ports, and an ICMP header cut short.
        err(mutate(full, 0, b"\x43")),
        err(mutate(full, 2, struct.pack(">H", 8))),
        err(full[:22]),
        bytes(err(full))[:14 + 20 + 4],
    ]
    if l4 == "TCP":
        out.append(err(quote(probe, TCP_seq=(p.seq + 1) & 0xffffffff)))
    else:
        # For QUIC the quote reaches the connection IDs: forge the DCID.
        q = bytearray(full)
        if p.dport == 443 and len(q) > 20 + 8 + 14:
            q[20 + 8 + 6] ^= 0xff
            out.append(err(bytes(q)))
    return out


def valid_tcp(eth, probe, key):
    if key not in VALID:
        return []
    state, _ = VALID[key]
    if state == "open":
        f = synack(eth, probe)
    elif state == "closed":
        f = synack(eth, probe, flags="RA")
    else:
        f = eth / IP(src=ROUTER, dst=probe.src) / ICMP(type=3, code=13) / Raw(bytes(probe))
    return [bytes(f)] * (1 + (FLOOD if key in FLOODED else 0))


def udp_reply(eth, probe, payload, src=None, sport=None, ulen=None):
    u = probe["UDP"]
    return eth / IP(src=src or probe.dst, dst=probe.src, ttl=64) / UDP(
        sport=sport or u.dport, dport=u.sport, len=ulen) / Raw(payload)


def dns_answer(query):
    q = bytearray(query)
    q[2] |= 0x80  # QR
    return bytes(q)


def dns_battery(eth, probe, other):
    query = bytes(probe["UDP"].payload)
    good = dns_answer(query)
    wrong_id = struct.pack(">H", (struct.unpack(">H", good[:2])[0] + 1) & 0xffff) + good[2:]
    return [
        udp_reply(eth, probe, wrong_id),
        udp_reply(eth, probe, wrong_id[:2] + b"\x81\x80" + wrong_id[4:]),
        # The right ID but not a response, or cut, or a question running
        # past the datagram, or a record whose length lies.
        udp_reply(eth, probe, query),
        udp_reply(eth, probe, good[:6]),
        udp_reply(eth, probe, good[:12] + b"\x3f" + b"a" * 10),
        udp_reply(eth, probe, good[:6] + b"\x00\x01" + good[8:] +
                  b"\x00\x00\x02\x00\x01\x00\x00\x00\x10\xff\xff"),
        # From an address and from a port never probed.
        udp_reply(eth, probe, good, src="198.19.201.77"),
        udp_reply(eth, probe, good, src=other),
        udp_reply(eth, probe, good, sport=54),
        # UDP lengths that lie: past the datagram, below the header.
        udp_reply(eth, probe, good, ulen=1400),
        udp_reply(eth, probe, good, ulen=4),
    ]


def valid_dns(eth, probe, key):
    if key not in VALID:
        return []
    if VALID[key][0] == "closed":
        f = eth / IP(src=probe.dst, dst=probe.src) / ICMP(type=3, code=3) / Raw(bytes(probe))
    else:
        f = udp_reply(eth, probe, dns_answer(bytes(probe["UDP"].payload)))
    return [bytes(f)] * (1 + (FLOOD if key in FLOODED else 0))


def vn(dcid, scid, versions, first=0x80, version=0, dcil=None, scil=None):
    return (bytes([first]) + struct.pack(">I", version) +
            bytes([len(dcid) if dcil is None else dcil]) + dcid +
            bytes([len(scid) if scil is None else scil]) + scid +
            b"".join(struct.pack(">I", v) for v in versions))


def quic_battery(eth, probe, other):
    q = bytes(probe["UDP"].payload)
    sent_version = struct.unpack(">I", q[1:5])[0]
    pdcid, pscid = q[6:14], q[15:23]
    flip = lambda b: bytes([b[0] ^ 1]) + b[1:]
    vers = [1, 0x6b3343cf]
    bad = [
        # Wrong connection IDs: each one off, not swapped, empty, too long.
        vn(flip(pscid), pdcid, vers),
        vn(pscid, flip(pdcid), vers),
        vn(pdcid, pscid, vers),
        vn(b"", b"", vers),
        vn(pscid + b"\x00", pdcid, vers),
        # Lying lengths: CID lengths past the packet, a version list that
        # is not whole words, an empty list.
        vn(pscid, pdcid, vers, dcil=255),
        vn(pscid, pdcid, vers, scil=200),
        vn(pscid, pdcid, vers)[:-1],
        vn(pscid, pdcid, []),
        # Not Version Negotiation: a version, a short header; one that
        # offers the version we sent (RFC 9000 6.2).
        vn(pscid, pdcid, vers, version=1),
        vn(pscid, pdcid, vers, first=0x40),
        vn(pscid, pdcid, vers + [sent_version]),
        # Thousands of versions with wrong connection IDs.
        vn(flip(pscid), pdcid, range(1, MANY_VERSIONS + 1)),
        # Our own packet echoed.
        q,
    ]
    out = [udp_reply(eth, probe, b) for b in bad]
    good = vn(pscid, pdcid, vers)
    out += [
        udp_reply(eth, probe, good, src=other),
        udp_reply(eth, probe, good, src="198.19.201.77"),
        udp_reply(eth, probe, good, sport=4433),
        udp_reply(eth, probe, good, ulen=2000),
    ]
    return out


def valid_quic(eth, probe, key):
    if key not in VALID:
        return []
    q = bytes(probe["UDP"].payload)
    pdcid, pscid = q[6:14], q[15:23]
    # Host 2 offers thousands of versions: reported, capped.
    n = MANY_VERSIONS if key[0] == 2 else 0
    versions = [1, 0x6b3343cf] + list(range(0x1000, 0x1000 + n))
    return [udp_reply(eth, probe, vn(pscid, pdcid, versions, first=0xc5))]


def check(path):
    """Every probe reported once; only VALID ones answered; counters."""
    evs = [json.loads(l) for l in open(path)]
    got, done, fail = {}, None, []
    for e in evs:
        if e["kind"] == "scan_completed":
            done = e
        if e["kind"] != "port_state":
            continue
        t, r = e["target"], e["result"]
        key = (t["ip"], t["port"], t["protocol"])
        if key in got:
            fail.append("duplicate finding %s" % (key,))
        got[key] = r
    want = {}
    for h in range(NHOSTS):
        for port, proto in PROBES:
            st = VALID.get((h, port, proto))
            if not st:
                st = ("filtered" if proto == "tcp" else "open|filtered", "no-response")
            want[(NET + str(h), port, proto)] = st
    for k, st in sorted(want.items()):
        r = got.get(k)
        if r is None:
            fail.append("missing %s" % (k,))
        elif (r["state"], r["reason"]) != st:
            fail.append("%s: got %s/%s, want %s/%s" % (k, r["state"], r["reason"], *st))
    for k in got:
        if k not in want:
            fail.append("finding outside the scan: %s" % (k,))
    dns = got.get((NET + "1", 53, "udp"), {})
    if dns.get("service") != "dns":
        fail.append("1:53/udp must name the dns service: %s" % dns)
    q1 = got.get((NET + "1", 443, "quic"), {})
    if q1.get("quic_versions") != ["0x00000001", "0x6b3343cf"]:
        fail.append("1:443/quic versions: %s" % q1.get("quic_versions"))
    q2 = got.get((NET + "2", 443, "quic"), {})
    if len(q2.get("quic_versions", [])) != 64:
        fail.append("2:443/quic must list the first 64 of %d versions, got %d"
                    % (MANY_VERSIONS + 2, len(q2.get("quic_versions", []))))
    if done is None or evs[-1] is not done:
        fail.append("scan_completed is not the last event")
        c = {}
    else:
        c = done["counters"]
        print("counters: %s" % json.dumps(c, sort_keys=True))
        if c.get("valid") != len(VALID):
            fail.append("valid %s, want %d: a forgery was taken as an answer"
                        % (c.get("valid"), len(VALID)))
        if not c.get("invalid", 0) > 0:
            fail.append("no reply counted invalid")
        if not c.get("duplicates", 0) >= len(FLOODED) * FLOOD:
            fail.append("duplicates %s, want >= %d" % (c.get("duplicates"), len(FLOODED) * FLOOD))
    n_open = sum(1 for r in got.values() if r["state"] == "open")
    print("findings=%d expected=%d open=%d valid_subset=%d failures=%d"
          % (len(got), len(want), n_open, len(VALID), len(fail)))
    for f in fail[:20]:
        print("FAIL:", f)
    return 1 if fail else 0


def main(argv):
    if argv[1] == "serve":
        serve(argv[2], argv[3])
        return 0
    if argv[1] == "check":
        return check(argv[2])
    raise SystemExit("usage: hostile.py serve IFACE READYFILE | check EVENTS")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
