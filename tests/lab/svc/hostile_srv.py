# SPDX-License-Identifier: MIT
"""Hostile TCP servers for t_service_hostile.sh, on all addresses (IPv4
and IPv6) of the target namespace until killed.

  hostile_srv.py DIR READYFILE

DIR holds the TLS material (big.pem/big.key: a certificate with many
SANs, under the stage's chain limit; huge.pem/huge.key: one far over it).
READYFILE is written once every port listens. PORTS below is the plan;
t_service_hostile.sh reads it with `hostile_srv.py --plan` (one line per
port: PORT KIND NAMES, the comma list of service names a scan may give
that port; the test also checks product and version by kind).
"""
import asyncio
import os
import random
import signal
import socket
import ssl
import struct
import sys

SSH = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n"
# kind -> (port, names a scan may give it): a normal port its protocol's
# name; a hostile one unknown or tcpwrapped, or the name of the protocol
# it half speaks (and then no product or version unless it announced one).
PORTS = {
    "ssh": (2022, "ssh"),                # normal: a greeting, then it waits
    "http": (8080, "http"),              # normal: an nginx-like answer, then close
    "ftp": (2121, "ftp"),                # normal: a vsftpd greeting
    "tls-big": (4443, "http"),           # normal: HTTP in TLS, a certificate with 400 SANs
    "endless": (7001, "unknown"),        # writes the same line forever, at full speed
    "drip": (7002, "ssh,unknown"),       # an SSH greeting, one byte every 40 ms
    "tarpit": (7003, "unknown,tcpwrapped"),  # one junk byte a second, forever
    "rst": (7004, "tcpwrapped,unknown"),     # accept, then RST at once
    "rst-read": (7005, "tcpwrapped,unknown"),  # RST once the client has sent something
    "junk": (7006, "unknown"),           # 4 KiB of random bytes (NULs, 0xff), then waits
    "noread": (7007, "unknown"),         # accepts, never reads, never writes
    "endless-http": (7008, "http,unknown"),  # an HTTP status line, then header lines forever
    "close-mid": (7009, "unknown,tcpwrapped"),  # half a TLS record, then FIN
    "garbage-tls": (8443, "unknown,tcpwrapped"),  # a TLS record header, then random bytes
    "huge-cert": (9443, "http,unknown,tcpwrapped"),  # TLS with a ~200 KiB certificate
    "tls-stall": (6443, "unknown"),      # reads the ClientHello, answers nothing
}


def listener(port, rcvbuf=0):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind(("::", port))
    s.listen(4096)
    s.setblocking(False)
    return s


def rst(writer):
    sock = writer.get_extra_info("socket")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


async def hold(reader):
    """Reads and drops until the client closes."""
    while await reader.read(4096):
        pass


def handler(kind):
    rnd = random.Random(kind)

    async def h(reader, writer):
        try:
            if kind == "ssh":
                writer.write(SSH)
                await writer.drain()
                await hold(reader)
            elif kind == "http":
                await reader.read(4096)
                writer.write(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
                             b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
            elif kind == "ftp":
                writer.write(b"220 (vsFTPd 3.0.3)\r\n")
                await writer.drain()
                await hold(reader)
            elif kind in ("tls-big", "huge-cert"):
                await reader.read(4096)
                writer.write(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
                             b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
            elif kind == "endless":
                chunk = b"an endless banner line that never stops\r\n" * 400
                while True:
                    writer.write(chunk)
                    await writer.drain()
            elif kind == "drip":
                for i in range(len(SSH)):
                    writer.write(SSH[i:i + 1])
                    await writer.drain()
                    await asyncio.sleep(0.04)
                await hold(reader)
            elif kind == "tarpit":
                while True:
                    writer.write(bytes([rnd.randrange(256)]))
                    await writer.drain()
                    await asyncio.sleep(1.0)
            elif kind == "rst":
                rst(writer)
                return
            elif kind == "rst-read":
                await reader.read(1)
                rst(writer)
                return
            elif kind == "junk":
                writer.write(rnd.randbytes(4096))
                await writer.drain()
                await hold(reader)
            elif kind == "endless-http":
                writer.write(b"HTTP/1.1 200 OK\r\n")
                line = b"X-Junk: " + b"a" * 200 + b"\r\n"
                while True:
                    writer.write(line * 50)
                    await writer.drain()
            elif kind == "close-mid":
                writer.write(b"\x16\x03\x03\x10\x00" + rnd.randbytes(100))
                await writer.drain()
            elif kind == "garbage-tls":
                await reader.read(5)
                writer.write(b"\x16\x03\x03\x40\x00" + rnd.randbytes(65536))
                await writer.drain()
                await hold(reader)
            elif kind == "tls-stall":
                await hold(reader)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()
    return h


async def noread(sock):
    """Accepts and keeps every connection without ever reading it."""
    loop = asyncio.get_running_loop()
    held = []
    while True:
        c, _ = await loop.sock_accept(sock)
        held.append(c)


def tls_ctx(d, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, name + ".pem"), os.path.join(d, name + ".key"))
    return ctx


async def main(d, ready):
    loop = asyncio.get_running_loop()
    # Handshakes that fail (on purpose) are not worth a traceback each.
    loop.set_exception_handler(lambda _l, _c: None)
    tasks = []
    for kind, (port, _) in PORTS.items():
        if kind == "noread":
            tasks.append(asyncio.create_task(noread(listener(port, rcvbuf=1024))))
            continue
        ctx = None
        if kind == "tls-big":
            ctx = tls_ctx(d, "big")
        elif kind == "huge-cert":
            ctx = tls_ctx(d, "huge")
        await asyncio.start_server(handler(kind), sock=listener(port), ssl=ctx,
                                   ssl_handshake_timeout=10 if ctx else None)
    with open(ready, "w") as f:
        f.write("ready\n")
    await asyncio.Event().wait()


if __name__ == "__main__":
    if sys.argv[1:] == ["--plan"]:
        for kind, (port, names) in PORTS.items():
            print(port, kind, names)
        sys.exit(0)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    asyncio.run(main(sys.argv[1], sys.argv[2]))
