/* SPDX-License-Identifier: MIT */
/* Unit tests of src/net/route.c: MAC parsing and rtnetlink queries that
 * send no packets (routes to the loopback addresses). */
#include "unit.h"

#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/route.h"

static void test_mac_parse_valid(void **state)
{
	static const uint8_t want[6] = { 0xaa, 0xbb, 0xcc, 0x01, 0x2f, 0xff };
	uint8_t mac[6];

	(void)state;
	assert_int_equal(mac_parse("aa:bb:cc:01:2f:ff", mac), 0);
	assert_memory_equal(mac, want, 6);
	memset(mac, 0, sizeof(mac));
	assert_int_equal(mac_parse("AA-BB-CC-01-2F-FF", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(mac_parse("00:00:00:00:00:00", mac), 0);
}

static void test_mac_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa:bb:cc:dd:ee:f",
		"aa:bb:cc:dd:ee:fff", "a:bb:cc:dd:ee:ff0", "aa:bb:cc:dd:ee:gg",
		"aa.bb.cc.dd.ee.ff", "aa:bb-cc:dd:ee:ff", "aabb.ccdd.eeff",
		" aa:bb:cc:dd:ee:f", "aa:bb:cc:dd:ee:ff ", "aa::bb:cc:dd:ee:f",
		"+a:bb:cc:dd:ee:ff", "aabbccddeeff",
	};
	static const uint8_t keep[6] = { 1, 2, 3, 4, 5, 6 };
	uint8_t mac[6];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(mac, keep, 6);
		if (mac_parse(bad[i], mac) != FP_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_memory_equal(mac, keep, 6);  /* untouched on error */
	}
	assert_int_equal(mac_parse(NULL, mac), FP_EINVAL);
}

static void test_route_v4_loopback(void **state)
{
	struct route_info ri;
	char err[256] = "";
	uint8_t mac[6] = { 1, 1, 1, 1, 1, 1 };
	static const uint8_t zero[6];
	int ret;

	(void)state;
	ret = route_get(addr_from_v4(0x7f000001), NULL, &ri, err, sizeof(err));
	if (ret != 0)
		fail_msg("route_get(127.0.0.1): %d %s", ret, err);
	assert_string_equal(ri.ifname, "lo");
	assert_true(ri.ifindex > 0);
	assert_false(ri.has_gw);
	assert_true(addr_is_v4(ri.src));
	assert_int_equal(addr_v4(ri.src) >> 24, 127);
	assert_true(ri.mtu > 0);

	/* A loopback interface has no neighbours: a zero MAC, nothing sent. */
	ret = neigh_resolve(&ri, addr_from_v4(0x7f000001), mac, 100, err, sizeof(err));
	if (ret != 0)
		fail_msg("neigh_resolve(lo): %d %s", ret, err);
	assert_memory_equal(mac, zero, 6);
}

static void test_route_v6_loopback(void **state)
{
	struct route_info ri;
	char err[256] = "";
	int fd, ret;

	(void)state;
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0 || access("/proc/sys/net/ipv6", F_OK) != 0) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	close(fd);
	ret = route_get((u128)1, NULL, &ri, err, sizeof(err));
	if (ret == FP_ENOROUTE || ret == FP_ESYS) {
		/* IPv6 disabled on lo (disable_ipv6) gives no route. */
		print_message("route_get(::1): %s; skipped\n", err);
		skip();
	}
	if (ret != 0)
		fail_msg("route_get(::1): %d %s", ret, err);
	assert_string_equal(ri.ifname, "lo");
	assert_false(addr_is_v4(ri.src));
	assert_true(ri.src == (u128)1);
}

static void test_route_bad_ifname(void **state)
{
	struct route_info ri;
	char err[256] = "";
	int ret;

	(void)state;
	ret = route_get(addr_from_v4(0x7f000001), "fp-no-such-if0", &ri, err, sizeof(err));
	assert_true(ret < 0);
	assert_non_null(strstr(err, "fp-no-such-if0"));
	ret = route_get(addr_from_v4(0x7f000001), "an-interface-name-too-long", &ri,
	                err, sizeof(err));
	assert_true(ret < 0);
	ret = route_link("fp-no-such-if0", &ri, err, sizeof(err));
	assert_int_equal(ret, FP_EINVAL);
}

static void test_route_link_lo(void **state)
{
	struct route_info ri;
	char err[256] = "";
	static const uint8_t zero[6];
	int ret;

	(void)state;
	memset(&ri, 0, sizeof(ri));
	ret = route_link("lo", &ri, err, sizeof(err));
	if (ret != 0)
		fail_msg("route_link(lo): %d %s", ret, err);
	assert_string_equal(ri.ifname, "lo");
	assert_true(ri.ifindex > 0);
	assert_memory_equal(ri.if_mac, zero, 6);
	assert_true(ri.mtu >= 1280);
}

static void test_route_small_errbuf(void **state)
{
	struct route_info ri;
	char err[4];
	int ret;

	(void)state;
	ret = route_get(addr_from_v4(0x7f000001), "fp-no-such-if0", &ri, err, sizeof(err));
	assert_true(ret < 0);
	assert_int_equal(strlen(err), 3);
	ret = route_get(addr_from_v4(0x7f000001), "fp-no-such-if0", &ri, NULL, 0);
	assert_true(ret < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_parse_valid),
		cmocka_unit_test(test_mac_parse_invalid),
		cmocka_unit_test(test_route_v4_loopback),
		cmocka_unit_test(test_route_v6_loopback),
		cmocka_unit_test(test_route_bad_ifname),
		cmocka_unit_test(test_route_link_lo),
		cmocka_unit_test(test_route_small_errbuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
