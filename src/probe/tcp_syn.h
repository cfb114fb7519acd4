/* SPDX-License-Identifier: MIT */
/* The TCP SYN probe's own part of the probe context. */
#ifndef FP_PROBE_TCP_SYN_H
#define FP_PROBE_TCP_SYN_H

#include <stdint.h>

/* Written by the probe's setup, read by its make. */
struct syn_ctx {
	/* The TCP checksum's constant part per family (IPv4, IPv6): the
	 * pseudo header without the destination, and the header bytes make
	 * leaves alone. */
	uint32_t sum[2];
};

#endif
