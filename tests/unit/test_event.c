/* SPDX-License-Identifier: MIT */
/* Unit tests of the threat_event_v1 encoding (src/event/event.c). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/addr.h"
#include "event/event.h"

static const uint8_t rnd[16] = {
	0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
	0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x10,
};
#define SCAN_ID "000123456789abcdeffedcba98765410"

static u128 must_parse(const char *s)
{
	u128 v = 0;

	if (addr_parse(s, strlen(s), &v) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	return v;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* True when s is exactly ^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$. */
static bool time_format_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

	if (strlen(s) != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? !is_digit(s[i]) : s[i] != pat[i])
			return false;
	return true;
}

static void test_time_checker(void **state)
{
	(void)state;
	assert_true(time_format_ok("2026-11-21T23:46:26.189123Z"));
	assert_false(time_format_ok("2026-11-21T23:46:26.189123"));
	assert_false(time_format_ok("2026-11-21T23:46:26.18912Z"));
	assert_false(time_format_ok("2026-11-21 23:46:26.189123Z"));
	assert_false(time_format_ok("2026-11-21T23:46:26.189123Z "));
	assert_false(time_format_ok("2026-1a-21T23:46:26.189123Z"));
	assert_false(time_format_ok(""));
}

/*
 * Takes the "time" and "event_id" values out of an event: checks the time's
 * format and that it is now (within a minute), returns the sequence number
 * of the event_id (which must be SCAN_ID-<decimal>) and returns the text
 * with both values replaced by "T" and "E" for an exact comparison.
 */
static char *normalise(const char *json, uint64_t *seq)
{
	const char *t = strstr(json, "\"time\":\"");
	const char *e = strstr(json, "\"event_id\":\"");
	const char *tend, *eend, *num;
	char tv[64];
	char *out, *o;
	struct tm tm = { 0 };
	time_t when, now;

	assert_non_null(t);
	assert_non_null(e);
	assert_true(e < t);
	e += strlen("\"event_id\":\"");
	t += strlen("\"time\":\"");
	eend = strchr(e, '"');
	tend = strchr(t, '"');
	assert_non_null(eend);
	assert_non_null(tend);
	assert_true(eend < t);

	/* time */
	assert_true((size_t)(tend - t) < sizeof(tv));
	memcpy(tv, t, (size_t)(tend - t));
	tv[tend - t] = '\0';
	if (!time_format_ok(tv))
		fail_msg("bad time \"%s\"", tv);
	assert_non_null(strptime(tv, "%Y-%m-%dT%H:%M:%S", &tm));
	when = timegm(&tm);
	now = time(NULL);
	assert_true(when <= now + 1);
	assert_true(when >= now - 60);

	/* event_id = scan_id "-" decimal sequence */
	assert_true((size_t)(eend - e) > 33);
	assert_memory_equal(e, SCAN_ID "-", 33);
	num = e + 33;
	*seq = 0;
	assert_true(num < eend);
	assert_true(num[0] != '0' || num + 1 == eend); /* no leading zeros */
	for (const char *p = num; p < eend; p++) {
		assert_true(is_digit(*p));
		*seq = *seq * 10 + (uint64_t)(*p - '0');
	}

	out = malloc(strlen(json) + 1);
	assert_non_null(out);
	o = out;
	memcpy(o, json, (size_t)(e - json));
	o += e - json;
	*o++ = 'E';
	memcpy(o, eend, (size_t)(t - eend));
	o += t - eend;
	*o++ = 'T';
	strcpy(o, tend);
	return out;
}

/* The head every event starts with, after normalise(). */
static void want_head(char *buf, size_t len, const char *kind)
{
	int n = snprintf(buf, len,
			 "{\"schema\":\"threat_event_v1\",\"event_id\":\"E\",\"time\":\"T\","
			 "\"kind\":\"%s\",\"scan_id\":\"" SCAN_ID "\","
			 "\"sensor\":{\"name\":\"fastport\",\"version\":\"%s\",\"build_id\":\"%s\","
			 "\"build_mode\":\"%s\",\"source_rev\":\"%s\"},",
			 kind, fp_version(), fp_build_id(), fp_build_mode(), fp_source_rev());

	assert_true(n > 0 && (size_t)n < len);
}

static void check_event(const struct jbuf *b, const char *kind, const char *rest,
			uint64_t want_seq)
{
	char want[2048];
	size_t hl;
	uint64_t seq = UINT64_MAX;
	char *got;

	assert_false(b->oom);
	assert_int_equal(b->len, strlen(b->p));
	assert_null(strchr(b->p, '\n'));
	got = normalise(b->p, &seq);
	want_head(want, sizeof(want), kind);
	hl = strlen(want);
	assert_true(hl + strlen(rest) < sizeof(want));
	strcpy(want + hl, rest);
	assert_string_equal(got, want);
	assert_int_equal(seq, want_seq);
	free(got);
}

static void test_ctx_init(void **state)
{
	struct event_ctx ec = { 0 };
	uint8_t ff[16];

	(void)state;
	memset(&ec, 'x', sizeof(ec));
	event_ctx_init(&ec, rnd);
	assert_string_equal(ec.scan_id, SCAN_ID);
	assert_int_equal(ec.seq, 0);
	memset(ff, 0xff, sizeof(ff));
	event_ctx_init(&ec, ff);
	assert_string_equal(ec.scan_id, "ffffffffffffffffffffffffffffffff");
}

static void test_build_identity(void **state)
{
	const char *id = fp_build_id();

	(void)state;
	assert_non_null(fp_version());
	assert_non_null(fp_build_mode());
	assert_non_null(id);
	assert_true(strlen(fp_version()) > 0);
	assert_true(strcmp(fp_build_mode(), "fast") == 0 || strcmp(fp_build_mode(), "debug") == 0 ||
		    strcmp(fp_build_mode(), "secure") == 0 || strcmp(fp_build_mode(), "tsan") == 0);
	/* values are placed in the JSON unescaped, so they must not need escaping */
	for (const char *s = id; *s; s++)
		assert_true(is_digit(*s) || (*s >= 'a' && *s <= 'z'));
	assert_null(strpbrk(fp_version(), "\"\\"));
	assert_null(strpbrk(fp_source_rev(), "\"\\"));
}

static void test_state_name(void **state)
{
	(void)state;
	assert_string_equal(state_name(FP_STATE_OPEN), "open");
	assert_string_equal(state_name(FP_STATE_CLOSED), "closed");
	assert_string_equal(state_name(FP_STATE_FILTERED), "filtered");
	assert_string_equal(state_name(FP_STATE_OPEN_FILTERED), "open|filtered");
	assert_string_equal(state_name(4), "unknown");
	assert_string_equal(state_name(~0U), "unknown");
}

static void test_port_state_v4(void **state)
{
	struct event_ctx ec = { 0 };
	struct jbuf b;
	struct finding f = { 0 };

	(void)state;
	event_ctx_init(&ec, rnd);
	jbuf_init(&b);

	f.addr = must_parse("198.19.3.4");
	f.port = 8080;
	f.proto = FP_PROTO_TCP;
	f.state = FP_STATE_OPEN;
	f.ttl = 64;
	f.reason = "syn-ack";
	f.rtt_us = 153;
	event_port_state(&b, &ec, &f);
	check_event(&b, "port_state",
		    "\"target\":{\"ip\":\"198.19.3.4\",\"port\":8080,\"protocol\":\"tcp\"},"
		    "\"result\":{\"state\":\"open\",\"reason\":\"syn-ack\",\"ttl\":64,\"rtt_us\":153}}",
		    0);

	/* Without ttl and rtt; closed; port 0 and the largest port. */
	jbuf_reset(&b);
	f.addr = must_parse("0.0.0.1");
	f.port = 65535;
	f.state = FP_STATE_CLOSED;
	f.ttl = 0;
	f.rtt_us = -1;
	f.reason = "rst";
	event_port_state(&b, &ec, &f);
	check_event(&b, "port_state",
		    "\"target\":{\"ip\":\"0.0.0.1\",\"port\":65535,\"protocol\":\"tcp\"},"
		    "\"result\":{\"state\":\"closed\",\"reason\":\"rst\"}}",
		    1);

	/* UDP with a service, ttl 255, rtt 0. */
	jbuf_reset(&b);
	f.addr = must_parse("255.255.255.255");
	f.port = 53;
	f.proto = FP_PROTO_UDP;
	f.state = FP_STATE_OPEN;
	f.ttl = 255;
	f.rtt_us = 0;
	f.reason = "udp-reply";
	f.service = "dns";
	event_port_state(&b, &ec, &f);
	check_event(&b, "port_state",
		    "\"target\":{\"ip\":\"255.255.255.255\",\"port\":53,\"protocol\":\"udp\"},"
		    "\"result\":{\"state\":\"open\",\"reason\":\"udp-reply\",\"ttl\":255,"
		    "\"rtt_us\":0,\"service\":\"dns\"}}",
		    2);

	/* Service without ttl/rtt; a reason that needs escaping. */
	jbuf_reset(&b);
	f.port = 0;
	f.state = FP_STATE_OPEN_FILTERED;
	f.ttl = 0;
	f.rtt_us = -5;
	f.reason = "no-\"response\"\n";
	f.service = "s\\nmp";
	event_port_state(&b, &ec, &f);
	check_event(&b, "port_state",
		    "\"target\":{\"ip\":\"255.255.255.255\",\"port\":0,\"protocol\":\"udp\"},"
		    "\"result\":{\"state\":\"open|filtered\",\"reason\":\"no-\\\"response\\\"\\u000a\","
		    "\"service\":\"s\\\\nmp\"}}",
		    3);

	/* Product and version as the server sent them (not NUL-terminated):
	 * made printable, trailing blanks dropped; an all-blank one left out. */
	jbuf_reset(&b);
	f.state = FP_STATE_OPEN;
	f.reason = "udp-reply";
	f.service = "snmp";
	f.product = "Linux\tbox \"6.1\"\x01\xe9\\ \r\n\0XYZ";
	f.product_len = 22;
	f.version = " \0";
	f.version_len = 2;
	event_port_state(&b, &ec, &f);
	check_event(&b, "port_state",
		    "\"target\":{\"ip\":\"255.255.255.255\",\"port\":0,\"protocol\":\"udp\"},"
		    "\"result\":{\"state\":\"open\",\"reason\":\"udp-reply\","
		    "\"service\":\"snmp\",\"product\":\"Linux box \\\"6.1\\\"??\\\\\"}}",
		    4);

	/* A version alone; a product cut at 256 bytes. */
	{
		char big[300], want[512];

		memset(big, 'a', sizeof(big));
		jbuf_reset(&b);
		f.service = "ntp";
		f.product = big;
		f.product_len = sizeof(big);
		f.version = "v4";
		f.version_len = 2;
		event_port_state(&b, &ec, &f);
		snprintf(want, sizeof(want),
			 "\"target\":{\"ip\":\"255.255.255.255\",\"port\":0,\"protocol\":\"udp\"},"
			 "\"result\":{\"state\":\"open\",\"reason\":\"udp-reply\","
			 "\"service\":\"ntp\",\"product\":\"%.256s\",\"version\":\"v4\"}}", big);
		check_event(&b, "port_state", want, 5);
		f.product = NULL;
		f.product_len = 0;
		jbuf_reset(&b);
		event_port_state(&b, &ec, &f);
		check_event(&b, "port_state",
			    "\"target\":{\"ip\":\"255.255.255.255\",\"port\":0,\"protocol\":\"udp\"},"
			    "\"result\":{\"state\":\"open\",\"reason\":\"udp-reply\","
			    "\"service\":\"ntp\",\"version\":\"v4\"}}",
			    6);
	}
	jbuf_free(&b);
}

static void test_port_state_v6(void **state)
{
	struct event_ctx ec = { 0 };
	struct jbuf b;
	struct finding f = { 0 };

	(void)state;
	event_ctx_init(&ec, rnd);
	jbuf_init(&b);

	f.addr = must_parse("2001:0002:0000:0000:0000:0000:0000:0001");
	f.port = 443;
	f.proto = FP_PROTO_QUIC;
	f.state = FP_STATE_OPEN;
	f.ttl = 0;
	f.reason = "quic-version-negotiation";
	f.rtt_us = -1;
	event_port_state(&b, &ec, &f);
	check_event(&b, "port_state",
		    "\"target\":{\"ip\":\"2001:2::1\",\"port\":443,\"protocol\":\"quic\"},"
		    "\"result\":{\"state\":\"open\",\"reason\":\"quic-version-negotiation\"}}",
		    0);

	jbuf_reset(&b);
	f.addr = must_parse("2001:2:0:ab::ffff:1");
	f.port = 22;
	f.proto = FP_PROTO_TCP;
	f.state = FP_STATE_FILTERED;
	f.ttl = 1;
	f.rtt_us = INT64_MAX;
	f.reason = "icmp-admin-prohibited";
	f.service = "ssh";
	event_port_state(&b, &ec, &f);
	check_event(&b, "port_state",
		    "\"target\":{\"ip\":\"2001:2:0:ab::ffff:1\",\"port\":22,\"protocol\":\"tcp\"},"
		    "\"result\":{\"state\":\"filtered\",\"reason\":\"icmp-admin-prohibited\",\"ttl\":1,"
		    "\"rtt_us\":9223372036854775807,\"service\":\"ssh\"}}",
		    1);

	/* Appends after existing content: each event is its own text. */
	jbuf_reset(&b);
	f.addr = must_parse("::1");
	f.ttl = 0;
	f.rtt_us = -1;
	f.service = NULL;
	f.reason = "rst";
	f.state = FP_STATE_CLOSED;
	event_port_state(&b, &ec, &f);
	check_event(&b, "port_state",
		    "\"target\":{\"ip\":\"::1\",\"port\":22,\"protocol\":\"tcp\"},"
		    "\"result\":{\"state\":\"closed\",\"reason\":\"rst\"}}",
		    2);
	jbuf_free(&b);
}

/* event_id: scan_id-N with N increasing by one per event, any kind. */
static void test_sequence(void **state)
{
	struct event_ctx ec = { 0 };
	struct jbuf b;
	static const char *const kinds[] = { "scan_started", "port_state", "telemetry",
					     "scan_completed" };

	(void)state;
	event_ctx_init(&ec, rnd);
	jbuf_init(&b);
	for (uint64_t i = 0; i < 1005; i++) {
		const char *kind = kinds[i % 4];

		jbuf_reset(&b);
		event_head(&b, &ec, kind);
		jbuf_lit(&b, "\"x\":1}");
		check_event(&b, kind, "\"x\":1}", i);
		assert_int_equal(ec.seq, i + 1);
	}
	/* The sequence is not reset by a new buffer, and large values print whole. */
	ec.seq = UINT64_MAX - 1;
	jbuf_reset(&b);
	event_head(&b, &ec, "telemetry");
	jbuf_char(&b, '}');
	{
		char *got;
		uint64_t seq = 0;

		got = normalise(b.p, &seq);
		assert_int_equal(seq, UINT64_MAX - 1);
		free(got);
	}
	jbuf_free(&b);
}

/* Microseconds since the epoch of an event's "time" value. */
static int64_t event_time_us(const char *json)
{
	const char *t = strstr(json, "\"time\":\"");
	char tv[32];
	struct tm tm = { 0 };
	int64_t us = 0;

	assert_non_null(t);
	t += strlen("\"time\":\"");
	assert_true(strlen(t) > 27);
	memcpy(tv, t, 27);
	tv[27] = '\0';
	assert_true(time_format_ok(tv));
	assert_non_null(strptime(tv, "%Y-%m-%dT%H:%M:%S", &tm));
	for (int i = 20; i < 26; i++)
		us = us * 10 + (tv[i] - '0');
	return (int64_t)timegm(&tm) * 1000000 + us;
}

static int64_t now_us(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Each time lies between clock readings taken just before and after, also
 * across second boundaries (about 1 to 2 s of events). */
static void test_time_tracks_clock(void **state)
{
	struct event_ctx ec = { 0 };
	struct jbuf b;
	int64_t start = now_us(), last = 0;
	unsigned seconds = 0;

	(void)state;
	event_ctx_init(&ec, rnd);
	jbuf_init(&b);
	while (seconds < 2) {
		int64_t before, after, t;

		jbuf_reset(&b);
		before = now_us();
		event_head(&b, &ec, "telemetry");
		after = now_us();
		jbuf_char(&b, '}');
		t = event_time_us(b.p);
		if (t < before || t > after)
			fail_msg("time %s outside [%lld, %lld]", b.p, (long long)before,
				 (long long)after);
		if (last && t / 1000000 != last / 1000000)
			seconds++;
		assert_true(t >= last);
		last = t;
		assert_true(after - start < 5000000);
		if (ec.seq % 64 == 0) {
			struct timespec ts = { 0, 3000000 };

			nanosleep(&ts, NULL);
		}
	}
	jbuf_free(&b);
}

static void test_counters(void **state)
{
	struct jbuf b;
	fp_stats_t st = { 0 };

	(void)state;
	jbuf_init(&b);
	st.planned = 1;
	st.sent = 2;
	st.received = 3;
	st.valid = 4;
	st.invalid = 5;
	st.duplicates = 6;
	st.dropped = 7;
	st.open = 8;
	st.closed = 9;
	st.filtered = 10;
	st.open_filtered = 11;
	st.send_errors = UINT64_MAX;
	st.excluded = 13;
	st.pass = 2;
	st.elapsed_us = 1500000;
	st.progress = 0.9; /* the arguments are what is printed */
	st.rate = 1;
	event_counters(&b, &st, 1234.56, 0.5);
	assert_false(b.oom);
	assert_string_equal(b.p,
			    "\"counters\":{\"planned\":1,\"sent\":2,\"received\":3,\"valid\":4,"
			    "\"invalid\":5,\"duplicates\":6,\"dropped\":7,\"open\":8,\"closed\":9,"
			    "\"filtered\":10,\"open_filtered\":11,\"send_errors\":18446744073709551615,"
			    "\"pass\":2,\"rate\":1234.6,\"progress\":0.5000,\"elapsed_s\":1.500}");

	/* Zero counters; progress 1; a rate that is not a number prints as 0. */
	jbuf_reset(&b);
	memset(&st, 0, sizeof(st));
	event_counters(&b, &st, __builtin_nan(""), 1.0);
	assert_string_equal(b.p,
			    "\"counters\":{\"planned\":0,\"sent\":0,\"received\":0,\"valid\":0,"
			    "\"invalid\":0,\"duplicates\":0,\"dropped\":0,\"open\":0,\"closed\":0,"
			    "\"filtered\":0,\"open_filtered\":0,\"send_errors\":0,"
			    "\"pass\":0,\"rate\":0.0,\"progress\":1.0000,\"elapsed_s\":0.000}");
	jbuf_free(&b);
}

/* A telemetry event as the engine builds it: head + counters + '}'. */
static void test_telemetry_event(void **state)
{
	struct event_ctx ec = { 0 };
	struct jbuf b;
	fp_stats_t st = { 0 };

	(void)state;
	event_ctx_init(&ec, rnd);
	jbuf_init(&b);
	st.sent = 100;
	st.received = 40;
	st.dropped = 1;
	event_head(&b, &ec, "telemetry");
	event_counters(&b, &st, 10, 0.25);
	jbuf_char(&b, '}');
	check_event(&b, "telemetry",
		    "\"counters\":{\"planned\":0,\"sent\":100,\"received\":40,\"valid\":0,"
		    "\"invalid\":0,\"duplicates\":0,\"dropped\":1,\"open\":0,\"closed\":0,"
		    "\"filtered\":0,\"open_filtered\":0,\"send_errors\":0,"
		    "\"pass\":0,\"rate\":10.0,\"progress\":0.2500,\"elapsed_s\":0.000}}",
		    0);
	jbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_checker),
		cmocka_unit_test(test_ctx_init),
		cmocka_unit_test(test_build_identity),
		cmocka_unit_test(test_state_name),
		cmocka_unit_test(test_port_state_v4),
		cmocka_unit_test(test_port_state_v6),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_time_tracks_clock),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_telemetry_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
