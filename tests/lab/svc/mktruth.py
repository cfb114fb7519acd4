# SPDX-License-Identifier: MIT
"""Writes the service lab's ground truth (JSON) to stdout.

  mktruth.py SVC_DIR IP4 IP6

One entry per TCP port of tests/lab/svc/lab.sh: the service name a correct
identification gives (names as in the shared service plan), the product,
the installed upstream version (from dpkg-query: epoch, Debian revision
and +dfsg/+ds repack suffixes stripped), whether the daemon announces the
product and version to an unauthenticated client (when it does not, an
identification may leave them out but must not say anything else), and
for TLS ports the certificate's subject, issuer and SANs read back from
the certificate the lab made. "expect" is what t_service_lab.sh checks on
the live daemon: a hello (see svc/check.py) and a regex its answer matches.
"""
import json
import re
import subprocess
import sys


def dpkg_version(pkg):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                         capture_output=True, text=True, check=True).stdout
    return out.strip()


def upstream(ver):
    v = re.sub(r"^\d+:", "", ver)          # epoch
    v = re.sub(r"-[^-]*$", "", v)          # Debian revision
    v = re.sub(r"[+~](dfsg|ds)\d*$", "", v)  # repacked upstream tarball
    return v


def cert_info(path):
    def x509(*opts):
        return subprocess.run(["openssl", "x509", "-in", path, "-noout", *opts],
                              capture_output=True, text=True, check=True).stdout.strip()
    subject = x509("-subject", "-nameopt", "RFC2253").split("=", 1)[1]
    issuer = x509("-issuer", "-nameopt", "RFC2253").split("=", 1)[1]
    sans = []
    ext = x509("-ext", "subjectAltName")
    for line in ext.splitlines()[1:]:
        for part in line.split(","):
            kind, _, val = part.strip().partition(":")
            if kind == "IP Address":
                kind = "IP"
            sans.append(f"{kind}:{val}")
    fp = x509("-fingerprint", "-sha256").split("=", 1)[1].replace(":", "").lower()
    cn = re.search(r"(?:^|,)CN=([^,]+)", subject).group(1)
    return {"subject": subject, "cn": cn, "issuer": issuer, "san": sans,
            "sha256": fp, "self_signed": subject == issuer,
            "key_type": "RSA", "key_bits": 2048}


def main():
    svc_dir, ip4, ip6 = sys.argv[1:4]
    tls = cert_info(f"{svc_dir}/tls/cert.pem")
    v = {p: upstream(dpkg_version(p)) for p in (
        "openssh-server", "nginx-light", "vsftpd", "exim4-daemon-light",
        "dovecot-core", "redis-server", "memcached", "postgresql-15",
        "mariadb-server", "mosquitto", "nats-server", "libpython3.11-minimal",
        "caddy", "lighttpd", "apache2-bin", "slapd", "dnsmasq-base", "dante-server", "rsync")}
    # (port, service, product, package, product announced, version
    #  announced, extra fields)
    rows = [
        (21, "ftp", "vsftpd", "vsftpd", True, True,
         {"expect": ["null", r"^220 \(vsFTPd {v}\)\r\n"]}),
        (22, "ssh", "OpenSSH", "openssh-server", True, True,
         {"expect": ["null", r"^SSH-2\.0-OpenSSH_{v} Debian-"]}),
        (2222, "ssh", "OpenSSH", "openssh-server", True, True,
         {"expect": ["null", r"^SSH-2\.0-OpenSSH_{v} Debian-"]}),
        (25, "smtp", "Exim", "exim4-daemon-light", True, True,
         {"starttls": tls, "expect": ["null", r"^220 \S+ ESMTP Exim {v} "]}),
        (53, "domain", "dnsmasq", "dnsmasq-base", True, True,
         {"expect": ["dns-version-bind", r"dnsmasq-{v}"]}),
        (80, "http", "nginx", "nginx-light", True, True,
         {"expect": ["http-get", r"^HTTP/1\.1 200 .*\r\nServer: nginx/{v}\r\n"]}),
        (110, "pop3", "Dovecot", "dovecot-core", True, False,
         {"starttls": tls, "expect": ["null", r"^\+OK Dovecot \(Debian\) ready\.\r\n"]}),
        (143, "imap", "Dovecot", "dovecot-core", True, False,
         {"starttls": tls, "expect": ["null", r"^\* OK \[CAPABILITY [^\]]*STARTTLS[^\]]*\] Dovecot \(Debian\) ready\.\r\n"]}),
        (389, "ldap", "OpenLDAP", "slapd", True, False,
         {"expect": ["ldap-rootdse", r"OpenLDAProotDSE"]}),
        (443, "http", "nginx", "nginx-light", True, True,
         {"tunnel": "ssl", "tls": tls,
          "expect": ["tls-http-get", r"^HTTP/1\.1 200 .*\r\nServer: nginx/{v}\r\n"]}),
        (873, "rsync", "rsync", "rsync", False, False,
         {"expect": ["null", r"^@RSYNCD: \d+\.\d+[^\n]*\n$"]}),
        (993, "imap", "Dovecot", "dovecot-core", True, False,
         {"tunnel": "ssl", "tls": tls,
          "expect": ["tls-null", r"^\* OK \[CAPABILITY [^\]]*\] Dovecot \(Debian\) ready\.\r\n"]}),
        (995, "pop3", "Dovecot", "dovecot-core", True, False,
         {"tunnel": "ssl", "tls": tls,
          "expect": ["tls-null", r"^\+OK Dovecot \(Debian\) ready\.\r\n"]}),
        (1080, "socks5", "Dante", "dante-server", False, False,
         {"expect": ["socks5", r"^\x05\x00$"]}),
        (1883, "mqtt", "Mosquitto", "mosquitto", False, False,
         {"expect": ["mqtt-connect", r"^\x20\x02\x00\x00$"]}),
        (3306, "mysql", "MariaDB", "mariadb-server", True, True,
         {"expect": ["null", r"^.\x00\x00\x00\x0a5\.5\.5-{v}-MariaDB-"]}),
        (4222, "nats", "NATS Server", "nats-server", True, True,
         {"expect": ["null", r'^INFO \{.*"version":"{v}"']}),
        (5432, "postgresql", "PostgreSQL", "postgresql-15", True, False,
         {"expect": ["pg-startup", r"^E.{4}SFATAL\x00.*\x00C28000\x00"]}),
        (6379, "redis", "Redis", "redis-server", True, True,
         {"expect": ["redis-info", r"\r\nredis_version:{v}\r\n"]}),
        (8000, "http", "Python http.server", "libpython3.11-minimal", True, True,
         {"expect": ["http-get", r"\r\nServer: SimpleHTTP/0\.6 Python/{v}\r\n"]}),
        (8080, "http", "Caddy", "caddy", True, False,
         {"expect": ["http-get", r"\r\nServer: Caddy\r\n"]}),
        (8081, "http", "lighttpd", "lighttpd", True, True,
         {"expect": ["http-get", r"\r\nServer: lighttpd/{v}\r\n"]}),
        (8082, "http", "Apache httpd", "apache2-bin", True, True,
         {"expect": ["http-get", r"\r\nServer: Apache/{v} \(Debian\)\r\n"]}),
        (11211, "memcached", "memcached", "memcached", True, True,
         {"expect": ["memcached-version", r"^VERSION {v}\r\n$"]}),
    ]
    ports = []
    for port, name, product, pkg, prod_ann, ver_ann, extra in rows:
        e = {"port": port, "protocol": "tcp", "service": name, "product": product,
             "version": v[pkg], "product_announced": prod_ann,
             "version_announced": ver_ann, "package": pkg,
             "package_version": dpkg_version(pkg)}
        e.update(extra)
        e["expect"] = [e["expect"][0], e["expect"][1].replace("{v}", re.escape(v[pkg]))]
        ports.append(e)
    # Not services: none may be named as one. The silent port must come out
    # "unknown" (or not at all); a reset right after accept may be
    # "tcpwrapped".
    for port, kind, ok in ((9999, "silent", ["unknown"]),
                           (9998, "tarpit", ["unknown", "tcpwrapped"]),
                           (9997, "rst", ["tcpwrapped", "unknown"])):
        ports.append({"port": port, "protocol": "tcp", "service": None, "kind": kind,
                      "allowed": ok, "expect": [kind, ""]})
    json.dump({"targets": [ip4, ip6], "ports": ports}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
