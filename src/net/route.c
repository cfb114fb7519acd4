/* SPDX-License-Identifier: MIT */
/*
 * Routing facts over raw rtnetlink (route, link, address and neighbour
 * queries) and active next-hop resolution with ARP or neighbour
 * solicitation on an AF_PACKET socket.
 */
#include "route.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

/* Large enough for any single recv of a dump: the kernel sizes dump skbs
 * from the reader's buffer but never beyond 32 KiB. */
#define NL_BUFSIZE 32768
#define NL_TIMEOUT_MS 1000
#define NL_HDRLEN ((size_t)NLMSG_ALIGN(sizeof(struct nlmsghdr)))

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

struct nl_sock {
	int fd;
	uint32_t pid;  /* our port id, as the kernel assigned it */
	uint32_t seq;
};

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Address text for messages; buf holds INET6_ADDRSTRLEN. */
static const char *addr_str(u128 a, char *buf)
{
	uint8_t b[16];
	int i;

	if (addr_is_v4(a)) {
		uint32_t v = htonl(addr_v4(a));
		inet_ntop(AF_INET, &v, buf, INET6_ADDRSTRLEN);
		return buf;
	}
	for (i = 15; i >= 0; i--) {
		b[i] = (uint8_t)a;
		a >>= 8;
	}
	inet_ntop(AF_INET6, b, buf, INET6_ADDRSTRLEN);
	return buf;
}

/* Network-order bytes of a: 4 for IPv4, 16 for IPv6. Returns the count. */
static size_t addr_to_bytes(u128 a, uint8_t out[static 16])
{
	int i;

	if (addr_is_v4(a)) {
		uint32_t v = htonl(addr_v4(a));
		memcpy(out, &v, 4);
		return 4;
	}
	for (i = 15; i >= 0; i--) {
		out[i] = (uint8_t)a;
		a >>= 8;
	}
	return 16;
}

/* The address in len bytes (4 or 16) of network-order p; false otherwise. */
static bool addr_from_bytes(const void *p, size_t len, u128 *out)
{
	const uint8_t *b = p;
	u128 a = 0;
	size_t i;

	if (len == 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		*out = addr_from_v4(ntohl(v));
		return true;
	}
	if (len != 16)
		return false;
	for (i = 0; i < 16; i++)
		a = (a << 8) | b[i];
	*out = a;
	return true;
}

static int addr_family(u128 a)
{
	return addr_is_v4(a) ? AF_INET : AF_INET6;
}

static int nl_open(struct nl_sock *nl, char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	struct timeval tv = { .tv_sec = NL_TIMEOUT_MS / 1000,
	                      .tv_usec = (NL_TIMEOUT_MS % 1000) * 1000 };

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0) {
		errf(err, errlen, "netlink socket: %s", strerror(errno));
		return FP_ESYS;
	}
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &salen) < 0) {
		errf(err, errlen, "netlink socket setup: %s", strerror(errno));
		close(nl->fd);
		nl->fd = -1;
		return FP_ESYS;
	}
	nl->pid = sa.nl_pid;
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

static void nl_close(struct nl_sock *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* Appends attribute type with len bytes of data to req. False when full. */
static bool nl_addattr(struct nl_req *req, unsigned short type,
                       const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(req->nh.nlmsg_len);
	struct rtattr *rta;

	if (off + RTA_SPACE(len) > sizeof(*req))
		return false;
	rta = (struct rtattr *)((char *)req + off);
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return true;
}

int route_nl_parse(const void *buf, size_t len, struct route_nl_state *st,
                   int (*cb)(const uint8_t *msg, size_t len, void *ctx), void *ctx)
{
	const uint8_t *p = buf;
	struct nlmsghdr nh;
	size_t off, next;
	int ret;

	/* Each message must fit in what is left; the header is copied out,
	 * so nothing here depends on the buffer's alignment. */
	for (off = 0; !st->done && len - off >= sizeof(nh); off = next) {
		memcpy(&nh, p + off, sizeof(nh));
		if (nh.nlmsg_len < sizeof(nh) || nh.nlmsg_len > len - off) {
			st->why = "malformed netlink reply";
			return FP_ESYS;
		}
		/* The next message starts at the aligned end of this one; the
		 * last one may lack its padding. */
		next = off + (((size_t)nh.nlmsg_len + NLMSG_ALIGNTO - 1) &
		              ~(size_t)(NLMSG_ALIGNTO - 1));
		if (next > len)
			next = len;
		if (nh.nlmsg_seq != st->seq || nh.nlmsg_pid != st->pid)
			continue; /* a stale answer to an earlier request */
		if (nh.nlmsg_type == NLMSG_DONE) {
			st->done = true;
		} else if (nh.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if (nh.nlmsg_len - NL_HDRLEN < sizeof(e)) {
				st->why = "short netlink error";
				return FP_ESYS;
			}
			memcpy(&e, p + off + NL_HDRLEN, sizeof(e));
			if (e.error > 0 || e.error < -4095) {
				/* Not an errno; -e.error might not even exist. */
				st->why = "malformed netlink error";
				return FP_ESYS;
			}
			if (e.error != 0) {
				st->kerr = e.error;
				return FP_ESYS;
			}
			st->done = true; /* an ack */
		} else if (nh.nlmsg_type >= NLMSG_MIN_TYPE) {
			ret = cb(p + off, nh.nlmsg_len, ctx);
			if (ret < 0)
				return ret;
			if (!(nh.nlmsg_flags & NLM_F_MULTI))
				st->done = true;
		}
	}
	return 0;
}

/*
 * Sends req and reads replies until the answer is complete: NLMSG_DONE for
 * a dump, an ack or error, or one message without NLM_F_MULTI. Calls cb for
 * each data message of our sequence. A kernel error becomes -errno in
 * *kerr (0 otherwise) and FP_ESYS is returned; so is a short or garbled
 * reply or a timeout. what names the request in messages.
 */
static int nl_talk(struct nl_sock *nl, struct nl_req *req,
                   int (*cb)(const uint8_t *msg, size_t len, void *ctx), void *ctx,
                   int *kerr, const char *what, char *err, size_t errlen)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct route_nl_state st = { 0 };
	char *rx = NULL;
	int ret = FP_ESYS;
	ssize_t n;

	*kerr = 0;
	req->nh.nlmsg_seq = ++nl->seq;
	req->nh.nlmsg_pid = 0;
	n = sendto(nl->fd, req, req->nh.nlmsg_len, 0,
	           (struct sockaddr *)&kernel, sizeof(kernel));
	if (n != (ssize_t)req->nh.nlmsg_len) {
		errf(err, errlen, "%s: netlink send: %s", what,
		     n < 0 ? strerror(errno) : "short write");
		goto out;
	}
	rx = malloc(NL_BUFSIZE);
	if (rx == NULL) {
		errf(err, errlen, "%s: out of memory", what);
		ret = FP_ENOMEM;
		goto out;
	}
	st.seq = nl->seq;
	st.pid = nl->pid;
	while (!st.done) {
		struct iovec iov = { .iov_base = rx, .iov_len = NL_BUFSIZE };
		struct sockaddr_nl from;
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
		};

		n = recvmsg(nl->fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			errf(err, errlen, "%s: netlink receive: %s", what,
			     errno == EAGAIN || errno == EWOULDBLOCK ?
			     "timed out" : strerror(errno));
			goto out;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			errf(err, errlen, "%s: netlink reply truncated", what);
			goto out;
		}
		if (mh.msg_namelen < sizeof(from) || from.nl_pid != 0)
			continue; /* not from the kernel */
		ret = route_nl_parse(rx, (size_t)n, &st, cb, ctx);
		if (ret < 0) {
			*kerr = st.kerr;
			if (st.kerr != 0)
				errf(err, errlen, "%s: %s", what, strerror(-st.kerr));
			else if (ret == FP_ESYS)
				errf(err, errlen, "%s: %s", what, st.why);
			goto out;
		}
	}
	ret = 0;
out:
	free(rx);
	return ret;
}

/*
 * Validates the netlink message in the len bytes at msg: its header, a type
 * of want and a family header of hdrlen bytes (copied to hdr). On success
 * *attrs and *alen give the attributes after the family header.
 */
static bool nl_msg(const uint8_t *msg, size_t len, uint16_t want, void *hdr,
                   size_t hdrlen, const uint8_t **attrs, size_t *alen)
{
	struct nlmsghdr nh;
	size_t off = NL_HDRLEN + NLMSG_ALIGN(hdrlen);

	if (len < sizeof(nh))
		return false;
	memcpy(&nh, msg, sizeof(nh));
	if (nh.nlmsg_type != want || nh.nlmsg_len > len ||
	    nh.nlmsg_len < NL_HDRLEN + hdrlen)
		return false;
	memcpy(hdr, msg + NL_HDRLEN, hdrlen);
	/* The attributes start at the aligned end of the family header; a
	 * message that ends before it simply has none. */
	*attrs = msg + (off < nh.nlmsg_len ? off : nh.nlmsg_len);
	*alen = off < nh.nlmsg_len ? nh.nlmsg_len - off : 0;
	return true;
}

/* The next attribute of the *left bytes at *p: its type, payload and payload
 * length; advances past it. False at the end or at a malformed attribute
 * (shorter than its header or longer than what is left), as RTA_OK. */
static bool nl_attr_next(const uint8_t **p, size_t *left, unsigned short *type,
                         const uint8_t **data, size_t *dlen)
{
	struct rtattr rta;
	size_t step;

	if (*left < sizeof(rta))
		return false;
	memcpy(&rta, *p, sizeof(rta));
	if (rta.rta_len < sizeof(rta) || rta.rta_len > *left)
		return false;
	*type = rta.rta_type;
	*data = *p + RTA_LENGTH(0);
	*dlen = rta.rta_len - RTA_LENGTH(0);
	step = RTA_ALIGN(rta.rta_len);
	if (step > *left)
		step = *left;  /* an unpadded last attribute */
	*p += step;
	*left -= step;
	return true;
}

/* ---- RTM_GETLINK ---- */

bool route_parse_link(const void *msg, size_t len, struct route_link_facts *lf)
{
	struct ifinfomsg ifi;
	const uint8_t *attrs, *data;
	size_t alen, plen;
	unsigned short type;

	if (!nl_msg(msg, len, RTM_NEWLINK, &ifi, sizeof(ifi), &attrs, &alen) ||
	    ifi.ifi_index != lf->ifindex)
		return false;
	lf->found = true;
	lf->type = ifi.ifi_type;
	lf->flags = ifi.ifi_flags;
	while (nl_attr_next(&attrs, &alen, &type, &data, &plen)) {
		switch (type) {
		case IFLA_IFNAME:
			if (plen > 0 && plen <= IF_NAMESIZE) {
				memcpy(lf->ifname, data, plen);
				lf->ifname[plen - 1] = '\0';
			}
			break;
		case IFLA_ADDRESS:
			if (plen == 6) {
				memcpy(lf->mac, data, 6);
				lf->has_mac = true;
			}
			break;
		case IFLA_MTU:
			if (plen >= 4)
				memcpy(&lf->mtu, data, 4);
			break;
		default:
			break;
		}
	}
	return true;
}

static int link_cb(const uint8_t *msg, size_t len, void *ctx)
{
	route_parse_link(msg, len, ctx);
	return 0;
}

static int link_get(struct nl_sock *nl, int ifindex, struct route_link_facts *lf,
                    char *err, size_t errlen)
{
	struct nl_req req;
	char what[64];
	int ret, kerr;

	memset(lf, 0, sizeof(*lf));
	lf->ifindex = ifindex;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.ifi));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.u.ifi.ifi_family = AF_UNSPEC;
	req.u.ifi.ifi_index = ifindex;
	snprintf(what, sizeof(what), "interface #%d", ifindex);
	ret = nl_talk(nl, &req, link_cb, lf, &kerr, what, err, errlen);
	if (ret < 0)
		return kerr == -ENODEV ? FP_EINVAL : ret;
	if (!lf->found || lf->ifname[0] == '\0') {
		errf(err, errlen, "interface #%d: no link information", ifindex);
		return FP_ESYS;
	}
	return 0;
}

static void link_to_route_info(const struct route_link_facts *lf, struct route_info *ri)
{
	ri->ifindex = lf->ifindex;
	memcpy(ri->ifname, lf->ifname, sizeof(ri->ifname));
	if (lf->has_mac)
		memcpy(ri->if_mac, lf->mac, 6);
	else
		memset(ri->if_mac, 0, 6);
	ri->mtu = lf->mtu;
}

int route_link(const char *ifname, struct route_info *ri, char *err, size_t errlen)
{
	struct nl_sock nl = { .fd = -1 };
	struct route_link_facts lf;
	unsigned idx;
	int ret;

	if (ifname == NULL || ifname[0] == '\0' || strlen(ifname) >= IF_NAMESIZE ||
	    (idx = if_nametoindex(ifname)) == 0) {
		errf(err, errlen, "no interface named '%s'", ifname ? ifname : "");
		return FP_EINVAL;
	}
	ret = nl_open(&nl, err, errlen);
	if (ret < 0)
		goto out;
	ret = link_get(&nl, (int)idx, &lf, err, errlen);
	if (ret < 0)
		goto out;
	link_to_route_info(&lf, ri);
out:
	nl_close(&nl);
	return ret;
}

/* ---- RTM_GETADDR ---- */

bool route_parse_addr(const void *msg, size_t len, struct route_addr_pick *ap)
{
	struct ifaddrmsg ifa;
	const uint8_t *attrs, *data, *local = NULL, *address = NULL;
	size_t alen = ap->family == AF_INET ? 4 : 16, left, plen;
	unsigned short type;
	uint32_t flags;
	u128 a;

	if (!nl_msg(msg, len, RTM_NEWADDR, &ifa, sizeof(ifa), &attrs, &left) ||
	    ifa.ifa_family != ap->family || (int)ifa.ifa_index != ap->ifindex)
		return false;
	flags = ifa.ifa_flags;
	while (nl_attr_next(&attrs, &left, &type, &data, &plen)) {
		if (plen == alen && type == IFA_LOCAL)
			local = data;
		else if (plen == alen && type == IFA_ADDRESS)
			address = data;
		else if (plen == 4 && type == IFA_FLAGS)
			memcpy(&flags, data, 4);
	}
	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return false;
	if (local == NULL)
		local = address;
	/* An IPv4-mapped IPv6 address would pass for IPv4 here (see
	 * common.h) and make an IPv6 scan send IPv4; it is no source. */
	if (local == NULL || !addr_from_bytes(local, alen, &a) ||
	    addr_family(a) != ap->family)
		return false;
	/* The first address wins, except that a global one beats a
	 * link-local one: a scan source should be routable. */
	if (!ap->found || (!ap->universe && ifa.ifa_scope == RT_SCOPE_UNIVERSE)) {
		ap->found = true;
		ap->universe = ifa.ifa_scope == RT_SCOPE_UNIVERSE;
		ap->addr = a;
	}
	return true;
}

static int addr_cb(const uint8_t *msg, size_t len, void *ctx)
{
	route_parse_addr(msg, len, ctx);
	return 0;
}

/* The first usable address of family on ifindex into *out. Returns 0,
 * FP_ENOROUTE when the interface has none, or FP_ESYS. */
static int addr_pick(struct nl_sock *nl, int ifindex, int family, u128 *out,
                     char *err, size_t errlen)
{
	struct route_addr_pick ap = { .ifindex = ifindex, .family = family };
	struct nl_req req;
	int ret, kerr;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.ifa));
	req.nh.nlmsg_type = RTM_GETADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.u.ifa.ifa_family = (unsigned char)family;
	req.u.ifa.ifa_index = (unsigned)ifindex;
	ret = nl_talk(nl, &req, addr_cb, &ap, &kerr, "address dump", err, errlen);
	if (ret < 0)
		return ret;
	if (!ap.found) {
		errf(err, errlen, "interface #%d has no %s address", ifindex,
		     family == AF_INET ? "IPv4" : "IPv6");
		return FP_ENOROUTE;
	}
	*out = ap.addr;
	return 0;
}

/* ---- RTM_GETROUTE ---- */

bool route_parse_route(const void *msg, size_t len, struct route_reply *rr)
{
	struct rtmsg rtm;
	const uint8_t *attrs, *data;
	size_t left, plen;
	unsigned short type;
	uint16_t via_family;

	if (rr->found ||
	    !nl_msg(msg, len, RTM_NEWROUTE, &rtm, sizeof(rtm), &attrs, &left) ||
	    rtm.rtm_family != rr->family)
		return false;
	rr->found = true;
	rr->type = rtm.rtm_type;
	while (nl_attr_next(&attrs, &left, &type, &data, &plen)) {
		switch (type) {
		case RTA_OIF:
			if (plen == 4)
				memcpy(&rr->oif, data, 4);
			break;
		case RTA_PREFSRC:
			rr->has_src = addr_from_bytes(data, plen, &rr->src);
			break;
		case RTA_GATEWAY:
			rr->has_gw = addr_from_bytes(data, plen, &rr->gw);
			break;
		case RTA_VIA:
			/* struct rtvia: a family, then the address. */
			if (plen < sizeof(via_family))
				break;
			memcpy(&via_family, data, sizeof(via_family));
			plen -= sizeof(via_family);
			if ((via_family == AF_INET && plen == 4) ||
			    (via_family == AF_INET6 && plen == 16))
				rr->has_gw = addr_from_bytes(data + sizeof(via_family),
				                             plen, &rr->gw);
			break;
		default:
			break;
		}
	}
	return true;
}

static int route_cb(const uint8_t *msg, size_t len, void *ctx)
{
	route_parse_route(msg, len, ctx);
	return 0;
}

int route_get(u128 dst, const char *ifname, struct route_info *ri, char *err, size_t errlen)
{
	struct nl_sock nl = { .fd = -1 };
	struct route_reply rr;
	struct route_link_facts lf;
	struct nl_req req;
	char abuf[INET6_ADDRSTRLEN], what[INET6_ADDRSTRLEN + 16];
	uint8_t bytes[16];
	size_t blen;
	int ret, kerr;
	uint32_t oif = 0;

	memset(ri, 0, sizeof(*ri));
	addr_str(dst, abuf);
	if (ifname != NULL) {
		if (ifname[0] == '\0' || strlen(ifname) >= IF_NAMESIZE ||
		    (oif = if_nametoindex(ifname)) == 0) {
			errf(err, errlen, "no interface named '%s'", ifname);
			return FP_EINVAL;
		}
	}
	ret = nl_open(&nl, err, errlen);
	if (ret < 0)
		goto out;

	blen = addr_to_bytes(dst, bytes);
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.rt));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.u.rt.rtm_family = (unsigned char)addr_family(dst);
	req.u.rt.rtm_dst_len = (unsigned char)(blen * 8);
	if (!nl_addattr(&req, RTA_DST, bytes, blen) ||
	    (oif != 0 && !nl_addattr(&req, RTA_OIF, &oif, sizeof(oif)))) {
		errf(err, errlen, "route to %s: request too large", abuf);
		ret = FP_ESYS;
		goto out;
	}
	memset(&rr, 0, sizeof(rr));
	rr.family = addr_family(dst);
	snprintf(what, sizeof(what), "route to %s", abuf);
	ret = nl_talk(&nl, &req, route_cb, &rr, &kerr, what, err, errlen);
	if (ret < 0) {
		if (kerr == -ENETUNREACH || kerr == -EHOSTUNREACH) {
			errf(err, errlen, "no route to %s%s%s", abuf,
			     ifname ? " via " : "", ifname ? ifname : "");
			ret = FP_ENOROUTE;
		}
		goto out;
	}
	if (!rr.found || rr.oif <= 0 ||
	    (rr.type != RTN_UNICAST && rr.type != RTN_LOCAL)) {
		errf(err, errlen, "no route to %s%s%s", abuf,
		     ifname ? " via " : "", ifname ? ifname : "");
		ret = FP_ENOROUTE;
		goto out;
	}
	ret = link_get(&nl, rr.oif, &lf, err, errlen);
	if (ret < 0)
		goto out;
	link_to_route_info(&lf, ri);
	ri->has_gw = rr.has_gw;
	ri->gw = rr.gw;
	if (rr.has_src && addr_family(rr.src) == rr.family) {
		ri->src = rr.src;
	} else {
		ret = addr_pick(&nl, rr.oif, rr.family, &ri->src, err, errlen);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	nl_close(&nl);
	return ret;
}

/* ---- RTM_GETNEIGH ---- */

#define NUD_USABLE (NUD_REACHABLE | NUD_STALE | NUD_PERMANENT | NUD_DELAY | \
                    NUD_PROBE | NUD_NOARP)

bool neigh_parse_entry(const void *msg, size_t len, struct neigh_find *nf)
{
	struct ndmsg ndm;
	const uint8_t *attrs, *data, *lladdr = NULL;
	size_t left, plen;
	unsigned short type;
	bool match = false;
	u128 a;

	if (nf->found ||
	    !nl_msg(msg, len, RTM_NEWNEIGH, &ndm, sizeof(ndm), &attrs, &left) ||
	    ndm.ndm_family != nf->family || ndm.ndm_ifindex != nf->ifindex ||
	    !(ndm.ndm_state & NUD_USABLE) || (ndm.ndm_flags & NTF_PROXY))
		return false;
	while (nl_attr_next(&attrs, &left, &type, &data, &plen)) {
		if (type == NDA_DST)
			match = addr_from_bytes(data, plen, &a) && a == nf->ip;
		else if (type == NDA_LLADDR && plen == 6)
			lladdr = data;
	}
	if (!match || lladdr == NULL)
		return false;
	memcpy(nf->mac, lladdr, 6);
	nf->found = true;
	return true;
}

static int neigh_cb(const uint8_t *msg, size_t len, void *ctx)
{
	neigh_parse_entry(msg, len, ctx);
	return 0;
}

static int neigh_table(struct nl_sock *nl, int ifindex, u128 ip, uint8_t mac[static 6],
                       bool *found, char *err, size_t errlen)
{
	struct neigh_find nf = { .ifindex = ifindex, .family = addr_family(ip), .ip = ip };
	struct nl_req req;
	int ret, kerr;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.nd));
	req.nh.nlmsg_type = RTM_GETNEIGH;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.u.nd.ndm_family = (uint8_t)nf.family;
	req.u.nd.ndm_ifindex = ifindex;
	ret = nl_talk(nl, &req, neigh_cb, &nf, &kerr, "neighbour dump", err, errlen);
	if (ret < 0)
		return ret;
	*found = nf.found;
	if (nf.found)
		memcpy(mac, nf.mac, 6);
	return 0;
}

/* ---- active resolution ---- */

#define ETH_HDR 14
#define ARP_LEN 28
#define IP6_HDR 40
#define NS_LEN 32       /* type..target (24) + source link-layer option (8) */
#define NA_MIN 24
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_NS 135
#define ND_NA 136

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One's-complement sum of len bytes (big-endian words) added to sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* The ICMPv6 checksum over the pseudo-header and len bytes of msg (whose
 * checksum field is included as it is: zero to compute, set to verify). */
static uint16_t icmp6_csum(const uint8_t src[static 16], const uint8_t dst[static 16],
                           const uint8_t *msg, size_t len)
{
	uint8_t ph[8] = { 0 };
	uint32_t sum = 0;

	ph[0] = (uint8_t)(len >> 24);
	ph[1] = (uint8_t)(len >> 16);
	ph[2] = (uint8_t)(len >> 8);
	ph[3] = (uint8_t)len;
	ph[7] = IPPROTO_ICMPV6;
	sum = csum_add(sum, src, 16);
	sum = csum_add(sum, dst, 16);
	sum = csum_add(sum, ph, sizeof(ph));
	sum = csum_add(sum, msg, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Builds an ARP who-has ip tell src request into f; returns its length. */
static size_t arp_build(uint8_t f[static 60], const uint8_t mac[static 6],
                        u128 src, u128 ip)
{
	uint8_t *a = f + ETH_HDR;
	uint8_t b[16];

	memset(f, 0, 60);  /* padded to the Ethernet minimum */
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	wr16(f + 12, ETH_P_ARP);
	wr16(a + 0, ARPHRD_ETHER);
	wr16(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, ARPOP_REQUEST);
	memcpy(a + 8, mac, 6);
	if (addr_is_v4(src)) {
		addr_to_bytes(src, b);
		memcpy(a + 14, b, 4);
	}
	/* target hardware address stays zero */
	addr_to_bytes(ip, b);
	memcpy(a + 24, b, 4);
	return 60;
}

int neigh_parse_arp_reply(const uint8_t *frame, size_t len, u128 want_ip,
                          uint8_t mac[static 6])
{
	const uint8_t *a = frame + ETH_HDR;
	u128 spa;

	if (len < ETH_HDR + ARP_LEN || rd16(frame + 12) != ETH_P_ARP)
		return FP_ENOMAC;
	if (rd16(a) != ARPHRD_ETHER || rd16(a + 2) != ETH_P_IP || a[4] != 6 ||
	    a[5] != 4 || rd16(a + 6) != ARPOP_REPLY)
		return FP_ENOMAC;
	if (!addr_from_bytes(a + 14, 4, &spa) || spa != want_ip)
		return FP_ENOMAC;
	memcpy(mac, a + 8, 6);
	return 0;
}

/* Builds a neighbour solicitation for ip from src/mac into f. */
static size_t ns_build(uint8_t f[static ETH_HDR + IP6_HDR + NS_LEN],
                       const uint8_t mac[static 6], u128 src, u128 ip)
{
	uint8_t *ip6 = f + ETH_HDR, *icmp = ip6 + IP6_HDR;
	uint8_t s[16], t[16], d[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	addr_to_bytes(src, s);
	addr_to_bytes(ip, t);
	memcpy(d + 13, t + 13, 3);  /* the solicited-node group */

	memset(f, 0, ETH_HDR + IP6_HDR + NS_LEN);
	f[0] = 0x33;
	f[1] = 0x33;
	memcpy(f + 2, d + 12, 4);
	memcpy(f + 6, mac, 6);
	wr16(f + 12, ETH_P_IPV6);

	ip6[0] = 0x60;
	wr16(ip6 + 4, NS_LEN);
	ip6[6] = IPPROTO_ICMPV6;
	ip6[7] = 255;
	memcpy(ip6 + 8, s, 16);
	memcpy(ip6 + 24, d, 16);

	icmp[0] = ND_NS;
	memcpy(icmp + 8, t, 16);
	icmp[24] = ND_OPT_SLLA;
	icmp[25] = 1;  /* in units of 8 bytes */
	memcpy(icmp + 26, mac, 6);
	wr16(icmp + 2, icmp6_csum(s, d, icmp, NS_LEN));
	return ETH_HDR + IP6_HDR + NS_LEN;
}

int neigh_parse_na(const uint8_t *frame, size_t len, u128 want_ip, uint8_t mac[static 6])
{
	const uint8_t *ip6 = frame + ETH_HDR, *icmp = ip6 + IP6_HDR, *opt;
	uint8_t found[6];
	size_t plen, left;
	u128 target;

	if (len < ETH_HDR + IP6_HDR + NA_MIN || rd16(frame + 12) != ETH_P_IPV6)
		return FP_ENOMAC;
	if ((ip6[0] >> 4) != 6 || ip6[6] != IPPROTO_ICMPV6 || ip6[7] != 255)
		return FP_ENOMAC;
	plen = rd16(ip6 + 4);
	if (plen < NA_MIN || plen > len - ETH_HDR - IP6_HDR)
		return FP_ENOMAC;
	if (icmp[0] != ND_NA || icmp[1] != 0 ||
	    icmp6_csum(ip6 + 8, ip6 + 24, icmp, plen) != 0)
		return FP_ENOMAC;
	if (!addr_from_bytes(icmp + 8, 16, &target) || target != want_ip)
		return FP_ENOMAC;
	/* The MAC goes to the caller only once the whole option list has
	 * been checked. */
	memcpy(found, frame + 6, 6);
	opt = icmp + NA_MIN;
	left = plen - NA_MIN;
	while (left >= 2) {
		size_t olen = (size_t)opt[1] * 8;

		if (olen == 0 || olen > left)
			return FP_ENOMAC;  /* RFC 4861 7.1.2: a zero-length option is invalid */
		if (opt[0] == ND_OPT_TLLA && olen == 8)
			memcpy(found, opt + 2, 6);
		opt += olen;
		left -= olen;
	}
	memcpy(mac, found, 6);
	return 0;
}

/*
 * Sends up to three requests for ip on ifindex, spread over timeout_ms, and
 * waits for the matching answer. Returns 0 with mac, FP_ENOMAC on silence,
 * FP_EPERM without CAP_NET_RAW or FP_ESYS.
 */
static int neigh_active(int ifindex, const uint8_t if_mac[static 6], u128 src,
                        u128 ip, uint8_t mac[static 6], unsigned timeout_ms,
                        char *err, size_t errlen)
{
	bool v4 = addr_is_v4(ip);
	uint16_t proto = v4 ? ETH_P_ARP : ETH_P_IPV6;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(proto),
		.sll_ifindex = ifindex,
	};
	uint8_t req[ETH_HDR + IP6_HDR + NS_LEN > 60 ? ETH_HDR + IP6_HDR + NS_LEN : 60];
	uint8_t rx[2048];
	char abuf[INET6_ADDRSTRLEN];
	uint64_t start = now_ms();
	size_t reqlen;
	int fd, ret = FP_ENOMAC, attempt;

	addr_str(ip, abuf);
	reqlen = v4 ? arp_build(req, if_mac, src, ip) : ns_build(req, if_mac, src, ip);

	/* Protocol 0 receives nothing until bind() names the protocol and the
	 * interface, so no other interface's frames are queued meanwhile. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		errf(err, errlen, "resolving %s: packet socket: %s", abuf, strerror(errno));
		return errno == EPERM || errno == EACCES ? FP_EPERM : FP_ESYS;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		errf(err, errlen, "resolving %s: bind: %s", abuf, strerror(errno));
		ret = FP_ESYS;
		goto out;
	}
	for (attempt = 0; attempt < 3; attempt++) {
		uint64_t until = start + (uint64_t)timeout_ms * (unsigned)(attempt + 1) / 3;
		uint64_t now;

		if (send(fd, req, reqlen, 0) != (ssize_t)reqlen) {
			errf(err, errlen, "resolving %s: send: %s", abuf, strerror(errno));
			ret = FP_ESYS;
			goto out;
		}
		while ((now = now_ms()) < until) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int pr = poll(&pfd, 1, (int)(until - now));

			if (pr < 0 && errno != EINTR) {
				errf(err, errlen, "resolving %s: poll: %s", abuf, strerror(errno));
				ret = FP_ESYS;
				goto out;
			}
			if (pr <= 0)
				continue;
			for (;;) {
				struct sockaddr_ll from;
				socklen_t flen = sizeof(from);
				ssize_t n = recvfrom(fd, rx, sizeof(rx), MSG_DONTWAIT,
				                     (struct sockaddr *)&from, &flen);

				if (n < 0)
					break;
				if (flen < sizeof(from) || from.sll_pkttype == PACKET_OUTGOING)
					continue;
				if ((v4 ? neigh_parse_arp_reply(rx, (size_t)n, ip, mac) :
				          neigh_parse_na(rx, (size_t)n, ip, mac)) == 0) {
					ret = 0;
					goto out;
				}
			}
		}
	}
	errf(err, errlen, "no %s reply from %s within %u ms", v4 ? "ARP" : "neighbour",
	     abuf, timeout_ms);
out:
	close(fd);
	return ret;
}

int neigh_resolve(const struct route_info *ri, u128 ip, uint8_t mac[static 6],
                  unsigned timeout_ms, char *err, size_t errlen)
{
	struct nl_sock nl = { .fd = -1 };
	struct route_link_facts lf;
	char abuf[INET6_ADDRSTRLEN];
	bool found = false;
	u128 src = ri->src;
	int ret;

	memset(mac, 0, 6);
	addr_str(ip, abuf);
	ret = nl_open(&nl, err, errlen);
	if (ret < 0)
		goto out;
	ret = link_get(&nl, ri->ifindex, &lf, err, errlen);
	if (ret < 0)
		goto out;
	/* Links without a neighbour protocol need no next-hop MAC. */
	if (lf.type == ARPHRD_LOOPBACK || (lf.flags & IFF_NOARP)) {
		ret = 0;
		goto out;
	}
	if (lf.type != ARPHRD_ETHER || !lf.has_mac) {
		errf(err, errlen, "resolving %s: %s is not an Ethernet interface",
		     abuf, lf.ifname);
		ret = FP_ENOMAC;
		goto out;
	}
	ret = neigh_table(&nl, ri->ifindex, ip, mac, &found, err, errlen);
	if (ret < 0)
		goto out;
	if (found)
		goto out;
	if (timeout_ms == 0) {
		errf(err, errlen, "no neighbour entry for %s on %s", abuf, lf.ifname);
		ret = FP_ENOMAC;
		goto out;
	}
	/* A gateway of the other family (an IPv4 route via an IPv6 next hop)
	 * is asked from an address of its own family. */
	if (addr_family(src) != addr_family(ip)) {
		ret = addr_pick(&nl, ri->ifindex, addr_family(ip), &src, err, errlen);
		if (ret < 0) {
			ret = FP_ENOMAC;
			goto out;
		}
	}
	nl_close(&nl);
	ret = neigh_active(ri->ifindex, lf.mac, src, ip, mac, timeout_ms, err, errlen);
out:
	nl_close(&nl);
	return ret;
}

/* ---- MAC text ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mac_parse(const char *s, uint8_t mac[static 6])
{
	uint8_t out[6];
	char sep = 0;
	int i, hi, lo;

	if (s == NULL || strlen(s) != 17)
		return FP_EINVAL;
	for (i = 0; i < 6; i++) {
		const char *p = s + i * 3;

		hi = hexval(p[0]);
		lo = hexval(p[1]);
		if (hi < 0 || lo < 0)
			return FP_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
		if (i == 5)
			break;
		if (p[2] != ':' && p[2] != '-')
			return FP_EINVAL;
		if (sep == 0)
			sep = p[2];
		else if (p[2] != sep)
			return FP_EINVAL;  /* one separator throughout */
	}
	memcpy(mac, out, 6);
	return 0;
}
