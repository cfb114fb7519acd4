/* SPDX-License-Identifier: MIT */
/* The plain-text dialogues that upgrade SMTP, IMAP, POP3 and FTP to TLS (STARTTLS, STLS, AUTH TLS). */
#ifndef FP_SVC_STARTTLS_H
#define FP_SVC_STARTTLS_H

#include "../core/common.h"

enum starttls_proto {
	STARTTLS_NONE = 0,
	STARTTLS_SMTP,      /* RFC 3207: EHLO, then STARTTLS -> 220 */
	STARTTLS_IMAP,      /* RFC 9051 6.2.1: tag STARTTLS -> tag OK */
	STARTTLS_POP3,      /* RFC 2595 4: STLS -> +OK */
	STARTTLS_FTP,       /* RFC 4217 6: AUTH TLS -> 234 */
};

enum {
	STARTTLS_MORE = 0,  /* the reply is not complete yet */
	STARTTLS_OK = 1,    /* the reply says go on */
	STARTTLS_FAIL = -1, /* refused, or not a reply of this protocol */
};

/* The dialogue for a service name ("smtp", "imap", "pop3", "ftp"), or NONE. */
enum starttls_proto starttls_for(const char *service);

/*
 * Step 0 is the server's greeting (nothing is sent); step k > 0 sends
 * starttls_command(p, k) and reads its reply. When starttls_command()
 * returns NULL for the next step, the TLS handshake starts.
 */
const char *starttls_command(enum starttls_proto p, unsigned step);

/*
 * Reads the reply of step `step` at the start of b[0..n): STARTTLS_MORE,
 * STARTTLS_OK (then *used is the reply's length in bytes) or STARTTLS_FAIL.
 * Multi-line replies (SMTP and FTP "NNN-") are read to their last line.
 * Lines end in LF (CRLF accepted).
 */
int starttls_reply(enum starttls_proto p, unsigned step, const uint8_t *b, size_t n,
		   size_t *used);

#endif
