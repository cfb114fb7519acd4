/* SPDX-License-Identifier: MIT */
/*
 * Raw packet I/O: two send paths behind one small interface (struct txq) -
 * an AF_PACKET TPACKET_V2 TX ring with qdisc bypass, or an AF_XDP socket
 * (XDP socket) with its own UMEM - both filled in place and kicked in
 * batches; and a TPACKET_V3 RX ring behind a classic BPF filter for
 * receiving.
 */
#ifndef FP_PKTIO_H
#define FP_PKTIO_H

#include "../core/common.h"

/*
 * The bytes of a TX frame's data area that a probe may fill (the cap its
 * prepare is given): every frame of both send paths holds this many.
 */
#define PROBE_MAX_FRAME 1536

struct txring {
	int fd;             /* -1: none */
	uint8_t *map;
	size_t map_len;
	uint32_t frame_size, frame_nr;
	uint32_t head;      /* next frame to fill */
	uint32_t pending;   /* frames queued since the last kick */
	uint8_t *tmpl;      /* per frame: which template it holds (0 = none) */
	uint64_t send_errors; /* frames the kernel dropped at a kick (ENOBUFS) */
};

/* Opens the ring on ifindex. Returns 0, FP_EPERM (no CAP_NET_RAW) or
 * FP_ESYS with a message; on failure nothing stays open and t->fd is -1. */
int txring_open(struct txring *t, int ifindex, char *err, size_t errlen);
/* Releases an opened ring (whatever its descriptor's number, 0 included)
 * and sets t->fd to -1; closing it again does nothing. */
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

/*
 * One mmapped AF_XDP ring as the kernel lays it out: a producer and a
 * consumer index (free-running u32, wrapping), the flags word and the
 * entries (mask + 1 of them, a power of two). head is our side's index
 * (the producer of a ring we fill, the consumer of one we drain); cached
 * is the kernel's side as last read. head is published to the kernel only
 * by xsktx_kick().
 */
struct xskring {
	uint32_t *producer;
	uint32_t *consumer;
	uint32_t *flags;    /* NULL on kernels without need_wakeup (< 5.4) */
	void *ring;
	uint32_t mask;
	uint32_t head;
	uint32_t cached;
	void *map;
	size_t map_len;
};

/* Frame f of a UMEM starts at byte f << XSK_FRAME_SHIFT (its address in
 * the rings). */
#define XSK_FRAME_SHIFT 11

/*
 * The AF_XDP send path: one XDP socket bound to (ifindex, queue) with a
 * UMEM of frame_nr frames of its own. The TX ring and the completion ring
 * have frame_nr entries each, so a free frame always has a TX slot and its
 * completion always has room. A frame is free when it was never handed
 * out (index fresh and above) or when the kernel returned it in the
 * completion ring; completions may come back in any order, so frames are
 * reused by the address the kernel returns, never by position.
 */
struct xsktx {
	int fd;             /* -1: none */
	uint8_t *umem;
	size_t umem_len;
	struct xskring tx;  /* we produce descriptors, the kernel consumes */
	struct xskring cq;  /* the kernel produces frame addresses, we consume */
	uint32_t frame_nr;  /* a power of two */
	uint32_t fresh;     /* frames [fresh, frame_nr) were never handed out */
	uint32_t cur;       /* the frame returned by the last xsktx_next */
	uint32_t pending;   /* descriptors committed since the last kick */
	bool zerocopy;      /* the driver runs the socket in zero-copy mode */
	uint8_t *tmpl;      /* per frame: which template it holds (0 = none) */
	uint64_t send_errors; /* frames completed unsent (EBUSY) */
};

/*
 * The number of TX queues of the interface (ETHTOOL_GCHANNELS: tx plus
 * combined channels), 1 when the driver does not say. An XDP socket bound
 * to a queue at or above the real TX queue count transmits nothing, and
 * only one socket with its own UMEM may bind each queue.
 */
uint32_t xsk_tx_queues(const char *ifname);

/*
 * Opens an XDP socket bound to ifindex and queue for sending only (no XDP
 * program is needed to transmit): zero-copy when the driver offers it and
 * its wakeup works, else copy mode; with XDP_USE_NEED_WAKEUP where the
 * kernel has it. Returns 0, FP_EPERM (no CAP_NET_RAW), FP_ENOMEM (also
 * when the UMEM cannot be locked in memory: RLIMIT_MEMLOCK without
 * CAP_IPC_LOCK), FP_ESTATE (another XDP socket holds the queue),
 * FP_ENOTSUP (no AF_XDP in this kernel, or the driver refuses the queue)
 * or FP_ESYS, with a message in err. On failure nothing stays open.
 */
int xsktx_open(struct xsktx *x, int ifindex, uint32_t queue, char *err, size_t errlen);
void xsktx_close(struct xsktx *x);

/* As txring_next: a free frame's data area (PROBE_MAX_FRAME bytes) and
 * its template tag, or NULL when every frame is with the kernel. Calls
 * without a commit in between return the same frame. */
uint8_t *xsktx_next(struct xsktx *x, uint8_t **tmpl);
/* Queues the frame returned by the last xsktx_next, len bytes. */
void xsktx_commit(struct xsktx *x, uint32_t len);
/*
 * Publishes the committed descriptors and the consumed completions, and
 * has the kernel send: sendto(MSG_DONTWAIT) until the TX ring is empty or
 * the device pushes back. With wait, it also waits (sleeping 20 us at a
 * time, at most 5 s without progress) until the TX ring is empty and a
 * frame is free. Returns 0, or FP_ESYS with errno set.
 */
int xsktx_kick(struct xsktx *x, bool wait);
/* The index arithmetic of xsktx_kick without the system call: makes the
 * committed descriptors and the consumed completions visible to the
 * kernel. */
void xsktx_publish(struct xsktx *x);
/* Points r at a ring of entries in the mapping map, laid out as off says
 * (offsets from XDP_MMAP_OFFSETS; flags_off ~0 when there is none). */
void xskring_init(struct xskring *r, void *map, uint64_t producer_off, uint64_t consumer_off,
		  uint64_t desc_off, uint64_t flags_off, uint32_t entries);

/*
 * What a sender thread sends through: one of the two paths, chosen when
 * the scan starts. The switch is on a value that never changes during a
 * scan, so it predicts perfectly, and each arm inlines.
 */
enum txq_kind {
	TXQ_RING = 0,
	TXQ_XDP = 1,
};

struct txq {
	enum txq_kind kind;
	union {
		struct txring ring;
		struct xsktx xsk;
	};
};

static inline uint8_t *txq_next(struct txq *q, uint8_t **tmpl)
{
	return q->kind == TXQ_XDP ? xsktx_next(&q->xsk, tmpl) : txring_next(&q->ring, tmpl);
}

static inline void txq_commit(struct txq *q, uint32_t len)
{
	if (q->kind == TXQ_XDP)
		xsktx_commit(&q->xsk, len);
	else
		txring_commit(&q->ring, len);
}

/* Returns 0, or FP_ESYS with errno set. */
static inline int txq_kick(struct txq *q, bool wait)
{
	return q->kind == TXQ_XDP ? xsktx_kick(&q->xsk, wait) : txring_kick(&q->ring, wait);
}

static inline void txq_close(struct txq *q)
{
	if (q->kind == TXQ_XDP)
		xsktx_close(&q->xsk);
	else
		txring_close(&q->ring);
}

struct rxring {
	int fd;             /* -1: none */
	uint8_t *map;
	size_t map_len;
	uint32_t block_size, block_nr;
	uint32_t cur;       /* next block to read */
	int err;            /* errno of the failure rxring_poll reported, 0 if none */
};

/*
 * Opens the ring on ifindex with a filter that passes only incoming IPv4
 * TCP/UDP/ICMP addressed to src4 (when not 0) and incoming IPv6.
 */
int rxring_open(struct rxring *r, int ifindex, uint32_t src4, char *err, size_t errlen);
/* As txring_close: r->fd is -1 afterwards (and after a failed open). */
void rxring_close(struct rxring *r);

/*
 * Calls fn for every packet in every ready block, releasing each block;
 * waits up to timeout_ms for the first (none with 0). Returns the packets
 * seen (0 when none came in time), or FP_ESYS when the ring cannot be
 * waited on (poll fails other than with EINTR, or the descriptor is no
 * longer open): errno and r->err say why. That failure is persistent: the
 * caller stops receiving and fails the scan with it (retrying cannot help;
 * a failing call sleeps timeout_ms first, so a caller that retries anyway
 * does not spin). A ring that is merely idle never fails.
 */
typedef void (*rx_fn)(void *arg, const uint8_t *frame, size_t len);
int rxring_poll(struct rxring *r, int timeout_ms, rx_fn fn, void *arg);

/* Kernel counters: packets dropped because the ring was full (since the
 * last call). */
uint64_t rxring_drops(struct rxring *r);

#endif
