/* SPDX-License-Identifier: MIT */
/* Unit tests of port spec parsing and the (protocol, port) list (src/core/ports.c). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/ports.h"

#define E(proto, port) ((uint32_t)(proto) << 16 | (port))

/* Checks the list is strictly ordered and the index agrees with it. */
static void check_consistent(const struct portset *p)
{
	uint32_t per[PORTS_NPROTO] = { 0 };

	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t e = p->list[i];

		if (i > 0)
			assert_true(e > p->list[i - 1]);
		assert_true(portset_proto(e) < PORTS_NPROTO);
		assert_int_equal(portset_find(p, portset_proto(e), portset_port(e)), i);
		per[portset_proto(e)]++;
	}
	for (int k = 0; k < PORTS_NPROTO; k++) {
		uint32_t mapped = 0;

		if (!p->index[k]) {
			assert_int_equal(per[k], 0);
			continue;
		}
		for (uint32_t port = 0; port < 65536; port++)
			if (p->index[k][port] >= 0)
				mapped++;
			else
				assert_int_equal(p->index[k][port], -1);
		assert_int_equal(mapped, per[k]);
		assert_true(per[k] > 0);
	}
}

static void parse_ok(struct portset *p, const char *spec)
{
	char err[256] = "";

	if (portset_add_spec(p, spec, err, sizeof(err)) != 0)
		fail_msg("spec \"%s\" failed: %s", spec, err);
	check_consistent(p);
}

static void check_list(const struct portset *p, const uint32_t *want, uint32_t n)
{
	assert_int_equal(p->n, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(p->list[i], want[i]);
}

static void test_basic(void **state)
{
	struct portset p;

	(void)state;
	portset_init(&p);
	parse_ok(&p, "22,80-82,U:53,161,Q:443,T:8080");
	{
		static const uint32_t want[] = {
			E(0, 22), E(0, 80), E(0, 81), E(0, 82), E(0, 8080),
			E(1, 53), E(1, 161), E(2, 443),
		};

		check_list(&p, want, ARRAY_SIZE(want));
	}
	assert_int_equal(portset_find(&p, FP_PROTO_TCP, 81), 2);
	assert_int_equal(portset_find(&p, FP_PROTO_TCP, 53), -1);
	assert_int_equal(portset_find(&p, FP_PROTO_UDP, 161), 6);
	assert_int_equal(portset_find(&p, FP_PROTO_QUIC, 443), 7);
	assert_int_equal(portset_find(&p, FP_PROTO_QUIC, 444), -1);
	assert_int_equal(portset_find(&p, 3, 22), -1);
	assert_int_equal(portset_find(&p, 255, 22), -1);
	portset_free(&p);

	/* Lowercase prefixes, white space around items, unsorted duplicates. */
	portset_init(&p);
	parse_ok(&p, " 443, 80 ,u:53,t:80,22,T:443 ,q:1 ");
	{
		static const uint32_t want[] = {
			E(0, 22), E(0, 80), E(0, 443), E(1, 53), E(2, 1),
		};

		check_list(&p, want, ARRAY_SIZE(want));
	}
	portset_free(&p);

	/* A protocol with no port has no index. */
	portset_init(&p);
	parse_ok(&p, "U:53");
	assert_null(p.index[FP_PROTO_TCP]);
	assert_non_null(p.index[FP_PROTO_UDP]);
	assert_null(p.index[FP_PROTO_QUIC]);
	assert_int_equal(portset_find(&p, FP_PROTO_TCP, 53), -1);
	portset_free(&p);
	portset_free(&p); /* freeing twice after init is harmless */
}

static void test_ranges(void **state)
{
	struct portset p;

	(void)state;
	portset_init(&p);
	parse_ok(&p, "-");
	assert_int_equal(p.n, 65535);
	assert_int_equal(p.list[0], E(0, 1));
	assert_int_equal(p.list[65534], E(0, 65535));
	assert_int_equal(portset_find(&p, FP_PROTO_TCP, 0), -1);
	portset_free(&p);

	portset_init(&p);
	parse_ok(&p, "U:-");
	assert_int_equal(p.n, 65535);
	assert_int_equal(p.list[0], E(1, 1));
	assert_null(p.index[FP_PROTO_TCP]);
	portset_free(&p);

	portset_init(&p);
	parse_ok(&p, "65530-");
	assert_int_equal(p.n, 6);
	assert_int_equal(p.list[5], E(0, 65535));
	portset_free(&p);

	portset_init(&p);
	parse_ok(&p, "-100");
	assert_int_equal(p.n, 100);
	assert_int_equal(p.list[0], E(0, 1));
	assert_int_equal(p.list[99], E(0, 100));
	portset_free(&p);

	/* Port 0 only when written. */
	portset_init(&p);
	parse_ok(&p, "0");
	assert_int_equal(p.n, 1);
	assert_int_equal(p.list[0], E(0, 0));
	parse_ok(&p, "0-10");
	assert_int_equal(p.n, 11);
	portset_free(&p);

	portset_init(&p);
	parse_ok(&p, "0-");
	assert_int_equal(p.n, 65536);
	parse_ok(&p, "Q:-,T:-,U:-");
	assert_int_equal(p.n, 65536 + 2 * 65535);
	assert_int_equal(portset_find(&p, FP_PROTO_QUIC, 65535), 65536 + 2 * 65535 - 1);
	portset_free(&p);

	portset_init(&p);
	parse_ok(&p, "7-7,65535,00080");
	{
		static const uint32_t want[] = { E(0, 7), E(0, 80), E(0, 65535) };

		check_list(&p, want, ARRAY_SIZE(want));
	}
	portset_free(&p);
}

static void test_add_again(void **state)
{
	struct portset p;
	char err[256];

	(void)state;
	portset_init(&p);
	parse_ok(&p, "80,U:53");
	parse_ok(&p, "22,80,Q:443");
	{
		static const uint32_t want[] = { E(0, 22), E(0, 80), E(1, 53), E(2, 443) };

		check_list(&p, want, ARRAY_SIZE(want));
	}
	/* A failed call changes nothing; the prefix resets to TCP per call. */
	assert_int_equal(portset_add_spec(&p, "23,U:54,bad", err, sizeof(err)), FP_EINVAL);
	{
		static const uint32_t want[] = { E(0, 22), E(0, 80), E(1, 53), E(2, 443) };

		check_list(&p, want, ARRAY_SIZE(want));
		check_consistent(&p);
	}
	parse_ok(&p, "U:1");
	parse_ok(&p, "2");
	assert_int_equal(portset_find(&p, FP_PROTO_TCP, 2), 0);
	assert_int_equal(portset_find(&p, FP_PROTO_UDP, 1), 3);
	portset_free(&p);
}

static void check_error(const char *spec, const char *token, const char *reason)
{
	struct portset p;
	char err[256] = "", want[256];

	portset_init(&p);
	if (portset_add_spec(&p, spec, err, sizeof(err)) != FP_EINVAL)
		fail_msg("spec \"%s\" was accepted", spec);
	snprintf(want, sizeof(want), "invalid port spec '%s': %s", token, reason);
	if (strcmp(err, want) != 0)
		fail_msg("spec \"%s\": got \"%s\", want \"%s\"", spec, err, want);
	assert_int_equal(p.n, 0);
	assert_null(p.list);
	portset_free(&p);
}

static void test_errors(void **state)
{
	struct portset p;
	char err[256];

	(void)state;
	check_error("", "", "no ports");
	check_error("  ", "  ", "no ports");
	check_error("22,,80", "22,,80", "empty item");
	check_error("22,", "22,", "empty item");
	check_error(",22", ",22", "empty item");
	check_error(",", ",", "empty item");
	check_error("22, ,80", "22, ,80", "empty item");
	check_error("abc", "abc", "not a port number");
	check_error("22,abc", "abc", "not a port number");
	check_error("70000", "70000", "port out of range (0-65535)");
	check_error("65536", "65536", "port out of range (0-65535)");
	check_error("99999999999999999999", "99999999999999999999", "port out of range (0-65535)");
	check_error("1-70000", "1-70000", "port out of range (0-65535)");
	check_error("-70000", "-70000", "port out of range (0-65535)");
	check_error("90-80", "90-80", "range start is after its end");
	check_error("-0", "-0", "range start is after its end");
	check_error("X:80", "X:80", "unknown protocol prefix (use T:, U: or Q:)");
	check_error("tcp:80", "tcp:80", "unknown protocol prefix (use T:, U: or Q:)");
	check_error(":80", ":80", "unknown protocol prefix (use T:, U: or Q:)");
	check_error("80:", "80:", "unknown protocol prefix (use T:, U: or Q:)");
	check_error("U:", "U:", "protocol prefix with no ports");
	check_error("22,U:", "U:", "protocol prefix with no ports");
	check_error("U:,53", "U:", "protocol prefix with no ports");
	check_error("T:U:53", "T:U:53", "not a port number");
	check_error("U: 53", "U: 53", "not a port number");
	check_error("80x", "80x", "unexpected characters after the port");
	check_error("80-90-100", "80-90-100", "unexpected characters after the port");
	check_error("80 90", "80 90", "unexpected characters after the port");
	check_error("--", "--", "not a port number");
	check_error("80--", "80--", "not a port number");
	check_error("+80", "+80", "not a port number");
	check_error("1-x", "1-x", "not a port number");
	check_error("22;80", "22;80", "unexpected characters after the port");
	check_error("\x1b[2J", "?[2J", "not a port number");

	/* No error buffer, a short one. */
	portset_init(&p);
	assert_int_equal(portset_add_spec(&p, "bad", NULL, 0), FP_EINVAL);
	assert_int_equal(portset_add_spec(&p, "bad", err, 8), FP_EINVAL);
	assert_string_equal(err, "invalid");
	portset_free(&p);
}

static void test_proto_name(void **state)
{
	(void)state;
	assert_string_equal(proto_name(FP_PROTO_TCP), "tcp");
	assert_string_equal(proto_name(FP_PROTO_UDP), "udp");
	assert_string_equal(proto_name(FP_PROTO_QUIC), "quic");
	assert_string_equal(proto_name(3), "unknown");
	assert_string_equal(proto_name(255), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_add_again),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_proto_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
