/* SPDX-License-Identifier: MIT */
/*
 * Routing facts from the kernel over rtnetlink: which interface and source
 * address reach a target, the interface's MAC, and the next hop's MAC from
 * the neighbour table or, failing that, an ARP request (IPv4) or neighbour
 * solicitation (IPv6) of our own. Each call opens and closes its own
 * sockets; any of them may also return FP_ENOMEM (netlink buffer).
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

/*
 * The parsers behind the calls above, pure and bounded so that they can be
 * tested and fuzzed (tests/fuzz/fuzz_route.c): each is told how many bytes
 * it may read, does no I/O and needs no particular alignment.
 */

/* What route_nl_parse() keeps between the receives of one request. */
struct route_nl_state {
	uint32_t seq;       /* in: the request's sequence number */
	uint32_t pid;       /* in: our netlink port id */
	bool done;          /* out: the answer is complete (done, ack, last message) */
	int kerr;           /* out: the kernel's error, -4095..-1, else 0 */
	const char *why;    /* out: what was malformed, when FP_ESYS and no kerr */
};

/*
 * Walks the len bytes of one netlink receive. Messages of another sequence
 * or port are skipped; NLMSG_DONE or an ack sets st->done; every other
 * message of type NLMSG_MIN_TYPE or above goes to cb with its own length
 * (nlmsg_len, at least a header, within buf), and sets st->done unless it
 * has NLM_F_MULTI. Nothing after done is looked at. Returns 0 (receive
 * again unless st->done); FP_ESYS for a kernel error (st->kerr) or a
 * message that does not fit (st->why); or cb's negative return.
 */
int route_nl_parse(const void *buf, size_t len, struct route_nl_state *st,
                   int (*cb)(const uint8_t *msg, size_t len, void *ctx), void *ctx);

/* Link facts from RTM_NEWLINK; the caller zeroes the struct and sets ifindex. */
struct route_link_facts {
	int ifindex;          /* in: the link wanted */
	bool found;
	char ifname[IF_NAMESIZE];
	uint8_t mac[6];
	bool has_mac;
	uint32_t mtu;
	unsigned short type;  /* ARPHRD_* */
	unsigned flags;       /* IFF_* */
};

/*
 * Takes the len bytes at msg as one netlink message (the header's nlmsg_len
 * must fit in len). An RTM_NEWLINK for lf->ifindex sets found, type and
 * flags and whichever of ifname (always NUL-terminated), mac/has_mac and
 * mtu it carries, and true is returned; anything else leaves *lf alone.
 */
bool route_parse_link(const void *msg, size_t len, struct route_link_facts *lf);

/* The source address choice over an RTM_GETADDR dump. */
struct route_addr_pick {
	int ifindex;    /* in */
	int family;     /* in: AF_INET or AF_INET6 */
	bool found;
	bool universe;  /* the pick has global scope */
	u128 addr;      /* of family when found */
};

/*
 * One message of an address dump, as route_parse_link(). An RTM_NEWADDR of
 * ap's family and interface with a usable (not tentative, not failed DAD)
 * address returns true; the first such address is picked, or a later one
 * of global scope when the pick is not.
 */
bool route_parse_addr(const void *msg, size_t len, struct route_addr_pick *ap);

/* The answer to RTM_GETROUTE. */
struct route_reply {
	int family;     /* in: AF_INET or AF_INET6 */
	bool found;
	unsigned char type;  /* RTN_* */
	int oif;
	bool has_src;
	u128 src;       /* may be of either family */
	bool has_gw;
	u128 gw;
};

/*
 * One message of a route reply, as route_parse_link(): the first
 * RTM_NEWROUTE of rr->family sets found, type and whichever of oif, src and
 * gw (RTA_GATEWAY or RTA_VIA) it carries, and returns true; later ones are
 * ignored.
 */
bool route_parse_route(const void *msg, size_t len, struct route_reply *rr);

/* A search of the neighbour table. */
struct neigh_find {
	int ifindex;    /* in */
	int family;     /* in: AF_INET or AF_INET6 */
	u128 ip;        /* in */
	bool found;
	uint8_t mac[6]; /* when found */
};

/*
 * One message of a neighbour dump, as route_parse_link(): the first
 * RTM_NEWNEIGH for nf->ip on nf's interface in a usable state (not a proxy
 * entry) with a 6-byte link-layer address sets found and mac and returns
 * true; nothing is changed otherwise.
 */
bool neigh_parse_entry(const void *msg, size_t len, struct neigh_find *nf);

/*
 * Whether the len-byte Ethernet frame is an ARP reply (Ethernet/IPv4) from
 * want_ip. Returns 0 with the sender's MAC in mac, else FP_ENOMAC with mac
 * untouched.
 */
int neigh_parse_arp_reply(const uint8_t *frame, size_t len, u128 want_ip,
                          uint8_t mac[static 6]);

/*
 * Whether the len-byte Ethernet frame is a valid ICMPv6 neighbour
 * advertisement (hop limit 255, good checksum, well-formed options) for
 * target want_ip. Returns 0 with the target link-layer address option, or
 * failing that the Ethernet source, in mac; else FP_ENOMAC with mac
 * untouched.
 */
int neigh_parse_na(const uint8_t *frame, size_t len, u128 want_ip, uint8_t mac[static 6]);

#endif
