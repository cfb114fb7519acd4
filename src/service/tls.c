/* SPDX-License-Identifier: MIT */
/* OpenSSL client handshakes over memory BIOs, certificate fields, JA3S, and raw TLS sniffing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"

struct tls_ctx {
	SSL_CTX *ctx[3];     /* by enum tls_alpn */
	EVP_MD *md5, *sha256;
};

struct tls_conn {
	struct tls_ctx *c;
	SSL *ssl;
	BIO *rb, *wb;        /* owned by ssl */
	size_t raw_in;
	bool hello_seen;
	char ja3s[33];
};

static const uint8_t ALPN_ALL[] = "\x02h2\x08http/1.1";
static const uint8_t ALPN_H1[] = "\x08http/1.1";

enum tls_sniff tls_sniff(const uint8_t *p, size_t n)
{
	uint32_t len;

	if (n == 0)
		return TLS_SNIFF_MORE;
	if (p[0] != 0x16 && p[0] != 0x15)
		return TLS_SNIFF_NOT;
	if (n >= 2 && p[1] != 3)
		return TLS_SNIFF_NOT;
	if (n >= 3 && p[2] > 4)
		return TLS_SNIFF_NOT;
	if (n < 5)
		return TLS_SNIFF_MORE;
	len = (uint32_t)p[3] << 8 | p[4];
	/* RFC 8446 5.1/5.2: a record carries at most 2^14 + 2048 bytes; never 0 here. */
	if (len == 0 || len > 16384 + 2048)
		return TLS_SNIFF_NOT;
	return p[0] == 0x16 ? TLS_SNIFF_HANDSHAKE : TLS_SNIFF_ALERT;
}

static bool put(char *out, size_t cap, size_t *o, const char *s)
{
	size_t k = strlen(s);

	if (cap - *o <= k)
		return false;
	memcpy(out + *o, s, k + 1);
	*o += k;
	return true;
}

int tls_ja3s_string(const uint8_t *m, size_t n, char *out, size_t cap)
{
	size_t i, o = 0, body, sid, end;
	char num[16];

	if (cap == 0)
		return -1;
	out[0] = '\0';
	/* Handshake header: type 2 (server_hello), 24-bit length (RFC 8446 4). */
	if (n < 4 || m[0] != 2)
		return -1;
	body = (size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3];
	if (body > n - 4)
		return -1;
	end = 4 + body;
	/* legacy_version(2) random(32) session_id<0..32> cipher(2) compression(1) */
	i = 4;
	if (end - i < 2 + 32 + 1)
		return -1;
	snprintf(num, sizeof(num), "%u,", (unsigned)(m[i] << 8 | m[i + 1]));
	if (!put(out, cap, &o, num))
		return -1;
	i += 2 + 32;
	sid = m[i++];
	if (sid > 32 || end - i < sid + 3)
		return -1;
	i += sid;
	snprintf(num, sizeof(num), "%u,", (unsigned)(m[i] << 8 | m[i + 1]));
	if (!put(out, cap, &o, num))
		return -1;
	i += 3;
	if (i == end)
		return (int)o;
	if (end - i < 2)
		return -1;
	{
		size_t elen = (size_t)m[i] << 8 | m[i + 1];
		bool first = true;

		i += 2;
		if (elen != end - i)
			return -1;
		while (i < end) {
			size_t dl;

			if (end - i < 4)
				return -1;
			dl = (size_t)m[i + 2] << 8 | m[i + 3];
			if (end - i - 4 < dl)
				return -1;
			snprintf(num, sizeof(num), "%s%u", first ? "" : "-",
				 (unsigned)(m[i] << 8 | m[i + 1]));
			if (!put(out, cap, &o, num))
				return -1;
			first = false;
			i += 4 + dl;
		}
	}
	return (int)o;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* OpenSSL's message callback: the first ServerHello gives the JA3S. */
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
		   SSL *ssl, void *arg)
{
	struct tls_conn *t = arg;
	char s[1024];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int n;

	(void)version;
	(void)ssl;
	if (write_p || content_type != SSL3_RT_HANDSHAKE || t->hello_seen || len < 1 ||
	    ((const uint8_t *)buf)[0] != 2)
		return;
	t->hello_seen = true;
	n = tls_ja3s_string(buf, len, s, sizeof(s));
	if (n < 0 || !t->c->md5)
		return;
	if (EVP_Digest(s, (size_t)n, md, &mdlen, t->c->md5, NULL) == 1 && mdlen == 16)
		hex(md, 16, t->ja3s);
}

static SSL_CTX *ctx_make(const uint8_t *alpn, unsigned alpn_len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	/* Identify anything the library can still speak: old versions, weak ciphers. */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, 0);
	SSL_CTX_set_max_proto_version(ctx, 0);
	if (SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFDEFAULT:@SECLEVEL=0") != 1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_LEGACY_SERVER_CONNECT |
				 SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_max_cert_list(ctx, TLS_CERT_LIST_MAX);
	if (alpn && SSL_CTX_set_alpn_protos(ctx, alpn, alpn_len) != 0)
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int tls_ctx_new(struct tls_ctx **out, char *err, size_t errlen)
{
	struct tls_ctx *c = calloc(1, sizeof(*c));
	struct tls_conn *t = NULL;
	uint8_t hello[4096];
	int ret = FP_ENOMEM;

	*out = NULL;
	if (!c)
		return FP_ENOMEM;
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1) {
		snprintf(err, errlen, "OpenSSL initialisation failed");
		ret = FP_EIO;
		goto out;
	}
	c->ctx[TLS_ALPN_HTTP] = ctx_make(ALPN_ALL, sizeof(ALPN_ALL) - 1);
	c->ctx[TLS_ALPN_H1] = ctx_make(ALPN_H1, sizeof(ALPN_H1) - 1);
	c->ctx[TLS_ALPN_NONE] = ctx_make(NULL, 0);
	if (!c->ctx[0] || !c->ctx[1] || !c->ctx[2]) {
		snprintf(err, errlen, "OpenSSL: cannot create the TLS client context");
		goto out;
	}
	/* JA3S needs MD5 (a fingerprint, not security); missing MD5 only loses JA3S. */
	c->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!c->sha256) {
		snprintf(err, errlen, "OpenSSL: no SHA-256");
		goto out;
	}
	/* One ClientHello in memory: fetches, key shares and the DRBG's seed now. */
	if (tls_conn_new(c, TLS_ALPN_HTTP, &t) < 0 || tls_conn_handshake(t) != TLS_WANT ||
	    tls_conn_take_output(t, hello, sizeof(hello)) == 0) {
		snprintf(err, errlen, "OpenSSL: cannot start a TLS handshake");
		ret = FP_EIO;
		goto out;
	}
	*out = c;
	c = NULL;
	ret = 0;
out:
	tls_conn_free(t);
	tls_ctx_free(c);
	ERR_clear_error();
	return ret;
}

void tls_thread_end(void)
{
	OPENSSL_thread_stop();
}

void tls_ctx_free(struct tls_ctx *c)
{
	if (!c)
		return;
	for (int i = 0; i < 3; i++)
		SSL_CTX_free(c->ctx[i]);
	EVP_MD_free(c->md5);
	EVP_MD_free(c->sha256);
	free(c);
}

int tls_conn_new(struct tls_ctx *c, enum tls_alpn alpn, struct tls_conn **out)
{
	struct tls_conn *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return FP_ENOMEM;
	t->c = c;
	t->ssl = SSL_new(c->ctx[(unsigned)alpn < 3 ? alpn : 0]);
	t->rb = BIO_new(BIO_s_mem());
	t->wb = BIO_new(BIO_s_mem());
	if (!t->ssl || !t->rb || !t->wb) {
		BIO_free(t->rb);
		BIO_free(t->wb);
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return FP_ENOMEM;
	}
	/* An empty read BIO means "wait", not end of stream. */
	BIO_set_mem_eof_return(t->rb, -1);
	SSL_set_bio(t->ssl, t->rb, t->wb);
	SSL_set_connect_state(t->ssl);
	SSL_set_msg_callback(t->ssl, msg_cb);
	SSL_set_msg_callback_arg(t->ssl, t);
	*out = t;
	return 0;
}

void tls_conn_free(struct tls_conn *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t);
	ERR_clear_error();
}

int tls_conn_feed(struct tls_conn *t, const uint8_t *p, size_t n)
{
	if (n > SVC_TLS_RAW_MAX - t->raw_in)
		return FP_ERANGE;
	t->raw_in += n;
	if (n && BIO_write(t->rb, p, (int)n) != (int)n)
		return FP_ENOMEM;
	return 0;
}

void tls_conn_eof(struct tls_conn *t)
{
	BIO_set_mem_eof_return(t->rb, 0);
}

int tls_conn_handshake(struct tls_conn *t)
{
	int r = SSL_do_handshake(t->ssl);

	if (r == 1)
		return TLS_DONE;
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT;
	default:
		ERR_clear_error();
		return TLS_ERROR;
	}
}

size_t tls_conn_take_output(struct tls_conn *t, uint8_t *out, size_t cap)
{
	int r;

	if (cap > INT32_MAX)
		cap = INT32_MAX;
	r = BIO_read(t->wb, out, (int)cap);
	return r > 0 ? (size_t)r : 0;
}

int tls_conn_write(struct tls_conn *t, const uint8_t *p, size_t n)
{
	size_t done = 0;

	if (n == 0)
		return 0;
	if (SSL_write_ex(t->ssl, p, n, &done) != 1 || done != n) {
		ERR_clear_error();
		return FP_EIO;
	}
	return 0;
}

int tls_conn_read(struct tls_conn *t, uint8_t *out, size_t cap)
{
	size_t got = 0;

	if (cap == 0)
		return 0;
	if (SSL_read_ex(t->ssl, out, cap, &got) == 1)
		return (int)got;
	switch (SSL_get_error(t->ssl, 0)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	default:
		ERR_clear_error();
		return -1;
	}
}

bool tls_conn_alpn_h2(const struct tls_conn *t)
{
	const unsigned char *a = NULL;
	unsigned n = 0;

	SSL_get0_alpn_selected(t->ssl, &a, &n);
	return n == 2 && !memcmp(a, "h2", 2);
}

size_t tls_conn_raw_in(const struct tls_conn *t)
{
	return t->raw_in;
}

/* Copies text, controls dropped and 8-bit bytes shown as '?'. */
static void copy_clean(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (p[i] >= 0x80)
			out[o++] = '?';
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			out[o++] = (char)p[i];
	}
	out[o] = '\0';
}

static void name_text(const X509_NAME *nm, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	out[0] = '\0';
	if (!b || !nm)
		goto out;
	/* RFC 2253 text; 8-bit bytes escaped (\XX), so the result is ASCII. */
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) < 0)
		goto out;
	n = BIO_get_mem_data(b, &p);
	if (n > 0 && p)
		copy_clean((const uint8_t *)p, (size_t)n, out, cap);
out:
	BIO_free(b);
}

static void time_text(const ASN1_TIME *t, char *out, size_t cap)
{
	struct tm tm;

	out[0] = '\0';
	memset(&tm, 0, sizeof(tm));
	if (t && ASN1_TIME_to_tm(t, &tm) == 1 &&
	    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

static void add_san(struct svc_tls *o, const char *prefix, const uint8_t *p, size_t n)
{
	char *s;
	size_t k = strlen(prefix);

	if (o->nsan >= SVC_SAN_MAX)
		return;
	s = o->san[o->nsan++];
	memcpy(s, prefix, k);
	copy_clean(p, n, s + k, SVC_SAN_LEN - k);
}

static void sans(X509 *cert, struct svc_tls *o)
{
	GENERAL_NAMES *g = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int n = g ? sk_GENERAL_NAME_num(g) : 0;

	for (int i = 0; i < n && o->nsan < SVC_SAN_MAX; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, i);
		const ASN1_STRING *s;
		char ip[INET6_ADDRSTRLEN];

		switch (gn->type) {
		case GEN_DNS:
			s = gn->d.dNSName;
			add_san(o, "DNS:", ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
			break;
		case GEN_EMAIL:
			s = gn->d.rfc822Name;
			add_san(o, "email:", ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
			break;
		case GEN_URI:
			s = gn->d.uniformResourceIdentifier;
			add_san(o, "URI:", ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
			break;
		case GEN_IPADD:
			s = gn->d.iPAddress;
			if (ASN1_STRING_length(s) == 4 &&
			    inet_ntop(AF_INET, ASN1_STRING_get0_data(s), ip, sizeof(ip)))
				add_san(o, "IP:", (const uint8_t *)ip, strlen(ip));
			else if (ASN1_STRING_length(s) == 16 &&
				 inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), ip, sizeof(ip)))
				add_san(o, "IP:", (const uint8_t *)ip, strlen(ip));
			break;
		default:
			break;
		}
	}
	GENERAL_NAMES_free(g);
}

static void key_info(X509 *cert, struct svc_tls *o)
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	const char *name;

	if (!pk)
		return;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA: name = "RSA"; break;
	case EVP_PKEY_RSA_PSS: name = "RSA-PSS"; break;
	case EVP_PKEY_EC: name = "EC"; break;
	case EVP_PKEY_DSA: name = "DSA"; break;
	case EVP_PKEY_ED25519: name = "ED25519"; break;
	case EVP_PKEY_ED448: name = "ED448"; break;
	default:
		name = EVP_PKEY_get0_type_name(pk);
		break;
	}
	copy_clean((const uint8_t *)(name ? name : "unknown"), strlen(name ? name : "unknown"),
		   o->key_type, sizeof(o->key_type));
	if (EVP_PKEY_get_bits(pk) > 0)
		o->key_bits = (uint32_t)EVP_PKEY_get_bits(pk);
}

static void serial_text(X509 *cert, char *out, size_t cap)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;

	out[0] = '\0';
	if (h) {
		size_t o = 0;

		for (const char *p = h; *p && o + 1 < cap; p++)
			out[o++] = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
		out[o] = '\0';
	}
	OPENSSL_free(h);
	BN_free(bn);
}

void tls_conn_info(struct tls_conn *t, struct svc_tls *o)
{
	const SSL_CIPHER *ci = SSL_get_current_cipher(t->ssl);
	const unsigned char *alpn = NULL;
	unsigned alpn_len = 0;
	X509 *cert = SSL_get0_peer_certificate(t->ssl);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	const char *s;

	memset(o, 0, sizeof(*o));
	s = SSL_get_version(t->ssl);
	copy_clean((const uint8_t *)s, strlen(s), o->version, sizeof(o->version));
	if (ci) {
		s = SSL_CIPHER_standard_name(ci);
		if (!s)
			s = SSL_CIPHER_get_name(ci);
		copy_clean((const uint8_t *)s, strlen(s), o->cipher, sizeof(o->cipher));
	}
	SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
	copy_clean(alpn, alpn_len, o->alpn, sizeof(o->alpn));
	memcpy(o->ja3s, t->ja3s, sizeof(o->ja3s));
	if (!cert)
		goto out;
	o->has_cert = true;
	name_text(X509_get_subject_name(cert), o->subject, sizeof(o->subject));
	name_text(X509_get_issuer_name(cert), o->issuer, sizeof(o->issuer));
	sans(cert, o);
	time_text(X509_get0_notBefore(cert), o->not_before, sizeof(o->not_before));
	time_text(X509_get0_notAfter(cert), o->not_after, sizeof(o->not_after));
	serial_text(cert, o->serial, sizeof(o->serial));
	if (X509_digest(cert, t->c->sha256, md, &mdlen) == 1 && mdlen == 32)
		hex(md, 32, o->sha256);
	key_info(cert, o);
	o->self_signed = X509_self_signed(cert, 1) == 1;
	o->expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
out:
	ERR_clear_error();
}
