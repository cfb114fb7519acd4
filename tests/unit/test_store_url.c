/* SPDX-License-Identifier: MIT */
/* Unit tests of --store URL parsing (src/store/url.c), scope keys and
 * SHA-256 (scope.c) and the event reader (event_parse.c). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

static int parse(const char *url, struct store_url *u, char *err, size_t n)
{
	err[0] = '\0';
	return store_url_parse(url, u, err, n);
}

static void test_sqlite_paths(void **state)
{
	struct store_url u;
	char err[300];

	(void)state;
	assert_int_equal(parse("sqlite:/tmp/x.db", &u, err, sizeof(err)), 0);
	assert_int_equal(u.backend, STORE_SQLITE);
	assert_string_equal(u.target, "/tmp/x.db");
	assert_false(u.default_path);
	store_url_free(&u);
	assert_int_equal(parse("sqlite:rel/x.db", &u, err, sizeof(err)), 0);
	assert_string_equal(u.target, "rel/x.db");
	store_url_free(&u);
	assert_int_equal(parse("sqlite:///abs/x.db", &u, err, sizeof(err)), 0);
	assert_string_equal(u.target, "/abs/x.db");
	store_url_free(&u);
}

static void test_sqlite_default(void **state)
{
	struct store_url u;
	char err[300];

	(void)state;
	setenv("XDG_STATE_HOME", "/xdg", 1);
	assert_int_equal(parse("sqlite:", &u, err, sizeof(err)), 0);
	assert_string_equal(u.target, "/xdg/fastport/fastport.db");
	assert_true(u.default_path);
	store_url_free(&u);
	/* A relative XDG_STATE_HOME is ignored (XDG base directory spec). */
	setenv("XDG_STATE_HOME", "rel", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(parse("sqlite:", &u, err, sizeof(err)), 0);
	assert_string_equal(u.target, "/home/u/.local/state/fastport/fastport.db");
	store_url_free(&u);
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	assert_int_equal(parse("sqlite:", &u, err, sizeof(err)), STORE_EUSAGE);
	assert_non_null(strstr(err, "HOME"));
}

static void test_postgres(void **state)
{
	struct store_url u;
	char err[300];

	(void)state;
	assert_int_equal(parse("postgresql://u:pw@db.example:5432/fp?sslmode=require", &u, err,
			       sizeof(err)), 0);
	assert_int_equal(u.backend, STORE_POSTGRES);
	assert_string_equal(u.target, "postgresql://u:pw@db.example:5432/fp?sslmode=require");
	store_url_free(&u);
	assert_int_equal(parse("postgres:///fp?host=/run/pg", &u, err, sizeof(err)), 0);
	store_url_free(&u);
	assert_int_equal(parse("postgresql://h1:5432,h2:5433/fp", &u, err, sizeof(err)), 0);
	store_url_free(&u);
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"", "mysql://u:secretpw@h/db", "sqlite://host/x.db", "/tmp/x.db", "x.db",
		"sqlite:/tmp/dir/", "sqlite:/tmp/x.db?mode=ro", "postgresql://h:99999/db",
		"postgresql://h:abc/db", "postgresql://u:secretpw@h/db?bogus=1", "file:/x.db",
	};
	struct store_url u;
	char err[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &u, err, sizeof(err)), STORE_EUSAGE);
		assert_true(err[0] != '\0');
		assert_null(strstr(err, "secretpw"));
		assert_null(u.target);
	}
}

static void test_sha256(void **state)
{
	static const struct {
		const char *in, *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	uint8_t md[32];
	char hex[65];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		store_sha256(v[i].in, strlen(v[i].in), md);
		for (int j = 0; j < 32; j++)
			snprintf(hex + 2 * j, 3, "%02x", md[j]);
		assert_string_equal(hex, v[i].hex);
	}
}

static void test_scope_key(void **state)
{
	const char *t1[] = { "198.19.0.0/24" }, *t2[] = { "198.19.0.128/25", "198.19.0.0-198.19.0.127" };
	const char *x[] = { "198.19.0.5" };
	char k1[33], k2[33], k3[33], err[200], *d1, *d2, *d3;

	(void)state;
	assert_int_equal(store_scope_key(t1, 1, NULL, 0, "80,22,U:53", true, k1, &d1, err,
					 sizeof(err)), 0);
	/* The same addresses and ports written differently: the same scope. */
	assert_int_equal(store_scope_key(t2, 2, NULL, 0, "22, 80, U:53", true, k2, &d2, err,
					 sizeof(err)), 0);
	assert_string_equal(k1, k2);
	assert_string_equal(d1, "198.19.0.0-198.19.0.255 ports T:22,80 U:53");
	assert_int_equal(store_scope_key(t1, 1, x, 1, "22,80,U:53", true, k3, &d3, err,
					 sizeof(err)), 0);
	assert_string_not_equal(k1, k3);
	assert_string_equal(d3, "198.19.0.0-198.19.0.4,198.19.0.6-198.19.0.255 ports T:22,80 U:53");
	free(d1);
	free(d2);
	free(d3);
	assert_int_equal(store_scope_key(t1, 1, NULL, 0, "99999", true, k1, &d1, err, sizeof(err)),
			 STORE_EUSAGE);
	assert_null(d1);
}

static void test_parse_event(void **state)
{
	const char *ok = "{\"schema\":\"threat_event_v1\",\"event_id\":\"s-1\",\"time\":\"2026-01-01T00:00:00Z\","
			 "\"kind\":\"service\",\"scan_id\":\"s\",\"sensor\":{},"
			 "\"target\":{\"ip\":\"2001:0002::0001\",\"port\":443,\"protocol\":\"tcp\"},"
			 "\"service\":{\"name\":\"https\",\"product\":\"nginx\",\"version\":\"1.2\","
			 "\"tls\":{\"sha256\":\"ab\"}}}";
	static const char *const bad[] = {
		"", "[]", "{\"schema\":\"x\"}", "{\"schema\":\"threat_event_v1\"}",
		"{\"schema\":\"threat_event_v1\",\"event_id\":\"1\",\"time\":\"t\",\"kind\":\"port_state\",\"scan_id\":\"s\"}",
		"{\"schema\":\"threat_event_v1\",\"event_id\":\"1\",\"time\":\"t\",\"kind\":\"k\",\"scan_id\":\"s s\"}",
		"{\"schema\":\"threat_event_v1\",\"event_id\":\"1\",\"time\":\"t\",\"kind\":\"k\",\"scan_id\":\"s\",\"target\":{\"ip\":\"1.2.3\",\"port\":1,\"protocol\":\"tcp\"}}",
		"{\"schema\":\"threat_event_v1\",\"event_id\":\"1\",\"time\":\"t\",\"kind\":\"k\",\"scan_id\":\"s\",\"target\":{\"ip\":\"1.2.3.4\",\"port\":65536,\"protocol\":\"tcp\"}}",
		"{\"schema\":\"threat_event_v1\",\"event_id\":\"1\",\"time\":\"t\",\"kind\":\"k\",\"scan_id\":\"s\",\"target\":{\"ip\":\"1.2.3.4\",\"port\":1,\"protocol\":\"sctp\"}}",
		"{\"schema\":\"threat_event_v1\",\"schema\":\"threat_event_v1\"}",
	};
	struct store_event ev;
	struct store_parsed *p;
	char err[200];

	(void)state;
	assert_int_equal(store_parse_event(ok, strlen(ok), &ev, &p, err, sizeof(err)), 0);
	assert_string_equal(ev.ip, "2001:2::1"); /* canonical */
	assert_int_equal(ev.port, 443);
	assert_string_equal(ev.kind, "service");
	assert_string_equal(ev.service, "https");
	assert_string_equal(ev.product, "nginx");
	assert_string_equal(ev.version, "1.2");
	assert_string_equal(ev.cert_sha256, "ab");
	assert_true(store_event_is_finding(&ev));
	store_parsed_free(p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_parse_event(bad[i], strlen(bad[i]), &ev, &p, err, sizeof(err)), -1);
		assert_null(p);
		assert_true(err[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite_paths),
		cmocka_unit_test(test_sqlite_default),
		cmocka_unit_test(test_postgres),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_scope_key),
		cmocka_unit_test(test_parse_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
