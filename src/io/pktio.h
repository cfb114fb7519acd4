/* SPDX-License-Identifier: MIT */
/*
 * Raw packet I/O on AF_PACKET: a TPACKET_V2 TX ring with qdisc bypass and
 * batched kicks for sending, and a TPACKET_V3 RX ring behind a classic BPF
 * filter for receiving.
 */
#ifndef FP_PKTIO_H
#define FP_PKTIO_H

#include "../core/common.h"

struct txring {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint32_t frame_size, frame_nr;
	uint32_t head;      /* next frame to fill */
	uint32_t pending;   /* frames queued since the last kick */
	uint8_t *tmpl;      /* per frame: which template it holds (0 = none) */
};

/* Opens the ring on ifindex. Returns 0, FP_EPERM (no CAP_NET_RAW) or
 * FP_ESYS with a message. */
int txring_open(struct txring *t, int ifindex, char *err, size_t errlen);
void txring_close(struct txring *t);

/*
 * The next free frame's data area (PROBE_MAX_FRAME bytes), or NULL when
 * every frame is still owned by the kernel. *tmpl points at the frame's
 * template tag, which the caller keeps to know what prepare wrote there.
 */
uint8_t *txring_next(struct txring *t, uint8_t **tmpl);
/* Hands the frame returned by the last txring_next to the kernel. */
void txring_commit(struct txring *t, uint32_t len);
/* Asks the kernel to send what was committed. Returns 0 or FP_ESYS. */
int txring_kick(struct txring *t, bool wait);

struct rxring {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint32_t block_size, block_nr;
	uint32_t cur;       /* next block to read */
};

/*
 * Opens the ring on ifindex with a filter that passes only incoming IPv4
 * TCP/UDP/ICMP addressed to src4 (when not 0) and incoming IPv6.
 */
int rxring_open(struct rxring *r, int ifindex, uint32_t src4, char *err, size_t errlen);
void rxring_close(struct rxring *r);

/* Calls fn for every packet in every ready block, releasing each block;
 * waits up to timeout_ms for the first. Returns packets seen, or < 0. */
typedef void (*rx_fn)(void *arg, const uint8_t *frame, size_t len);
int rxring_poll(struct rxring *r, int timeout_ms, rx_fn fn, void *arg);

/* Kernel counters: packets dropped because the ring was full (since the
 * last call). */
uint64_t rxring_drops(struct rxring *r);

#endif
