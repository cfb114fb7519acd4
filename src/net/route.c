/* SPDX-License-Identifier: MIT */
/* Routing decisions: the interface and source address that reach a target,
 * and the MAC of its next hop. */
#include "route.h"

#include <errno.h>
#include <string.h>

#include <net/if_arp.h>

#include "../core/addr.h"
#include "../core/msg.h"
#include "neigh.h"
#include "netlink.h"

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
		msg_set(err, errlen, "no interface named '%s'", ifname ? ifname : "");
		return FP_EINVAL;
	}
	ret = nl_open(&nl, err, errlen);
	if (ret < 0)
		goto out;
	ret = nl_link_get(&nl, (int)idx, &lf, err, errlen);
	if (ret < 0)
		goto out;
	link_to_route_info(&lf, ri);
out:
	nl_close(&nl);
	return ret;
}

int route_get(u128 dst, const char *ifname, struct route_info *ri, char *err, size_t errlen)
{
	struct nl_sock nl = { .fd = -1 };
	struct route_reply rr;
	struct route_link_facts lf;
	char abuf[ADDR_STRLEN];
	int ret, kerr;
	uint32_t oif = 0;

	memset(ri, 0, sizeof(*ri));
	addr_format(dst, abuf);
	if (ifname != NULL) {
		if (ifname[0] == '\0' || strlen(ifname) >= IF_NAMESIZE ||
		    (oif = if_nametoindex(ifname)) == 0) {
			msg_set(err, errlen, "no interface named '%s'", ifname);
			return FP_EINVAL;
		}
	}
	ret = nl_open(&nl, err, errlen);
	if (ret < 0)
		goto out;

	ret = nl_route_query(&nl, dst, oif, &rr, &kerr, err, errlen);
	if (ret < 0) {
		if (kerr == -ENETUNREACH || kerr == -EHOSTUNREACH) {
			msg_set(err, errlen, "no route to %s%s%s", abuf,
			        ifname ? " via " : "", ifname ? ifname : "");
			ret = FP_ENOROUTE;
		}
		goto out;
	}
	if (!rr.found || rr.oif <= 0 ||
	    (rr.type != RTN_UNICAST && rr.type != RTN_LOCAL)) {
		msg_set(err, errlen, "no route to %s%s%s", abuf,
		        ifname ? " via " : "", ifname ? ifname : "");
		ret = FP_ENOROUTE;
		goto out;
	}
	ret = nl_link_get(&nl, rr.oif, &lf, err, errlen);
	if (ret < 0)
		goto out;
	link_to_route_info(&lf, ri);
	ri->has_gw = rr.has_gw;
	ri->gw = rr.gw;
	if (rr.has_src && addr_family(rr.src) == rr.family) {
		ri->src = rr.src;
	} else {
		ret = nl_addr_pick(&nl, rr.oif, rr.family, &ri->src, err, errlen);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	nl_close(&nl);
	return ret;
}

int neigh_resolve(const struct route_info *ri, u128 ip, uint8_t mac[static 6],
                  unsigned timeout_ms, char *err, size_t errlen)
{
	struct nl_sock nl = { .fd = -1 };
	struct route_link_facts lf;
	char abuf[ADDR_STRLEN];
	bool found = false;
	u128 src = ri->src;
	int ret;

	memset(mac, 0, 6);
	addr_format(ip, abuf);
	ret = nl_open(&nl, err, errlen);
	if (ret < 0)
		goto out;
	ret = nl_link_get(&nl, ri->ifindex, &lf, err, errlen);
	if (ret < 0)
		goto out;
	/* Links without a neighbour protocol need no next-hop MAC. */
	if (lf.type == ARPHRD_LOOPBACK || (lf.flags & IFF_NOARP)) {
		ret = 0;
		goto out;
	}
	if (lf.type != ARPHRD_ETHER || !lf.has_mac) {
		msg_set(err, errlen, "resolving %s: %s is not an Ethernet interface",
		        abuf, lf.ifname);
		ret = FP_ENOMAC;
		goto out;
	}
	ret = neigh_lookup(&nl, ri->ifindex, ip, mac, &found, err, errlen);
	if (ret < 0)
		goto out;
	if (found)
		goto out;
	if (timeout_ms == 0) {
		msg_set(err, errlen, "no neighbour entry for %s on %s", abuf, lf.ifname);
		ret = FP_ENOMAC;
		goto out;
	}
	/* A gateway of the other family (an IPv4 route via an IPv6 next hop)
	 * is asked from an address of its own family. */
	if (addr_family(src) != addr_family(ip)) {
		ret = nl_addr_pick(&nl, ri->ifindex, addr_family(ip), &src, err, errlen);
		if (ret < 0) {
			ret = FP_ENOMAC;
			goto out;
		}
	}
	nl_close(&nl);
	ret = neigh_request(ri->ifindex, lf.mac, src, ip, mac, timeout_ms, err, errlen);
out:
	nl_close(&nl);
	return ret;
}

/* ---- MAC text ---- */

int mac_parse(const char *s, uint8_t mac[static 6])
{
	uint8_t out[6];
	char sep = 0;
	int i, hi, lo;

	if (s == NULL || strlen(s) != 17)
		return FP_EINVAL;
	for (i = 0; i < 6; i++) {
		const char *p = s + i * 3;

		hi = hex_digit(p[0]);
		lo = hex_digit(p[1]);
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
