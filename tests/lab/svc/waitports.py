# SPDX-License-Identifier: MIT
"""Waits until TCP ports accept connections on every given address.

  waitports.py SECONDS ADDR[,ADDR...] ... PORT...
Arguments that contain '.' or ':' are addresses, the others ports. Exits 0
when each (address, port) accepted a connection once, 1 after SECONDS with
the ones that never did on stderr.
"""
import socket
import sys
import time


def main():
    limit = float(sys.argv[1])
    addrs = [a for a in sys.argv[2:] if "." in a or ":" in a]
    ports = [int(a) for a in sys.argv[2:] if a not in addrs]
    todo = {(a, p) for a in addrs for p in ports}
    end = time.monotonic() + limit
    while todo and time.monotonic() < end:
        for a, p in sorted(todo):
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            with socket.socket(fam, socket.SOCK_STREAM) as s:
                s.settimeout(1.0)
                try:
                    s.connect((a, p))
                    todo.discard((a, p))
                except OSError:
                    pass
        if todo:
            time.sleep(0.1)
    for a, p in sorted(todo):
        print(f"waitports: {a} port {p} never accepted", file=sys.stderr)
    return 1 if todo else 0


if __name__ == "__main__":
    sys.exit(main())
