/* SPDX-License-Identifier: MIT */
/* Address literals, address sets (sorted disjoint intervals) and the
 * parsing of target and exclusion specs. */
#ifndef FP_ADDR_H
#define FP_ADDR_H

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

struct ipset_range {
	u128 lo, hi; /* inclusive */
};

/* A set of addresses as sorted, disjoint, non-adjacent intervals, plus the
 * running count that maps an index in [0, count) to an address. */
struct ipset {
	struct ipset_range *r;
	uint64_t *before; /* before[i]: addresses in r[0..i-1]; valid after ipset_finish() */
	size_t n, cap;
	uint64_t count;   /* valid after ipset_finish() */
};

/* Largest number of addresses a set may hold for a sweep. */
#define IPSET_MAX_COUNT ((uint64_t)1 << 40)

void ipset_init(struct ipset *s);
void ipset_free(struct ipset *s);

/* Adds [lo, hi]; merges overlapping and adjacent intervals lazily (at
 * ipset_finish). Returns 0 or FP_ENOMEM. */
int ipset_add(struct ipset *s, u128 lo, u128 hi);

/*
 * Parses one token: an address, a CIDR block (a/len; host bits need not be
 * zero), or a range A-B (same family, A <= B), and adds it. On error returns
 * FP_EINVAL and writes into err (errlen bytes) a message that names the token
 * and the reason, e.g. "invalid target '10.0.0.300': octet out of range".
 * Any prefix length is accepted here; size limits are
 * enforced by ipset_finish().
 */
int ipset_add_token(struct ipset *s, const char *tok, size_t len,
                    char *err, size_t errlen);

/* Parses a list of tokens separated by commas and/or white space; stops at
 * the first bad token (message as ipset_add_token). */
int ipset_add_spec(struct ipset *s, const char *spec, char *err, size_t errlen);

/* Reads a file of tokens: one or more per line, '#' starts a comment, blank
 * lines ignored; messages name the file and line ("FILE:LINE: ..."). */
int ipset_add_file(struct ipset *s, const char *path, char *err, size_t errlen);

/* Removes every address of x from s (both need not be finished). */
int ipset_subtract(struct ipset *s, const struct ipset *x);

/* Sorts and merges, computes before[] and count. Returns FP_ERANGE with a
 * message when the set holds more than IPSET_MAX_COUNT addresses. */
int ipset_finish(struct ipset *s, char *err, size_t errlen);

/* Both require a finished set. ipset_at: idx < count. ipset_index: 0 and
 * *idx when a is in the set, else -1. O(log n). */
u128 ipset_at(const struct ipset *s, uint64_t idx);
int ipset_index(const struct ipset *s, u128 a, uint64_t *idx);
bool ipset_contains(const struct ipset *s, u128 a);

/*
 * The built-in exclusions: addresses that are never valid unicast targets
 * (0.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4 incl. 255.255.255.255, IPv6 ::/128,
 * ff00::/8, ::ffff:0:0/96 seen as IPv6 is n/a) and, unless allow_reserved,
 * the benchmarking and documentation ranges (198.18.0.0/15, 192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, 2001:2::/48, 2001:db8::/32).
 */
int ipset_add_builtin_excludes(struct ipset *s, bool allow_reserved);

#endif
