/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the routing parsers (src/net/netlink.c, neigh.c):
 * the netlink reply walk with the link, address, route and neighbour
 * message parsers behind it, and the ARP reply and neighbour advertisement
 * matchers.
 *
 * Input: one selector byte, the parameters (ifindex as 4 little-endian
 * bytes, then the wanted address as 16 network-order bytes, IPv4-mapped
 * for IPv4), then the bytes handed to the parser. Every parse runs on an
 * exactly-sized copy, so ASan sees any read past the end, and again on a
 * copy at an odd address, which must give the same answer.
 */
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <linux/netlink.h>

#include "net/neigh.h"
#include "net/netlink.h"
#include "net/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PARAM_LEN (1 + 4 + 16)
#define CB_FAIL_TYPE 0xffff  /* a message type the callback refuses */

enum mode {
	MODE_LINK,       /* a reply walked, each message to route_parse_link */
	MODE_ADDR,
	MODE_ROUTE,
	MODE_NEIGH,
	MODE_ARP,        /* one frame to neigh_parse_arp_reply */
	MODE_NA,
	MODE_MSG,        /* one message to each of the four message parsers */
	MODE_ALL,        /* a reply walked, each message to all four */
	MODE_COUNT
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* The state of every message parser; zeroed whole so that memcmp works. */
struct parsers {
	struct route_link_facts lf;
	struct route_addr_pick ap;
	struct route_reply rr;
	struct neigh_find nf;
};

static void parsers_init(struct parsers *ps, int ifindex, u128 ip)
{
	int family = addr_is_v4(ip) ? AF_INET : AF_INET6;

	memset(ps, 0, sizeof(*ps));
	ps->lf.ifindex = ifindex;
	ps->ap.ifindex = ifindex;
	ps->ap.family = family;
	ps->rr.family = family;
	ps->nf.ifindex = ifindex;
	ps->nf.family = family;
	ps->nf.ip = ip;
}

/* Runs the parsers that mode selects on one message of len bytes and checks
 * what each promises: nothing changes unless it says it took the message. */
static void parse_msg(struct parsers *ps, enum mode mode, const uint8_t *msg, size_t len)
{
	struct parsers old = *ps;
	bool took;

	if (mode == MODE_LINK || mode == MODE_MSG || mode == MODE_ALL) {
		took = route_parse_link(msg, len, &ps->lf);
		if (!took)
			check(memcmp(&old.lf, &ps->lf, sizeof(ps->lf)) == 0);
		check(ps->lf.ifindex == old.lf.ifindex);
		check(took ? ps->lf.found : ps->lf.found == old.lf.found);
		check(memchr(ps->lf.ifname, '\0', sizeof(ps->lf.ifname)) != NULL);
		if (!ps->lf.has_mac)
			check(all_zero(ps->lf.mac, 6));
		if (!ps->lf.found)
			check(ps->lf.mtu == 0 && !ps->lf.has_mac && ps->lf.ifname[0] == '\0');
	}
	if (mode == MODE_ADDR || mode == MODE_MSG || mode == MODE_ALL) {
		took = route_parse_addr(msg, len, &ps->ap);
		if (!took)
			check(memcmp(&old.ap, &ps->ap, sizeof(ps->ap)) == 0);
		check(ps->ap.ifindex == old.ap.ifindex && ps->ap.family == old.ap.family);
		if (took)
			check(ps->ap.found);
		if (ps->ap.found)
			check(addr_is_v4(ps->ap.addr) == (ps->ap.family == AF_INET));
		else
			check(ps->ap.addr == 0 && !ps->ap.universe);
		/* A global pick is never replaced. */
		if (old.ap.found && old.ap.universe)
			check(ps->ap.addr == old.ap.addr && ps->ap.universe);
	}
	if (mode == MODE_ROUTE || mode == MODE_MSG || mode == MODE_ALL) {
		took = route_parse_route(msg, len, &ps->rr);
		if (!took)
			check(memcmp(&old.rr, &ps->rr, sizeof(ps->rr)) == 0);
		else
			check(!old.rr.found && ps->rr.found);
		check(ps->rr.family == old.rr.family);
		if (!ps->rr.found)
			check(!ps->rr.has_src && !ps->rr.has_gw && ps->rr.oif == 0 &&
			      ps->rr.src == 0 && ps->rr.gw == 0);
	}
	if (mode == MODE_NEIGH || mode == MODE_MSG || mode == MODE_ALL) {
		took = neigh_parse_entry(msg, len, &ps->nf);
		if (!took)
			check(memcmp(&old.nf, &ps->nf, sizeof(ps->nf)) == 0);
		else
			check(!old.nf.found && ps->nf.found);
		check(ps->nf.ip == old.nf.ip && ps->nf.ifindex == old.nf.ifindex);
		if (!ps->nf.found)
			check(all_zero(ps->nf.mac, 6));
	}
}

/* What the reply walk hands its callback, and what the callback checks. */
struct walk {
	const uint8_t *buf;
	size_t len;
	const struct route_nl_state *st;
	enum mode mode;
	struct parsers ps;
	unsigned calls;
	bool refused;  /* the callback returned an error */
};

static int walk_cb(const uint8_t *msg, size_t len, void *ctx)
{
	struct walk *w = ctx;
	struct nlmsghdr nh;

	check(!w->refused && !w->st->done);
	check(msg >= w->buf && len >= sizeof(nh) && len <= (size_t)(w->buf + w->len - msg));
	memcpy(&nh, msg, sizeof(nh));
	check(nh.nlmsg_len == len && nh.nlmsg_seq == w->st->seq &&
	      nh.nlmsg_pid == w->st->pid && nh.nlmsg_type >= NLMSG_MIN_TYPE);
	w->calls++;
	if (nh.nlmsg_type == CB_FAIL_TYPE) {
		w->refused = true;
		return FP_EIO;
	}
	parse_msg(&w->ps, w->mode, msg, len);
	return 0;
}

struct walk_result {
	int ret;
	struct route_nl_state st;
	struct parsers ps;
	unsigned calls;
};

static void walk_once(const uint8_t *buf, size_t len, enum mode mode, uint32_t seq,
                      uint32_t pid, int ifindex, u128 ip, struct walk_result *r)
{
	struct walk w = { .buf = buf, .len = len, .mode = mode };

	memset(r, 0, sizeof(*r));
	r->st.seq = seq;
	r->st.pid = pid;
	w.st = &r->st;
	parsers_init(&w.ps, ifindex, ip);
	r->ret = route_nl_parse(buf, len, &r->st, walk_cb, &w);
	r->ps = w.ps;
	r->calls = w.calls;

	check(r->st.seq == seq && r->st.pid == pid);
	check(r->st.kerr >= -4095 && r->st.kerr <= 0);
	check(r->ret == 0 || r->ret == FP_ESYS || r->ret == FP_EIO);
	check((r->ret == FP_EIO) == w.refused);
	if (r->ret == 0)
		check(r->st.kerr == 0 && r->st.why == NULL);
	if (r->st.kerr != 0)
		check(r->ret == FP_ESYS && r->st.why == NULL);
	if (r->ret == FP_ESYS && r->st.kerr == 0)
		check(r->st.why != NULL);
	if (r->ret != 0)
		check(!r->st.done);
}

static void run_walk(const uint8_t *payload, size_t len, enum mode mode, bool stale,
                     int ifindex, u128 ip)
{
	struct walk_result a, b;
	struct nlmsghdr nh;
	uint32_t seq = 0, pid = 0;
	uint8_t *buf, *odd;

	/* Answer the sequence of the first message, as a live socket would;
	 * with stale set, a sequence no message is likely to carry. */
	if (len >= sizeof(nh) && !stale) {
		memcpy(&nh, payload, sizeof(nh));
		seq = nh.nlmsg_seq;
		pid = nh.nlmsg_pid;
	}
	buf = malloc(len ? len : 1);
	odd = malloc(len + 1);
	check(buf != NULL && odd != NULL);
	memcpy(buf, payload, len);
	memcpy(odd + 1, payload, len);
	walk_once(buf, len, mode, seq, pid, ifindex, ip, &a);
	walk_once(odd + 1, len, mode, seq, pid, ifindex, ip, &b);
	check(a.ret == b.ret && a.calls == b.calls && a.st.done == b.st.done &&
	      a.st.kerr == b.st.kerr && a.st.why == b.st.why);
	check(memcmp(&a.ps, &b.ps, sizeof(a.ps)) == 0);
	free(buf);
	free(odd);
}

static void run_msg(const uint8_t *payload, size_t len, int ifindex, u128 ip)
{
	struct parsers a, b;
	uint8_t *buf, *odd;

	buf = malloc(len ? len : 1);
	odd = malloc(len + 1);
	check(buf != NULL && odd != NULL);
	memcpy(buf, payload, len);
	memcpy(odd + 1, payload, len);
	parsers_init(&a, ifindex, ip);
	parsers_init(&b, ifindex, ip);
	parse_msg(&a, MODE_MSG, buf, len);
	parse_msg(&b, MODE_MSG, odd + 1, len);
	check(memcmp(&a, &b, sizeof(a)) == 0);
	/* The same message again: the route and neighbour parsers take only
	 * the first answer, the others must be stable. */
	parse_msg(&a, MODE_MSG, buf, len);
	free(buf);
	free(odd);
}

static void run_frame(const uint8_t *payload, size_t len, enum mode mode, u128 ip)
{
	static const uint8_t sentinel[6] = { 0xa5, 0x5a, 0xa5, 0x5a, 0xa5, 0x5a };
	uint8_t mac[6], mac2[6];
	uint8_t *buf, *odd;
	int ret, ret2;

	buf = malloc(len ? len : 1);
	odd = malloc(len + 1);
	check(buf != NULL && odd != NULL);
	memcpy(buf, payload, len);
	memcpy(odd + 1, payload, len);
	memcpy(mac, sentinel, 6);
	memcpy(mac2, sentinel, 6);
	if (mode == MODE_ARP) {
		ret = neigh_parse_arp_reply(buf, len, ip, mac);
		ret2 = neigh_parse_arp_reply(odd + 1, len, ip, mac2);
	} else {
		ret = neigh_parse_na(buf, len, ip, mac);
		ret2 = neigh_parse_na(odd + 1, len, ip, mac2);
	}
	check(ret == 0 || ret == FP_ENOMAC);
	check(ret == ret2 && memcmp(mac, mac2, 6) == 0);
	if (ret != 0) {
		check(memcmp(mac, sentinel, 6) == 0);  /* untouched on failure */
	} else if (mode == MODE_ARP) {
		/* The sender hardware address of an Ethernet/IPv4 ARP reply. */
		check(len >= 14 + 28 && addr_is_v4(ip));
		check(memcmp(mac, buf + 14 + 8, 6) == 0);
	} else {
		/* The Ethernet source, or a target link-layer address option
		 * (type 2, length 1) inside the frame. */
		bool seen = memcmp(mac, buf + 6, 6) == 0;
		size_t i;

		check(len >= 14 + 40 + 24);
		for (i = 14 + 40 + 24; !seen && i + 8 <= len; i++)
			seen = buf[i] == 2 && buf[i + 1] == 1 &&
			       memcmp(mac, buf + i + 2, 6) == 0;
		check(seen);
	}
	free(buf);
	free(odd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum mode mode;
	int32_t ifindex;
	u128 ip = 0;
	size_t i;

	if (size < PARAM_LEN)
		return 0;
	mode = (enum mode)((data[0] & 0x7f) % MODE_COUNT);
	ifindex = (int32_t)((uint32_t)data[1] | (uint32_t)data[2] << 8 |
	                    (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24);
	for (i = 0; i < 16; i++)
		ip = ip << 8 | data[5 + i];
	data += PARAM_LEN;
	size -= PARAM_LEN;

	switch (mode) {
	case MODE_ARP:
	case MODE_NA:
		run_frame(data, size, mode, ip);
		break;
	case MODE_MSG:
		run_msg(data, size, ifindex, ip);
		break;
	default:
		run_walk(data, size, mode, (data[-PARAM_LEN] & 0x80) != 0, ifindex, ip);
		break;
	}
	return 0;
}
