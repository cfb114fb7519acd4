/* SPDX-License-Identifier: MIT */
/*
 * TLS for identification (OpenSSL 3): handshakes over memory BIOs, so the
 * connection engine owns every byte read and written and bounds them; the
 * certificate's fields and the JA3S of the ServerHello; and the bounded
 * parsers of raw TLS bytes (record sniffing, ServerHello) that need no
 * OpenSSL. Certificates are never verified: we identify, we do not trust.
 */
#ifndef FP_SVC_TLS_H
#define FP_SVC_TLS_H

#include "svc.h"

#define TLS_CERT_LIST_MAX (128u << 10) /* bytes of a certificate chain OpenSSL accepts */

/* What the first bytes of an answer to a ClientHello are (tls_sniff). */
enum tls_sniff {
	TLS_SNIFF_MORE = 0,  /* fewer than the 5 bytes of a record header */
	TLS_SNIFF_HANDSHAKE, /* a TLS handshake record (SSL 3.0 to TLS 1.3 framing) */
	TLS_SNIFF_ALERT,     /* a TLS alert record */
	TLS_SNIFF_NOT,       /* anything else: not TLS */
};

/* Classifies the first n bytes of what a server sent after our ClientHello. */
enum tls_sniff tls_sniff(const uint8_t *p, size_t n);

/*
 * Writes the JA3S string "SSLVersion,Cipher,Ext-Ext-..." (decimal) of a
 * ServerHello handshake message (the 4-byte header included, as OpenSSL's
 * message callback gives it) into out. Returns its length, or -1 when the
 * message is not a well-formed ServerHello or the text does not fit cap.
 */
int tls_ja3s_string(const uint8_t *msg, size_t n, char *out, size_t cap);

struct tls_ctx;
struct tls_conn;

enum {
	TLS_WANT = 0,        /* needs more bytes from the peer */
	TLS_DONE = 1,        /* the handshake is complete */
	TLS_ERROR = -1,      /* failed: alert, garbage, limits */
};

/*
 * Loads OpenSSL's configuration, creates the client context (any protocol
 * version the library has, security level 0, no verification, ALPN h2 and
 * http/1.1, no session cache) and runs one handshake start in memory, so
 * that algorithm fetches, provider loading and the random generator's
 * seeding are done before the caller's sandbox. Message in err on failure.
 */
int tls_ctx_new(struct tls_ctx **out, char *err, size_t errlen);
void tls_ctx_free(struct tls_ctx *c);

/* What a connection offers in ALPN. */
enum tls_alpn {
	TLS_ALPN_HTTP = 0,   /* h2 and http/1.1 */
	TLS_ALPN_H1,         /* http/1.1 alone: the retry after a server chose h2 */
	TLS_ALPN_NONE,       /* nothing: STARTTLS upgrades */
};

/* A client connection over memory BIOs. */
int tls_conn_new(struct tls_ctx *c, enum tls_alpn alpn, struct tls_conn **out);

/* Ends OpenSSL's per-thread state of the calling thread. */
void tls_thread_end(void);
void tls_conn_free(struct tls_conn *t);

/* Hands bytes read from the socket to OpenSSL. FP_ERANGE once more than
 * SVC_TLS_RAW_MAX bytes came in on this connection. */
int tls_conn_feed(struct tls_conn *t, const uint8_t *p, size_t n);
/* The peer closed: OpenSSL sees end of input. */
void tls_conn_eof(struct tls_conn *t);

/* Drives the handshake (starting it on the first call). TLS_WANT/DONE/ERROR. */
int tls_conn_handshake(struct tls_conn *t);

/* Moves up to cap bytes that OpenSSL wants sent into out; returns how many. */
size_t tls_conn_take_output(struct tls_conn *t, uint8_t *out, size_t cap);

/* Encrypts n bytes of application data (into the output). 0 or FP_EIO. */
int tls_conn_write(struct tls_conn *t, const uint8_t *p, size_t n);

/* Decrypted application data: bytes (> 0), 0 when none is ready, -1 at the
 * end of the stream or on an error. */
int tls_conn_read(struct tls_conn *t, uint8_t *out, size_t cap);

/* After TLS_DONE: protocol, cipher, ALPN, certificate fields, JA3S. */
void tls_conn_info(struct tls_conn *t, struct svc_tls *out);

/* The selected ALPN protocol is "h2". */
bool tls_conn_alpn_h2(const struct tls_conn *t);

/* The raw bytes received so far on this connection (before decryption). */
size_t tls_conn_raw_in(const struct tls_conn *t);

#endif
