/* SPDX-License-Identifier: MIT */
/* AF_PACKET TPACKET_V2 TX ring: frames filled in place, sent in batches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <net/ethernet.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "pktio.h"
#include "io_error.h"

#define TX_FRAME_SIZE 2048
#define TX_FRAME_NR 1024
#define TX_DATA_OFF (TPACKET_ALIGN(sizeof(struct tpacket2_hdr)))

int txring_open(struct txring *t, int ifindex, char *err, size_t errlen)
{
	struct tpacket_req req = {
		.tp_block_size = TX_FRAME_SIZE * 32,
		.tp_block_nr = TX_FRAME_NR / 32,
		.tp_frame_size = TX_FRAME_SIZE,
		.tp_frame_nr = TX_FRAME_NR,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = 0, /* send only: receive nothing on this socket */
		.sll_ifindex = ifindex,
	};
	int v = TPACKET_V2, one = 1, ret;

	memset(t, 0, sizeof(*t));
	t->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (t->fd < 0)
		return io_sys_error(errno, err, errlen, "AF_PACKET socket");
	if (setsockopt(t->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
	    setsockopt(t->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0) {
		ret = io_sys_error(errno, err, errlen, "PACKET_TX_RING");
		goto fail;
	}
	/* Best effort: bypassing the qdisc is faster but not required. */
	(void)setsockopt(t->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (bind(t->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		ret = io_sys_error(errno, err, errlen, "bind AF_PACKET");
		goto fail;
	}
	t->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		ret = io_sys_error(errno, err, errlen, "mmap TX ring");
		goto fail;
	}
	t->tmpl = calloc(TX_FRAME_NR, 1);
	if (!t->tmpl) {
		snprintf(err, errlen, "out of memory");
		ret = FP_ENOMEM;
		goto fail;
	}
	t->frame_size = TX_FRAME_SIZE;
	t->frame_nr = TX_FRAME_NR;
	return 0;
fail:
	txring_close(t);
	return ret;
}

void txring_close(struct txring *t)
{
	if (t->map)
		munmap(t->map, t->map_len);
	if (t->fd >= 0)
		close(t->fd);
	free(t->tmpl);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

static inline struct tpacket2_hdr *tx_hdr(struct txring *t, uint32_t i)
{
	return (struct tpacket2_hdr *)(void *)(t->map + (size_t)i * t->frame_size);
}

uint8_t *txring_next(struct txring *t, uint8_t **tmpl)
{
	struct tpacket2_hdr *h = tx_hdr(t, t->head);
	uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

	if (st != TP_STATUS_AVAILABLE && st != TP_STATUS_WRONG_FORMAT)
		return NULL;
	*tmpl = &t->tmpl[t->head];
	return (uint8_t *)h + TX_DATA_OFF;
}

void txring_commit(struct txring *t, uint32_t len)
{
	struct tpacket2_hdr *h = tx_hdr(t, t->head);

	h->tp_len = len;
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	t->head = t->head + 1 == t->frame_nr ? 0 : t->head + 1;
	t->pending++;
}

int txring_kick(struct txring *t, bool wait)
{
	if (!t->pending && !wait)
		return 0;
	t->pending = 0;
	for (;;) {
		ssize_t n = send(t->fd, NULL, 0, wait ? 0 : MSG_DONTWAIT);

		if (n >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* ENOBUFS: the device dropped the frame it was given. */
		if (errno == ENOBUFS)
			t->send_errors++;
		if (errno == EAGAIN || errno == ENOBUFS)
			return 0;
		return FP_ESYS;
	}
}
