/* SPDX-License-Identifier: MIT */
/* AF_PACKET TPACKET_V3 RX ring behind a classic BPF filter. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <net/ethernet.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "pktio.h"
#include "io_error.h"

#define RX_BLOCK_SIZE (1u << 20)
#define RX_BLOCK_NR 16
#define RX_FRAME_SIZE 2048
#define RX_BLOCK_TIMEOUT_MS 5

int rxring_open(struct rxring *r, int ifindex, uint32_t src4, char *err, size_t errlen)
{
	/*
	 * Accept: not outgoing, and either IPv6, or IPv4 carrying TCP, UDP or
	 * ICMP to src4 (any destination when src4 is 0). Snap whole frames.
	 */
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 11, 0),
		/* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 8, 0),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 8),
		/* 5 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 3, 0),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 2, 0),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
		/* 9 */ BPF_STMT(BPF_RET | BPF_K, 0),
		/* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, src4, 0, 1),
		/* 12 */ BPF_STMT(BPF_RET | BPF_K, 0x40000),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(code), .filter = code };
	struct tpacket_req3 req = {
		.tp_block_size = RX_BLOCK_SIZE,
		.tp_block_nr = RX_BLOCK_NR,
		.tp_frame_size = RX_FRAME_SIZE,
		.tp_frame_nr = (RX_BLOCK_SIZE / RX_FRAME_SIZE) * RX_BLOCK_NR,
		.tp_retire_blk_tov = RX_BLOCK_TIMEOUT_MS,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	int v = TPACKET_V3, ret;

	if (!src4) /* any destination: jump straight to accept */
		code[11] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
	memset(r, 0, sizeof(*r));
	/* Protocol 0 until the filter is in place, so nothing unfiltered queues. */
	r->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (r->fd < 0)
		return io_sys_error(errno, err, errlen, "AF_PACKET socket");
	if (setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
		ret = io_sys_error(errno, err, errlen, "SO_ATTACH_FILTER");
		goto fail;
	}
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		ret = io_sys_error(errno, err, errlen, "PACKET_RX_RING");
		goto fail;
	}
	r->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED,
		      r->fd, 0);
	if (r->map == MAP_FAILED)
		r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		ret = io_sys_error(errno, err, errlen, "mmap RX ring");
		goto fail;
	}
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		ret = io_sys_error(errno, err, errlen, "bind AF_PACKET");
		goto fail;
	}
	r->block_size = req.tp_block_size;
	r->block_nr = req.tp_block_nr;
	rxring_drops(r); /* reset the counters */
	return 0;
fail:
	rxring_close(r);
	return ret;
}

void rxring_close(struct rxring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/*
 * A wait that cannot work (the descriptor is gone, poll itself fails) will
 * not work next time either: remember why, sleep as long as the wait
 * would have, so that a caller that tries again does not spin, and fail.
 */
static int rx_failed(struct rxring *r, int eno, int timeout_ms)
{
	struct timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (long)(timeout_ms % 1000) * 1000000L,
	};

	r->err = eno;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	errno = eno;
	return FP_ESYS;
}

int rxring_poll(struct rxring *r, int timeout_ms, rx_fn fn, void *arg)
{
	int seen = 0;

	for (;;) {
		struct tpacket_block_desc *bd =
			(struct tpacket_block_desc *)(void *)(r->map + (size_t)r->cur * r->block_size);
		uint32_t st = __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
		struct tpacket3_hdr *h;
		uint32_t n, off;

		if (!(st & TP_STATUS_USER)) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN | POLLERR };
			int ready;

			if (seen || timeout_ms == 0)
				return seen;
			ready = poll(&pfd, 1, timeout_ms);
			if ((ready < 0 && errno != EINTR) || (ready > 0 && (pfd.revents & POLLNVAL)))
				return rx_failed(r, ready < 0 ? errno : EBADF, timeout_ms);
			if (ready > 0 && (pfd.revents & POLLERR)) {
				int e;
				socklen_t el = sizeof(e);

				getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &e, &el);
			}
			timeout_ms = 0;
			continue;
		}
		n = bd->hdr.bh1.num_pkts;
		off = bd->hdr.bh1.offset_to_first_pkt;
		for (uint32_t i = 0; i < n; i++) {
			if (off < sizeof(*bd) || off + sizeof(*h) > r->block_size)
				break;
			h = (struct tpacket3_hdr *)(void *)((uint8_t *)bd + off);
			if (h->tp_mac + (size_t)h->tp_snaplen <= r->block_size - off)
				fn(arg, (uint8_t *)h + h->tp_mac, h->tp_snaplen);
			seen++;
			if (!h->tp_next_offset)
				break;
			off += h->tp_next_offset;
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		r->cur = r->cur + 1 == r->block_nr ? 0 : r->cur + 1;
	}
}

uint64_t rxring_drops(struct rxring *r)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return 0;
	return st.tp_drops;
}
