/* SPDX-License-Identifier: MIT */
/* Unit tests of src/net/route.c, netlink.c and neigh.c: MAC parsing, the
 * netlink and ARP/NA parsers on hand-built messages, and rtnetlink queries
 * that send no packets (routes to the loopback addresses). */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <net/if_arp.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "net/neigh.h"
#include "net/netlink.h"
#include "net/route.h"

static void test_mac_parse_valid(void **state)
{
	static const uint8_t want[6] = { 0xaa, 0xbb, 0xcc, 0x01, 0x2f, 0xff };
	uint8_t mac[6];

	(void)state;
	assert_int_equal(mac_parse("aa:bb:cc:01:2f:ff", mac), 0);
	assert_memory_equal(mac, want, 6);
	memset(mac, 0, sizeof(mac));
	assert_int_equal(mac_parse("AA-BB-CC-01-2F-FF", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(mac_parse("00:00:00:00:00:00", mac), 0);
}

static void test_mac_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa:bb:cc:dd:ee:f",
		"aa:bb:cc:dd:ee:fff", "a:bb:cc:dd:ee:ff0", "aa:bb:cc:dd:ee:gg",
		"aa.bb.cc.dd.ee.ff", "aa:bb-cc:dd:ee:ff", "aabb.ccdd.eeff",
		" aa:bb:cc:dd:ee:f", "aa:bb:cc:dd:ee:ff ", "aa::bb:cc:dd:ee:f",
		"+a:bb:cc:dd:ee:ff", "aabbccddeeff",
	};
	static const uint8_t keep[6] = { 1, 2, 3, 4, 5, 6 };
	uint8_t mac[6];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(mac, keep, 6);
		if (mac_parse(bad[i], mac) != FP_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_memory_equal(mac, keep, 6);  /* untouched on error */
	}
	assert_int_equal(mac_parse(NULL, mac), FP_EINVAL);
}

/* ---- netlink messages built by hand ---- */

#define SEQ 77
#define PID 4321

struct msgbuf {
	uint8_t b[512];
	size_t len;    /* of the whole buffer */
	size_t start;  /* of the message being built */
};

/* Starts a message of type with a family header of hdrlen bytes. */
static void *msg_start(struct msgbuf *m, uint16_t type, uint16_t flags,
                       size_t hdrlen)
{
	struct nlmsghdr nh = { .nlmsg_type = type, .nlmsg_flags = flags,
	                       .nlmsg_seq = SEQ, .nlmsg_pid = PID };

	m->start = m->len;
	nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdrlen);
	memset(m->b + m->len, 0, NLMSG_SPACE(hdrlen));
	memcpy(m->b + m->len, &nh, sizeof(nh));
	m->len += NLMSG_SPACE(hdrlen);
	return m->b + m->start + NLMSG_HDRLEN;
}

static void msg_attr(struct msgbuf *m, unsigned short type, const void *data, size_t len)
{
	struct rtattr rta = { .rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type };
	struct nlmsghdr *nh = (struct nlmsghdr *)(m->b + m->start);

	memset(m->b + m->len, 0, RTA_SPACE(len));
	memcpy(m->b + m->len, &rta, sizeof(rta));
	memcpy(m->b + m->len + RTA_LENGTH(0), data, len);
	m->len += RTA_SPACE(len);
	nh->nlmsg_len = (uint32_t)(m->len - m->start);
}

static size_t msg_len(const struct msgbuf *m)
{
	return m->len - m->start;
}

struct count {
	unsigned calls;
	int fail_with;
};

static int count_cb(const uint8_t *msg, size_t len, void *ctx)
{
	struct count *c = ctx;

	(void)msg;
	(void)len;
	c->calls++;
	return c->fail_with;
}

static void test_nl_parse_walk(void **state)
{
	struct msgbuf m = { .len = 0 };
	struct route_nl_state st = { .seq = SEQ, .pid = PID };
	struct count c = { 0, 0 };
	struct nlmsghdr *nh;

	(void)state;
	msg_start(&m, RTM_NEWLINK, NLM_F_MULTI, sizeof(struct ifinfomsg));
	msg_start(&m, RTM_NEWLINK, NLM_F_MULTI, sizeof(struct ifinfomsg));
	nh = (struct nlmsghdr *)(m.b + m.start);
	nh->nlmsg_seq = SEQ - 1;  /* stale */
	msg_start(&m, RTM_NEWLINK, NLM_F_MULTI, sizeof(struct ifinfomsg));
	assert_int_equal(route_nl_parse(m.b, m.len, &st, count_cb, &c), 0);
	assert_int_equal(c.calls, 2);
	assert_false(st.done);

	/* NLMSG_DONE ends the dump; nothing after it is looked at. */
	m.len = 0;
	msg_start(&m, NLMSG_DONE, NLM_F_MULTI, 4);
	msg_start(&m, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	c.calls = 0;
	assert_int_equal(route_nl_parse(m.b, m.len, &st, count_cb, &c), 0);
	assert_true(st.done);
	assert_int_equal(c.calls, 0);

	/* One message without NLM_F_MULTI is the whole answer. */
	st.done = false;
	m.len = 0;
	msg_start(&m, RTM_NEWROUTE, 0, sizeof(struct rtmsg));
	assert_int_equal(route_nl_parse(m.b, m.len, &st, count_cb, &c), 0);
	assert_true(st.done);
	assert_int_equal(c.calls, 1);

	/* The callback's error stops the walk. */
	st.done = false;
	c.fail_with = FP_EIO;
	assert_int_equal(route_nl_parse(m.b, m.len, &st, count_cb, &c), FP_EIO);
	assert_false(st.done);
}

static void test_nl_parse_errors(void **state)
{
	struct msgbuf m = { .len = 0 };
	struct route_nl_state st = { .seq = SEQ, .pid = PID };
	struct count c = { 0, 0 };
	struct nlmsgerr *e;
	struct nlmsghdr *nh;
	size_t cut;

	(void)state;
	e = msg_start(&m, NLMSG_ERROR, 0, sizeof(*e));
	e->error = -ENETUNREACH;
	assert_int_equal(route_nl_parse(m.b, m.len, &st, count_cb, &c), FP_ESYS);
	assert_int_equal(st.kerr, -ENETUNREACH);

	/* An ack is done; an error that is no errno is malformed. */
	st.kerr = 0;
	e->error = 0;
	assert_int_equal(route_nl_parse(m.b, m.len, &st, count_cb, &c), 0);
	assert_true(st.done);
	st.done = false;
	e->error = -100000;
	assert_int_equal(route_nl_parse(m.b, m.len, &st, count_cb, &c), FP_ESYS);
	assert_int_equal(st.kerr, 0);
	assert_non_null(st.why);
	st.why = NULL;
	e->error = 5;
	assert_int_equal(route_nl_parse(m.b, m.len, &st, count_cb, &c), FP_ESYS);
	assert_int_equal(st.kerr, 0);

	/* A short error message, and one longer than what was received. */
	st.why = NULL;
	nh = (struct nlmsghdr *)m.b;
	nh->nlmsg_len = NLMSG_LENGTH(2);
	assert_int_equal(route_nl_parse(m.b, NLMSG_SPACE(2), &st, count_cb, &c), FP_ESYS);
	assert_string_equal(st.why, "short netlink error");
	m.len = 0;
	msg_start(&m, RTM_NEWLINK, NLM_F_MULTI, sizeof(struct ifinfomsg));
	for (cut = sizeof(struct nlmsghdr); cut < m.len; cut++) {
		st.why = NULL;
		assert_int_equal(route_nl_parse(m.b, cut, &st, count_cb, &c), FP_ESYS);
		assert_string_equal(st.why, "malformed netlink reply");
	}
	/* Fewer bytes than a header are nothing at all. */
	assert_int_equal(route_nl_parse(m.b, sizeof(struct nlmsghdr) - 1, &st, count_cb, &c), 0);
	assert_int_equal(c.calls, 0);
}

static void test_parse_link(void **state)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct msgbuf m = { .len = 0 };
	struct route_link_facts lf;
	struct ifinfomsg *ifi;
	uint32_t mtu = 1500;
	size_t cut;

	(void)state;
	ifi = msg_start(&m, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_index = 3;
	ifi->ifi_type = ARPHRD_ETHER;
	msg_attr(&m, IFLA_IFNAME, "veth0", 6);
	msg_attr(&m, IFLA_ADDRESS, mac, 6);
	msg_attr(&m, IFLA_MTU, &mtu, 4);
	memset(&lf, 0, sizeof(lf));
	lf.ifindex = 3;
	assert_true(route_parse_link(m.b, m.len, &lf));
	assert_true(lf.found && lf.has_mac);
	assert_string_equal(lf.ifname, "veth0");
	assert_memory_equal(lf.mac, mac, 6);
	assert_int_equal(lf.mtu, 1500);
	assert_int_equal(lf.type, ARPHRD_ETHER);

	/* Another interface, or a message cut short, is not taken. */
	memset(&lf, 0, sizeof(lf));
	lf.ifindex = 4;
	assert_false(route_parse_link(m.b, m.len, &lf));
	assert_false(lf.found);
	lf.ifindex = 3;
	for (cut = 0; cut < m.len; cut++)
		assert_false(route_parse_link(m.b, cut, &lf));
	assert_false(lf.found);

	/* A name longer than IF_NAMESIZE is ignored, a short one ends in NUL. */
	m.len = 0;
	ifi = msg_start(&m, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_index = 3;
	msg_attr(&m, IFLA_IFNAME, "abcdefghijklmnopqrstuvwxyz", 26);
	assert_true(route_parse_link(m.b, m.len, &lf));
	assert_string_equal(lf.ifname, "");
	m.len = 0;
	ifi = msg_start(&m, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_index = 3;
	msg_attr(&m, IFLA_IFNAME, "eth", 3);
	assert_true(route_parse_link(m.b, m.len, &lf));
	assert_string_equal(lf.ifname, "et");
}

static void addr_msg(struct msgbuf *m, int family, int ifindex, unsigned char scope,
                     uint32_t flags, const void *addr)
{
	struct ifaddrmsg *ifa = msg_start(m, RTM_NEWADDR, NLM_F_MULTI, sizeof(*ifa));

	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_index = (unsigned)ifindex;
	ifa->ifa_scope = scope;
	msg_attr(m, IFA_ADDRESS, addr, family == AF_INET ? 4 : 16);
	msg_attr(m, IFA_FLAGS, &flags, 4);
}

static void test_parse_addr(void **state)
{
	static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 1 };
	static const uint8_t global[16] = { 0x20, 0x01, 0, 2, [15] = 1 };
	static const uint8_t tentative[16] = { 0x20, 0x01, 0, 2, [15] = 9 };
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 1 };
	static const uint8_t v4[4] = { 198, 18, 0, 1 };
	struct route_addr_pick ap = { .ifindex = 3, .family = AF_INET6 };
	struct msgbuf m = { .len = 0 };

	(void)state;
	addr_msg(&m, AF_INET6, 3, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE, tentative);
	assert_false(route_parse_addr(m.b, msg_len(&m), &ap));
	m.len = 0;
	addr_msg(&m, AF_INET6, 3, RT_SCOPE_UNIVERSE, 0, mapped);
	assert_false(route_parse_addr(m.b, msg_len(&m), &ap));
	m.len = 0;
	addr_msg(&m, AF_INET6, 4, RT_SCOPE_UNIVERSE, 0, global);
	assert_false(route_parse_addr(m.b, msg_len(&m), &ap));
	assert_false(ap.found);
	m.len = 0;
	addr_msg(&m, AF_INET6, 3, RT_SCOPE_LINK, 0, ll);
	assert_true(route_parse_addr(m.b, msg_len(&m), &ap));
	assert_true(ap.found && !ap.universe);
	assert_true(ap.addr == ((u128)0xfe80 << 112 | 1));
	m.len = 0;
	addr_msg(&m, AF_INET6, 3, RT_SCOPE_UNIVERSE, 0, global);
	assert_true(route_parse_addr(m.b, msg_len(&m), &ap));
	assert_true(ap.universe);
	assert_true(ap.addr == ((u128)0x20010002 << 96 | 1));
	/* A later link-local address does not displace the global one. */
	m.len = 0;
	addr_msg(&m, AF_INET6, 3, RT_SCOPE_LINK, 0, ll);
	assert_true(route_parse_addr(m.b, msg_len(&m), &ap));
	assert_true(ap.addr == ((u128)0x20010002 << 96 | 1));

	memset(&ap, 0, sizeof(ap));
	ap.ifindex = 3;
	ap.family = AF_INET;
	m.len = 0;
	addr_msg(&m, AF_INET, 3, RT_SCOPE_UNIVERSE, 0, v4);
	assert_true(route_parse_addr(m.b, msg_len(&m), &ap));
	assert_true(ap.addr == addr_from_v4(0xc6120001));
}

static void test_parse_route(void **state)
{
	static const uint8_t gw[4] = { 198, 18, 0, 254 }, src[4] = { 198, 18, 0, 1 };
	struct route_reply rr = { .family = AF_INET };
	struct msgbuf m = { .len = 0 };
	struct rtmsg *rtm;
	uint8_t via[18] = { 0 };
	uint16_t via_family = AF_INET6;
	int oif = 3;

	(void)state;
	rtm = msg_start(&m, RTM_NEWROUTE, 0, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_type = RTN_UNICAST;
	msg_attr(&m, RTA_OIF, &oif, 4);
	msg_attr(&m, RTA_PREFSRC, src, 4);
	msg_attr(&m, RTA_GATEWAY, gw, 4);
	assert_true(route_parse_route(m.b, m.len, &rr));
	assert_int_equal(rr.type, RTN_UNICAST);
	assert_int_equal(rr.oif, 3);
	assert_true(rr.has_src && rr.src == addr_from_v4(0xc6120001));
	assert_true(rr.has_gw && rr.gw == addr_from_v4(0xc61200fe));
	/* Only the first answer counts. */
	assert_false(route_parse_route(m.b, m.len, &rr));

	/* An IPv4 route via an IPv6 next hop (RTA_VIA). */
	memset(&rr, 0, sizeof(rr));
	rr.family = AF_INET;
	m.len = 0;
	rtm = msg_start(&m, RTM_NEWROUTE, 0, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	memcpy(via, &via_family, 2);
	via[2] = 0xfe;
	via[3] = 0x80;
	via[17] = 1;
	msg_attr(&m, RTA_VIA, via, sizeof(via));
	msg_attr(&m, RTA_OIF, &oif, 2);  /* a wrong length is ignored */
	assert_true(route_parse_route(m.b, m.len, &rr));
	assert_true(rr.has_gw && rr.gw == ((u128)0xfe80 << 112 | 1));
	assert_int_equal(rr.oif, 0);

	/* Another family is not the answer. */
	memset(&rr, 0, sizeof(rr));
	rr.family = AF_INET6;
	assert_false(route_parse_route(m.b, m.len, &rr));
	assert_false(rr.found);
}

static void test_parse_neigh(void **state)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t ip[4] = { 198, 18, 0, 2 }, other[4] = { 198, 18, 0, 3 };
	struct neigh_find nf = { .ifindex = 3, .family = AF_INET,
	                         .ip = addr_from_v4(0xc6120002) };
	struct msgbuf m = { .len = 0 };
	struct ndmsg *nd;

	(void)state;
	nd = msg_start(&m, RTM_NEWNEIGH, NLM_F_MULTI, sizeof(*nd));
	nd->ndm_family = AF_INET;
	nd->ndm_ifindex = 3;
	nd->ndm_state = NUD_FAILED;
	msg_attr(&m, NDA_DST, ip, 4);
	msg_attr(&m, NDA_LLADDR, mac, 6);
	assert_false(neigh_parse_entry(m.b, m.len, &nf));  /* not usable */
	nd->ndm_state = NUD_STALE;
	nd->ndm_flags = NTF_PROXY;
	assert_false(neigh_parse_entry(m.b, m.len, &nf));
	nd->ndm_flags = 0;
	assert_false(neigh_parse_entry(m.b, m.len - 1, &nf));
	assert_false(nf.found);
	assert_true(neigh_parse_entry(m.b, m.len, &nf));
	assert_true(nf.found);
	assert_memory_equal(nf.mac, mac, 6);

	memset(&nf, 0, sizeof(nf));
	nf.ifindex = 3;
	nf.family = AF_INET;
	nf.ip = addr_from_v4(0xc6120002);
	m.len = 0;
	nd = msg_start(&m, RTM_NEWNEIGH, NLM_F_MULTI, sizeof(*nd));
	nd->ndm_family = AF_INET;
	nd->ndm_ifindex = 3;
	nd->ndm_state = NUD_REACHABLE;
	msg_attr(&m, NDA_DST, other, 4);
	msg_attr(&m, NDA_LLADDR, mac, 6);
	assert_false(neigh_parse_entry(m.b, m.len, &nf));
	assert_false(nf.found);
}

/* ---- ARP and neighbour advertisement frames ---- */

/* An ARP reply from 198.18.0.2 (02:00:00:00:00:02) to 198.18.0.1. */
static const uint8_t arp_reply[42] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xc6, 0x12, 0x00, 0x01,
};

/* A neighbour advertisement for 2001:2::2 from 02:00:00:00:00:02 with the
 * target link-layer address 02:00:00:00:00:22. */
static const uint8_t na_frame[86] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0xb3, 0x73, 0x60, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x22,
};

#define NA_TARGET ((u128)0x20010002 << 96 | 2)

static void test_parse_arp_reply(void **state)
{
	static const uint8_t want[6] = { 2, 0, 0, 0, 0, 2 }, keep[6] = { 9, 9, 9, 9, 9, 9 };
	uint8_t f[60] = { 0 }, mac[6];
	size_t cut;

	(void)state;
	memcpy(f, arp_reply, sizeof(arp_reply));
	assert_int_equal(neigh_parse_arp_reply(f, sizeof(f), addr_from_v4(0xc6120002), mac), 0);
	assert_memory_equal(mac, want, 6);
	for (cut = 0; cut < sizeof(arp_reply); cut++) {
		memcpy(mac, keep, 6);
		assert_int_equal(neigh_parse_arp_reply(f, cut, addr_from_v4(0xc6120002), mac),
		                 FP_ENOMAC);
		assert_memory_equal(mac, keep, 6);
	}
	assert_int_equal(neigh_parse_arp_reply(f, 42, addr_from_v4(0xc6120001), mac), FP_ENOMAC);
	f[21] = 1;  /* a request */
	assert_int_equal(neigh_parse_arp_reply(f, 42, addr_from_v4(0xc6120002), mac), FP_ENOMAC);
	assert_memory_equal(mac, keep, 6);
}

/* Recomputes the ICMPv6 checksum of an NA frame of len bytes. */
static void na_fix_csum(uint8_t *f, size_t len)
{
	size_t plen = len - 14 - 40, i;
	uint32_t sum = (uint32_t)plen + 58;

	f[14 + 40 + 2] = f[14 + 40 + 3] = 0;
	for (i = 14 + 8; i < 14 + 40; i += 2)
		sum += (uint32_t)(f[i] << 8 | f[i + 1]);
	for (i = 14 + 40; i + 1 < len; i += 2)
		sum += (uint32_t)(f[i] << 8 | f[i + 1]);
	if (plen & 1)
		sum += (uint32_t)f[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	f[14 + 40 + 2] = (uint8_t)(~sum >> 8);
	f[14 + 40 + 3] = (uint8_t)~sum;
}

static void test_parse_na(void **state)
{
	static const uint8_t tlla[6] = { 2, 0, 0, 0, 0, 0x22 }, src[6] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t keep[6] = { 9, 9, 9, 9, 9, 9 };
	uint8_t f[sizeof(na_frame)], mac[6];
	size_t cut;

	(void)state;
	memcpy(f, na_frame, sizeof(f));
	assert_int_equal(neigh_parse_na(f, sizeof(f), NA_TARGET, mac), 0);
	assert_memory_equal(mac, tlla, 6);
	for (cut = 0; cut < sizeof(f); cut++) {
		memcpy(mac, keep, 6);
		assert_int_equal(neigh_parse_na(f, cut, NA_TARGET, mac), FP_ENOMAC);
		assert_memory_equal(mac, keep, 6);
	}
	assert_int_equal(neigh_parse_na(f, sizeof(f), NA_TARGET + 1, mac), FP_ENOMAC);

	/* A flipped bit fails the checksum. */
	f[70] ^= 1;
	assert_int_equal(neigh_parse_na(f, sizeof(f), NA_TARGET, mac), FP_ENOMAC);
	f[70] ^= 1;

	/* Without the option, the Ethernet source answers. */
	f[14 + 5] = 24;
	na_fix_csum(f, sizeof(f) - 8);
	assert_int_equal(neigh_parse_na(f, sizeof(f) - 8, NA_TARGET, mac), 0);
	assert_memory_equal(mac, src, 6);

	/* A zero-length option makes the whole advertisement invalid, and
	 * the MAC is left alone. */
	memcpy(f, na_frame, sizeof(f));
	f[14 + 40 + 24 + 1] = 0;
	na_fix_csum(f, sizeof(f));
	memcpy(mac, keep, 6);
	assert_int_equal(neigh_parse_na(f, sizeof(f), NA_TARGET, mac), FP_ENOMAC);
	assert_memory_equal(mac, keep, 6);

	/* So does a hop limit below 255. */
	memcpy(f, na_frame, sizeof(f));
	f[14 + 7] = 64;
	assert_int_equal(neigh_parse_na(f, sizeof(f), NA_TARGET, mac), FP_ENOMAC);
}

static void test_route_v4_loopback(void **state)
{
	struct route_info ri;
	char err[256] = "";
	uint8_t mac[6] = { 1, 1, 1, 1, 1, 1 };
	static const uint8_t zero[6];
	int ret;

	(void)state;
	ret = route_get(addr_from_v4(0x7f000001), NULL, &ri, err, sizeof(err));
	if (ret != 0)
		fail_msg("route_get(127.0.0.1): %d %s", ret, err);
	assert_string_equal(ri.ifname, "lo");
	assert_true(ri.ifindex > 0);
	assert_false(ri.has_gw);
	assert_true(addr_is_v4(ri.src));
	assert_int_equal(addr_v4(ri.src) >> 24, 127);
	assert_true(ri.mtu > 0);

	/* A loopback interface has no neighbours: a zero MAC, nothing sent. */
	ret = neigh_resolve(&ri, addr_from_v4(0x7f000001), mac, 100, err, sizeof(err));
	if (ret != 0)
		fail_msg("neigh_resolve(lo): %d %s", ret, err);
	assert_memory_equal(mac, zero, 6);
}

static void test_route_v6_loopback(void **state)
{
	struct route_info ri;
	char err[256] = "";
	int fd, ret;

	(void)state;
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0 || access("/proc/sys/net/ipv6", F_OK) != 0) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	close(fd);
	ret = route_get((u128)1, NULL, &ri, err, sizeof(err));
	if (ret == FP_ENOROUTE || ret == FP_ESYS) {
		/* IPv6 disabled on lo (disable_ipv6) gives no route. */
		print_message("route_get(::1): %s; skipped\n", err);
		skip();
	}
	if (ret != 0)
		fail_msg("route_get(::1): %d %s", ret, err);
	assert_string_equal(ri.ifname, "lo");
	assert_false(addr_is_v4(ri.src));
	assert_true(ri.src == (u128)1);
}

static void test_route_bad_ifname(void **state)
{
	struct route_info ri;
	char err[256] = "";
	int ret;

	(void)state;
	ret = route_get(addr_from_v4(0x7f000001), "fp-no-such-if0", &ri, err, sizeof(err));
	assert_true(ret < 0);
	assert_non_null(strstr(err, "fp-no-such-if0"));
	ret = route_get(addr_from_v4(0x7f000001), "an-interface-name-too-long", &ri,
	                err, sizeof(err));
	assert_true(ret < 0);
	ret = route_link("fp-no-such-if0", &ri, err, sizeof(err));
	assert_int_equal(ret, FP_EINVAL);
}

static void test_route_link_lo(void **state)
{
	struct route_info ri;
	char err[256] = "";
	static const uint8_t zero[6];
	int ret;

	(void)state;
	memset(&ri, 0, sizeof(ri));
	ret = route_link("lo", &ri, err, sizeof(err));
	if (ret != 0)
		fail_msg("route_link(lo): %d %s", ret, err);
	assert_string_equal(ri.ifname, "lo");
	assert_true(ri.ifindex > 0);
	assert_memory_equal(ri.if_mac, zero, 6);
	assert_true(ri.mtu >= 1280);
}

static void test_route_small_errbuf(void **state)
{
	struct route_info ri;
	char err[4];
	int ret;

	(void)state;
	ret = route_get(addr_from_v4(0x7f000001), "fp-no-such-if0", &ri, err, sizeof(err));
	assert_true(ret < 0);
	assert_int_equal(strlen(err), 3);
	ret = route_get(addr_from_v4(0x7f000001), "fp-no-such-if0", &ri, NULL, 0);
	assert_true(ret < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_parse_valid),
		cmocka_unit_test(test_mac_parse_invalid),
		cmocka_unit_test(test_nl_parse_walk),
		cmocka_unit_test(test_nl_parse_errors),
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_parse_route),
		cmocka_unit_test(test_parse_neigh),
		cmocka_unit_test(test_parse_arp_reply),
		cmocka_unit_test(test_parse_na),
		cmocka_unit_test(test_route_v4_loopback),
		cmocka_unit_test(test_route_v6_loopback),
		cmocka_unit_test(test_route_bad_ifname),
		cmocka_unit_test(test_route_link_lo),
		cmocka_unit_test(test_route_small_errbuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
