/* SPDX-License-Identifier: MIT */
/* The `service` object of a threat_event_v1 service event, written from a result. */
#include <stdio.h>
#include <string.h>

#include "svc.h"
#include "../event/json.h"

size_t svc_escape(const uint8_t *p, size_t n, char *out, size_t cap)
{
	static const char d[] = "0123456789abcdef";
	size_t o = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char e[5];
		size_t k;
		uint8_t c = p[i];

		switch (c) {
		case '\r': memcpy(e, "\\r", 2); k = 2; break;
		case '\n': memcpy(e, "\\n", 2); k = 2; break;
		case '\t': memcpy(e, "\\t", 2); k = 2; break;
		case '\\': memcpy(e, "\\\\", 2); k = 2; break;
		default:
			if (c >= 0x20 && c < 0x7f) {
				e[0] = (char)c;
				k = 1;
			} else {
				e[0] = '\\';
				e[1] = 'x';
				e[2] = d[c >> 4];
				e[3] = d[c & 15];
				k = 4;
			}
		}
		if (cap - o <= k)
			break;
		memcpy(out + o, e, k);
		o += k;
	}
	out[o] = '\0';
	return o;
}

static void member(struct jbuf *b, const char *name, const char *v)
{
	if (!v || !v[0])
		return;
	jbuf_char(b, ',');
	jbuf_str(b, name);
	jbuf_char(b, ':');
	jbuf_str(b, v);
}

static void member_bool(struct jbuf *b, const char *name, bool v)
{
	jbuf_char(b, ',');
	jbuf_str(b, name);
	jbuf_lit(b, v ? ":true" : ":false");
}

static void tls_json(struct jbuf *b, const struct svc_tls *t)
{
	jbuf_lit(b, ",\"tls\":{\"version\":");
	jbuf_str(b, t->version);
	member(b, "cipher", t->cipher);
	member(b, "alpn", t->alpn);
	if (t->has_cert) {
		member(b, "subject", t->subject);
		member(b, "issuer", t->issuer);
		jbuf_lit(b, ",\"san\":[");
		for (uint32_t i = 0; i < t->nsan; i++) {
			if (i)
				jbuf_char(b, ',');
			jbuf_str(b, t->san[i]);
		}
		jbuf_char(b, ']');
		member(b, "not_before", t->not_before);
		member(b, "not_after", t->not_after);
		member(b, "serial", t->serial);
		member(b, "sha256", t->sha256);
		member(b, "key_type", t->key_type);
		if (t->key_bits) {
			jbuf_lit(b, ",\"key_bits\":");
			jbuf_u64(b, t->key_bits);
		}
		member_bool(b, "self_signed", t->self_signed);
		member_bool(b, "expired", t->expired);
	}
	if (t->starttls)
		member_bool(b, "starttls", true);
	member(b, "ja3s", t->ja3s);
	jbuf_char(b, '}');
}

int svc_result_json(struct jbuf *b, const struct svc_result *r)
{
	static const char *const methods[] = { "none", "probe", "soft" };
	char banner[SVC_BANNER_MAX * 4 + 1];

	jbuf_lit(b, "{\"name\":");
	jbuf_str(b, r->name[0] ? r->name : "unknown");
	member(b, "tunnel", r->tunnel);
	member(b, "product", r->product);
	member(b, "version", r->version);
	member(b, "extrainfo", r->info);
	if (r->ncpe) {
		jbuf_lit(b, ",\"cpe\":[");
		for (uint32_t i = 0; i < r->ncpe && i < SVC_CPE_MAX; i++) {
			if (i)
				jbuf_char(b, ',');
			jbuf_str(b, r->cpe[i]);
		}
		jbuf_char(b, ']');
	}
	member(b, "method", (unsigned)r->method < ARRAY_SIZE(methods) ? methods[r->method] : "none");
	member(b, "probe", r->probe);
	if (r->banner_len) {
		svc_escape(r->banner, r->banner_len < SVC_BANNER_MAX ? r->banner_len : SVC_BANNER_MAX,
			   banner, sizeof(banner));
		member(b, "banner", banner);
	}
	if (r->has_http) {
		jbuf_lit(b, ",\"http\":{\"status\":");
		jbuf_u64(b, (uint64_t)(r->http.status > 0 ? r->http.status : 0));
		member(b, "server", r->http.server);
		member(b, "title", r->http.title);
		member(b, "location", r->http.location);
		jbuf_char(b, '}');
	}
	if (r->has_tls)
		tls_json(b, &r->tls);
	jbuf_char(b, '}');
	return b->oom ? FP_ENOMEM : 0;
}
