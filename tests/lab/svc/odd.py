# SPDX-License-Identifier: MIT
"""The lab's three non-services, on all addresses (IPv4 and IPv6) until killed.

  odd.py SILENT TARPIT RST
SILENT accepts and never sends; TARPIT accepts and sends one byte every
second, forever; RST accepts and closes at once with SO_LINGER 0 (the peer
gets a reset and no data). No identification may name any of them.
"""
import selectors
import signal
import socket
import struct
import sys
import time


def listener(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(1024)
    s.setblocking(False)
    return s


def main():
    silent, tarpit, rst = (int(a) for a in sys.argv[1:4])
    sel = selectors.DefaultSelector()
    for kind, port in (("silent", silent), ("tarpit", tarpit), ("rst", rst)):
        sel.register(listener(port), selectors.EVENT_READ, kind)
    held = []     # silent connections: kept open, never written
    drip = []     # tarpit connections
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    next_drip = time.monotonic() + 1.0
    line = b"an endless line, one byte a second\r\n"
    n = 0
    while True:
        for key, _ in sel.select(max(0.0, next_drip - time.monotonic())):
            kind = key.data
            if kind == "peer":
                # A peer wrote or closed: read and drop; forget it on EOF.
                c = key.fileobj
                try:
                    if c.recv(4096):
                        continue
                except OSError:
                    pass
                sel.unregister(c)
                for lst in (held, drip):
                    if c in lst:
                        lst.remove(c)
                c.close()
                continue
            try:
                c, _ = key.fileobj.accept()
            except OSError:
                continue
            if kind == "rst":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                c.close()
                continue
            c.setblocking(False)
            (held if kind == "silent" else drip).append(c)
            sel.register(c, selectors.EVENT_READ, "peer")
        if time.monotonic() >= next_drip:
            next_drip = time.monotonic() + 1.0
            b = line[n % len(line):n % len(line) + 1]
            n += 1
            for c in list(drip):
                try:
                    c.send(b)
                except OSError:
                    sel.unregister(c)
                    drip.remove(c)
                    c.close()


if __name__ == "__main__":
    main()
