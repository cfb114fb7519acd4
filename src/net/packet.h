/* SPDX-License-Identifier: MIT */
/*
 * Packet parsing: Ethernet (with up to two VLAN tags), IPv4, IPv6 (with
 * extension headers skipped), TCP (with options), UDP, ICMP and ICMPv6
 * (with the inner IP + transport header of error messages). Every accessor
 * is told how many bytes remain and fails when they are too few.
 */
#ifndef FP_PACKET_H
#define FP_PACKET_H

#include "../core/common.h"

/* Parse outcomes; negative values are reasons a packet was rejected. */
enum pkt_err {
	PKT_OK = 0,
	PKT_ETRUNC = -1,   /* fewer bytes than a header says */
	PKT_EPROTO = -2,   /* not IPv4/IPv6, or an unsupported L4 protocol */
	PKT_EBADHDR = -3,  /* a field with an impossible value (IHL < 5, bad version, bad option length...) */
	PKT_EFRAG = -4,    /* a non-first fragment, or a fragment we do not reassemble */
};

#define PKT_F_FIN 0x01
#define PKT_F_SYN 0x02
#define PKT_F_RST 0x04
#define PKT_F_PSH 0x08
#define PKT_F_ACK 0x10

/* The transport part of a packet: a reply's own, or an ICMP error's inner. */
struct pkt_l4 {
	u128 src, dst;
	uint8_t proto;       /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	uint16_t sport, dport;
	uint32_t seq, ack;   /* TCP; in an ICMP inner header only seq is guaranteed (first 8 bytes) */
	uint8_t flags;       /* TCP flags */
	bool has_ack;        /* inner TCP: whether ack was inside the quoted bytes */
};

struct pkt {
	struct pkt_l4 l4;
	uint8_t ttl;          /* IPv4 TTL or IPv6 hop limit */
	bool has_ts;          /* TCP timestamp option present (outer TCP only) */
	uint32_t tsval, tsecr;
	const uint8_t *payload; /* UDP/TCP payload, within the frame */
	size_t payload_len;
	uint8_t icmp_type, icmp_code; /* when l4.proto is ICMP/ICMPv6 */
	bool has_inner;       /* an ICMP error that quotes an IP packet */
	struct pkt_l4 inner;  /* the quoted packet (src = us, dst = target) */
};

/* Parses an Ethernet frame of len bytes. Returns PKT_OK or a pkt_err. */
int pkt_parse_eth(const uint8_t *frame, size_t len, struct pkt *out);

/* Parses an IPv4 or IPv6 packet (version from the first nibble). */
int pkt_parse_ip(const uint8_t *p, size_t len, struct pkt *out);

/* Parses TCP options (len bytes): finds the timestamp option; rejects an
 * option whose length byte is < 2 or runs past the end. */
int pkt_tcp_options(const uint8_t *opt, size_t len, struct pkt *out);

/* Header writers for probe templates. Each returns the bytes written. */
#define ETH_HLEN_ 14
size_t pkt_write_eth(uint8_t *p, const uint8_t dst[static 6], const uint8_t src[static 6], uint16_t ethertype);
/* IPv4 header without options, DF clear, checksum filled in. */
size_t pkt_write_ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto,
                      uint16_t payload_len, uint16_t id, uint8_t ttl);
/* IPv6 header, no extension headers. */
size_t pkt_write_ipv6(uint8_t *p, u128 src, u128 dst, uint8_t next, uint16_t payload_len, uint8_t hlim);

/* Converts between u128 (as in common.h) and 16 network-order bytes; IPv4-mapped gives ::ffff:a.b.c.d bytes. */
void addr_to_bytes(u128 a, uint8_t out[static 16]);
u128 addr_from_bytes(const uint8_t in[static 16]);

#endif
