/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the bytes a server sends back that the service
 * stage reads itself: TLS record sniffing, the ServerHello parser behind
 * JA3S, the STARTTLS reply reader (all four dialogues, every step), and a
 * client handshake over memory BIOs fed the input as the server's answer
 * (OpenSSL's parsing plus our message callback and certificate fields).
 */
#include <stdlib.h>
#include <string.h>

#include "service/tls.h"
#include "service/starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct tls_ctx *g_tls;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy, out[8192];
	char s[512];
	struct tls_conn *t;
	int n, r;

	if (!g_tls) {
		char err[256];

		if (tls_ctx_new(&g_tls, err, sizeof(err)) < 0)
			abort();
	}
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);

	r = tls_sniff(copy, size);
	CHECK(r >= TLS_SNIFF_MORE && r <= TLS_SNIFF_NOT);
	CHECK(r != TLS_SNIFF_MORE || size < 5);
	n = tls_ja3s_string(copy, size, s, sizeof(s));
	CHECK(n >= -1 && n < (int)sizeof(s));
	if (n >= 0) {
		CHECK(strlen(s) == (size_t)n && size >= 4 && copy[0] == 2);
		CHECK(strchr(s, ',') != NULL);
	}
	/* A record's payload as a handshake message, as OpenSSL's callback gives it. */
	if (size > 5)
		(void)tls_ja3s_string(copy + 5, size - 5, s, sizeof(s));

	for (int p = STARTTLS_SMTP; p <= STARTTLS_FTP; p++)
		for (unsigned step = 0; step < 3; step++) {
			size_t used = 0;

			r = starttls_reply((enum starttls_proto)p, step, copy, size, &used);
			CHECK(r == STARTTLS_MORE || r == STARTTLS_OK || r == STARTTLS_FAIL);
			if (r == STARTTLS_OK)
				CHECK(used > 0 && used <= size && copy[used - 1] == '\n');
		}

	if (tls_conn_new(g_tls, TLS_ALPN_HTTP, &t) == 0) {
		struct svc_tls info;

		CHECK(tls_conn_handshake(t) == TLS_WANT);
		CHECK(tls_conn_take_output(t, out, sizeof(out)) > 0);
		CHECK(tls_conn_feed(t, copy, size) == 0);
		r = tls_conn_handshake(t);
		if (r == TLS_WANT) {
			tls_conn_eof(t);
			r = tls_conn_handshake(t);
		}
		CHECK(r == TLS_ERROR || r == TLS_DONE || r == TLS_WANT);
		if (r == TLS_DONE)
			tls_conn_info(t, &info);
		while (tls_conn_take_output(t, out, sizeof(out)) > 0)
			;
		CHECK(tls_conn_raw_in(t) == size);
		tls_conn_free(t);
	}
	free(copy);
	return 0;
}
