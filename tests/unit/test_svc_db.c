/* SPDX-License-Identifier: MIT */
/* Unit tests of the service stage's parsers: probe database, matcher, HTTP, STARTTLS, TLS bytes, JSON. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "service/db.h"
#include "service/match.h"
#include "service/http.h"
#include "service/starttls.h"
#include "service/tls.h"
#include "service/svc.h"
#include "event/json.h"
#include "svc_fixture.h"

static void load_fixture(struct db *db)
{
	char err[256];

	assert_int_equal(db_parse(db, svc_fixture_db, sizeof(svc_fixture_db) - 1, "fixture", err,
				  sizeof(err)), 0);
	assert_int_equal(match_compile(db, true, "fixture", err, sizeof(err)), 0);
}

static void test_db_fixture(void **state)
{
	struct db db;
	const struct db_probe *p;
	uint8_t out[256];
	int n;

	(void)state;
	load_fixture(&db);
	assert_int_equal(db.nprobes, 3);
	assert_int_equal(db.nmatches, 7);
	p = &db.probes[0];
	assert_string_equal(p->name, "null");
	assert_int_equal(p->wait_ms, 800);
	assert_int_equal(p->send_len, 0);
	assert_true(db_probe_hints(p, 22));
	assert_false(db_probe_hints(p, 80));
	p = &db.probes[1];
	assert_true(p->tls_ok);
	assert_true(db_probe_hints(p, 8005));
	assert_false(db_probe_hints(p, 8011));
	n = db_probe_render(p, "198.18.0.1", "9.9.9", out, sizeof(out));
	assert_true(n > 0);
	out[n] = 0;
	assert_string_equal((char *)out, "GET / HTTP/1.0\r\nHost: 198.18.0.1\r\nUser-Agent: fastport/9.9.9\r\n\r\n");
	assert_int_equal(db_probe_render(p, "198.18.0.1", "9.9.9", out, 10), -1);
	p = &db.probes[2];
	assert_true(p->builtin_tls);
	assert_true(db_probe_hints(p, 443) && db_probe_hints(p, 8443));
	assert_int_equal(db_probe_find(&db, "tls"), 2);
	assert_int_equal(db_probe_find(&db, "nope"), -1);
	assert_int_equal(db.matches[0].probes, 3);
	assert_int_equal(db.probes[0].nmatches, 5);
	assert_int_equal(db.probes[1].nmatches, 3);
	assert_int_equal(db.probes[2].nmatches, 1);
	assert_false(db.matches[3].firm);
	db_free(&db);
}

static void test_db_embedded(void **state)
{
	struct db db;
	char err[256];

	(void)state;
	assert_int_equal(db_load_embedded(&db, err, sizeof(err)), 0);
	assert_true(db.nprobes >= 3);
	assert_true(db_probe_find(&db, "null") >= 0);
	assert_true(db_probe_find(&db, "http-get") >= 0);
	assert_true(db_probe_find(&db, "tls") >= 0);
	assert_int_equal(match_compile(&db, true, "embedded", err, sizeof(err)), 0);
	db_free(&db);
}

/* Each bad text fails with its line in the message. */
/* Without a [probe tls] block the loader adds the built-in one, so a match
 * may name it. */
static void test_db_builtin_tls(void **state)
{
	static const char text[] = "[probe null]\nsend = \"\"\nsource = x\n"
				   "[match]\nprobe = tls\nservice = http\npattern = ^HTTP/\nsource = y\n";
	struct db db;
	char err[256];
	int t;

	(void)state;
	assert_int_equal(db_parse(&db, text, sizeof(text) - 1, "t", err, sizeof(err)), 0);
	assert_int_equal(db.nprobes, 2);
	t = db_probe_find(&db, "tls");
	assert_int_equal(t, 1);
	assert_true(db.probes[t].builtin_tls);
	assert_true(db_probe_hints(&db.probes[t], 443));
	assert_true(db_probe_hints(&db.probes[t], 993));
	assert_false(db_probe_hints(&db.probes[t], 80));
	assert_int_equal(db.probes[t].nmatches, 1);
	assert_int_equal(db.matches[0].probes, 2);
	db_free(&db);
}

static void test_db_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[probe a]\nsend = \"\"\nsource = x\nbogus = 1\n", "t:4: unknown key 'bogus'" },
		{ "[probe a]\nsend = \"\"\n", "t:1: probe a: source is required" },
		{ "[probe a]\nsource = x\n", "t:1: probe a: send is required" },
		{ "[frob]\n", "t:1: unknown section" },
		{ "send = \"\"\n", "t:1: key 'send' outside" },
		{ "[probe A]\n", "t:1: probe name must be" },
		{ "[probe a]\nsend=\"\"\nsource=x\n[probe a]\n", "t:4: probe a defined twice" },
		{ "[probe a]\nsend = \"\\q\"\nsource = x\n", "t:2: send: unknown escape" },
		{ "[probe a]\nsend = \"\\x4\"\nsource = x\n", "t:2: send: \\x needs two hex digits" },
		{ "[probe a]\nsend = \"abc\nsource = x\n", "t:2: send: missing closing quote" },
		{ "[probe a]\nsend = \"a\" b\nsource = x\n", "t:2: send: text after" },
		{ "[probe a]\nsend = \"\"\nports = 1,,2\nsource = x\n", "t:3: ports:" },
		{ "[probe a]\nsend = \"\"\nports = 0\nsource = x\n", "t:3: ports:" },
		{ "[probe a]\nsend = \"\"\nports = 9-3\nsource = x\n", "t:3: ports:" },
		{ "[probe a]\nsend = \"\"\nports = 70000\nsource = x\n", "t:3: ports:" },
		{ "[probe a]\nsend = \"\"\nwait = 0\nsource = x\n", "t:3: wait:" },
		{ "[probe a]\nsend = \"\"\ntls = maybe\nsource = x\n", "t:3: tls: expected yes or no" },
		{ "[probe a]\nsend = \"\"\nsource = x\nsource = y\n", "t:4: key 'source' given twice" },
		{ "[probe a]\nsend = \"\"\npattern = x\n", "t:3: key 'pattern' is not valid in a probe block" },
		{ "[probe tls]\nsend = \"x\"\n", "t:2: the tls probe is a handshake" },
		{ "[probe a]\nsend=\"\"\nsource=x\n[match]\nprobe = b\nservice = s\npattern = x\nsource = y\n",
		  "t:4: probe: no probe is called 'b'" },
		{ "[probe a]\nsend=\"\"\nsource=x\n[match]\nprobe = a\nservice = s\nsource = y\n",
		  "t:4: match: pattern is required" },
		{ "[probe a]\nsend=\"\"\nsource=x\n[match]\nprobe = a\nservice = S\n", "t:6: service:" },
		{ "[probe a]\nsend=\"\"\nsource=x\n[match]\nprobe=a\nservice=s\npattern=x\nversion=$0\nsource=y\n",
		  "t:8: version: $0" },
		{ "[probe a]\nsend=\"\"\nsource=x\n[match]\nprobe=a\nservice=s\npattern=x\ncpe=a\ncpe=b\ncpe=c\ncpe=d\ncpe=e\n",
		  "t:12: more than 4 cpe lines" },
		{ "[probe a\n", "t:1: section header without ']'" },
		{ "[probe a] x\n", "t:1: text after the section header" },
		{ "[probe a]\nnothing here\n", "t:2: expected 'key = value'" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct db db;
		int r = db_parse(&db, cases[i].text, strlen(cases[i].text), "t", err, sizeof(err));

		if (r != FP_EINVAL || !strstr(err, cases[i].want))
			fail_msg("case %zu: got %d '%s', want '%s'", i, r, err, cases[i].want);
		assert_int_equal(db.nprobes, 0);
		assert_null(db.probes);
	}
	/* A NUL byte and an overlong line. */
	{
		struct db db;
		static const char nul[] = "[probe a]\0\n";
		char *big = malloc(DB_LINE_MAX + 16);

		assert_int_equal(db_parse(&db, nul, sizeof(nul) - 1, "t", err, sizeof(err)), FP_EINVAL);
		assert_non_null(strstr(err, "NUL"));
		assert_non_null(big);
		memset(big, '#', DB_LINE_MAX + 8);
		big[DB_LINE_MAX + 8] = '\n';
		assert_int_equal(db_parse(&db, big, DB_LINE_MAX + 9, "t", err, sizeof(err)), FP_EINVAL);
		assert_non_null(strstr(err, "t:1: line longer"));
		free(big);
	}
}

static void test_db_load_file(void **state)
{
	struct db db;
	char err[256], path[] = "/tmp/fp-svc-db-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(db_load_file(&db, "/nonexistent/x.db", err, sizeof(err)), FP_EIO);
	assert_non_null(strstr(err, "/nonexistent/x.db: "));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, svc_fixture_db, sizeof(svc_fixture_db) - 1),
			 (ssize_t)(sizeof(svc_fixture_db) - 1));
	close(fd);
	assert_int_equal(db_load_file(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db.nmatches, 7);
	db_free(&db);
	unlink(path);
}

static void test_compile_errors(void **state)
{
	static const char bad_re[] = "[probe a]\nsend=\"\"\nsource=x\n[match]\nprobe=a\nservice=s\n"
				     "pattern=(abc\nsource=y\n";
	static const char bad_ref[] = "[probe a]\nsend=\"\"\nsource=x\n[match]\nprobe=a\nservice=s\n"
				      "pattern=(a)b\nversion=$2\nsource=y\n";
	struct db db;
	char err[256];

	(void)state;
	assert_int_equal(db_parse(&db, bad_re, sizeof(bad_re) - 1, "t", err, sizeof(err)), 0);
	assert_int_equal(match_compile(&db, true, "t", err, sizeof(err)), FP_EINVAL);
	assert_non_null(strstr(err, "t:4: pattern: "));
	assert_non_null(strstr(err, "at offset"));
	db_free(&db);
	assert_int_equal(db_parse(&db, bad_ref, sizeof(bad_ref) - 1, "t", err, sizeof(err)), 0);
	assert_int_equal(match_compile(&db, false, "t", err, sizeof(err)), FP_EINVAL);
	assert_non_null(strstr(err, "t:4: $2 but the pattern has 1 capture group"));
	db_free(&db);
}

static void test_match(void **state)
{
	struct db db;
	struct matcher *mt;
	struct svc_result r;
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	static const char ssh2[] = "SSH-2.0-OpenSSH_8.4\r\n";
	static const char http[] = "HTTP/1.1 200 OK\r\nDate: x\r\nServer: testhttpd/1.2.3\r\n\r\n";
	char redos[64];
	int mi;

	(void)state;
	load_fixture(&db);
	assert_int_equal(matcher_new(&mt), 0);
	memset(&r, 0, sizeof(r));
	mi = match_run(mt, &db, 0, -1, NULL, (const uint8_t *)ssh, strlen(ssh), &r);
	assert_int_equal(mi, 0);
	assert_string_equal(r.name, "ssh");
	assert_string_equal(r.product, "OpenSSH");
	assert_string_equal(r.version, "9.2p1");
	assert_string_equal(r.info, "protocol 2.0; Debian-2+deb12u3");
	assert_int_equal(r.ncpe, 1);
	assert_string_equal(r.cpe[0], "cpe:/a:openbsd:openssh:9.2p1");
	assert_int_equal(r.method, SVC_METHOD_PROBE);
	/* An empty group drops its info part. */
	mi = match_run(mt, &db, 0, -1, NULL, (const uint8_t *)ssh2, strlen(ssh2), &r);
	assert_int_equal(mi, 0);
	assert_string_equal(r.info, "protocol 2.0");
	/* The http-get probe also knows ssh; the null probe does not know http. */
	assert_int_equal(match_run(mt, &db, 1, -1, NULL, (const uint8_t *)ssh, strlen(ssh), NULL), 0);
	assert_int_equal(match_run(mt, &db, 0, -1, NULL, (const uint8_t *)http, strlen(http), NULL), -1);
	mi = match_run(mt, &db, 1, -1, NULL, (const uint8_t *)http, strlen(http), &r);
	assert_int_equal(mi, 4);
	assert_string_equal(r.name, "http");
	assert_string_equal(r.product, "testhttpd");
	assert_string_equal(r.version, "1.2.3");
	/* Inside a tunnel: the inner probe, then the null probe's matches. */
	assert_int_equal(match_run(mt, &db, 1, 0, NULL, (const uint8_t *)"+OK hi\r\n", 8, &r), 3);
	assert_int_equal(r.method, SVC_METHOD_SOFT);
	assert_string_equal(r.name, "pop3");
	/* A soft match, then a firm one in the same list: the firm one wins. */
	assert_int_equal(match_run(mt, &db, 0, -1, "ssh", (const uint8_t *)"+OK\r\n", 5, NULL), -1);
	/* Catastrophic backtracking ends at the match limit: no match. */
	memset(redos, 'a', sizeof(redos));
	redos[sizeof(redos) - 1] = 'b';
	assert_int_equal(match_run(mt, &db, 0, -1, NULL, (const uint8_t *)redos, sizeof(redos), NULL), -1);
	matcher_free(mt);
	db_free(&db);
}

static void test_subst(void **state)
{
	/* Groups: 0 = [0,10), 1 = [0,3), 2 unset, 3 = [4,4) empty. */
	static const uint8_t subj[] = "abc\x01\xff" "defgh";
	size_t ov[8] = { 0, 10, 0, 3, (size_t)-1, (size_t)-1, 4, 4 };
	char out[16];
	uint32_t empty = 9;

	(void)state;
	assert_int_equal(match_subst("x$1y$2z$3", 9, subj, ov, 4, out, sizeof(out), &empty), 3);
	assert_string_equal(out, "xabcyz");
	assert_int_equal(empty, 2);
	ov[2] = 2;
	ov[3] = 6;
	assert_int_equal(match_subst("$1", 2, subj, ov, 4, out, sizeof(out), &empty), 1);
	assert_string_equal(out, "c?d"); /* \x01 dropped, \xff shown as '?' */
	assert_int_equal(match_subst("$$1$", 4, subj, ov, 4, out, 3, NULL), 1);
	assert_string_equal(out, "$c"); /* cut at cap */
}

static void test_http(void **state)
{
	static const char ok[] =
		"HTTP/1.1 301 Moved Permanently\r\nserver:  nginx/1.22.1 \r\nLocation: https://x.example/\r\n"
		"Server: second\r\n\r\n<html><head><TITLE lang=en>\n  Fish &amp; Chips\t &lt;3 </title>";
	static const char lf[] = "HTTP/1.0 200 OK\nServer: a\n\n<title>t</title>";
	static const char untitled[] = "HTTP/1.1 404 Not Found\r\n\r\n<title";
	struct svc_http h;

	(void)state;
	assert_true(http_parse((const uint8_t *)ok, strlen(ok), &h));
	assert_int_equal(h.status, 301);
	assert_string_equal(h.server, "nginx/1.22.1");
	assert_string_equal(h.location, "https://x.example/");
	assert_string_equal(h.title, "Fish & Chips <3");
	assert_true(http_parse((const uint8_t *)lf, strlen(lf), &h));
	assert_int_equal(h.status, 200);
	assert_string_equal(h.server, "a");
	assert_string_equal(h.title, "t");
	assert_true(http_parse((const uint8_t *)untitled, strlen(untitled), &h));
	assert_int_equal(h.status, 404);
	assert_string_equal(h.title, "");
	assert_false(http_parse((const uint8_t *)"HTTP/1.1 20", 11, &h));
	assert_false(http_parse((const uint8_t *)"HTTP/2 200 OK\r\n", 15, &h));
	assert_false(http_parse((const uint8_t *)"SSH-2.0-x\r\n", 11, &h));
	assert_false(http_parse((const uint8_t *)"HTTP/1.1 2000\r\n", 15, &h));
	/* Truncated in the middle of the headers: what is there. */
	assert_true(http_parse((const uint8_t *)"HTTP/1.1 200 OK\r\nServer: ab", 27, &h));
	assert_string_equal(h.server, "ab");
}

static void test_starttls(void **state)
{
	size_t used;
	static const char smtp_ehlo[] = "250-mail.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n";

	(void)state;
	assert_int_equal(starttls_for("smtp"), STARTTLS_SMTP);
	assert_int_equal(starttls_for("ftp"), STARTTLS_FTP);
	assert_int_equal(starttls_for("http"), STARTTLS_NONE);
	assert_string_equal(starttls_command(STARTTLS_SMTP, 1), "EHLO fastport.invalid\r\n");
	assert_string_equal(starttls_command(STARTTLS_SMTP, 2), "STARTTLS\r\n");
	assert_null(starttls_command(STARTTLS_SMTP, 3));
	assert_null(starttls_command(STARTTLS_POP3, 2));
	assert_int_equal(starttls_reply(STARTTLS_SMTP, 0, (const uint8_t *)"220-a\r\n", 7, &used), STARTTLS_MORE);
	assert_int_equal(starttls_reply(STARTTLS_SMTP, 0, (const uint8_t *)"220-a\r\n220 b\r\n", 14, &used), STARTTLS_OK);
	assert_int_equal(used, 14);
	assert_int_equal(starttls_reply(STARTTLS_SMTP, 1, (const uint8_t *)smtp_ehlo, strlen(smtp_ehlo), &used), STARTTLS_OK);
	assert_int_equal(used, strlen(smtp_ehlo));
	assert_int_equal(starttls_reply(STARTTLS_SMTP, 2, (const uint8_t *)"454 no\r\n", 8, &used), STARTTLS_FAIL);
	assert_int_equal(starttls_reply(STARTTLS_SMTP, 2, (const uint8_t *)"junk\r\n", 6, &used), STARTTLS_FAIL);
	assert_int_equal(starttls_reply(STARTTLS_FTP, 1, (const uint8_t *)"234 ok\r\n", 8, &used), STARTTLS_OK);
	assert_int_equal(starttls_reply(STARTTLS_POP3, 1, (const uint8_t *)"+OK go\r\n", 8, &used), STARTTLS_OK);
	assert_int_equal(starttls_reply(STARTTLS_POP3, 1, (const uint8_t *)"-ERR\r\n", 6, &used), STARTTLS_FAIL);
	assert_int_equal(starttls_reply(STARTTLS_IMAP, 1, (const uint8_t *)"* x\r\nfp1 OK go\r\n", 16, &used), STARTTLS_OK);
	assert_int_equal(used, 16);
	assert_int_equal(starttls_reply(STARTTLS_IMAP, 1, (const uint8_t *)"fp1 NO\r\n", 8, &used), STARTTLS_FAIL);
	assert_int_equal(starttls_reply(STARTTLS_IMAP, 1, (const uint8_t *)"* x\r\nfp1", 8, &used), STARTTLS_MORE);
}

static void test_tls_bytes(void **state)
{
	/* A ServerHello: TLS 1.2 legacy version, empty session id,
	 * TLS_AES_128_GCM_SHA256 (0x1301), extensions 43 and 51. */
	static const uint8_t sh[] = {
		2, 0, 0, 50, 3, 3,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
		0, 0x13, 0x01, 0, 0, 10, 0, 43, 0, 2, 3, 4, 0, 51, 0, 0,
	};
	char s[64];
	uint8_t bad[sizeof(sh)];

	(void)state;
	assert_int_equal(tls_sniff((const uint8_t *)"", 0), TLS_SNIFF_MORE);
	assert_int_equal(tls_sniff((const uint8_t *)"\x16\x03\x03\x00\x31", 5), TLS_SNIFF_HANDSHAKE);
	assert_int_equal(tls_sniff((const uint8_t *)"\x15\x03\x01\x00\x02", 5), TLS_SNIFF_ALERT);
	assert_int_equal(tls_sniff((const uint8_t *)"\x16\x03", 2), TLS_SNIFF_MORE);
	assert_int_equal(tls_sniff((const uint8_t *)"\x16\x03\x03\x00\x00", 5), TLS_SNIFF_NOT);
	assert_int_equal(tls_sniff((const uint8_t *)"\x16\x03\x03\xff\xff", 5), TLS_SNIFF_NOT);
	assert_int_equal(tls_sniff((const uint8_t *)"HTTP/1.1", 8), TLS_SNIFF_NOT);
	assert_int_equal(tls_sniff((const uint8_t *)"\x16\x02", 2), TLS_SNIFF_NOT);
	assert_int_equal(tls_ja3s_string(sh, sizeof(sh) - 4, s, sizeof(s)), -1);
	/* The body length says 50, so all 54 bytes. */
	assert_int_equal(tls_ja3s_string(sh, sizeof(sh), s, sizeof(s)), (int)strlen("771,4865,43-51"));
	assert_string_equal(s, "771,4865,43-51");
	assert_int_equal(tls_ja3s_string(sh, sizeof(sh), s, 8), -1);
	memcpy(bad, sh, sizeof(sh));
	bad[0] = 1;
	assert_int_equal(tls_ja3s_string(bad, sizeof(bad), s, sizeof(s)), -1);
	memcpy(bad, sh, sizeof(sh));
	bad[43] = 13; /* extensions length no longer matches */
	assert_int_equal(tls_ja3s_string(bad, sizeof(bad), s, sizeof(s)), -1);
}

static void test_json(void **state)
{
	struct svc_result r;
	struct jbuf b;
	char esc[32];

	(void)state;
	assert_int_equal(svc_escape((const uint8_t *)"a\r\n\\\x01\x7f", 6, esc, sizeof(esc)), 15);
	assert_string_equal(esc, "a\\r\\n\\\\\\x01\\x7f");
	assert_int_equal(svc_escape((const uint8_t *)"abc\x01", 4, esc, 6), 3);
	memset(&r, 0, sizeof(r));
	jbuf_init(&b);
	strcpy(r.name, "unknown");
	memcpy(r.banner, "hi\r\n", 4);
	r.banner_len = 4;
	assert_int_equal(svc_result_json(&b, &r), 0);
	assert_string_equal(b.p, "{\"name\":\"unknown\",\"method\":\"none\",\"banner\":\"hi\\\\r\\\\n\"}");
	jbuf_reset(&b);
	memset(&r, 0, sizeof(r));
	strcpy(r.name, "http");
	strcpy(r.tunnel, "ssl");
	strcpy(r.product, "nginx");
	strcpy(r.version, "1.22.1");
	r.ncpe = 1;
	strcpy(r.cpe[0], "cpe:/a:nginx:nginx:1.22.1");
	r.method = SVC_METHOD_PROBE;
	strcpy(r.probe, "http-get");
	r.has_http = true;
	r.http.status = 200;
	strcpy(r.http.server, "nginx/1.22.1");
	strcpy(r.http.title, "Hi \"you\"");
	r.has_tls = true;
	strcpy(r.tls.version, "TLSv1.3");
	strcpy(r.tls.cipher, "TLS_AES_256_GCM_SHA384");
	strcpy(r.tls.alpn, "http/1.1");
	r.tls.has_cert = true;
	strcpy(r.tls.subject, "CN=a");
	strcpy(r.tls.issuer, "CN=a");
	r.tls.nsan = 2;
	strcpy(r.tls.san[0], "DNS:a");
	strcpy(r.tls.san[1], "IP:198.18.0.1");
	strcpy(r.tls.not_before, "2026-01-01T00:00:00Z");
	strcpy(r.tls.not_after, "2027-01-01T00:00:00Z");
	strcpy(r.tls.serial, "01");
	strcpy(r.tls.sha256, "ab");
	strcpy(r.tls.key_type, "RSA");
	r.tls.key_bits = 2048;
	r.tls.self_signed = true;
	strcpy(r.tls.ja3s, "cd");
	assert_int_equal(svc_result_json(&b, &r), 0);
	assert_string_equal(b.p,
		"{\"name\":\"http\",\"tunnel\":\"ssl\",\"product\":\"nginx\",\"version\":\"1.22.1\","
		"\"cpe\":[\"cpe:/a:nginx:nginx:1.22.1\"],\"method\":\"probe\",\"probe\":\"http-get\","
		"\"http\":{\"status\":200,\"server\":\"nginx/1.22.1\",\"title\":\"Hi \\\"you\\\"\"},"
		"\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":\"TLS_AES_256_GCM_SHA384\",\"alpn\":\"http/1.1\","
		"\"subject\":\"CN=a\",\"issuer\":\"CN=a\",\"san\":[\"DNS:a\",\"IP:198.18.0.1\"],"
		"\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2027-01-01T00:00:00Z\","
		"\"serial\":\"01\",\"sha256\":\"ab\",\"key_type\":\"RSA\",\"key_bits\":2048,"
		"\"self_signed\":true,\"expired\":false,\"ja3s\":\"cd\"}}");
	jbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_fixture),
		cmocka_unit_test(test_db_embedded),
		cmocka_unit_test(test_db_builtin_tls),
		cmocka_unit_test(test_db_errors),
		cmocka_unit_test(test_db_load_file),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_subst),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_tls_bytes),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
