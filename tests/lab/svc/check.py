# SPDX-License-Identifier: MIT
"""Checks that every daemon of the service lab answers as its truth says.

  check.py TRUTH.json [CAPTURES.ndjson]

Run in the SCANNER namespace. For every port of the truth and both lab
addresses, sends the port's hello (plain client bytes written here, not
taken from the probe database, so this checks the lab and nothing else),
matches the answer against the truth's regex, compares the TLS
certificate's subject and SANs on TLS ports and after STARTTLS, and prints
a table. Exits 1 if anything differs. With CAPTURES, also writes every
answer as one JSON line (port, hello, escaped answer) for tools/svc-dbcheck.
"""
import base64
import importlib.machinery
import json
import os
import re
import socket
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAP = importlib.machinery.SourceFileLoader(
    "svc_capture", os.path.join(HERE, "..", "..", "..", "tools", "svc-capture")).load_module()


def ldap_rootdse():
    # LDAPMessage { messageID 1, SearchRequest { baseObject "", scope
    # baseObject, derefAliases never, sizeLimit 0, timeLimit 0, typesOnly
    # FALSE, filter present "objectClass", attributes { "*", "+" } } }
    # (RFC 4511 section 4.5.1, BER per X.690).
    req = (b"\x04\x00\x0a\x01\x00\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00"
           b"\x87\x0bobjectClass\x30\x06\x04\x01*\x04\x01+")
    op = b"\x63" + bytes([len(req)]) + req
    body = b"\x02\x01\x01" + op
    return b"\x30" + bytes([len(body)]) + body


def dns_version_bind():
    # RFC 1035 4.2.2: TCP messages carry a two-byte length. Query id 0x4650,
    # no flags, one question: version.bind TXT CH.
    q = (b"\x46\x50\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
         b"\x07version\x04bind\x00\x00\x10\x00\x03")
    return len(q).to_bytes(2, "big") + q


def mqtt_connect():
    # MQTT 3.1.1 (OASIS) 3.1: CONNECT, protocol "MQTT" level 4, clean
    # session, keep-alive 60 s, client id "fastport".
    var = b"\x00\x04MQTT\x04\x02\x00\x3c" + b"\x00\x08fastport"
    return b"\x10" + bytes([len(var)]) + var


def pg_startup():
    # PostgreSQL frontend/backend protocol 3.0 StartupMessage.
    body = (196608).to_bytes(4, "big") + b"user\x00fastport\x00database\x00fastport\x00\x00"
    return (len(body) + 4).to_bytes(4, "big") + body


HELLOS = {
    "null": (False, b""),
    "tls-null": (True, b""),
    "http-get": (False, b"GET / HTTP/1.0\r\nHost: {host}\r\nAccept: */*\r\n\r\n"),
    "tls-http-get": (True, b"GET / HTTP/1.0\r\nHost: {host}\r\nAccept: */*\r\n\r\n"),
    "dns-version-bind": (False, dns_version_bind()),
    "ldap-rootdse": (False, ldap_rootdse()),
    "socks5": (False, b"\x05\x01\x00"),
    "mqtt-connect": (False, mqtt_connect()),
    "pg-startup": (False, pg_startup()),
    "redis-info": (False, b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"),
    "memcached-version": (False, b"version\r\n"),
}


def starttls(host, port, service):
    """STARTTLS on smtp (RFC 3207), imap (RFC 3501 6.2.1), pop3 (RFC 2595
    4); returns the TLS facts of the upgraded session."""
    s = socket.create_connection((host, port), timeout=5)
    f = s.makefile("rb")

    def line():
        ln = f.readline(4096)
        if not ln:
            raise OSError("closed")
        return ln

    try:
        line()  # greeting
        if service == "smtp":
            s.sendall(b"EHLO lab.example\r\n")
            caps = []
            while True:
                ln = line()
                caps.append(ln[4:].strip().upper())
                if ln[3:4] == b" ":
                    break
            if b"STARTTLS" not in caps:
                raise OSError("no STARTTLS in EHLO")
            s.sendall(b"STARTTLS\r\n")
            ok = line().startswith(b"220")
        elif service == "imap":
            s.sendall(b"a1 STARTTLS\r\n")
            while True:
                ln = line()
                if ln.startswith(b"a1 "):
                    break
            ok = ln.startswith(b"a1 OK")
        else:
            s.sendall(b"STLS\r\n")
            ok = line().startswith(b"+OK")
        if not ok:
            raise OSError("STARTTLS refused")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        t = ctx.wrap_socket(s, server_hostname=None)
        info = {"version": t.version()}
        info.update(CAP.cert_text(t.getpeercert(binary_form=True)))
        t.close()
        return info
    finally:
        f.close()
        s.close()


def tls_ok(want, got):
    if not got:
        return "no TLS"
    if got.get("subject") != want["subject"]:
        return f"subject {got.get('subject')!r} != {want['subject']!r}"
    if sorted(got.get("san", [])) != sorted(want["san"]):
        return f"SANs {got.get('san')} != {want['san']}"
    if got.get("sha256") != want["sha256"]:
        return "certificate fingerprint differs"
    return None


def check_port(host, e, caps):
    hello = e["expect"][0]
    port = e["port"]
    if e.get("kind"):
        wait = {"silent": 2.0, "tarpit": 5.0, "rst": 2.0}[e["kind"]]
        data, end, _ = CAP.exchange(host, port, b"", wait=wait, idle=0.5)
        caps.append({"host": host, "port": port, "probe": "null", "end": end,
                     "answer_b64": base64.b64encode(data).decode()})
        if e["kind"] == "silent":
            bad = None if (not data and end == "timeout") else f"answered {end}, {len(data)} bytes"
        elif e["kind"] == "tarpit":
            bad = None if (data and end == "idle") else f"answered {end}, {len(data)} bytes"
        else:
            bad = None if (not data and end in ("reset", "eof")) else f"answered {end}, {len(data)} bytes"
        return f"{e['kind']} ({end}, {len(data)} bytes)", bad
    tls, payload = HELLOS[hello]
    payload = payload.replace(b"{host}", (f"[{host}]" if ":" in host else host).encode())
    data, end, tlsinfo = CAP.exchange(host, port, payload, tls=tls, wait=3.0, idle=0.5)
    caps.append({"host": host, "port": port, "probe": hello, "end": end,
                 "answer_b64": base64.b64encode(data).decode()})
    shown = CAP.escape(data[:60])
    if not re.search(e["expect"][1].encode("latin-1"), data, re.S):
        return shown, f"answer does not match {e['expect'][1]!r}: {CAP.escape(data[:200])}"
    if e.get("tls"):
        bad = tls_ok(e["tls"], tlsinfo)
        if bad:
            return shown, bad
        shown = f"[{tlsinfo['version']} CN={e['tls']['cn']}] " + shown
    if e.get("starttls"):
        try:
            info = starttls(host, port, e["service"])
        except (OSError, ssl.SSLError) as x:
            return shown, f"STARTTLS: {x}"
        bad = tls_ok(e["starttls"], info)
        if bad:
            return shown, "STARTTLS: " + bad
        shown = f"[STARTTLS {info['version']}] " + shown
    return shown, None


def main():
    truth = json.load(open(sys.argv[1]))
    capf = open(sys.argv[2], "w") if len(sys.argv) > 2 else None
    fails = 0
    print(f"{'address':<15} {'port':>5}  {'service':<11} {'product':<19} {'version':<9} answer")
    for e in truth["ports"]:
        for host in truth["targets"]:
            caps = []
            try:
                shown, bad = check_port(host, e, caps)
            except OSError as x:
                shown, bad = "", f"{type(x).__name__}: {x}"
            ver = e.get("version") if e.get("version_announced") else "-"
            print(f"{host:<15} {e['port']:>5}  {e.get('service') or '(none)':<11} "
                  f"{e.get('product') or '':<19} {ver or '':<9} {shown[:70]}")
            if bad:
                print(f"  FAIL {host} port {e['port']}: {bad}")
                fails += 1
            if capf:
                for c in caps:
                    c.update({k: e.get(k) for k in ("service", "product", "version",
                                                    "version_announced", "package",
                                                    "package_version", "kind")})
                    capf.write(json.dumps(c) + "\n")
    print(f"svc lab check: {len(truth['ports']) * len(truth['targets'])} port checks, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
