/* SPDX-License-Identifier: MIT */
/*
 * A small driver of src/net/route.c for tests/lab/route_resolve.sh, run
 * inside the lab's namespace:
 *
 *   route_probe route ADDR [IFNAME]    prints the route facts as key=value
 *   route_probe neigh ADDR [TIMEOUT]   routes ADDR, resolves its next hop's
 *                                      MAC and prints it
 *
 * Exits 0 on success, 1 with "error RC: MESSAGE" on a library error and
 * 2 on bad usage.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/route.h"

static int parse_addr(const char *s, u128 *out)
{
	uint8_t b[16];
	uint32_t v4;
	int i;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		*out = addr_from_v4(ntohl(v4));
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) != 1)
		return -1;
	*out = 0;
	for (i = 0; i < 16; i++)
		*out = (*out << 8) | b[i];
	return 0;
}

static const char *fmt_addr(u128 a, char *buf)
{
	uint8_t b[16];
	uint32_t v4;
	int i;

	if (addr_is_v4(a)) {
		v4 = htonl(addr_v4(a));
		return inet_ntop(AF_INET, &v4, buf, INET6_ADDRSTRLEN);
	}
	for (i = 15; i >= 0; i--) {
		b[i] = (uint8_t)a;
		a >>= 8;
	}
	return inet_ntop(AF_INET6, b, buf, INET6_ADDRSTRLEN);
}

static void print_mac(const char *key, const uint8_t m[static 6])
{
	printf("%s=%02x:%02x:%02x:%02x:%02x:%02x\n", key, m[0], m[1], m[2], m[3],
	       m[4], m[5]);
}

int main(int argc, char **argv)
{
	struct route_info ri;
	char err[256] = "", buf[INET6_ADDRSTRLEN];
	uint8_t mac[6];
	unsigned timeout = 1000;
	u128 dst;
	int ret;

	if (argc < 3 || parse_addr(argv[2], &dst) != 0) {
		fprintf(stderr, "usage: route_probe route|neigh ADDR [IFNAME|TIMEOUT]\n");
		return 2;
	}
	if (strcmp(argv[1], "route") == 0) {
		ret = route_get(dst, argc > 3 ? argv[3] : NULL, &ri, err, sizeof(err));
		if (ret != 0) {
			printf("error %d: %s\n", ret, err);
			return 1;
		}
		printf("ifname=%s\nifindex=%d\nmtu=%u\n", ri.ifname, ri.ifindex, ri.mtu);
		printf("src=%s\n", fmt_addr(ri.src, buf));
		printf("gw=%s\n", ri.has_gw ? fmt_addr(ri.gw, buf) : "none");
		print_mac("if_mac", ri.if_mac);
		return 0;
	}
	if (strcmp(argv[1], "neigh") == 0) {
		if (argc > 3)
			timeout = (unsigned)strtoul(argv[3], NULL, 10);
		ret = route_get(dst, NULL, &ri, err, sizeof(err));
		if (ret == 0)
			ret = neigh_resolve(&ri, ri.has_gw ? ri.gw : dst, mac, timeout,
			                    err, sizeof(err));
		if (ret != 0) {
			printf("error %d: %s\n", ret, err);
			return 1;
		}
		print_mac("mac", mac);
		return 0;
	}
	fprintf(stderr, "route_probe: unknown command '%s'\n", argv[1]);
	return 2;
}
