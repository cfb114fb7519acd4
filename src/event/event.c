/* SPDX-License-Identifier: MIT */
/* threat_event_v1 encoding of the events every scan emits. */
#include <string.h>
#include <time.h>

#include "event.h"
#include "../core/addr.h"
#include "../core/ports.h"

static const char *const state_names[] = {
	[FP_STATE_OPEN] = "open",
	[FP_STATE_CLOSED] = "closed",
	[FP_STATE_FILTERED] = "filtered",
	[FP_STATE_OPEN_FILTERED] = "open|filtered",
};

const char *state_name(unsigned state)
{
	return state < ARRAY_SIZE(state_names) ? state_names[state] : "unknown";
}

void event_ctx_init(struct event_ctx *ec, const uint8_t rnd[static 16])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		ec->scan_id[2 * i] = hex[rnd[i] >> 4];
		ec->scan_id[2 * i + 1] = hex[rnd[i] & 15];
	}
	ec->scan_id[32] = '\0';
	memcpy(ec->id_prefix, ec->scan_id, sizeof(ec->id_prefix));
	ec->seq = 0;
}

/* RFC 3339 UTC time with microseconds. The date and time of day are
 * formatted once per second per thread. */
static void put_time(struct jbuf *b)
{
	static __thread time_t cached_sec = -1;
	static __thread char cached[32];
	static __thread size_t cached_len;
	struct timespec ts;
	char us[7];
	long v;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		struct tm tm;

		gmtime_r(&ts.tv_sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S.", &tm);
		cached_sec = ts.tv_sec;
	}
	v = ts.tv_nsec / 1000;
	for (int i = 5; i >= 0; i--) {
		us[i] = (char)('0' + v % 10);
		v /= 10;
	}
	jbuf_char(b, '"');
	jbuf_raw(b, cached, cached_len);
	jbuf_raw(b, us, 6);
	jbuf_lit(b, "Z\"");
}

void event_head(struct jbuf *b, struct event_ctx *ec, const char *kind)
{
	uint64_t seq = __atomic_fetch_add(&ec->seq, 1, __ATOMIC_RELAXED);

	jbuf_lit(b, "{\"schema\":\"" EVENT_SCHEMA "\",\"event_id\":\"");
	jbuf_raw(b, ec->id_prefix, 32);
	jbuf_char(b, '-');
	jbuf_u64(b, seq);
	jbuf_lit(b, "\",\"time\":");
	put_time(b);
	jbuf_lit(b, ",\"kind\":\"");
	jbuf_lit(b, kind);
	jbuf_lit(b, "\",\"scan_id\":\"");
	jbuf_raw(b, ec->scan_id, 32);
	jbuf_lit(b, "\",\"sensor\":{\"name\":\"fastport\",\"version\":\"");
	jbuf_lit(b, fp_version());
	jbuf_lit(b, "\",\"build_id\":\"");
	jbuf_lit(b, fp_build_id());
	jbuf_lit(b, "\",\"build_mode\":\"");
	jbuf_lit(b, fp_build_mode());
	jbuf_lit(b, "\",\"source_rev\":\"");
	jbuf_lit(b, fp_source_rev());
	jbuf_lit(b, "\"},");
}

/* ,"quic_versions":["0x00000001",...]: n big-endian 32-bit words at v. */
static void put_versions(struct jbuf *b, const uint8_t *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char s[] = "\"0x00000000\"";

	jbuf_lit(b, ",\"quic_versions\":[");
	for (size_t i = 0; i < n; i++) {
		for (int j = 0; j < 4; j++) {
			s[3 + 2 * j] = hex[v[4 * i + (size_t)j] >> 4];
			s[4 + 2 * j] = hex[v[4 * i + (size_t)j] & 15];
		}
		if (i)
			jbuf_char(b, ',');
		jbuf_raw(b, s, sizeof(s) - 1);
	}
	jbuf_char(b, ']');
}

/* The longest product or version written; a longer one is cut. */
#define TEXT_MAX 256

/*
 * ,"<key>":"...": n bytes at s as a server sent them, made printable
 * ASCII (whitespace becomes a space, other bytes outside it '?'),
 * trailing spaces and NULs dropped, at most TEXT_MAX bytes.
 */
static void put_text(struct jbuf *b, const char *key, const char *s, size_t n)
{
	char t[TEXT_MAX + 1];

	if (n > TEXT_MAX)
		n = TEXT_MAX;
	while (n && (s[n - 1] == '\0' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
		     s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		t[i] = c == '\t' || c == '\r' || c == '\n' ? ' ' :
		       c < 0x20 || c > 0x7e ? '?' : (char)c;
	}
	t[n] = '\0';
	jbuf_lit(b, key);
	jbuf_str(b, t);
}

/* "target":{"ip":...,"port":...,"protocol":...}, */
static void put_target(struct jbuf *b, u128 addr, uint16_t port, uint8_t proto)
{
	char ip[ADDR_STRLEN];
	size_t n = addr_format(addr, ip);

	jbuf_lit(b, "\"target\":{\"ip\":\"");
	jbuf_raw(b, ip, n);
	jbuf_lit(b, "\",\"port\":");
	jbuf_u64(b, port);
	jbuf_lit(b, ",\"protocol\":\"");
	jbuf_lit(b, proto_name(proto));
	jbuf_lit(b, "\"},");
}

void event_service_head(struct jbuf *b, struct event_ctx *ec, u128 addr, uint16_t port)
{
	event_head(b, ec, "service");
	put_target(b, addr, port, FP_PROTO_TCP);
	jbuf_lit(b, "\"service\":");
}

void event_port_state(struct jbuf *b, struct event_ctx *ec, const struct finding *f)
{
	event_head(b, ec, "port_state");
	put_target(b, f->addr, f->port, f->proto);
	jbuf_lit(b, "\"result\":{\"state\":\"");
	jbuf_lit(b, state_name(f->state));
	jbuf_lit(b, "\",\"reason\":");
	jbuf_str(b, f->reason);
	if (f->ttl) {
		jbuf_lit(b, ",\"ttl\":");
		jbuf_u64(b, f->ttl);
	}
	if (f->rtt_us >= 0) {
		jbuf_lit(b, ",\"rtt_us\":");
		jbuf_u64(b, (uint64_t)f->rtt_us);
	}
	if (f->service) {
		jbuf_lit(b, ",\"service\":");
		jbuf_str(b, f->service);
	}
	if (f->n_quic_versions)
		put_versions(b, f->quic_versions, f->n_quic_versions);
	if (f->product_len)
		put_text(b, ",\"product\":", f->product, f->product_len);
	if (f->version_len)
		put_text(b, ",\"version\":", f->version, f->version_len);
	jbuf_lit(b, "}}");
}

void event_counters(struct jbuf *b, const fp_stats_t *st, double rate_pps, double progress)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
#define F(x) { #x, offsetof(fp_stats_t, x) }
		F(planned), F(sent), F(received), F(valid), F(invalid), F(duplicates),
		F(dropped), F(open), F(closed), F(filtered), F(open_filtered), F(send_errors),
#undef F
	};

	jbuf_lit(b, "\"counters\":{");
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		uint64_t v;

		memcpy(&v, (const char *)st + fields[i].off, sizeof(v));
		if (i)
			jbuf_char(b, ',');
		jbuf_char(b, '"');
		jbuf_lit(b, fields[i].name);
		jbuf_lit(b, "\":");
		jbuf_u64(b, v);
	}
	jbuf_lit(b, ",\"pass\":");
	jbuf_u64(b, st->pass);
	jbuf_lit(b, ",\"rate\":");
	jbuf_fixed(b, rate_pps, 1);
	jbuf_lit(b, ",\"progress\":");
	jbuf_fixed(b, progress, 4);
	jbuf_lit(b, ",\"elapsed_s\":");
	jbuf_fixed(b, (double)st->elapsed_us / 1e6, 3);
	jbuf_char(b, '}');
}
