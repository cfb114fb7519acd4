/* SPDX-License-Identifier: MIT */
/*
 * The service identification stage (-sV): what answers on each open TCP
 * port, over kernel TCP connections on one epoll loop of its own.
 *
 * Life cycle: svc_open() (loads and compiles the probe database, sets up
 * OpenSSL and PCRE2: everything that opens files or maps executable memory
 * happens here, before the caller drops privileges), svc_start() (the loop
 * thread), svc_submit() any number of times from any thread while the port
 * scan goes on, svc_finish() (no more submissions; returns when every
 * submitted port has its result) or svc_stop() (abandon what is left),
 * svc_close().
 *
 * Each submitted (address, port) gets exactly one result through the
 * callback, except after svc_stop(), when ports not yet finished get none.
 * The callback runs on the stage's own thread, one call at a time; the
 * result and every string in it are valid only during the call. It must not
 * call svc_finish(), svc_stop() or svc_close(); svc_submit() is allowed.
 *
 * Per port: at most SVC_JOB_CONNS connections at once, each with a receive
 * buffer of SVC_BUF_MAX bytes (TLS: at most SVC_TLS_RAW_MAX bytes of
 * records), and a deadline of timeout_ms from the first connect(): memory
 * and time are bounded whatever the server does.
 *
 * Functions return 0 or a negative FP_E* code; none prints or exits.
 */
#ifndef FP_SVC_H
#define FP_SVC_H

#include "../core/common.h"

struct jbuf;

#define SVC_TIMEOUT_DEFAULT_MS 6000u
#define SVC_CONC_MAX 16384u      /* connections at once, at most */
#define SVC_JOB_CONNS 3u         /* connections of one port at once */
#define SVC_BUF_MAX 16384u       /* bytes of one connection's answer that are kept */
#define SVC_TLS_RAW_MAX (256u << 10) /* bytes of TLS records read on one connection */
#define SVC_BANNER_MAX 256u      /* first bytes of an answer in the result */

/* Sizes of the result's text fields, with the NUL. */
#define SVC_NAME_LEN 32u
#define SVC_PRODUCT_LEN 128u
#define SVC_VERSION_LEN 64u
#define SVC_INFO_LEN 256u
#define SVC_CPE_LEN 160u
#define SVC_CPE_MAX 4u
#define SVC_SAN_MAX 16u
#define SVC_SAN_LEN 256u
#define SVC_DN_LEN 256u

struct svc_config {
	uint32_t concurrency;     /* connections at once; 0: from RLIMIT_NOFILE */
	uint32_t timeout_ms;      /* per port, from its first connect(); 0: the default */
	const char *db_path;      /* NULL: the database built into the library */
};

enum svc_method {
	SVC_METHOD_NONE = 0,      /* nothing matched: name unknown, tcpwrapped or ssl */
	SVC_METHOD_PROBE,         /* a firm match */
	SVC_METHOD_SOFT,          /* only a soft match: the name, maybe no version */
};

struct svc_http {
	int status;               /* 0: no status line */
	char server[SVC_PRODUCT_LEN];
	char title[SVC_PRODUCT_LEN];
	char location[SVC_DN_LEN];
};

struct svc_tls {
	char version[16];         /* "TLSv1.3" */
	char cipher[64];          /* the IANA name, "TLS_AES_256_GCM_SHA384" */
	char alpn[32];
	char subject[SVC_DN_LEN]; /* RFC 2253 text */
	char issuer[SVC_DN_LEN];
	char san[SVC_SAN_MAX][SVC_SAN_LEN]; /* "DNS:name", "IP:addr", "email:...", "URI:..." */
	uint32_t nsan;
	char not_before[24];      /* "2026-01-02T03:04:05Z" */
	char not_after[24];
	char serial[66];          /* lower-case hex, at most 64 digits (longer: cut) */
	char sha256[65];          /* of the DER certificate, lower-case hex */
	char key_type[16];        /* "RSA", "EC", "ED25519", ... */
	uint32_t key_bits;
	bool has_cert;
	bool self_signed;
	bool expired;
	bool starttls;            /* upgraded in the protocol (STARTTLS), not a tunnel */
	char ja3s[33];            /* MD5 hex of the ServerHello; "" when none was seen */
};

struct svc_result {
	u128 addr;
	uint16_t port;
	char name[SVC_NAME_LEN];      /* "ssh", ...; "unknown", "tcpwrapped", "ssl" */
	char tunnel[8];               /* "ssl" when identified inside TLS, else "" */
	char product[SVC_PRODUCT_LEN];
	char version[SVC_VERSION_LEN];
	char info[SVC_INFO_LEN];      /* "extrainfo" in JSON */
	char cpe[SVC_CPE_MAX][SVC_CPE_LEN];
	uint32_t ncpe;
	enum svc_method method;
	char probe[SVC_NAME_LEN];     /* the probe whose answer matched, "" when none */
	uint8_t banner[SVC_BANNER_MAX]; /* raw first bytes of the answer shown */
	uint32_t banner_len;
	bool has_http;
	struct svc_http http;
	bool has_tls;
	struct svc_tls tls;
	uint32_t elapsed_ms;          /* from the first connect() to the result */
};

typedef void (*svc_result_fn)(void *arg, const struct svc_result *r);

struct svc;

/*
 * Creates a stage: loads the database (c->db_path, or the built-in copy),
 * compiles its patterns (PCRE2 JIT), creates the TLS context, the epoll set
 * and the wake-up descriptor. The concurrency is c->concurrency, or when 0
 * the soft RLIMIT_NOFILE less a margin, at most SVC_CONC_MAX. On error
 * writes a message into err (database errors as "FILE:LINE: reason").
 */
int svc_open(struct svc **out, const struct svc_config *c, svc_result_fn fn, void *arg,
	     char *err, size_t errlen);

/* Starts the loop thread. FP_ESTATE when already started. */
int svc_start(struct svc *s);

/*
 * Queues a port for identification: thread-safe, never blocks on the
 * network (a short mutex and one write to an eventfd). FP_ESTATE after
 * svc_finish() or svc_stop(), FP_ENOMEM when the queue cannot grow.
 * Submissions are taken in order; a port may be submitted before
 * svc_start().
 */
int svc_submit(struct svc *s, u128 addr, uint16_t port);

/* No more submissions: waits until every queued port has its result, then
 * ends the thread. FP_ESTOPPED when svc_stop() cut it short; FP_ESTATE when
 * never started. */
int svc_finish(struct svc *s);

/* Abandons outstanding work promptly: open connections are closed, queued
 * ports get no result. Safe from any thread (not from the callback). */
void svc_stop(struct svc *s);

/* Stops the thread if it runs and frees everything. NULL is a no-op. */
void svc_close(struct svc *s);

/* The concurrency in force (connections at once). */
uint32_t svc_concurrency(const struct svc *s);

/*
 * Appends the inner `service` object of a threat_event_v1 `service` event
 * to b: {"name":...,"tunnel":...,"product":...,...,"tls":{...}} (members
 * that are empty are left out). Returns 0, or FP_ENOMEM when b ran out.
 */
int svc_result_json(struct jbuf *b, const struct svc_result *r);

/* Writes the banner's first bytes escaped as C text (\r \n \t \\ \xHH) into
 * out (cap bytes, NUL-terminated); returns the length written. */
size_t svc_escape(const uint8_t *p, size_t n, char *out, size_t cap);

#endif
