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
 * ipset_finish). Returns 0, FP_ENOMEM, or FP_EINVAL when lo > hi. Drops
 * before[] and count until the next ipset_finish(). */
int ipset_add(struct ipset *s, u128 lo, u128 hi);

/*
 * Parses one token: an address, a CIDR block (a/len; host bits need not be
 * zero), or a range A-B (same family, A <= B), and adds it. On error returns
 * FP_EINVAL and writes into err (errlen bytes) a message that names the token
 * and the reason, e.g. "invalid target '10.0.0.300': bad IPv4 address".
 * Any prefix length is accepted here; size limits are
 * enforced by ipset_finish().
 */
int ipset_add_token(struct ipset *s, const char *tok, size_t len,
                    char *err, size_t errlen);

/* Parses a list of tokens separated by commas and/or white space (a run of
 * separators counts as one); stops at the first bad token (message as
 * ipset_add_token). A spec without any token is an error ("no targets").
 * On error the set is left as it was. */
int ipset_add_spec(struct ipset *s, const char *spec, char *err, size_t errlen);

/* Reads a file of tokens: one or more per line, separated as in
 * ipset_add_spec, '#' starts a comment, blank lines ignored, lines of any
 * length, CRLF line ends; messages name the file and line ("FILE:LINE: ...").
 * A file without tokens is not an error. Returns FP_EIO (message
 * "FILE: strerror") when the file cannot be opened or read. On error the set
 * is left as it was. */
int ipset_add_file(struct ipset *s, const char *path, char *err, size_t errlen);

/* Removes every address of x from s (neither need be finished; x is not
 * changed). Returns 0 or FP_ENOMEM. s is left sorted and merged; unless
 * nothing was removed, call ipset_finish() again before ipset_at/_index. */
int ipset_subtract(struct ipset *s, const struct ipset *x);

/* Sorts and merges, computes before[] and count. Returns FP_ERANGE with a
 * message when the set holds more than IPSET_MAX_COUNT addresses, or
 * FP_ENOMEM; either way the set stays sorted and merged (usable by
 * ipset_subtract and ipset_contains) but without before[] and count. */
int ipset_finish(struct ipset *s, char *err, size_t errlen);

/* ipset_at and ipset_index require a finished set. ipset_at: idx < count
 * (returns 0 otherwise). ipset_index: 0 and *idx when a is in the set, else
 * -1. ipset_contains needs only a sorted set (see ipset_finish). O(log n). */
u128 ipset_at(const struct ipset *s, uint64_t idx);
int ipset_index(const struct ipset *s, u128 a, uint64_t *idx);
bool ipset_contains(const struct ipset *s, u128 a);

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
