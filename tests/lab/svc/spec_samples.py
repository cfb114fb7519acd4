# SPDX-License-Identifier: MIT
"""Writes answers built by hand from protocol specifications and vendor
documentation, for match entries of services the lab does not run
(tests/lab/svc/captures/spec.ndjson; checked by tools/svc-dbcheck). Each
sample names the document it follows. These are not captures: they check
that a pattern says what its source says, and that no other entry fires.

  python3 tests/lab/svc/spec_samples.py > tests/lab/svc/captures/spec.ndjson
"""
import base64
import json
import struct
import sys

S = []


def add(probe, service, answer, source, product=None, version=None):
    S.append({"probe": probe, "service": service, "product": product, "version": version,
              "product_announced": product is not None, "version_announced": version is not None,
              "source": source, "answer_b64": base64.b64encode(answer).decode()})


def ber(tag, content):
    n = len(content)
    if n < 128:
        ln = bytes([n])
    elif n < 256:
        ln = b"\x81" + bytes([n])
    else:
        ln = b"\x82" + struct.pack(">H", n)
    return bytes([tag]) + ln + content


def ldap_entry(attrs):
    pa = b"".join(ber(0x30, ber(0x04, k) + ber(0x31, b"".join(ber(0x04, v) for v in vs)))
                  for k, vs in attrs)
    entry = ber(0x64, ber(0x04, b"") + ber(0x30, pa))
    return ber(0x30, b"\x02\x01\x01" + entry)


def dns_txt(txt, rcode=0):
    q = b"\x07version\x04bind\x00\x00\x10\x00\x03"
    hdr = b"FP" + bytes([0x84, rcode]) + struct.pack(">HHHH", 1, 1 if txt else 0, 0, 0)
    ans = b""
    if txt:
        rd = bytes([len(txt)]) + txt
        ans = b"\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00" + struct.pack(">H", len(rd)) + rd
    m = hdr + q + ans
    return struct.pack(">H", len(m)) + m


def bson(elems):
    b = b""
    for k, v in elems:
        if isinstance(v, str):
            b += b"\x02" + k.encode() + b"\x00" + struct.pack("<i", len(v) + 1) + v.encode() + b"\x00"
        elif isinstance(v, bool):
            b += b"\x08" + k.encode() + b"\x00" + (b"\x01" if v else b"\x00")
        elif isinstance(v, int):
            b += b"\x10" + k.encode() + b"\x00" + struct.pack("<i", v)
        else:
            b += b"\x01" + k.encode() + b"\x00" + struct.pack("<d", v)
    return struct.pack("<i", len(b) + 5) + b + b"\x00"


def op_reply(resp_to, doc):
    body = struct.pack("<iqii", 8, 0, 0, 1) + doc
    return struct.pack("<iiii", 16 + len(body), 77, resp_to, 1) + body


def http(server, extra=b"", body=b"<html></html>"):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + server + extra +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


RFC4253 = "RFC 4253 4.2"
add("null", "ssh", b"SSH-2.0-dropbear_2022.83\r\n", "Dropbear IDENT_VERSION_PART", "Dropbear sshd", "2022.83")
add("null", "ssh", b"SSH-2.0-OpenSSH_for_Windows_8.1\r\n", "Win32-OpenSSH", "OpenSSH for Windows", "8.1")
add("null", "ssh", b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n", RFC4253, "OpenSSH", "8.9p1")
add("null", "ssh", b"SSH-2.0-libssh_0.10.6\r\n", "libssh server.c", "libssh", "0.10.6")
add("null", "ssh", b"SSH-1.99-Cisco-1.25\r\n", RFC4253)
add("null", "ftp", b"220 ProFTPD 1.3.8 Server (Debian) [::ffff:198.19.2.2]\r\n", "ProFTPD ServerIdent", "ProFTPD", "1.3.8")
add("null", "ftp", b"220 ProFTPD Server (Debian) [::ffff:198.19.2.2]\r\n", "ProFTPD ServerIdent", "ProFTPD")
add("null", "ftp", b"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n220-You are user number 1 of 50 allowed.\r\n", "Pure-FTPd messages_en.h", "Pure-FTPd")
add("null", "ftp", b"220 Microsoft FTP Service\r\n", "IIS FTP banner", "Microsoft ftpd")
add("null", "ftp", b"220-FileZilla Server 1.7.3\r\n220 Please visit https://filezilla-project.org/\r\n", "FileZilla Server", "FileZilla Server", "1.7.3")
add("null", "ftp", b"220 ftp.example.org FTP server ready.\r\n", "RFC 959 5.4")
add("null", "smtp", b"220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n", "postconf(5) smtpd_banner", "Postfix")
add("null", "smtp", b"220 mx.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; Mon, 1 Jan 2024 00:00:00 GMT\r\n", "sendmail cf/README", "Sendmail", "8.17.1.9")
add("null", "smtp", b"220 mail.example.org Microsoft ESMTP MAIL Service, Version: 10.0.17763.1697 ready at  Mon, 1 Jan 2024 00:00:00 +0000 \r\n", "IIS SMTP", "Microsoft ESMTP", "10.0.17763.1697")
add("null", "smtp", b"220 mail.example.org ESMTP OpenSMTPD\r\n", "OpenSMTPD smtp_session.c", "OpenSMTPD")
add("null", "smtp", b"220 mx.example.org ESMTP ready\r\n", "RFC 5321 4.2")
add("null", "pop3", b"+OK mail.example.org Cyrus POP3 3.6.1 server ready <1234.5678@mail.example.org>\r\n", "Cyrus pop3d.c", "Cyrus pop3d", "3.6.1")
add("null", "pop3", b"+OK Hello there.\r\n", "Courier pop3dserver.c", "Courier pop3d")
add("null", "imap", b"* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS] mail.example.org Cyrus IMAP 3.6.1 server ready\r\n", "Cyrus imapd.c", "Cyrus imapd", "3.6.1")
add("null", "imap", b"* OK The Microsoft Exchange IMAP4 service is ready.\r\n", "Exchange IMAP4", "Microsoft Exchange imapd")
add("null", "imap", b"* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE STARTTLS] Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.\r\n", "Courier imapd.c", "Courier imapd")
add("null", "mysql", b"J\x00\x00\x00\x0a8.0.36-0ubuntu0.22.04.1\x00\x08\x00\x00\x00abcdefgh\x00\xff\xff\xff\x02\x00\xff\xdf\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00ijklmnopqrst\x00caching_sha2_password\x00", "MySQL HandshakeV10", "MySQL", "8.0.36")
add("null", "mysql", b"G\x00\x00\x00\xffj\x04Host '198.18.0.1' is not allowed to connect to this MariaDB server", "MariaDB ERR_Packet 1130", "MariaDB")
add("null", "vnc", b"RFB 003.008\n", "RFC 6143 7.1.1")
add("null", "telnet", b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27", "RFC 854")
add("null", "irc", b":irc.example.net NOTICE * :*** Looking up your hostname...\r\n", "RFC 2812 3.3.2")
add("null", "nntp", b"200 news.example.org InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n", "INN nnrpd", "INN", "2.7.1")
add("null", "svn", b"( success ( 2 2 ( ) ( edit-pipeline svndiff1 accepts-svndiff2 absent-entries depth log-revprops ) ) ) ", "Subversion ra_svn protocol")
add("http-get", "http", http(b"Server: Microsoft-IIS/10.0\r\n"), "IIS", "Microsoft IIS httpd", "10.0")
add("http-get", "http", http(b"Server: Microsoft-HTTPAPI/2.0\r\n"), "HTTP.sys", "Microsoft HTTPAPI httpd", "2.0")
add("http-get", "http", http(b"Server: Apache\r\n"), "httpd ServerTokens Prod", "Apache httpd")
add("http-get", "http", http(b"server: nginx\r\n"), "nginx server_tokens off", "nginx")
add("http-get", "http", http(b"Server: openresty/1.21.4.3\r\n"), "OpenResty", "OpenResty", "1.21.4.3")
add("http-get", "http", http(b"Server: Jetty(9.4.53.v20231009)\r\n"), "Jetty", "Jetty", "9.4.53.v20231009")
add("http-get", "http", http(b"Server: Werkzeug/3.0.1 Python/3.11.2\r\n"), "Werkzeug serving.py", "Werkzeug httpd", "3.0.1")
add("http-get", "http", http(b"Server: gunicorn\r\n"), "Gunicorn", "Gunicorn")
add("http-get", "http", http(b"Server: Docker/24.0.7 (linux)\r\n", body=b'{"message":"page not found"}'), "Docker Engine API", "Docker Engine API", "24.0.7")
add("http-get", "http", b'HTTP/1.1 200 OK\r\nServer: CouchDB/3.3.3 (Erlang OTP/24)\r\nContent-Type: application/json\r\n\r\n{"couchdb":"Welcome","version":"3.3.3","git_sha":"40afbcfc7","uuid":"x","features":[],"vendor":{"name":"The Apache Software Foundation"}}\n', "CouchDB API GET /", "CouchDB", "3.3.3")
add("http-get", "http", b'HTTP/1.1 200 OK\r\nX-elastic-product: Elasticsearch\r\ncontent-type: application/json\r\n\r\n{\n  "name" : "node-1",\n  "cluster_name" : "lab",\n  "version" : {\n    "number" : "8.12.0",\n    "build_flavor" : "default"\n  },\n  "tagline" : "You Know, for Search"\n}\n', "Elasticsearch GET /", "Elasticsearch", "8.12.0")
add("http-get", "http", b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-Influxdb-Build: OSS\r\nX-Influxdb-Version: 1.8.10\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n404 page not found\n", "InfluxDB HTTP API", "InfluxDB", "1.8.10")
add("http-get", "ipp", http(b"Server: CUPS/2.4 IPP/2.1\r\n"), "CUPS", "CUPS", "2.4")
add("http-get", "http-proxy", b"HTTP/1.1 400 Bad Request\r\nServer: squid/5.7\r\nMime-Version: 1.0\r\nContent-Length: 0\r\n\r\n", "Squid", "Squid http proxy", "5.7")
add("http-get", "http", b"HTTP/1.0 302 Found\r\nLocation: /login\r\n\r\n", "RFC 9112 4")
add("dns-version-bind", "domain", dns_txt(b"9.18.24-1-Debian"), "BIND 9 ARM options version", "ISC BIND", "9.18.24-1-Debian")
add("dns-version-bind", "domain", dns_txt(b"unbound 1.17.1"), "unbound.conf(5)", "Unbound", "1.17.1")
add("dns-version-bind", "domain", dns_txt(b"PowerDNS Recursor 4.9.2"), "PowerDNS version-string", "PowerDNS Recursor", "4.9.2")
add("dns-version-bind", "domain", dns_txt(b"Knot DNS 3.3.4"), "Knot DNS server.version", "Knot DNS", "3.3.4")
add("dns-version-bind", "domain", dns_txt(None, 5), "RFC 1035 4.1.1 (REFUSED)")
add("redis-info", "redis", b"-NOAUTH Authentication required.\r\n", "redis server.c", "Redis")
add("redis-ping", "redis", b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.\r\n", "redis networking.c", "Redis")
add("redis-info", "redis", b"$200\r\n# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\nredis_mode:standalone\r\n", "Valkey INFO", "Valkey", "8.0.1")
add("pg-startup", "postgresql", b"R\x00\x00\x00\x17\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00", "PostgreSQL AuthenticationSASL", "PostgreSQL")
add("mqtt-connect", "mqtt", b"\x20\x02\x00\x05", "MQTT 3.1.1 3.2.2.3 (not authorized)")
props = b""
for k, v in ((b"product", b"RabbitMQ"), (b"version", b"3.12.12"), (b"platform", b"Erlang/OTP 26.2.1")):
    props += bytes([len(k)]) + k + b"S" + struct.pack(">I", len(v)) + v
payload = b"\x00\x0a\x00\x0a\x00\x09" + struct.pack(">I", len(props)) + props + \
    struct.pack(">I", 5) + b"PLAIN" + struct.pack(">I", 5) + b"en_US"
add("amqp-header", "amqp", b"\x01\x00\x00" + struct.pack(">I", len(payload)) + payload + b"\xce",
    "AMQP 0-9-1 connection.start", "RabbitMQ", "3.12.12")
add("amqp-header", "amqp", b"AMQP\x00\x01\x00\x00", "AMQP 1.0 (OASIS) 2.2 protocol header")
add("ldap-rootdse", "ldap", ldap_entry([(b"objectClass", [b"top"]), (b"vendorName", [b"389 Project"]),
                                        (b"vendorVersion", [b"389-Directory/2.4.4 B2024.010.0000"])]),
    "RFC 3045; 389-DS rootDSE", "389 Directory Server", "2.4.4")
add("ldap-rootdse", "ldap", ldap_entry([(b"currentTime", [b"20240101000000.0Z"]),
                                        (b"domainControllerFunctionality", [b"7"]),
                                        (b"isGlobalCatalogReady", [b"TRUE"])]),
    "[MS-ADTS] 3.1.1.3.2", "Microsoft Windows Active Directory LDAP")
add("ldap-rootdse", "ldap", ber(0x30, b"\x02\x01\x01" + ber(0x65, b"\x0a\x01\x32\x04\x00\x04\x00")),
    "RFC 4511 4.5.2 (SearchResultDone, insufficientAccessRights)")
smb2hdr = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 0, 0, 0, 1, 1, 0, 0, 0xfeff, 0, 0) + b"\x00" * 16
smb2neg = struct.pack("<HHHH", 65, 1, 0x0210, 0) + b"g" * 16 + b"\x00" * 40
smb = smb2hdr + smb2neg
add("smb2-negotiate", "microsoft-ds", struct.pack(">I", len(smb)) + smb, "[MS-SMB2] 2.2.4")
smb1 = b"\xffSMBr" + b"\x00" * 27 + b"\x11\x05\x00"
add("smb2-negotiate", "microsoft-ds", struct.pack(">I", len(smb1)) + smb1, "[MS-CIFS] 2.2.4.52.2")
add("rdp-x224", "ms-wbt-server", b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x02\x00\x00\x00", "[MS-RDPBCGR] 2.2.1.2")
add("mongodb-buildinfo", "mongodb", op_reply(0x46500002, bson([("version", "7.0.5"), ("gitVersion", "7809d71e84e314b497f282ea8aa06d7ded3eb205"), ("ok", 1.0)])),
    "MongoDB buildInfo", "MongoDB", "7.0.5")
add("mongodb-ismaster", "mongodb", op_reply(0x46500001, bson([("ismaster", True), ("maxBsonObjectSize", 16777216), ("maxWireVersion", 21), ("ok", 1.0)])),
    "MongoDB hello/isMaster", "MongoDB")
add("rtsp-options", "rtsp", b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\nServer: GStreamer RTSP server\r\n\r\n", "gst-rtsp-server", "GStreamer RTSP server")
add("rtsp-options", "rtsp", b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nDate: Mon, Jan 01 2024 00:00:00 GMT\r\nPublic: OPTIONS, DESCRIBE, SETUP\r\nServer: LIVE555 Streaming Media v2023.11.30\r\n\r\n", "live555", "LIVE555 Streaming Media", "2023.11.30")
add("rtsp-options", "rtsp", b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm=\"cam\"\r\n\r\n", "RFC 2326 7.1")
sip_via = b"Via: SIP/2.0/TCP 198.19.2.2:5060;branch=z9hG4bKfastport1\r\nCSeq: 1 OPTIONS\r\n"
add("sip-options", "sip", b"SIP/2.0 200 OK\r\n" + sip_via + b"Server: Asterisk PBX 20.5.0\r\nContent-Length: 0\r\n\r\n", "Asterisk useragent", "Asterisk", "20.5.0")
add("sip-options", "sip", b"SIP/2.0 200 OK\r\n" + sip_via + b"User-Agent: FreeSWITCH-mod_sofia/1.10.10-release~64bit\r\nContent-Length: 0\r\n\r\n", "FreeSWITCH mod_sofia", "FreeSWITCH", "1.10.10-release~64bit")
add("sip-options", "sip", b"SIP/2.0 200 OK\r\n" + sip_via + b"Server: kamailio (5.7.3 (x86_64/linux))\r\nContent-Length: 0\r\n\r\n", "Kamailio server_header", "kamailio", "5.7.3")
add("sip-options", "sip", b"SIP/2.0 404 Not Found\r\n" + sip_via + b"Content-Length: 0\r\n\r\n", "RFC 3261 7.2")
add("socks5", "socks5", b"\x05\x02", "RFC 1929")
add("socks5", "socks5", b"\x05\xff", "RFC 1928 3")
add("xmpp-stream", "xmpp", b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='4711' from='example.org' version='1.0' xml:lang='en'><stream:features/>", "RFC 6120 4.2")
mm = struct.pack(">H", 2) + struct.pack(">H", 11) + b"CQL_VERSION" + struct.pack(">H", 1) + struct.pack(">H", 5) + b"3.4.6" + \
    struct.pack(">H", 11) + b"COMPRESSION" + struct.pack(">H", 2) + struct.pack(">H", 6) + b"snappy" + struct.pack(">H", 3) + b"lz4"
add("cassandra-options", "cassandra", b"\x84\x00\x00\x00\x06" + struct.pack(">I", len(mm)) + mm, "CQL v4 4.2.4 SUPPORTED")
add("zookeeper-srvr", "zookeeper", b"Zookeeper version: 3.8.3-6ad6d364c7c0bcf0de452d54ebefa3058098ab56, built on 2023-10-05 10:34 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x0\nMode: standalone\nNode count: 5\n", "ZooKeeper 4lw srvr", "Apache ZooKeeper", "3.8.3")
add("mssql-prelogin", "ms-sql-s", b"\x04\x01\x00\x25\x00\x00\x01\x00\x00\x00\x15\x00\x06\x01\x00\x1b\x00\x01\x02\x00\x1c\x00\x01\x03\x00\x1d\x00\x00\xff\x10\x00\x10\x7c\x00\x00\x02\x00\x00", "[MS-TDS] 2.2.6.5", "Microsoft SQL Server")
add("git-upload-pack", "git", b"0036ERR access denied or repository not exported: /\n", "gitprotocol-pack")
add("x11-setup", "x11", b"\x00\x16\x0b\x00\x00\x00\x06\x00No protocol specified\n\x00\x00", "X11 protocol 8")
add("epmd-names", "epmd", b"\x00\x00\x11\x11name rabbit at port 25672\n", "Erlang EPMD NAMES_RESP")
add("jdwp-handshake", "jdwp", b"JDWP-Handshake", "JDWP spec", "Java Debug Wire Protocol")
add("rpc-null", "rpcbind", b"\x80\x00\x00\x18FPRB\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "RFC 5531 9")
add("stomp-connect", "stomp", b"CONNECTED\nserver:ActiveMQ/5.18.3\nheart-beat:0,0\nsession:ID:x-1\nversion:1.2\n\n\x00", "STOMP 1.2 CONNECTED", "Apache ActiveMQ", "5.18.3")
add("stomp-connect", "stomp", b"CONNECTED\nserver:RabbitMQ/3.12.12\nsession:session-x\nheart-beat:0,0\nversion:1.2\n\n\x00", "STOMP 1.2 CONNECTED", "RabbitMQ", "3.12.12")
add("ajp-cping", "ajp13", b"AB\x00\x01\x09", "Tomcat AJP CPong")
add("beanstalk-stats", "beanstalkd", b"OK 40\r\n---\ncurrent-jobs-urgent: 0\nversion: \"1.13\"\nuptime: 5\n\r\n", "beanstalkd protocol.txt stats", "beanstalkd", "1.13")
add("kafka-apiversions", "kafka", b"\x00\x00\x00\x0e\x46\x50\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x09", "Kafka ApiVersions v0", "Apache Kafka")

add("null", "pop3", b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", "RFC 1939 7 (example greeting)")
add("null", "imap", b"* OK IMAP4rev1 Service Ready\r\n", "RFC 3501 8 (example greeting)")
add("null", "nntp", b"200 NNTP Service Ready, posting permitted\r\n", "RFC 3977 5.1.3 (example)")
add("http-get", "rtsp", b"RTSP/1.0 400 Bad Request\r\nCSeq: 0\r\n\r\n", "RFC 2326 7.1")
add("http-get", "sip", b"SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "RFC 3261 7.2")
add("redis-info", "redis", b"$120\r\n# Server\r\nredis_version:7.2.0\r\ndragonfly_version:df-v1.14.0\r\nredis_mode:standalone\r\n", "Dragonfly INFO", "Dragonfly", "1.14.0")
empty = b"\x00\x0a\x00\x0a\x00\x09" + struct.pack(">I", 0) + struct.pack(">I", 5) + b"PLAIN" + struct.pack(">I", 5) + b"en_US"
add("amqp-header", "amqp", b"\x01\x00\x00" + struct.pack(">I", len(empty)) + empty + b"\xce", "AMQP 0-9-1 connection.start")
add("zookeeper-srvr", "zookeeper", b"srvr is not executed because it is not in the whitelist.\n", "ZooKeeper 4lw.commands.whitelist", "Apache ZooKeeper")
add("x11-setup", "x11", b"\x01\x00\x0b\x00\x00\x00\x20\x00" + b"\x00" * 32, "X11 protocol 8 (Success)")
add("stomp-connect", "stomp", b"ERROR\nmessage:Bad CONNECT\ncontent-length:0\n\n\x00", "STOMP 1.2 ERROR frame")

for s in S:
    sys.stdout.write(json.dumps(s, sort_keys=True) + "\n")
