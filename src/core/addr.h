/* SPDX-License-Identifier: MIT */
/*
 * The address module: literals and their byte forms here; address sets
 * (ipset.h), target and exclusion specs (targets.h) and the built-in
 * exclusions (reserved.h), included below for the callers that use them
 * all. A caller that needs one part may include its header alone.
 */
#ifndef FP_ADDR_H
#define FP_ADDR_H

#include <sys/socket.h>

#include "common.h"

#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/*
 * Parses exactly len bytes of s as an IPv4 dotted quad (four decimal parts,
 * no leading zeros beyond "0", each <= 255) or an IPv6 literal (RFC 4291
 * text forms, including "::" and an embedded dotted quad; no zone id).
 * IPv4 results are IPv4-mapped. Returns 0, or FP_EINVAL (error codes are negative).
 */
int addr_parse(const char *s, size_t len, u128 *out);

/* Writes the canonical text of a (dotted quad for IPv4-mapped, RFC 5952 for
 * IPv6) into buf, NUL-terminated; returns its length. buf holds ADDR_STRLEN. */
size_t addr_format(u128 a, char buf[static ADDR_STRLEN]);

/* Converts between u128 and 16 network-order bytes; an IPv4-mapped address
 * gives the ::ffff:a.b.c.d bytes. Any alignment. */
void addr_to_bytes(u128 a, uint8_t out[static 16]);
u128 addr_from_bytes(const uint8_t in[static 16]);

/*
 * The wire form of a's own family, as sockets and netlink carry it: 4
 * network-order bytes for IPv4, 16 for IPv6. addr_to_wire returns the count
 * written; addr_from_wire takes len bytes (4 or 16; false for any other
 * length, *out untouched). Any alignment.
 */
size_t addr_to_wire(u128 a, uint8_t out[static 16]);
bool addr_from_wire(const void *p, size_t len, u128 *out);

/* AF_INET for an IPv4-mapped address, else AF_INET6. */
static inline int addr_family(u128 a)
{
	return addr_is_v4(a) ? AF_INET : AF_INET6;
}

#include "ipset.h"
#include "targets.h"
#include "reserved.h"

#endif
