/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the identification stage end to end: real sockets on
 * 127.0.0.1, served by threads of this test (greeting, HTTP, TLS with a
 * certificate made here, STARTTLS, silence, RST after accept, an endless
 * banner, a slow drip, garbage TLS). Every server ends when the client
 * closes, and every port has the stage's own deadline, so each test is
 * bounded by construction; nothing asserts on time.
 */
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "service/svc.h"
#include "service/tls.h"
#include "event/json.h"
#include "svc_fixture.h"

enum mode {
	M_GREET, M_HTTP, M_TLS_HTTP, M_TLS_GREET, M_SILENT, M_RST, M_ENDLESS, M_DRIP, M_JUNK_TLS, M_SMTP,
};

struct server {
	enum mode mode;
	int lfd;
	uint16_t port;
	pthread_t thread;
	int stop;             /* atomic */
	int live;             /* handler threads running, atomic */
	SSL_CTX *ssl;
	pthread_mutex_t lock;
	char ja3s_str[256];   /* the JA3S string of a ServerHello this server sent */
};

struct handler {
	struct server *srv;
	int fd;
};

/* The test certificate: its DER digest and fields, for the checks. */
static X509 *g_cert;
static EVP_PKEY *g_key;

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

/* Reads until the peer closes (or the 5 s receive timeout). */
static void drain(int fd)
{
	char b[4096];

	while (read(fd, b, sizeof(b)) > 0)
		;
}

/* Reads an HTTP request head: true when "\r\n\r\n" came. */
static bool read_request(int fd, SSL *ssl)
{
	char b[4096];
	size_t n = 0;

	while (n < sizeof(b) - 1) {
		int r = ssl ? SSL_read(ssl, b + n, (int)(sizeof(b) - 1 - n))
			    : (int)read(fd, b + n, sizeof(b) - 1 - n);

		if (r <= 0)
			return false;
		n += (size_t)r;
		b[n] = 0;
		if (strstr(b, "\r\n\r\n"))
			return true;
	}
	return false;
}

static const char http_reply[] =
	"HTTP/1.1 200 OK\r\nServer: testhttpd/1.2.3\r\nContent-Type: text/html\r\n"
	"Connection: close\r\n\r\n<html><head><title>Test  Page</title></head></html>";

static void serve_tls(struct server *srv, int fd)
{
	SSL *ssl = SSL_new(srv->ssl);
	const unsigned char *alpn = NULL;
	unsigned alpn_len = 0;

	if (!ssl)
		return;
	SSL_set_msg_callback_arg(ssl, srv);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1) {
		SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
		/* We speak no HTTP/2: a client that chose h2 is sent away. */
		if (srv->mode == M_TLS_GREET) {
			SSL_write(ssl, "SSH-2.0-OpenSSH_9.2p1 Debian\r\n", 30);
			while (SSL_read(ssl, (char[64]){ 0 }, 64) > 0)
				;
		} else if (!(alpn_len == 2 && !memcmp(alpn, "h2", 2)) && srv->mode == M_TLS_HTTP &&
		    read_request(fd, ssl))
			SSL_write(ssl, http_reply, (int)strlen(http_reply));
		else if (srv->mode == M_SMTP)
			drain(fd);
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	ERR_clear_error();
}

static void serve_smtp(struct server *srv, int fd)
{
	char line[512];
	size_t n = 0;

	send_all(fd, "220 mail.test ESMTP ready\r\n", 27);
	for (;;) {
		ssize_t r = read(fd, line + n, 1);

		if (r <= 0)
			return;
		if (line[n] != '\n' && n < sizeof(line) - 2) {
			n++;
			continue;
		}
		line[n + 1] = 0;
		n = 0;
		if (!strncmp(line, "EHLO ", 5)) {
			send_all(fd, "250-mail.test\r\n250 STARTTLS\r\n", 29);
		} else if (!strncmp(line, "STARTTLS", 8)) {
			send_all(fd, "220 go ahead\r\n", 14);
			serve_tls(srv, fd);
			return;
		} else {
			send_all(fd, "502 no\r\n", 8);
		}
	}
}

static void *handler_main(void *arg)
{
	struct handler *h = arg;
	struct server *srv = h->srv;
	int fd = h->fd;
	struct timeval tv = { .tv_sec = 5 };
	uint8_t junk[600];

	free(h);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	switch (srv->mode) {
	case M_GREET:
		send_all(fd, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 40);
		drain(fd);
		break;
	case M_HTTP:
		if (read_request(fd, NULL))
			send_all(fd, http_reply, strlen(http_reply));
		break;
	case M_TLS_HTTP:
	case M_TLS_GREET:
		serve_tls(srv, fd);
		break;
	case M_SILENT:
		drain(fd);
		break;
	case M_RST: {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	}
	case M_ENDLESS:
		memset(junk, 'A', sizeof(junk));
		for (int i = 0; i < 100000; i++)
			if (send(fd, junk, sizeof(junk), MSG_NOSIGNAL) <= 0)
				break;
		break;
	case M_DRIP:
		for (int i = 0; i < 500; i++) {
			struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

			if (send(fd, "x", 1, MSG_NOSIGNAL) <= 0)
				break;
			nanosleep(&ts, NULL);
		}
		break;
	case M_JUNK_TLS:
		/* Whatever comes in, answer a record header and binary junk. */
		if (read(fd, junk, sizeof(junk)) > 0) {
			for (size_t i = 0; i < sizeof(junk); i++)
				junk[i] = (uint8_t)(i * 37 + 11);
			memcpy(junk, "\x16\x03\x03\x00\x40\x02\x00\x00\xff", 9);
			send_all(fd, junk, sizeof(junk));
			drain(fd);
		}
		break;
	case M_SMTP:
		serve_smtp(srv, fd);
		break;
	}
	close(fd);
	__atomic_sub_fetch(&srv->live, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *server_main(void *arg)
{
	struct server *srv = arg;

	while (!__atomic_load_n(&srv->stop, __ATOMIC_SEQ_CST)) {
		struct pollfd p = { .fd = srv->lfd, .events = POLLIN };
		struct handler *h;
		pthread_t t;
		int fd;

		if (poll(&p, 1, 20) <= 0)
			continue;
		fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		h = malloc(sizeof(*h));
		assert_non_null(h);
		h->srv = srv;
		h->fd = fd;
		__atomic_add_fetch(&srv->live, 1, __ATOMIC_SEQ_CST);
		assert_int_equal(pthread_create(&t, NULL, handler_main, h), 0);
		pthread_detach(t);
	}
	return NULL;
}

static void server_msg_cb(int write_p, int version, int content_type, const void *buf,
			  size_t len, SSL *ssl, void *arg)
{
	struct server *srv = arg;
	char s[256];

	(void)version;
	(void)ssl;
	if (!srv || !write_p || content_type != SSL3_RT_HANDSHAKE || len < 1 ||
	    ((const uint8_t *)buf)[0] != 2)
		return;
	if (tls_ja3s_string(buf, len, s, sizeof(s)) > 0) {
		pthread_mutex_lock(&srv->lock);
		memcpy(srv->ja3s_str, s, sizeof(s));
		pthread_mutex_unlock(&srv->lock);
	}
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char prefs[] = "\x02h2\x08http/1.1";

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto((unsigned char **)out, outlen, prefs, sizeof(prefs) - 1, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

static void make_cert(void)
{
	X509_NAME *nm;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	if (g_cert)
		return;
	g_key = EVP_EC_gen("P-256");
	assert_non_null(g_key);
	g_cert = X509_new();
	assert_non_null(g_cert);
	X509_set_version(g_cert, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(g_cert), 0x0123456789abcdefull);
	X509_gmtime_adj(X509_getm_notBefore(g_cert), -86400);
	X509_gmtime_adj(X509_getm_notAfter(g_cert), 86400L * 365);
	X509_set_pubkey(g_cert, g_key);
	nm = X509_get_subject_name(g_cert);
	X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"fastport tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"fastport.test", -1, -1, 0);
	X509_set_issuer_name(g_cert, nm);
	X509V3_set_ctx(&v3, g_cert, g_cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
				  "DNS:fastport.test,DNS:alt.fastport.test,IP:127.0.0.1");
	assert_non_null(ext);
	X509_add_ext(g_cert, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(g_cert, g_key, EVP_sha256()) > 0);
}

static void server_start(struct server *srv, enum mode mode)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(srv, 0, sizeof(*srv));
	srv->mode = mode;
	pthread_mutex_init(&srv->lock, NULL);
	if (mode == M_TLS_HTTP || mode == M_TLS_GREET || mode == M_SMTP) {
		make_cert();
		srv->ssl = SSL_CTX_new(TLS_server_method());
		assert_non_null(srv->ssl);
		assert_int_equal(SSL_CTX_use_certificate(srv->ssl, g_cert), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(srv->ssl, g_key), 1);
		SSL_CTX_set_alpn_select_cb(srv->ssl, alpn_select, NULL);
		SSL_CTX_set_msg_callback(srv->ssl, server_msg_cb);
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(srv->lfd >= 0);
	setsockopt(srv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(srv->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(srv->lfd, 128), 0);
	assert_int_equal(getsockname(srv->lfd, (struct sockaddr *)&a, &alen), 0);
	srv->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&srv->thread, NULL, server_main, srv), 0);
}

static void server_stop(struct server *srv)
{
	__atomic_store_n(&srv->stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(srv->thread, NULL);
	close(srv->lfd);
	/* Handlers end once their client is gone (or at their 5 s socket timeouts). */
	while (__atomic_load_n(&srv->live, __ATOMIC_SEQ_CST) > 0) {
		struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	SSL_CTX_free(srv->ssl);
	pthread_mutex_destroy(&srv->lock);
}

#define MAX_RESULTS 64

struct collect {
	struct svc_result r[MAX_RESULTS];
	size_t n;
};

static void on_result(void *arg, const struct svc_result *r)
{
	struct collect *c = arg;
	struct jbuf b;

	/* Every result encodes. */
	jbuf_init(&b);
	assert_int_equal(svc_result_json(&b, r), 0);
	assert_non_null(b.p);
	assert_true(b.p[0] == '{' && b.p[b.len - 1] == '}');
	jbuf_free(&b);
	assert_true(c->n < MAX_RESULTS);
	c->r[c->n++] = *r;
}

/* The fixture with the tls probe also hinting extra_tls_port (0: none), in a file. */
static void write_db(char *path, uint16_t extra_tls_port)
{
	const char *at = strstr(svc_fixture_db, "ports = 443, 8443\n");
	char *text = malloc(sizeof(svc_fixture_db) + 32);
	int fd, n;

	assert_non_null(at);
	assert_non_null(text);
	n = snprintf(text, sizeof(svc_fixture_db) + 32, "%.*sports = 443, 8443, %u\n%s",
		     (int)(at - svc_fixture_db), svc_fixture_db,
		     extra_tls_port ? extra_tls_port : 443, at + strlen("ports = 443, 8443\n"));
	strcpy(path, "/tmp/fp-svc-db-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, (size_t)n), n);
	close(fd);
	free(text);
}

/* Identifies the given ports of 127.0.0.1 with the fixture; results in c. */
static void identify(struct collect *c, const uint16_t *ports, size_t n, uint32_t timeout_ms,
		     uint32_t conc, uint16_t tls_port)
{
	struct svc_config cfg = { .concurrency = conc, .timeout_ms = timeout_ms };
	struct svc *s;
	char err[256], path[64];

	write_db(path, tls_port);
	cfg.db_path = path;
	memset(c, 0, sizeof(*c));
	if (svc_open(&s, &cfg, on_result, c, err, sizeof(err)) < 0)
		fail_msg("svc_open: %s", err);
	unlink(path);
	for (size_t i = 0; i < n / 2; i++)
		assert_int_equal(svc_submit(s, addr_from_v4(0x7f000001), ports[i]), 0);
	assert_int_equal(svc_start(s), 0);
	for (size_t i = n / 2; i < n; i++)
		assert_int_equal(svc_submit(s, addr_from_v4(0x7f000001), ports[i]), 0);
	assert_int_equal(svc_finish(s), 0);
	assert_int_equal(svc_submit(s, addr_from_v4(0x7f000001), 1), FP_ESTATE);
	svc_close(s);
	assert_int_equal(c->n, n);
}

static struct collect g_c;

static void one(struct server *srv, enum mode mode, uint32_t timeout_ms, bool tls_hint)
{
	server_start(srv, mode);
	identify(&g_c, &srv->port, 1, timeout_ms, 0, tls_hint ? srv->port : 0);
	server_stop(srv);
	assert_int_equal(g_c.r[0].port, srv->port);
	assert_true(g_c.r[0].addr == addr_from_v4(0x7f000001));
}

static void test_greeting(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_GREET, 3000, false);
	assert_string_equal(r->name, "ssh");
	assert_string_equal(r->product, "OpenSSH");
	assert_string_equal(r->version, "9.2p1");
	assert_string_equal(r->info, "protocol 2.0; Debian-2+deb12u3");
	assert_string_equal(r->cpe[0], "cpe:/a:openbsd:openssh:9.2p1");
	assert_int_equal(r->method, SVC_METHOD_PROBE);
	assert_string_equal(r->probe, "null");
	assert_string_equal(r->tunnel, "");
	assert_int_equal(r->banner_len, 40);
	assert_memory_equal(r->banner, "SSH-2.0-OpenSSH_9.2p1", 21);
	assert_false(r->has_tls);
}

static void test_http(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_HTTP, 3000, false);
	assert_string_equal(r->name, "http");
	assert_string_equal(r->product, "testhttpd");
	assert_string_equal(r->version, "1.2.3");
	assert_string_equal(r->probe, "http-get");
	assert_int_equal(r->method, SVC_METHOD_PROBE);
	assert_true(r->has_http);
	assert_int_equal(r->http.status, 200);
	assert_string_equal(r->http.server, "testhttpd/1.2.3");
	assert_string_equal(r->http.title, "Test Page");
	assert_false(r->has_tls);
}

static void time_text(const ASN1_TIME *t, char *out, size_t cap)
{
	struct tm tm;

	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	assert_true(strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
}

static void check_cert_fields(const struct svc_tls *t)
{
	uint8_t md[32];
	unsigned mdlen = 0;
	char hex[65], tb[32];

	assert_true(t->has_cert);
	assert_string_equal(t->subject, "CN=fastport.test,O=fastport tests");
	assert_string_equal(t->issuer, "CN=fastport.test,O=fastport tests");
	assert_int_equal(t->nsan, 3);
	assert_string_equal(t->san[0], "DNS:fastport.test");
	assert_string_equal(t->san[1], "DNS:alt.fastport.test");
	assert_string_equal(t->san[2], "IP:127.0.0.1");
	time_text(X509_get0_notBefore(g_cert), tb, sizeof(tb));
	assert_string_equal(t->not_before, tb);
	time_text(X509_get0_notAfter(g_cert), tb, sizeof(tb));
	assert_string_equal(t->not_after, tb);
	assert_string_equal(t->serial, "0123456789abcdef");
	assert_int_equal(X509_digest(g_cert, EVP_sha256(), md, &mdlen), 1);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(t->sha256, hex);
	assert_string_equal(t->key_type, "EC");
	assert_int_equal(t->key_bits, 256);
	assert_true(t->self_signed);
	assert_false(t->expired);
}

static void check_ja3s(const struct server *srv, const struct svc_tls *t)
{
	uint8_t md[16];
	unsigned mdlen = 0;
	char hex[33];

	assert_true(srv->ja3s_str[0]);
	assert_int_equal(strncmp(srv->ja3s_str, "771,", 4), 0);
	assert_int_equal(EVP_Digest(srv->ja3s_str, strlen(srv->ja3s_str), md, &mdlen, EVP_md5(), NULL), 1);
	for (unsigned i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(t->ja3s, hex);
}

/* TLS on a port the tls probe does not hint: found by the parallel probes.
 * The server picks h2 first, so the stage asks again offering http/1.1. */
static void test_tls(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_TLS_HTTP, 5000, false);
	assert_string_equal(r->name, "http");
	assert_string_equal(r->tunnel, "ssl");
	assert_string_equal(r->product, "testhttpd");
	assert_string_equal(r->version, "1.2.3");
	assert_string_equal(r->probe, "http-get");
	assert_int_equal(r->method, SVC_METHOD_PROBE);
	assert_true(r->has_http);
	assert_string_equal(r->http.title, "Test Page");
	assert_true(r->has_tls);
	assert_string_equal(r->tls.version, "TLSv1.3");
	assert_true(r->tls.cipher[0] && !strncmp(r->tls.cipher, "TLS_", 4));
	assert_string_equal(r->tls.alpn, "h2");
	assert_false(r->tls.starttls);
	check_cert_fields(&r->tls);
	check_ja3s(&srv, &r->tls);
}

/* The same with the port hinted for tls: the handshake goes first. */
static void test_tls_hinted(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_TLS_HTTP, 5000, true);
	assert_string_equal(r->name, "http");
	assert_string_equal(r->tunnel, "ssl");
	assert_string_equal(r->product, "testhttpd");
	assert_true(r->has_tls);
	check_cert_fields(&r->tls);
}

/* A server that greets inside TLS: the null probe's matches see it. */
static void test_tls_greeting(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_TLS_GREET, 5000, true);
	assert_string_equal(r->name, "ssh");
	assert_string_equal(r->tunnel, "ssl");
	assert_string_equal(r->product, "OpenSSH");
	assert_string_equal(r->version, "9.2p1");
	/* The fixture's ssh match also serves http-get, the probe sent inside. */
	assert_string_equal(r->probe, "http-get");
	assert_true(r->has_tls);
	assert_string_equal(r->tls.alpn, "h2");
	check_cert_fields(&r->tls);
}

static void test_starttls_smtp(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_SMTP, 5000, false);
	assert_string_equal(r->name, "smtp");
	assert_string_equal(r->product, "Test smtpd");
	assert_string_equal(r->tunnel, "");
	assert_true(r->has_tls);
	assert_true(r->tls.starttls);
	assert_string_equal(r->tls.version, "TLSv1.3");
	assert_string_equal(r->tls.alpn, "");
	check_cert_fields(&r->tls);
	assert_memory_equal(r->banner, "220 mail.test ESMTP ready\r\n", 27);
}

/* Nothing ever comes: unknown after the deadline, no name from the port. */
static void test_silent(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_SILENT, 1500, false);
	assert_string_equal(r->name, "unknown");
	assert_int_equal(r->method, SVC_METHOD_NONE);
	assert_int_equal(r->banner_len, 0);
	assert_string_equal(r->probe, "");
	assert_false(r->has_tls);
}

static void test_rst(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_RST, 3000, false);
	assert_string_equal(r->name, "tcpwrapped");
	assert_int_equal(r->method, SVC_METHOD_NONE);
	assert_int_equal(r->banner_len, 0);
}

static void test_endless(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_ENDLESS, 3000, false);
	assert_string_equal(r->name, "unknown");
	assert_int_equal(r->banner_len, SVC_BANNER_MAX);
	for (uint32_t i = 0; i < r->banner_len; i++)
		assert_int_equal(r->banner[i], 'A');
}

static void test_drip(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_DRIP, 1500, false);
	assert_string_equal(r->name, "unknown");
	assert_true(r->banner_len > 0);
	assert_int_equal(r->banner[0], 'x');
}

static void test_junk_tls(void **state)
{
	struct server srv;
	const struct svc_result *r = &g_c.r[0];

	(void)state;
	one(&srv, M_JUNK_TLS, 3000, true);
	assert_string_equal(r->name, "unknown");
	assert_false(r->has_tls);
	assert_true(r->banner_len > 0);
	assert_int_equal(r->banner[0], 0x16);
}

/* A port that refuses: a result all the same, and nothing guessed. */
static void test_refused(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	/* Bound, not listening: connections are refused. */
	identify(&g_c, &port, 1, 2000, 0, 0);
	close(fd);
	assert_string_equal(g_c.r[0].name, "unknown");
	assert_int_equal(g_c.r[0].banner_len, 0);
}

/* More ports than the concurrency allows at once: all queue and finish. */
static void test_many(void **state)
{
	struct server g, h;
	uint16_t ports[40];

	(void)state;
	server_start(&g, M_GREET);
	server_start(&h, M_HTTP);
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++)
		ports[i] = i % 2 ? h.port : g.port;
	identify(&g_c, ports, ARRAY_SIZE(ports), 3000, 6, 0);
	server_stop(&g);
	server_stop(&h);
	for (size_t i = 0; i < g_c.n; i++)
		assert_string_equal(g_c.r[i].name, g_c.r[i].port == g.port ? "ssh" : "http");
}

static void test_stop(void **state)
{
	struct server srv;
	struct svc_config cfg = { .timeout_ms = 60000 };
	struct svc *s;
	char err[256];

	(void)state;
	server_start(&srv, M_SILENT);
	memset(&g_c, 0, sizeof(g_c));
	assert_int_equal(svc_open(&s, &cfg, on_result, &g_c, err, sizeof(err)), 0);
	assert_true(svc_concurrency(s) >= SVC_JOB_CONNS);
	assert_int_equal(svc_finish(s), FP_ESTATE);
	assert_int_equal(svc_start(s), 0);
	assert_int_equal(svc_start(s), FP_ESTATE);
	for (int i = 0; i < 10; i++)
		assert_int_equal(svc_submit(s, addr_from_v4(0x7f000001), srv.port), 0);
	svc_stop(s);
	assert_int_equal(svc_finish(s), FP_ESTOPPED);
	assert_int_equal(svc_submit(s, addr_from_v4(0x7f000001), srv.port), FP_ESTATE);
	svc_close(s);
	assert_int_equal(g_c.n, 0);
	server_stop(&srv);
	/* Closing a stage that was never started, with work queued. */
	assert_int_equal(svc_open(&s, &cfg, on_result, &g_c, err, sizeof(err)), 0);
	assert_int_equal(svc_submit(s, addr_from_v4(0x7f000001), 9), 0);
	svc_close(s);
	svc_close(NULL);
}

static void test_open_errors(void **state)
{
	struct svc_config cfg = { .db_path = "/nonexistent/db" };
	struct svc *s = (struct svc *)1;
	char err[256];

	(void)state;
	assert_int_equal(svc_open(&s, &cfg, on_result, NULL, err, sizeof(err)), FP_EIO);
	assert_null(s);
	assert_non_null(strstr(err, "/nonexistent/db"));
	assert_int_equal(svc_open(&s, NULL, on_result, NULL, err, sizeof(err)), FP_EINVAL);
	assert_int_equal(svc_open(&s, &cfg, NULL, NULL, err, sizeof(err)), FP_EINVAL);
}

static int teardown(void **state)
{
	(void)state;
	X509_free(g_cert);
	EVP_PKEY_free(g_key);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_hinted),
		cmocka_unit_test(test_tls_greeting),
		cmocka_unit_test(test_starttls_smtp),
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_endless),
		cmocka_unit_test(test_drip),
		cmocka_unit_test(test_junk_tls),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_open_errors),
	};

	/* The test's TLS servers write with OpenSSL, which may meet a closed socket. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
