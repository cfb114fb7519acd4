/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the events that frame a scan (src/event/scan_events.c):
 * scan_started from its facts, member by member, and the counter events.
 */
#include "unit.h"

#include "event/scan_events.h"

static const uint8_t rnd[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* The members after the sensor block: the part the facts decide. */
static const char *tail(const struct jbuf *b)
{
	const char *p = strstr(b->p, "\"build_mode\":");

	assert_non_null(p);
	p = strstr(p, "},");
	assert_non_null(p);
	return p + 2;
}

static void test_started_raw(void **state)
{
	struct event_ctx ec;
	struct jbuf b;
	struct scan_facts f = {
		.probes = 65536, .rate = 200000, .retries = 2, .wait_ms = 5000, .seed = 42,
		.seed_source = "user", .shard = 1, .shard_count = 1, .method = "raw",
		.cookie_impl = "avx2", .send_path = "xdp", .xdp_mode = "copy", .send_threads = 1,
		.send_fallback = "", .interface = "eth0", .source_ip = "198.18.0.1",
	};

	(void)state;
	event_ctx_init(&ec, rnd);
	jbuf_init(&b);
	event_scan_started(&b, &ec, &f);
	assert_false(b.oom);
	assert_non_null(strstr(b.p, "\"kind\":\"scan_started\""));
	assert_string_equal(tail(&b),
			    "\"scan\":{\"probes\":65536,\"rate\":200000,\"retries\":2,\"wait_ms\":5000,"
			    "\"seed\":42,\"seed_source\":\"user\",\"shard\":\"1/1\",\"method\":\"raw\","
			    "\"cookie_impl\":\"avx2\",\"send_path\":\"xdp\",\"xdp_mode\":\"copy\","
			    "\"send_threads\":1,\"interface\":\"eth0\",\"source_ip\":\"198.18.0.1\"}}");

	/* The ring with the reason it was chosen; no xdp_mode. */
	jbuf_reset(&b);
	f.send_path = "ring";
	f.xdp_mode = NULL;
	f.send_threads = 2;
	f.send_fallback = "cannot send with AF_XDP on eth0 (queue 0): \"no\"";
	f.seed_source = "plan";
	f.shard = 2;
	f.shard_count = 3;
	event_scan_started(&b, &ec, &f);
	assert_string_equal(tail(&b),
			    "\"scan\":{\"probes\":65536,\"rate\":200000,\"retries\":2,\"wait_ms\":5000,"
			    "\"seed\":42,\"seed_source\":\"plan\",\"shard\":\"2/3\",\"method\":\"raw\","
			    "\"cookie_impl\":\"avx2\",\"send_path\":\"ring\",\"send_threads\":2,"
			    "\"send_fallback\":\"cannot send with AF_XDP on eth0 (queue 0): \\\"no\\\"\","
			    "\"interface\":\"eth0\",\"source_ip\":\"198.18.0.1\"}}");
	jbuf_free(&b);
}

/* The connect method has no send path, cookies, interface or source. */
static void test_started_connect(void **state)
{
	struct event_ctx ec;
	struct jbuf b;
	struct scan_facts f = {
		.probes = 3, .rate = 10000, .retries = 1, .wait_ms = 5000, .seed = 7,
		.seed_source = "random", .shard = 1, .shard_count = 1, .method = "connect",
	};

	(void)state;
	event_ctx_init(&ec, rnd);
	jbuf_init(&b);
	event_scan_started(&b, &ec, &f);
	assert_string_equal(tail(&b),
			    "\"scan\":{\"probes\":3,\"rate\":10000,\"retries\":1,\"wait_ms\":5000,"
			    "\"seed\":7,\"seed_source\":\"random\",\"shard\":\"1/1\","
			    "\"method\":\"connect\"}}");
	jbuf_free(&b);
}

static void test_counters(void **state)
{
	struct event_ctx ec;
	struct jbuf b;
	fp_stats_t st = { 0 };

	(void)state;
	event_ctx_init(&ec, rnd);
	jbuf_init(&b);
	st.sent = 5;
	st.rate = 2.5;
	st.progress = 1;
	event_scan_counters(&b, &ec, "scan_completed", &st, true);
	assert_non_null(strstr(b.p, "\"kind\":\"scan_completed\""));
	assert_string_equal(tail(&b),
			    "\"counters\":{\"planned\":0,\"sent\":5,\"received\":0,\"valid\":0,"
			    "\"invalid\":0,\"duplicates\":0,\"dropped\":0,\"open\":0,\"closed\":0,"
			    "\"filtered\":0,\"open_filtered\":0,\"send_errors\":0,"
			    "\"pass\":0,\"rate\":2.5,\"progress\":1.0000,\"elapsed_s\":0.000},"
			    "\"interrupted\":true}");
	jbuf_reset(&b);
	event_scan_counters(&b, &ec, "telemetry", &st, true);
	assert_non_null(strstr(b.p, "\"kind\":\"telemetry\""));
	assert_null(strstr(b.p, "interrupted"));
	assert_int_equal(b.p[b.len - 1], '}');
	assert_int_equal(b.p[b.len - 2], '}');
	jbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_started_raw),
		cmocka_unit_test(test_started_connect),
		cmocka_unit_test(test_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
