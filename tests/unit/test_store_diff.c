/* SPDX-License-Identifier: MIT */
/* Unit tests of the exposure comparison (src/store/diff.c). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "store/diff.h"

static void port(struct diff_side *d, const char *ip, uint16_t p, const char *proto,
		 const char *state)
{
	struct store_event ev = { .kind = "port_state", .ip = ip, .port = p, .protocol = proto,
				  .state = state, .reason = "syn-ack", .time = "2026-01-01T00:00:00Z" };

	assert_int_equal(diff_side_add(d, &ev), 0);
}

static void svc(struct diff_side *d, const char *ip, uint16_t p, const char *name,
		const char *product, const char *version, const char *sha)
{
	struct store_event ev = { .kind = "service", .ip = ip, .port = p, .protocol = "tcp",
				  .service = name, .product = product, .version = version,
				  .cert_sha256 = sha, .time = "2026-01-01T00:00:01Z" };

	assert_int_equal(diff_side_add(d, &ev), 0);
}

static int walk_count(const struct diff_port *b, const struct diff_port *a, void *ud)
{
	static const char *const want[] = { "198.19.0.1/22", "198.19.0.2/80", "198.19.0.3/1",
					     "2001:2::1/443" };
	int *n = ud;
	const struct diff_port *p = a ? a : b;
	char got[64];

	assert_true(*n < 4);
	snprintf(got, sizeof(got), "%s/%u", p->ip, p->port);
	assert_string_equal(got, want[*n]);
	/* 198.19.0.1/22 is on both sides, the others on one. */
	assert_int_equal(b && a, *n == 0);
	++*n;
	return 0;
}

struct seen {
	char lines[16][160];
	int n;
};

static int record(enum diff_change c, const struct diff_port *b, const struct diff_port *a,
		  const char *json, size_t len, void *ud)
{
	struct seen *s = ud;
	const struct diff_port *p = a ? a : b;
	json_error_t je;
	json_t *e = json_loadb(json, len, 0, &je), *ch;

	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "kind")), "exposure_change");
	assert_string_equal(json_string_value(json_object_get(e, "change")), diff_change_name(c));
	assert_string_equal(json_string_value(json_object_get(e, "from_scan_id")), "A");
	assert_string_equal(json_string_value(json_object_get(e, "to_scan_id")), "B");
	assert_string_equal(json_string_value(json_object_get(e, "scan_id")), "B");
	assert_non_null(json_object_get(e, "before"));
	assert_non_null(json_object_get(e, "after"));
	assert_int_equal(s->n < 16, 1);
	snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s %s/%s/%u", diff_change_name(c), p->ip,
		 p->protocol, p->port);
	ch = json_object_get(e, "changed");
	for (size_t i = 0; i < json_array_size(ch); i++) {
		size_t n = strlen(s->lines[s->n]);

		snprintf(s->lines[s->n] + n, sizeof(s->lines[0]) - n, " %s",
			 json_string_value(json_array_get(ch, i)));
	}
	s->n++;
	json_decref(e);
	return 0;
}

static const struct diff_ctx ctx = { .from_scan = "A", .to_scan = "B", .scope = "S",
				     .time = "2026-01-02T00:00:00Z" };

static void test_changes(void **state)
{
	struct diff_side a, b;
	struct seen s = { 0 };

	(void)state;
	diff_side_init(&a);
	diff_side_init(&b);
	port(&a, "198.19.0.1", 22, "tcp", "open");
	svc(&a, "198.19.0.1", 22, "ssh", "OpenSSH", "9.2", NULL);
	port(&a, "198.19.0.1", 443, "tcp", "open");
	svc(&a, "198.19.0.1", 443, "https", "nginx", "1.24", "aa");
	port(&a, "198.19.0.10", 80, "tcp", "open");  /* closes */
	port(&a, "198.19.0.3", 25, "tcp", "closed"); /* opens */
	port(&a, "198.19.0.4", 21, "tcp", "open");   /* stays, no service either side */
	port(&a, "198.19.0.5", 21, "tcp", "open");   /* service only after: no change */

	/* b is added out of order: the comparison sorts by address number. */
	svc(&b, "198.19.0.1", 443, "https", "nginx", "1.24", "bb");
	port(&b, "198.19.0.4", 21, "tcp", "open");
	port(&b, "198.19.0.3", 25, "tcp", "open");
	svc(&b, "198.19.0.1", 22, "ssh", "OpenSSH", "9.3", NULL);
	port(&b, "198.19.0.1", 22, "tcp", "open");
	port(&b, "198.19.0.10", 80, "tcp", "filtered");
	port(&b, "198.19.0.5", 21, "tcp", "open");
	svc(&b, "198.19.0.5", 21, "ftp", "vsftpd", "3.0", NULL);
	port(&b, "198.19.0.2", 53, "udp", "open");   /* opens, an address before .3 */
	port(&b, "198.19.0.2", 53, "udp", "open");   /* delivered twice */

	assert_int_equal(diff_run(&a, &b, &ctx, record, &s), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.lines[0], "service_changed 198.19.0.1/tcp/22 version");
	assert_string_equal(s.lines[1], "service_changed 198.19.0.1/tcp/443 cert_sha256");
	assert_string_equal(s.lines[2], "opened 198.19.0.2/udp/53");
	assert_string_equal(s.lines[3], "opened 198.19.0.3/tcp/25");
	assert_string_equal(s.lines[4], "closed 198.19.0.10/tcp/80");
	diff_side_free(&a);
	diff_side_free(&b);
}

static int count(const struct diff_port *p, void *ud)
{
	(void)p;
	++*(int *)ud;
	return 0;
}

static void test_confirmations(void **state)
{
	struct diff_side a, b;
	struct seen s = { 0 };
	int n = 0;

	(void)state;
	diff_side_init(&a);
	diff_side_init(&b);
	port(&a, "2001:2::1", 80, "tcp", "open");
	port(&a, "2001:2::2", 80, "tcp", "open");
	port(&a, "2001:2::3", 80, "tcp", "open");
	port(&b, "2001:2::3", 80, "tcp", "open");
	/* Two candidates: ::1 and ::2 are missing now. */
	assert_int_equal(diff_close_candidates(&a, &b, count, &n), 0);
	assert_int_equal(n, 2);
	/* A re-probe finds ::1 still open, ::2 closed. */
	assert_int_equal(diff_side_confirm(&b, "2001:2::1", 80, "tcp", "open"), 0);
	assert_int_equal(diff_side_confirm(&b, "2001:2::2", 80, "tcp", "closed"), 0);
	assert_int_equal(diff_run(&a, &b, &ctx, record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "closed 2001:2::2/tcp/80");
	diff_side_free(&a);
	diff_side_free(&b);
}

static void test_empty_and_bad(void **state)
{
	struct diff_side a, b;
	struct seen s = { 0 };
	struct store_event ev = { .kind = "port_state", .ip = "not-an-ip", .port = 1,
				  .protocol = "tcp", .state = "open", .time = "t" };
	struct store_event other = { .kind = "telemetry", .time = "t" };

	(void)state;
	diff_side_init(&a);
	diff_side_init(&b);
	assert_int_equal(diff_run(&a, &b, &ctx, record, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(diff_side_add(&a, &ev), -1);
	assert_int_equal(diff_side_add(&a, &other), 0); /* not a finding: ignored */
	assert_int_equal(a.n, 0);
	diff_side_free(&a);
	diff_side_free(&b);
}

/* A side as text reads back as the same side, odd characters included,
 * and the walk sees every port of both sides once, in order. */
static void test_side_text(void **state)
{
	struct diff_side a, b, bad;
	char *t1, *t2;
	size_t n1, n2;
	int nwalk = 0;

	(void)state;
	diff_side_init(&a);
	port(&a, "198.19.0.2", 80, "tcp", "open");
	port(&a, "2001:2::1", 443, "tcp", "open");
	svc(&a, "2001:2::1", 443, "https", "nginx\tx\\y", "1.2\n3", NULL);
	port(&a, "198.19.0.1", 22, "tcp", "closed");
	assert_int_equal(diff_side_confirm(&a, "198.19.0.1", 22, "tcp", "open"), 0);
	t1 = diff_side_dump(&a, true, &n1);
	assert_non_null(t1);
	assert_int_equal(strncmp(t1, "fastport-side 1 3\n", 18), 0);
	assert_int_equal(diff_side_undump(&b, t1, n1), 0);
	assert_int_equal(b.n, 3);
	assert_true(b.sorted);
	assert_string_equal(b.v[0].ip, "198.19.0.1");
	assert_string_equal(b.v[0].confirmed, "open");
	assert_string_equal(b.v[2].product, "nginx\tx\\y");
	assert_string_equal(b.v[2].version, "1.2\n3");
	assert_true(b.v[2].has_service);
	assert_null(b.v[2].cert_sha256);
	t2 = diff_side_dump(&b, true, &n2);
	assert_non_null(t2);
	assert_int_equal(n1, n2);
	assert_memory_equal(t1, t2, n1);
	free(t2);
	t2 = diff_side_dump(&b, false, &n2);
	assert_non_null(t2);
	assert_null(strstr(t2, "2026"));
	free(t2);
	/* Each of these is refused, and leaves the side empty. */
	{
		const char *no[] = {
			"fastport-side 1 1\n",                                  /* a line missing */
			"fastport-side 2 0\n",                                  /* another version */
			"fastport-side 1 1\n198.19.0.1\t22\ttcp\t0\t\t\t\t\t\t\t\t", /* no newline */
			"fastport-side 1 1\n198.19.0.1\t22\ttcp\t200\t\t\t\t\t\t\t\t\n", /* unknown flag */
			"fastport-side 1 1\n198.19.0.1\t22\ttcp\t0\topen\t\t\t\t\t\t\t\n", /* not flagged */
			"fastport-side 1 1\n198.19.0.1\t70000\ttcp\t0\t\t\t\t\t\t\t\t\n",
			"fastport-side 1 1\n198.19.0.x\t22\ttcp\t0\t\t\t\t\t\t\t\t\n",
			"fastport-side 1 1\n198.19.0.1\t22\ttcp\t1\to\\qpen\t\t\t\t\t\t\t\n",
			("fastport-side 1 2\n198.19.0.2\t22\ttcp\t0\t\t\t\t\t\t\t\t\n"
			 "198.19.0.1\t22\ttcp\t0\t\t\t\t\t\t\t\t\n"),              /* out of order */
			"fastport-side 1 1\n198.19.0.1\t22\ttcp\t0\t\t\t\t\t\t\t\n", /* 11 fields */
		};

		for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
			assert_int_equal(diff_side_undump(&bad, no[i], strlen(no[i])), -1);
			assert_int_equal(bad.n, 0);
		}
		const char *ok = "fastport-side 1 1\n198.19.0.1\t22\ttcp\t0\t\t\t\t\t\t\t\t\n";

		assert_int_equal(diff_side_undump(&bad, ok, strlen(ok)), 0);
		assert_int_equal(bad.n, 1);
		diff_side_free(&bad);
	}
	diff_side_free(&b);
	assert_int_equal(diff_side_undump(&b, t1, n1), 0);
	diff_side_init(&bad);
	port(&bad, "198.19.0.3", 1, "udp", "open");
	port(&bad, "198.19.0.1", 22, "tcp", "open");
	assert_int_equal(diff_walk(&b, &bad, walk_count, &nwalk), 0);
	assert_int_equal(nwalk, 4);
	free(t1);
	diff_side_free(&a);
	diff_side_free(&b);
	diff_side_free(&bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_confirmations),
		cmocka_unit_test(test_empty_and_bad),
		cmocka_unit_test(test_side_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
