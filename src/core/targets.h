/* SPDX-License-Identifier: MIT */
/* Target and exclusion specs: addresses, CIDR blocks and A-B ranges, from a
 * string or from a file (-iL, --excludefile), added to an address set. */
#ifndef FP_TARGETS_H
#define FP_TARGETS_H

#include "ipset.h"

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

#endif
