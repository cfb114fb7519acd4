/* SPDX-License-Identifier: MIT */
/*
 * Packet parsing: Ethernet (with up to two VLAN tags), IPv4, IPv6 (with
 * extension headers skipped), TCP (with options), UDP, ICMP and ICMPv6
 * (with the inner IP + transport header of error messages). Every accessor
 * is told how many bytes remain and fails when they are too few.
 */
#ifndef FP_PACKET_H
#define FP_PACKET_H

#include "../core/addr.h"  /* addr_to_bytes(), addr_from_bytes() */

/* Parse outcomes; negative values are reasons a packet was rejected. */
enum pkt_err {
	PKT_OK = 0,
	PKT_ETRUNC = -1,   /* fewer bytes than a header says */
	PKT_EPROTO = -2,   /* not IPv4/IPv6, or an unsupported L4 protocol (also: more than 2 VLAN
	                    * tags, more than 8 IPv6 extension headers, ESP, no next header) */
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
	bool has_ack;        /* TCP: whether ack and flags were in the bytes (always for a reply's
	                      * own header; for an inner one, whether they were quoted) */
};

struct pkt {
	struct pkt_l4 l4;
	uint8_t ttl;          /* IPv4 TTL or IPv6 hop limit */
	bool has_ts;          /* TCP timestamp option present (outer TCP only) */
	uint32_t tsval, tsecr;
	const uint8_t *payload; /* UDP/TCP payload, within the frame; for ICMP/ICMPv6 the bytes
	                         * after the 8-byte header (an error's quote) */
	size_t payload_len;
	uint8_t icmp_type, icmp_code; /* when l4.proto is ICMP/ICMPv6 */
	bool has_inner;       /* an ICMP error that quotes an IP packet */
	struct pkt_l4 inner;  /* the quoted packet (src = us, dst = target); all zero unless has_inner */
};

/*
 * Parses an Ethernet frame of len bytes. Returns PKT_OK or a pkt_err. out is
 * zeroed first; on an error its fields are unspecified. Payload pointers
 * point into frame. A first IPv4/IPv6 fragment (offset 0, more fragments)
 * is parsed: its UDP payload is cut to the bytes present.
 */
int pkt_parse_eth(const uint8_t *frame, size_t len, struct pkt *out);

/* Parses an IPv4 or IPv6 packet (version from the first nibble), with the
 * same contract as pkt_parse_eth. */
int pkt_parse_ip(const uint8_t *p, size_t len, struct pkt *out);

/* Parses TCP options (len bytes): finds the timestamp option (kind 8,
 * length 10; one of another length is ignored) and sets only has_ts,
 * tsval and tsecr; rejects (PKT_EBADHDR) an option whose length byte is
 * < 2, missing or runs past the end. */
int pkt_tcp_options(const uint8_t *opt, size_t len, struct pkt *out);

/* Header writers for probe templates. Each returns the bytes written. */
#define ETH_HLEN_ 14
size_t pkt_write_eth(uint8_t *p, const uint8_t dst[static 6], const uint8_t src[static 6], uint16_t ethertype);
/* IPv4 header without options, DF clear, checksum filled in. src and dst
 * are host-order (addr_v4()); the caller keeps payload_len <= 65515. */
size_t pkt_write_ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto,
                      uint16_t payload_len, uint16_t id, uint8_t ttl);
/* IPv6 header, no extension headers. */
size_t pkt_write_ipv6(uint8_t *p, u128 src, u128 dst, uint8_t next, uint16_t payload_len, uint8_t hlim);

#endif
