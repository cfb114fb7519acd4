/* SPDX-License-Identifier: MIT */
/* The built-in exclusions every scan subtracts from its targets. */
#ifndef FP_RESERVED_H
#define FP_RESERVED_H

#include "ipset.h"

/*
 * Adds the built-in exclusions to s: addresses that are never valid unicast
 * targets (0.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4 incl. 255.255.255.255, IPv6
 * ::/128 and ff00::/8) and, unless allow_reserved, the benchmarking and
 * documentation ranges (198.18.0.0/15, 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:2::/48, 2001:db8::/32). Loopback (127.0.0.0/8, ::1)
 * stays allowed for connect scans, and ::ffff:0:0/96 is where IPv4 lives.
 * Returns 0 or FP_ENOMEM.
 */
int ipset_add_builtin_excludes(struct ipset *s, bool allow_reserved);

#endif
