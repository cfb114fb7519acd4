/* SPDX-License-Identifier: MIT */
/* Raw rtnetlink: the socket, one request and its reply, and the link,
 * address and route queries. */
#include "netlink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <sys/socket.h>

#include "../core/addr.h"
#include "../core/msg.h"

/* Large enough for any single recv of a dump: the kernel sizes dump skbs
 * from the reader's buffer but never beyond 32 KiB. */
#define NL_BUFSIZE 32768
#define NL_TIMEOUT_MS 1000
#define NL_HDRLEN ((size_t)NLMSG_ALIGN(sizeof(struct nlmsghdr)))

int nl_open(struct nl_sock *nl, char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	struct timeval tv = { .tv_sec = NL_TIMEOUT_MS / 1000,
	                      .tv_usec = (NL_TIMEOUT_MS % 1000) * 1000 };

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0) {
		msg_set(err, errlen, "netlink socket: %s", strerror(errno));
		return FP_ESYS;
	}
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &salen) < 0) {
		msg_set(err, errlen, "netlink socket setup: %s", strerror(errno));
		close(nl->fd);
		nl->fd = -1;
		return FP_ESYS;
	}
	nl->pid = sa.nl_pid;
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

void nl_close(struct nl_sock *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

bool nl_addattr(struct nl_req *req, unsigned short type, const void *data, size_t len)
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

int nl_talk(struct nl_sock *nl, struct nl_req *req,
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
		msg_set(err, errlen, "%s: netlink send: %s", what,
		        n < 0 ? strerror(errno) : "short write");
		goto out;
	}
	rx = malloc(NL_BUFSIZE);
	if (rx == NULL) {
		msg_set(err, errlen, "%s: out of memory", what);
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
			msg_set(err, errlen, "%s: netlink receive: %s", what,
			        errno == EAGAIN || errno == EWOULDBLOCK ?
			        "timed out" : strerror(errno));
			goto out;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			msg_set(err, errlen, "%s: netlink reply truncated", what);
			goto out;
		}
		if (mh.msg_namelen < sizeof(from) || from.nl_pid != 0)
			continue; /* not from the kernel */
		ret = route_nl_parse(rx, (size_t)n, &st, cb, ctx);
		if (ret < 0) {
			*kerr = st.kerr;
			if (st.kerr != 0)
				msg_set(err, errlen, "%s: %s", what, strerror(-st.kerr));
			else if (ret == FP_ESYS)
				msg_set(err, errlen, "%s: %s", what, st.why);
			goto out;
		}
	}
	ret = 0;
out:
	free(rx);
	return ret;
}

bool nl_msg(const uint8_t *msg, size_t len, uint16_t want, void *hdr,
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

bool nl_attr_next(const uint8_t **p, size_t *left, unsigned short *type,
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

int nl_link_get(struct nl_sock *nl, int ifindex, struct route_link_facts *lf,
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
		msg_set(err, errlen, "interface #%d: no link information", ifindex);
		return FP_ESYS;
	}
	return 0;
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
	if (local == NULL || !addr_from_wire(local, alen, &a) ||
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

int nl_addr_pick(struct nl_sock *nl, int ifindex, int family, u128 *out,
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
		msg_set(err, errlen, "interface #%d has no %s address", ifindex,
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
			rr->has_src = addr_from_wire(data, plen, &rr->src);
			break;
		case RTA_GATEWAY:
			rr->has_gw = addr_from_wire(data, plen, &rr->gw);
			break;
		case RTA_VIA:
			/* struct rtvia: a family, then the address. */
			if (plen < sizeof(via_family))
				break;
			memcpy(&via_family, data, sizeof(via_family));
			plen -= sizeof(via_family);
			if ((via_family == AF_INET && plen == 4) ||
			    (via_family == AF_INET6 && plen == 16))
				rr->has_gw = addr_from_wire(data + sizeof(via_family),
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

int nl_route_query(struct nl_sock *nl, u128 dst, uint32_t oif, struct route_reply *rr,
                   int *kerr, char *err, size_t errlen)
{
	struct nl_req req;
	char abuf[ADDR_STRLEN], what[ADDR_STRLEN + 16];
	uint8_t bytes[16];
	size_t blen;

	*kerr = 0;
	memset(rr, 0, sizeof(*rr));
	rr->family = addr_family(dst);
	addr_format(dst, abuf);
	blen = addr_to_wire(dst, bytes);
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.rt));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.u.rt.rtm_family = (unsigned char)rr->family;
	req.u.rt.rtm_dst_len = (unsigned char)(blen * 8);
	if (!nl_addattr(&req, RTA_DST, bytes, blen) ||
	    (oif != 0 && !nl_addattr(&req, RTA_OIF, &oif, sizeof(oif)))) {
		msg_set(err, errlen, "route to %s: request too large", abuf);
		return FP_ESYS;
	}
	snprintf(what, sizeof(what), "route to %s", abuf);
	return nl_talk(nl, &req, route_cb, rr, kerr, what, err, errlen);
}
