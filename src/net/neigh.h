/* SPDX-License-Identifier: MIT */
/*
 * Next-hop MAC addresses: a lookup in the kernel's neighbour table over
 * rtnetlink, and active resolution with ARP requests (IPv4) or neighbour
 * solicitations (IPv6) on an AF_PACKET socket of our own. route.h's
 * neigh_resolve() decides which to use.
 */
#ifndef FP_NEIGH_H
#define FP_NEIGH_H

#include "netlink.h"

/*
 * The MAC of ip on ifindex from the neighbour table (RTM_GETNEIGH dump),
 * as neigh_parse_entry() picks it. Returns 0 with *found (and mac when
 * found), or an error of nl_talk().
 */
int neigh_lookup(struct nl_sock *nl, int ifindex, u128 ip, uint8_t mac[static 6],
                 bool *found, char *err, size_t errlen);

/*
 * Sends up to three ARP requests (IPv4 ip) or neighbour solicitations
 * (IPv6 ip) from src and if_mac out of ifindex, spread over timeout_ms, and
 * waits for the matching answer (neigh_parse_arp_reply(),
 * neigh_parse_na()). src should be of ip's family. Returns 0 with mac;
 * FP_ENOMAC when nothing answered in time; FP_EPERM without CAP_NET_RAW;
 * FP_ESYS.
 */
int neigh_request(int ifindex, const uint8_t if_mac[static 6], u128 src, u128 ip,
                  uint8_t mac[static 6], unsigned timeout_ms, char *err, size_t errlen);

/*
 * The parsers behind the calls above, pure and bounded (tested and fuzzed
 * as netlink.h's are): each is told how many bytes it may read, does no
 * I/O and needs no particular alignment.
 */

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
