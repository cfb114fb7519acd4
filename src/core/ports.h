/* SPDX-License-Identifier: MIT */
/* Port specs: nmap-style lists with T:/U:/Q: protocol prefixes. */
#ifndef FP_PORTS_H
#define FP_PORTS_H

#include "common.h"

#define PORTS_NPROTO 3

/* An ordered list of (protocol, port) pairs and the reverse map. */
struct portset {
	uint32_t n;
	uint32_t *list;                    /* (protocol << 16) | port */
	int32_t *index[PORTS_NPROTO];      /* [65536] each: position in list or -1; NULL if none of that proto */
};

static inline uint8_t portset_proto(uint32_t e) { return (uint8_t)(e >> 16); }
static inline uint16_t portset_port(uint32_t e) { return (uint16_t)e; }

void portset_init(struct portset *p);
void portset_free(struct portset *p);

/*
 * Parses a spec such as "22,80-90,U:53,161,Q:443,T:8080" (a prefix applies to
 * the items after it until the next prefix; plain items are TCP) or "-" (all
 * TCP ports 1-65535); "T:-" etc. mean 1-65535 of that protocol; "A-" means A-65535
 * and "-B" 1-B. Port 0 is accepted only when written explicitly. Prefixes
 * are case-insensitive; white space around an item is ignored. Empty items,
 * a prefix without ports, unknown prefixes and reversed ranges are errors.
 * Duplicates are merged. Order of the list: by protocol, then port. On error
 * returns FP_EINVAL (or FP_ENOMEM), writes a message naming the token and
 * the reason, and leaves p as it was. May be called more than once (adds;
 * each call starts with TCP).
 */
int portset_add_spec(struct portset *p, const char *spec, char *err, size_t errlen);

/* Position of (proto, port) in the list, or -1. */
static inline int32_t portset_find(const struct portset *p, uint8_t proto, uint16_t port)
{
	if (proto >= PORTS_NPROTO || !p->index[proto])
		return -1;
	return p->index[proto][port];
}

/* "tcp", "udp", "quic"; "unknown" for any other value. */
const char *proto_name(uint8_t proto);

#endif
