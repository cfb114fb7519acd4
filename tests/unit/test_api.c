/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the public API's checks, none of which opens a socket: the
 * configuration's defaults and size rule, refused configurations and specs
 * with their messages, and the error table.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "engine/scanner.h"

static void test_defaults(void **state)
{
	fp_config_t c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	fp_config_init(&c);
	assert_int_equal(c.struct_size, sizeof(c));
	assert_int_equal(c.rate, 10000);
	assert_int_equal(c.retries, 1);
	assert_int_equal(c.wait_ms, 5000);
	assert_int_equal(c.shard, 1);
	assert_int_equal(c.shard_count, 1);
	assert_int_equal(c.out_fd, -1);
	assert_int_equal(c.pin_cpus, 0);
	assert_null(c.on_event);
}

/*
 * A caller built against 0.1.0's header passes that struct_size: accepted,
 * and whatever lies past it in memory is not read (members appended later
 * take their defaults). Anything smaller is refused.
 */
static void test_struct_size(void **state)
{
	size_t old = offsetof(fp_config_t, on_ready) + sizeof(void (*)(void));
	union {
		fp_config_t c;
		uint8_t b[sizeof(fp_config_t) + 64];
	} u;
	fp_scanner_t *s = NULL;
	char err[256] = "";

	(void)state;
	memset(&u, 0xff, sizeof(u));
	fp_config_init(&u.c);
	memset(u.b + old, 0x5a, sizeof(u) - old);
	u.c.struct_size = (uint32_t)old;
	assert_int_equal(fp_scanner_new(&u.c, &s, err, sizeof(err)), 0);
	assert_non_null(s);
	assert_int_equal(s->cfg.pin_cpus, 0);
	assert_int_equal(s->cfg.struct_size, sizeof(fp_config_t));
	fp_scanner_free(s);

	u.c.struct_size = (uint32_t)old - 1;
	s = (fp_scanner_t *)&u;
	assert_int_equal(fp_scanner_new(&u.c, &s, err, sizeof(err)), FP_EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "fp_config_init"));
	assert_int_equal(fp_scanner_new(NULL, &s, err, sizeof(err)), FP_EINVAL);
	fp_config_init(&u.c);
	assert_int_equal(fp_scanner_new(&u.c, NULL, NULL, 0), FP_EINVAL);
}

/* Each refused configuration says why, also into a short buffer. */
static void test_refused(void **state)
{
	static const struct {
		const char *what, *needle;
	} cases[] = {
		{ "rate", "rate" }, { "shard0", "shard" }, { "shard3of2", "shard" },
		{ "states", "state" }, { "mac", "router MAC" }, { "src", "source address" },
	};
	fp_scanner_t *s;
	char err[256], tiny[8];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fp_config_t c;

		fp_config_init(&c);
		if (!strcmp(cases[i].what, "rate"))
			c.rate = 0;
		else if (!strcmp(cases[i].what, "shard0"))
			c.shard = 0;
		else if (!strcmp(cases[i].what, "shard3of2"))
			c.shard = 3, c.shard_count = 2;
		else if (!strcmp(cases[i].what, "states"))
			c.states = 0;
		else if (!strcmp(cases[i].what, "mac"))
			c.router_mac = "02:00:00:00:00";
		else
			c.source_ip = "198.18.0.300";
		err[0] = 0;
		assert_int_equal(fp_scanner_new(&c, &s, err, sizeof(err)), FP_EINVAL);
		assert_non_null(strstr(err, cases[i].needle));
		assert_int_equal(fp_scanner_new(&c, &s, tiny, sizeof(tiny)), FP_EINVAL);
		assert_true(strlen(tiny) < sizeof(tiny));
	}
}

/* Malformed specs name the token. */
static void test_specs(void **state)
{
	fp_config_t c;
	fp_scanner_t *s;

	(void)state;
	fp_config_init(&c);
	assert_int_equal(fp_scanner_new(&c, &s, NULL, 0), 0);
	assert_int_equal(fp_scanner_add_targets(s, "198.18.0.1, 198.18.0.999"), FP_EINVAL);
	assert_non_null(strstr(fp_scanner_error(s), "198.18.0.999"));
	assert_int_equal(fp_scanner_set_ports(s, "22,70000"), FP_EINVAL);
	assert_non_null(strstr(fp_scanner_error(s), "70000"));
	assert_int_equal(fp_scanner_add_exclude(s, "10.0.0.0/33"), FP_EINVAL);
	assert_non_null(strstr(fp_scanner_error(s), "10.0.0.0/33"));
	assert_int_equal(fp_scanner_add_targets(s, NULL), FP_EINVAL);
	assert_int_equal(fp_scanner_add_target_file(s, "/nonexistent/targets"), FP_EIO);
	assert_non_null(strstr(fp_scanner_error(s), "/nonexistent/targets"));
	/* Nothing was added: nothing to scan. */
	assert_int_equal(fp_scanner_run(s), FP_EEMPTY);
	assert_string_equal(fp_scanner_error(s), "no targets given");
	assert_int_equal(fp_scan_batch(s, NULL, 0), FP_EEMPTY);
	assert_int_equal(fp_scan_batch(s, NULL, 3), FP_EINVAL);
	fp_scanner_free(s);
	fp_scanner_free(NULL);
}

/*
 * The target set a scan would use, without a socket: every address of
 * 198.19.0.0/16 is excluded unless allow_reserved is set, and the run then
 * fails before any socket with "all N target addresses are excluded", N
 * counting what the target set holds. Returns N, or -1 for another error.
 */
static long long planned_addresses(fp_scanner_t *s)
{
	const char *msg, *p;
	int ret = fp_scanner_run(s);

	msg = fp_scanner_error(s);
	if (ret == FP_EEMPTY && !strcmp(msg, "no targets given"))
		return 0;
	if (ret != FP_EEMPTY || strncmp(msg, "nothing to scan: all ", 21))
		return -1;
	p = msg + 21;
	return strtoll(p, NULL, 10);
}

/*
 * A failed call changes nothing: the targets added before it stay, exactly,
 * and none of the failed spec's valid tokens is kept; a later call adds to
 * that. A rollback that kept a token, or dropped the earlier targets, gives
 * another count.
 */
static void test_rollback(void **state)
{
	char path[] = "/tmp/fp-test-api-XXXXXX";
	fp_config_t c;
	fp_scanner_t *s;
	FILE *f;
	int fd;

	(void)state;
	fp_config_init(&c);
	assert_int_equal(fp_scanner_new(&c, &s, NULL, 0), 0);
	assert_int_equal(planned_addresses(s), 0);
	assert_int_equal(fp_scanner_add_targets(s, "198.19.0.0/30"), 0);
	assert_int_equal(planned_addresses(s), 4);
	/* Two valid tokens before the bad one, one after. */
	assert_int_equal(fp_scanner_add_targets(s, "198.19.1.0/29,198.19.2.0/28 198.19.0.999,198.19.3.1"),
			 FP_EINVAL);
	assert_int_equal(planned_addresses(s), 4);
	assert_int_equal(fp_scanner_add_targets(s, "198.19.4.0/31"), 0);
	assert_int_equal(planned_addresses(s), 6);

	/* The same for a target file whose third line is bad. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("198.19.5.0/29\n# comment\n198.19.5.300\n198.19.6.0/28\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(fp_scanner_add_target_file(s, path), FP_EINVAL);
	assert_non_null(strstr(fp_scanner_error(s), ":3"));
	assert_int_equal(planned_addresses(s), 6);
	unlink(path);
	fp_scanner_free(s);
}

/* Each code's own text, "success" for 0 and one text for any other value. */
static void test_strerror(void **state)
{
	static const struct {
		int code;
		const char *text;
	} codes[] = {
		{ 0, "success" },
		{ FP_EINVAL, "invalid argument" },
		{ FP_ENOMEM, "out of memory" },
		{ FP_EPERM, "operation not permitted (raw sockets need CAP_NET_RAW)" },
		{ FP_EIO, "input/output error" },
		{ FP_ERANGE, "value out of range" },
		{ FP_ENOROUTE, "no route to target" },
		{ FP_ENOMAC, "gateway MAC address could not be resolved" },
		{ FP_ENOTSUP, "not supported" },
		{ FP_EEMPTY, "nothing to scan" },
		{ FP_ESTOPPED, "scan was stopped" },
		{ FP_ESTATE, "call not valid in this state" },
		{ FP_ESYS, "system call failed" },
	};
	static const int unknown[] = { -13, -100, -1000, 1, 7, 12, INT_MIN, INT_MAX };
#define COUNT(name, val, msg) +1
	/* A new code in FP_ERRNO_MAP must be added to the table above. */
	assert_int_equal(ARRAY_SIZE(codes), 1 FP_ERRNO_MAP(COUNT));
#undef COUNT

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		/* The codes are -1, -2, ... in order: the ABI fixes them. */
		assert_int_equal(codes[i].code, -(int)i);
		assert_string_equal(fp_strerror(codes[i].code), codes[i].text);
	}
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_string_equal(fp_strerror(unknown[i]), "unknown error");
	assert_true(!strcmp(fp_build_mode(), "fast") || !strcmp(fp_build_mode(), "secure") ||
		    !strcmp(fp_build_mode(), "debug") || !strcmp(fp_build_mode(), "tsan"));
	assert_int_equal(strlen(fp_build_id()), 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_struct_size),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
