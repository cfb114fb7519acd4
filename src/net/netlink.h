/* SPDX-License-Identifier: MIT */
/*
 * A small rtnetlink client: one socket per caller, a request with a few
 * attributes, its reply walked by bounded parsers; and the link, address
 * and route queries built on it. Every call that fails writes a message
 * into err (errlen bytes; err may be NULL).
 */
#ifndef FP_NETLINK_H
#define FP_NETLINK_H

#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "../core/common.h"

/* An open NETLINK_ROUTE socket: fd -1 when closed. */
struct nl_sock {
	int fd;
	uint32_t pid;  /* our port id, as the kernel assigned it */
	uint32_t seq;  /* of the last request */
};

/* A netlink request: header, family header and room for a few attributes. */
struct nl_req {
	struct nlmsghdr nh;
	union {
		struct rtmsg rt;
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct ndmsg nd;
	} u;
	char attrs[64];
};

/* Opens and binds nl (receives time out after 1 s). Returns 0 or FP_ESYS. */
int nl_open(struct nl_sock *nl, char *err, size_t errlen);

/* Closes nl when open; safe to call again. */
void nl_close(struct nl_sock *nl);

/* Appends attribute type with len bytes of data to req, after the
 * nlmsg_len bytes already there. False (req unchanged) when full. */
bool nl_addattr(struct nl_req *req, unsigned short type, const void *data, size_t len);

/*
 * Sends req (its nlmsg_len, type, flags and family header set by the
 * caller; sequence and port are set here) and reads replies until the
 * answer is complete: NLMSG_DONE for a dump, an ack or error, or one
 * message without NLM_F_MULTI. Calls cb for each data message of our
 * sequence, as route_nl_parse(). A kernel error becomes -errno in *kerr
 * (0 otherwise) and FP_ESYS is returned; so is a short or garbled reply or
 * a timeout; FP_ENOMEM when the receive buffer cannot be had; or cb's
 * negative return. what names the request in messages ("what: reason").
 */
int nl_talk(struct nl_sock *nl, struct nl_req *req,
            int (*cb)(const uint8_t *msg, size_t len, void *ctx), void *ctx,
            int *kerr, const char *what, char *err, size_t errlen);

/*
 * The parsers behind nl_talk() and the queries below, pure and bounded so that they can be
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

/*
 * Validates the netlink message in the len bytes at msg: its header (whose
 * nlmsg_len must fit in len), a type of want and a family header of hdrlen
 * bytes (copied to hdr). On success *attrs and *alen give the attributes
 * after the family header (none when the message ends before them).
 */
bool nl_msg(const uint8_t *msg, size_t len, uint16_t want, void *hdr,
            size_t hdrlen, const uint8_t **attrs, size_t *alen);

/* The next attribute of the *left bytes at *p: its type, payload and payload
 * length; advances past it. False at the end or at a malformed attribute
 * (shorter than its header or longer than what is left), as RTA_OK. */
bool nl_attr_next(const uint8_t **p, size_t *left, unsigned short *type,
                  const uint8_t **data, size_t *dlen);

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

/* ---- queries ---- */

/*
 * Link facts of ifindex (RTM_GETLINK) into *lf, which is cleared first.
 * Returns 0; FP_EINVAL when the kernel knows no such link; FP_ESYS (also
 * when the answer has no name).
 */
int nl_link_get(struct nl_sock *nl, int ifindex, struct route_link_facts *lf,
                char *err, size_t errlen);

/*
 * The source address of family (AF_INET or AF_INET6) that an RTM_GETADDR
 * dump offers on ifindex, chosen as route_parse_addr() chooses. Returns 0
 * and *out; FP_ENOROUTE when the interface has none; FP_ESYS.
 */
int nl_addr_pick(struct nl_sock *nl, int ifindex, int family, u128 *out,
                 char *err, size_t errlen);

/*
 * Asks the kernel (RTM_GETROUTE) how dst is reached, through interface oif
 * when oif is not 0, and fills *rr (which is cleared first, its family set
 * from dst) as route_parse_route() does. Returns as nl_talk(): the caller
 * tells an unreachable destination by *kerr (-ENETUNREACH, -EHOSTUNREACH).
 */
int nl_route_query(struct nl_sock *nl, u128 dst, uint32_t oif, struct route_reply *rr,
                   int *kerr, char *err, size_t errlen);

#endif
