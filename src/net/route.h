/* SPDX-License-Identifier: MIT */
/*
 * Routing facts from the kernel over rtnetlink: which interface and source
 * address reach a target, the interface's MAC, and the next hop's MAC from
 * the neighbour table or, failing that, an ARP request (IPv4) or neighbour
 * solicitation (IPv6) of our own.
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

/* Asks the kernel (RTM_GETROUTE) how dst is reached, then fills the link
 * facts (RTM_GETLINK). ifname, when not NULL, restricts the lookup to that
 * interface (RTA_OIF). Returns 0, FP_ENOROUTE or FP_ESYS with a message. */
int route_get(u128 dst, const char *ifname, struct route_info *ri, char *err, size_t errlen);

/* Interface facts by name: index, MAC, MTU. */
int route_link(const char *ifname, struct route_info *ri, char *err, size_t errlen);

/*
 * The MAC address of ip on the interface: the neighbour table when it has a
 * reachable/stale/permanent entry, else up to three ARP requests (IPv4) or
 * neighbour solicitations (IPv6) sent from src/src_mac and answered within
 * timeout_ms in all. Returns 0 or FP_ENOMAC (message in err).
 * Needs CAP_NET_RAW for the active resolution.
 */
int neigh_resolve(const struct route_info *ri, u128 ip, uint8_t mac[static 6],
                  unsigned timeout_ms, char *err, size_t errlen);

/* Parses "aa:bb:cc:dd:ee:ff" (also '-' separators). Returns 0 or FP_EINVAL. */
int mac_parse(const char *s, uint8_t mac[static 6]);

#endif
