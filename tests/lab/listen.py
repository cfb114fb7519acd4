# SPDX-License-Identifier: MIT
"""Listens on the given TCP ports (IPv4 and IPv6, all addresses) until killed.

Used as the 'open' responder in lab namespaces; handshakes never complete
because the scanner's kernel resets them, so nothing is ever accepted.
"""
import signal
import socket
import sys

socks = []
for port in (int(p) for p in sys.argv[1:]):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(65535)
    socks.append(s)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.pause()
