# SPDX-License-Identifier: MIT
"""Small TCP responders for the store's lab cases (t_store*.sh), until killed.

  store_lab.py SPEC...   SPEC is one of
    banner:PORT:TEXT         sends TEXT and CRLF on accept (an SSH-style greeting)
    http:PORT:SERVER         reads a request, answers 200 with "Server: SERVER"
    tls:PORT:CERT:KEY        TLS with that certificate, then an HTTP answer

Every port listens on all addresses (IPv4 and IPv6) of the namespace it runs
in. Writes "ready PID" on standard output once every port listens.
"""
import os
import signal
import socket
import ssl
import sys
import threading

HTTP = b"HTTP/1.0 200 OK\r\nServer: %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def listener(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(4096)
    return s


def read_request(c):
    data = b""
    while b"\r\n\r\n" not in data and b"\n\n" not in data and len(data) < 8192:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def serve(kind, s, arg, ctx):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(kind, c, arg, ctx), daemon=True).start()


def handle(kind, c, arg, ctx):
    c.settimeout(10)
    try:
        if kind == "banner":
            c.sendall(arg.encode() + b"\r\n")
            c.recv(4096)
        elif kind == "http":
            read_request(c)
            c.sendall(HTTP % arg.encode())
        else:
            t = ctx.wrap_socket(c, server_side=True)
            read_request(t)
            t.sendall(HTTP % b"lab-tls")
            t.close()
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            c.close()
        except OSError:
            pass


def main():
    threads = []
    for spec in sys.argv[1:]:
        kind, port, rest = spec.split(":", 2)
        ctx = None
        if kind == "tls":
            cert, key = rest.split(":", 1)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
        elif kind not in ("banner", "http"):
            sys.exit("store_lab.py: unknown responder '%s'" % kind)
        s = listener(int(port))
        threads.append(threading.Thread(target=serve, args=(kind, s, rest, ctx), daemon=True))
    for t in threads:
        t.start()
    print("ready", os.getpid(), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pause()


if __name__ == "__main__":
    main()
