/* SPDX-License-Identifier: MIT */
/* AF_XDP send path: an XDP socket with its own UMEM, frames filled in place and sent in batches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "pktio.h"
#include "io_error.h"
#include "../core/rate.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
/* Linux 6.17: descriptors one sendto() may send in copy mode (32 before,
 * and on kernels without the option). */
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif

#define XSK_FRAME_SIZE (1u << XSK_FRAME_SHIFT)
/* As many frames as the TX ring path (2 MiB), and as many TX and
 * completion ring entries: see struct xsktx. */
#define XSK_FRAME_NR 1024u
/* bind() insists on a fill ring; this socket never receives. */
#define XSK_FILL_NR 64u
#define XSK_NAP_NS 20000L
#define XSK_STALL_NS (5ull * 1000000000ull)

_Static_assert(PROBE_MAX_FRAME <= XSK_FRAME_SIZE, "a probe does not fit a UMEM frame");
_Static_assert((XSK_FRAME_NR & (XSK_FRAME_NR - 1)) == 0, "ring sizes are powers of two");

uint32_t xsk_tx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr;
	uint32_t n = 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (char *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && ch.tx_count + ch.combined_count > 0)
		n = ch.tx_count + ch.combined_count;
	close(fd);
	return n;
}

void xskring_init(struct xskring *r, void *map, uint64_t producer_off, uint64_t consumer_off,
		  uint64_t desc_off, uint64_t flags_off, uint32_t entries)
{
	uint8_t *m = map;

	r->producer = (uint32_t *)(void *)(m + producer_off);
	r->consumer = (uint32_t *)(void *)(m + consumer_off);
	r->flags = flags_off == UINT64_MAX ? NULL : (uint32_t *)(void *)(m + flags_off);
	r->ring = m + desc_off;
	r->mask = entries - 1;
	/* Both sides start where the kernel is (0 on a new socket). */
	r->head = r->cached = 0;
}

/*
 * XDP_MMAP_OFFSETS, also from kernels before 5.4 whose rings have no flags
 * word (a shorter answer: producer, consumer, desc per ring). Returns 0 or
 * -1 with errno.
 */
static int mmap_offsets(int fd, struct xdp_mmap_offsets *off, bool *has_flags)
{
	union {
		struct xdp_mmap_offsets v2;
		uint64_t v1[4][3];
	} u;
	socklen_t len = sizeof(u);

	memset(&u, 0, sizeof(u));
	if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &u, &len) < 0)
		return -1;
	if (len == sizeof(u.v2)) {
		*off = u.v2;
		*has_flags = true;
		return 0;
	}
	if (len != sizeof(u.v1)) {
		errno = EPROTO;
		return -1;
	}
	{
		struct xdp_ring_offset *r[4] = { &off->rx, &off->tx, &off->fr, &off->cr };

		for (int i = 0; i < 4; i++) {
			r[i]->producer = u.v1[i][0];
			r[i]->consumer = u.v1[i][1];
			r[i]->desc = u.v1[i][2];
			r[i]->flags = UINT64_MAX;
		}
	}
	*has_flags = false;
	return 0;
}

static void *map_ring(struct xskring *r, int fd, const struct xdp_ring_offset *o, bool has_flags,
		      uint32_t entries, size_t entry_size, off_t pgoff)
{
	size_t len = o->desc + (size_t)entries * entry_size;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);

	if (m == MAP_FAILED)
		return NULL;
	r->map = m;
	r->map_len = len;
	xskring_init(r, m, o->producer, o->consumer, o->desc, has_flags ? o->flags : UINT64_MAX,
		     entries);
	return m;
}

/* The socket, its UMEM and rings, bound with mode (0: zero-copy when the
 * driver can, else copy; or XDP_COPY). */
static int xsk_setup(struct xsktx *x, int ifindex, uint32_t queue, uint16_t mode, char *err,
		     size_t errlen)
{
	struct xdp_umem_reg reg = { .chunk_size = XSK_FRAME_SIZE, .headroom = 0 };
	struct sockaddr_xdp sxdp = {
		.sxdp_family = AF_XDP,
		.sxdp_ifindex = (uint32_t)ifindex,
		.sxdp_queue_id = queue,
		.sxdp_flags = (uint16_t)(mode | XDP_USE_NEED_WAKEUP),
	};
	struct xdp_mmap_offsets off;
	struct xdp_options opts = { 0 };
	socklen_t optlen = sizeof(opts);
	uint32_t ring_nr = XSK_FRAME_NR, fill_nr = XSK_FILL_NR, budget = XSK_FRAME_NR;
	bool has_flags = false;
	int ret, rc;

	memset(x, 0, sizeof(*x));
	x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		int e = errno;

		ret = io_sys_error(e, err, errlen, "socket");
		if (e == EAFNOSUPPORT)
			ret = FP_ENOTSUP;
		goto fail;
	}
	x->frame_nr = XSK_FRAME_NR;
	x->umem_len = (size_t)XSK_FRAME_NR * XSK_FRAME_SIZE;
	x->umem = mmap(NULL, x->umem_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->umem == MAP_FAILED) {
		x->umem = NULL;
		ret = io_sys_error(errno, err, errlen, "mmap UMEM");
		goto fail;
	}
	reg.addr = (uint64_t)(uintptr_t)x->umem;
	reg.len = x->umem_len;
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) < 0) {
		int e = errno;

		/* ENOBUFS: over RLIMIT_MEMLOCK without CAP_IPC_LOCK. */
		ret = io_sys_error(e, err, errlen, e == ENOBUFS ?
				"locking the 2 MiB UMEM in memory (RLIMIT_MEMLOCK, ulimit -l)" :
				"XDP_UMEM_REG");
		if (e == ENOBUFS || e == ENOMEM)
			ret = FP_ENOMEM;
		goto fail;
	}
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &fill_nr, sizeof(fill_nr)) < 0 ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring_nr, sizeof(ring_nr)) < 0 ||
	    setsockopt(x->fd, SOL_XDP, XDP_TX_RING, &ring_nr, sizeof(ring_nr)) < 0) {
		ret = io_sys_error(errno, err, errlen, "ring set-up");
		goto fail;
	}
	if (mmap_offsets(x->fd, &off, &has_flags) < 0) {
		ret = io_sys_error(errno, err, errlen, "XDP_MMAP_OFFSETS");
		goto fail;
	}
	if (!map_ring(&x->tx, x->fd, &off.tx, has_flags, ring_nr, sizeof(struct xdp_desc),
		      XDP_PGOFF_TX_RING) ||
	    !map_ring(&x->cq, x->fd, &off.cr, has_flags, ring_nr, sizeof(uint64_t),
		      (off_t)XDP_UMEM_PGOFF_COMPLETION_RING)) {
		ret = io_sys_error(errno, err, errlen, "mmap rings");
		goto fail;
	}
	rc = bind(x->fd, (struct sockaddr *)&sxdp, sizeof(sxdp));
	if (rc < 0 && errno == EINVAL && has_flags) {
		/* Perhaps a kernel without XDP_USE_NEED_WAKEUP (5.3). */
		sxdp.sxdp_flags = mode;
		x->tx.flags = NULL;
		rc = bind(x->fd, (struct sockaddr *)&sxdp, sizeof(sxdp));
	}
	if (rc < 0) {
		int e = errno;

		if (e == EBUSY) {
			snprintf(err, errlen, "queue %u already has an XDP socket", queue);
			ret = FP_ESTATE;
		} else {
			io_sys_error(e, err, errlen, "bind");
			ret = e == EPERM || e == EACCES ? FP_EPERM : FP_ENOTSUP;
		}
		goto fail;
	}
	if (getsockopt(x->fd, SOL_XDP, XDP_OPTIONS, &opts, &optlen) == 0)
		x->zerocopy = opts.flags & XDP_OPTIONS_ZEROCOPY;
	/* Best effort: one sendto() may then empty the whole ring. */
	(void)setsockopt(x->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget));
	x->tmpl = calloc(XSK_FRAME_NR, 1);
	if (!x->tmpl) {
		snprintf(err, errlen, "out of memory");
		ret = FP_ENOMEM;
		goto fail;
	}
	return 0;
fail:
	xsktx_close(x);
	return ret;
}

int xsktx_open(struct xsktx *x, int ifindex, uint32_t queue, char *err, size_t errlen)
{
	int ret = xsk_setup(x, ifindex, queue, 0, err, errlen);

	/*
	 * Some drivers take a zero-copy socket but cannot send from it (no
	 * XDP program attached, say); their wakeup says so. The TX ring is
	 * still empty: this sends nothing. Copy mode works with every driver.
	 */
	if (ret == 0 && x->zerocopy && sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
	    errno != EAGAIN && errno != EBUSY) {
		xsktx_close(x);
		ret = xsk_setup(x, ifindex, queue, XDP_COPY, err, errlen);
	}
	return ret;
}

void xsktx_close(struct xsktx *x)
{
	if (x->tx.map)
		munmap(x->tx.map, x->tx.map_len);
	if (x->cq.map)
		munmap(x->cq.map, x->cq.map_len);
	/* The socket first: it unpins the UMEM. */
	if (x->fd >= 0)
		close(x->fd);
	if (x->umem)
		munmap(x->umem, x->umem_len);
	free(x->tmpl);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
}

/* Whether a completion waits in the ring (reading the kernel's index
 * only when the cached one is used up). */
static inline bool cq_ready(struct xskring *cq)
{
	if (cq->head != cq->cached)
		return true;
	cq->cached = __atomic_load_n(cq->producer, __ATOMIC_ACQUIRE);
	return cq->head != cq->cached;
}

uint8_t *xsktx_next(struct xsktx *x, uint8_t **tmpl)
{
	uint32_t f;

	if (x->fresh < x->frame_nr) {
		f = x->fresh;
	} else {
		if (!cq_ready(&x->cq))
			return NULL;
		/* Masked: an address from the kernel never indexes outside. */
		f = (uint32_t)(((const uint64_t *)x->cq.ring)[x->cq.head & x->cq.mask] >> XSK_FRAME_SHIFT) &
		    (x->frame_nr - 1);
	}
	x->cur = f;
	*tmpl = &x->tmpl[f];
	return x->umem + ((size_t)f << XSK_FRAME_SHIFT);
}

void xsktx_commit(struct xsktx *x, uint32_t len)
{
	struct xdp_desc *d = &((struct xdp_desc *)x->tx.ring)[x->tx.head & x->tx.mask];

	d->addr = (uint64_t)x->cur << XSK_FRAME_SHIFT;
	d->len = len;
	d->options = 0;
	x->tx.head++;
	if (x->fresh < x->frame_nr)
		x->fresh++;
	else
		x->cq.head++;
	x->pending++;
}

void xsktx_publish(struct xsktx *x)
{
	/* Release: the descriptors are written before the kernel sees the
	 * producer index, and the completions read before it may reuse
	 * their slots. */
	__atomic_store_n(x->tx.producer, x->tx.head, __ATOMIC_RELEASE);
	__atomic_store_n(x->cq.consumer, x->cq.head, __ATOMIC_RELEASE);
	x->pending = 0;
}

static inline bool frame_free(struct xsktx *x)
{
	return x->fresh < x->frame_nr || cq_ready(&x->cq);
}

/* Copy mode always wants the kick (the sendto() does the sending);
 * zero-copy only when the driver asks for it. */
static inline bool need_kick(const struct xsktx *x)
{
	return !x->tx.flags || (__atomic_load_n(x->tx.flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP);
}

int xsktx_kick(struct xsktx *x, bool wait)
{
	uint64_t stall = 0;

	xsktx_publish(x);
	for (;;) {
		uint32_t before = __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE), after;
		struct timespec nap = { .tv_nsec = XSK_NAP_NS };

		/* EAGAIN: the per-call budget is spent, or the device, the
		 * completion ring or the socket's send buffer pushes back;
		 * EBUSY: the device dropped a frame (it is completed). */
		if (before != x->tx.head && need_kick(x) &&
		    sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0) {
			if (errno == EBUSY)
				x->send_errors++;
			else if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
				return FP_ESYS;
		}
		after = __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE);
		if (after == x->tx.head) {
			if (!wait || frame_free(x))
				return 0;
		} else if (after != before) {
			stall = 0;
			continue;
		} else if (!wait) {
			return 0;
		}
		/* Nothing moved: let the device drain and complete. */
		if (!stall) {
			stall = clock_ns();
		} else if (clock_ns() - stall > XSK_STALL_NS) {
			errno = ETIMEDOUT;
			return FP_ESYS;
		}
		nanosleep(&nap, NULL);
	}
}
