/* SPDX-License-Identifier: MIT */
/* Next-hop MAC addresses: the kernel's neighbour table, and ARP requests or
 * neighbour solicitations of our own. */
#include "neigh.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "../core/addr.h"
#include "../core/msg.h"
#include "../core/rate.h"
#include "checksum.h"

#define NS_PER_MS 1000000

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
			match = addr_from_wire(data, plen, &a) && a == nf->ip;
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

int neigh_lookup(struct nl_sock *nl, int ifindex, u128 ip, uint8_t mac[static 6],
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

/* The ICMPv6 checksum over the pseudo-header and len bytes of msg (whose
 * checksum field is included as it is: zero to compute, set to verify).
 * addrs is the source and destination address as they follow each other
 * in an IPv6 header. */
static uint16_t icmp6_csum(const uint8_t addrs[static 32], const uint8_t *msg, size_t len)
{
	uint32_t sum = csum_add(0, addrs, 32);

	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + IPPROTO_ICMPV6;
	return csum_finish(csum_add(sum, msg, len));
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
	be16_store(f + 12, ETH_P_ARP);
	be16_store(a + 0, ARPHRD_ETHER);
	be16_store(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	be16_store(a + 6, ARPOP_REQUEST);
	memcpy(a + 8, mac, 6);
	if (addr_is_v4(src)) {
		addr_to_wire(src, b);
		memcpy(a + 14, b, 4);
	}
	/* target hardware address stays zero */
	addr_to_wire(ip, b);
	memcpy(a + 24, b, 4);
	return 60;
}

int neigh_parse_arp_reply(const uint8_t *frame, size_t len, u128 want_ip,
                          uint8_t mac[static 6])
{
	const uint8_t *a = frame + ETH_HDR;
	u128 spa;

	if (len < ETH_HDR + ARP_LEN || be16_load(frame + 12) != ETH_P_ARP)
		return FP_ENOMAC;
	if (be16_load(a) != ARPHRD_ETHER || be16_load(a + 2) != ETH_P_IP || a[4] != 6 ||
	    a[5] != 4 || be16_load(a + 6) != ARPOP_REPLY)
		return FP_ENOMAC;
	if (!addr_from_wire(a + 14, 4, &spa) || spa != want_ip)
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
	be16_store(f + 12, ETH_P_IPV6);

	ip6[0] = 0x60;
	be16_store(ip6 + 4, NS_LEN);
	ip6[6] = IPPROTO_ICMPV6;
	ip6[7] = 255;
	memcpy(ip6 + 8, s, 16);
	memcpy(ip6 + 24, d, 16);

	icmp[0] = ND_NS;
	memcpy(icmp + 8, t, 16);
	icmp[24] = ND_OPT_SLLA;
	icmp[25] = 1;  /* in units of 8 bytes */
	memcpy(icmp + 26, mac, 6);
	be16_store(icmp + 2, icmp6_csum(ip6 + 8, icmp, NS_LEN));
	return ETH_HDR + IP6_HDR + NS_LEN;
}

int neigh_parse_na(const uint8_t *frame, size_t len, u128 want_ip, uint8_t mac[static 6])
{
	const uint8_t *ip6 = frame + ETH_HDR, *icmp = ip6 + IP6_HDR, *opt;
	uint8_t found[6];
	size_t plen, left;
	u128 target;

	if (len < ETH_HDR + IP6_HDR + NA_MIN || be16_load(frame + 12) != ETH_P_IPV6)
		return FP_ENOMAC;
	if ((ip6[0] >> 4) != 6 || ip6[6] != IPPROTO_ICMPV6 || ip6[7] != 255)
		return FP_ENOMAC;
	plen = be16_load(ip6 + 4);
	if (plen < NA_MIN || plen > len - ETH_HDR - IP6_HDR)
		return FP_ENOMAC;
	if (icmp[0] != ND_NA || icmp[1] != 0 ||
	    icmp6_csum(ip6 + 8, icmp, plen) != 0)
		return FP_ENOMAC;
	if (!addr_from_wire(icmp + 8, 16, &target) || target != want_ip)
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

int neigh_request(int ifindex, const uint8_t if_mac[static 6], u128 src, u128 ip,
                  uint8_t mac[static 6], unsigned timeout_ms, char *err, size_t errlen)
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
	char abuf[ADDR_STRLEN];
	uint64_t start = clock_ns() / NS_PER_MS;
	size_t reqlen;
	int fd, ret = FP_ENOMAC, attempt;

	addr_format(ip, abuf);
	reqlen = v4 ? arp_build(req, if_mac, src, ip) : ns_build(req, if_mac, src, ip);

	/* Protocol 0 receives nothing until bind() names the protocol and the
	 * interface, so no other interface's frames are queued meanwhile. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		msg_set(err, errlen, "resolving %s: packet socket: %s", abuf, strerror(errno));
		return errno == EPERM || errno == EACCES ? FP_EPERM : FP_ESYS;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		msg_set(err, errlen, "resolving %s: bind: %s", abuf, strerror(errno));
		ret = FP_ESYS;
		goto out;
	}
	for (attempt = 0; attempt < 3; attempt++) {
		uint64_t until = start + (uint64_t)timeout_ms * (unsigned)(attempt + 1) / 3;
		uint64_t now;

		if (send(fd, req, reqlen, 0) != (ssize_t)reqlen) {
			msg_set(err, errlen, "resolving %s: send: %s", abuf, strerror(errno));
			ret = FP_ESYS;
			goto out;
		}
		while ((now = clock_ns() / NS_PER_MS) < until) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int pr = poll(&pfd, 1, (int)(until - now));

			if (pr < 0 && errno != EINTR) {
				msg_set(err, errlen, "resolving %s: poll: %s", abuf, strerror(errno));
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
	msg_set(err, errlen, "no %s reply from %s within %u ms", v4 ? "ARP" : "neighbour",
	        abuf, timeout_ms);
out:
	close(fd);
	return ret;
}
