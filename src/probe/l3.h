/* SPDX-License-Identifier: MIT */
/*
 * The link and network layers of the probes' frames, shared by every
 * probe: the Ethernet and IPv4/IPv6 headers of a template, the per-target
 * fields of those headers, and the names of ICMP unreachable codes.
 */
#ifndef FP_PROBE_L3_H
#define FP_PROBE_L3_H

#include "probe.h"

/* Where the IP header starts in a probe frame: Ethernet, never a VLAN tag. */
#define L3_OFF ETH_HLEN_

/*
 * Shared by the probes' prepare: zeroes len bytes of buf, then writes the
 * Ethernet header and the IPv4 or IPv6 header from c (destination 0, ID 0,
 * l4len bytes of transport header and payload). Returns the offset of the
 * transport header (L3_OFF + 20 or L3_OFF + 40).
 */
size_t probe_write_l3(const struct probe_ctx *c, bool v6, uint8_t proto, uint16_t l4len,
		      uint8_t *buf, size_t len);

/*
 * Shared by the probes' make: writes the destination address into a frame
 * that probe_write_l3 prepared and, for IPv4, the ID and the header
 * checksum (from the template's constant words, not a full sum). l4len,
 * when not 0, sets the length fields for a transport part of that size
 * (probes whose payload varies). Returns the offset of the transport
 * header.
 */
size_t probe_set_l3(uint8_t *buf, u128 dst, uint16_t ip_id, uint16_t l4len);

/* Reason text for an ICMP or ICMPv6 destination-unreachable code (also
 * the connect method's, from a socket's error queue). */
const char *probe_icmp_reason(bool v6, uint8_t type, uint8_t code);

#endif
