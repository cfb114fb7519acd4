/* SPDX-License-Identifier: MIT */
/*
 * Routing facts from the kernel: which interface and source address reach
 * a target, the interface's MAC, and the next hop's MAC from the neighbour
 * table or, failing that, an ARP request (IPv4) or neighbour solicitation
 * (IPv6) of our own. Built on netlink.h and neigh.h. Each call opens and
 * closes its own sockets; any of them may also return FP_ENOMEM (netlink
 * buffer).
 */
#ifndef FP_ROUTE_H
#define FP_ROUTE_H

#include <net/if.h>
#include "../core/common.h"

struct route_info {
	int ifindex;
	char ifname[IF_NAMESIZE];
	uint8_t if_mac[6];
	uint32_t mtu;
	u128 src;          /* preferred source address for dst */
	bool has_gw;
	u128 gw;           /* next hop when has_gw; else dst is on-link */
};

/*
 * Asks the kernel (RTM_GETROUTE) how dst is reached, then fills the link
 * facts (RTM_GETLINK); *ri is cleared first. ifname, when not NULL,
 * restricts the lookup to that interface (RTA_OIF). src is the route's
 * preferred source, else the first address of dst's family on the
 * interface (a global one before a link-local one). Local routes (127.0.0.1
 * via lo) are returned as they are. Returns 0; FP_ENOROUTE when the kernel
 * has no unicast route or the interface no source address; FP_EINVAL when
 * ifname names no interface; FP_ESYS when netlink fails (1 s timeout).
 * A message such as "no route to 198.19.0.1" goes to err, which may be NULL.
 */
int route_get(u128 dst, const char *ifname, struct route_info *ri, char *err, size_t errlen);

/* Interface facts by name: fills ifindex, ifname, if_mac (zero when the
 * link has no 6-byte address, as lo) and mtu, and leaves src and gw alone.
 * Returns 0, FP_EINVAL (no such interface) or FP_ESYS. */
int route_link(const char *ifname, struct route_info *ri, char *err, size_t errlen);

/*
 * The MAC address of ip on interface ri->ifindex: the neighbour table when
 * it has a usable entry (reachable, stale, delay, probe, permanent, noarp),
 * else up to three ARP requests (IPv4) or neighbour solicitations (IPv6),
 * sent from ri->src (or another address of ip's family on the interface)
 * and the interface's own MAC, and answered within timeout_ms in all;
 * timeout_ms 0 consults the table only. A loopback or IFF_NOARP interface
 * needs no next-hop MAC: mac is all zero and 0 is returned. Returns 0,
 * FP_ENOMAC (no answer, or not an Ethernet interface), FP_EPERM (the
 * active resolution needs CAP_NET_RAW) or FP_ESYS, with a message in err.
 */
int neigh_resolve(const struct route_info *ri, u128 ip, uint8_t mac[static 6],
                  unsigned timeout_ms, char *err, size_t errlen);

/* Parses "aa:bb:cc:dd:ee:ff" (or with '-' separators, one kind throughout):
 * exactly six hex pairs. Returns 0, or FP_EINVAL leaving mac untouched. */
int mac_parse(const char *s, uint8_t mac[static 6]);

#endif
