/* SPDX-License-Identifier: MIT */
/* Unit tests of the AF_XDP send path's ring arithmetic against a simulated kernel, and of its set-up. */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/if_xdp.h>

#include "unit.h"
#include "io/pktio.h"

#define NF 8u         /* frames = TX ring = completion ring entries */
#define FRAME (1u << XSK_FRAME_SHIFT)

/*
 * The kernel's side of one socket: its copies of the rings' memory, the
 * frames it holds (consumed from TX, not yet completed) and a record of
 * every descriptor it read.
 */
struct sim {
	struct xsktx x;
	uint8_t *umem;
	struct { uint32_t producer, consumer, flags, pad; struct xdp_desc d[NF]; } tx;
	struct { uint32_t producer, consumer, flags, pad; uint64_t a[NF]; } cq;
	uint64_t held[NF];
	uint32_t nheld;
	uint32_t in_flight[NF]; /* per frame: 1 while the kernel owns it */
	uint32_t sent;
};

static void sim_init(struct sim *k, uint32_t start)
{
	memset(k, 0, sizeof(*k));
	k->umem = calloc(NF, FRAME);
	assert_non_null(k->umem);
	k->x.fd = -1;
	k->x.umem = k->umem;
	k->x.umem_len = (size_t)NF * FRAME;
	k->x.frame_nr = NF;
	k->x.tmpl = calloc(NF, 1);
	assert_non_null(k->x.tmpl);
	xskring_init(&k->x.tx, &k->tx, offsetof(__typeof__(k->tx), producer),
		     offsetof(__typeof__(k->tx), consumer), offsetof(__typeof__(k->tx), d),
		     offsetof(__typeof__(k->tx), flags), NF);
	xskring_init(&k->x.cq, &k->cq, offsetof(__typeof__(k->cq), producer),
		     offsetof(__typeof__(k->cq), consumer), offsetof(__typeof__(k->cq), a),
		     UINT64_MAX, NF);
	/* Indices run free: start anywhere, e.g. just below the wrap. */
	k->tx.producer = k->tx.consumer = k->x.tx.head = k->x.tx.cached = start;
	k->cq.producer = k->cq.consumer = k->x.cq.head = k->x.cq.cached = start;
}

static void sim_free(struct sim *k)
{
	free(k->umem);
	free(k->x.tmpl);
}

/* The kernel sends what was published: reads each descriptor, checks it
 * and holds the frame until it completes it. */
static void sim_send(struct sim *k)
{
	while (k->tx.consumer != k->tx.producer) {
		const struct xdp_desc *d = &k->tx.d[k->tx.consumer & (NF - 1)];
		uint32_t f = (uint32_t)(d->addr >> XSK_FRAME_SHIFT);

		assert_int_equal(d->addr & (FRAME - 1), 0);
		assert_true(f < NF);
		assert_int_equal(d->options, 0);
		assert_int_equal(k->in_flight[f], 0);
		/* The frame holds what the sender wrote: its number and length. */
		assert_int_equal(k->umem[d->addr], (uint8_t)d->len);
		k->in_flight[f] = 1;
		k->held[k->nheld++] = d->addr;
		k->tx.consumer++;
		k->sent++;
	}
}

/* Completes up to n held frames, the last held first when reverse (the
 * kernel may complete out of order). The ring never overflows. */
static void sim_complete(struct sim *k, uint32_t n, bool reverse)
{
	while (n-- && k->nheld) {
		uint64_t a;

		assert_true(k->cq.producer - k->cq.consumer < NF);
		if (reverse) {
			a = k->held[--k->nheld];
		} else {
			a = k->held[0];
			memmove(k->held, k->held + 1, --k->nheld * sizeof(k->held[0]));
		}
		k->in_flight[a >> XSK_FRAME_SHIFT] = 0;
		k->cq.a[k->cq.producer & (NF - 1)] = a;
		k->cq.producer++;
	}
}

/* One probe through the sender's calls: returns the frame number, or -1
 * when no frame is free. */
static int put(struct sim *k, uint8_t len)
{
	uint8_t *tag, *f = xsktx_next(&k->x, &tag), *again, *tag2;
	size_t off;

	if (!f)
		return -1;
	off = (size_t)(f - k->umem);
	assert_int_equal(off % FRAME, 0);
	assert_true(off / FRAME < NF);
	assert_int_equal(k->in_flight[off / FRAME], 0);
	assert_ptr_equal(tag, &k->x.tmpl[off / FRAME]);
	/* Until the commit, the same frame again. */
	again = xsktx_next(&k->x, &tag2);
	assert_ptr_equal(again, f);
	assert_ptr_equal(tag2, tag);
	f[0] = len;
	xsktx_commit(&k->x, len);
	return (int)(off / FRAME);
}

static void test_ring_init(void **state)
{
	uint8_t map[256];
	struct xskring r;

	(void)state;
	xskring_init(&r, map, 0, 64, 128, 4, 16);
	assert_ptr_equal(r.producer, (uint32_t *)(void *)map);
	assert_ptr_equal(r.consumer, (uint32_t *)(void *)(map + 64));
	assert_ptr_equal(r.flags, (uint32_t *)(void *)(map + 4));
	assert_ptr_equal(r.ring, map + 128);
	assert_int_equal(r.mask, 15);
	assert_int_equal(r.head, 0);
	assert_int_equal(r.cached, 0);
	/* A kernel without the flags word. */
	xskring_init(&r, map, 0, 64, 128, UINT64_MAX, 16);
	assert_null(r.flags);
}

/* Every frame once, then nothing until the kernel completes one; nothing
 * reaches the kernel before the publish. */
static void test_fresh_frames(void **state)
{
	struct sim k;
	bool seen[NF] = { false };

	(void)state;
	sim_init(&k, 0);
	for (uint32_t i = 0; i < NF; i++) {
		int f = put(&k, (uint8_t)(40 + i));

		assert_true(f >= 0);
		assert_false(seen[f]);
		seen[f] = true;
	}
	assert_int_equal(put(&k, 1), -1);
	assert_int_equal(k.x.pending, NF);
	assert_int_equal(k.tx.producer, 0);
	sim_send(&k);
	assert_int_equal(k.sent, 0);
	xsktx_publish(&k.x);
	assert_int_equal(k.x.pending, 0);
	assert_int_equal(k.tx.producer, NF);
	sim_send(&k);
	assert_int_equal(k.sent, NF);
	/* Sent is not free: only a completion frees a frame. */
	assert_int_equal(put(&k, 1), -1);
	sim_complete(&k, 1, false);
	assert_true(put(&k, 1) >= 0);
	assert_int_equal(put(&k, 1), -1);
	sim_free(&k);
}

/* Completions in any order: frames come back by the address the kernel
 * returns, with the template tag each one had. */
static void test_out_of_order(void **state)
{
	struct sim k;
	uint64_t order[NF];
	uint8_t *tag;

	(void)state;
	sim_init(&k, 0);
	for (uint32_t i = 0; i < NF; i++) {
		int f = put(&k, 60);

		assert_true(f >= 0);
		k.x.tmpl[f] = (uint8_t)(f + 1); /* as prepare would record it */
	}
	xsktx_publish(&k.x);
	sim_send(&k);
	memcpy(order, k.held, sizeof(order));
	sim_complete(&k, NF, true);
	for (uint32_t i = 0; i < NF; i++) {
		uint8_t *f = xsktx_next(&k.x, &tag);
		uint32_t want = (uint32_t)(order[NF - 1 - i] >> XSK_FRAME_SHIFT);

		assert_non_null(f);
		assert_ptr_equal(f, k.umem + (size_t)want * FRAME);
		assert_int_equal(*tag, want + 1);
		f[0] = 54;
		xsktx_commit(&k.x, 54);
	}
	assert_null(xsktx_next(&k.x, &tag));
	/* The completions are handed back to the kernel at the publish. */
	assert_int_equal(k.cq.consumer, 0);
	xsktx_publish(&k.x);
	assert_int_equal(k.cq.consumer, NF);
	sim_send(&k);
	assert_int_equal(k.sent, 2 * NF);
	sim_free(&k);
}

/* Many rounds across the u32 wrap of every index, with partial sends and
 * completions in both orders: no frame is ever handed out twice, no
 * descriptor is lost, the rings never overflow. */
static void test_wrap(void **state)
{
	struct sim k;
	uint32_t committed = 0, seed = 1;

	(void)state;
	sim_init(&k, UINT32_MAX - 3 * NF);
	for (int round = 0; round < 2000; round++) {
		uint32_t want, n;

		seed = seed * 1103515245u + 12345u;
		want = (seed >> 16) % (NF + 2);
		for (n = 0; n < want; n++) {
			if (put(&k, (uint8_t)(54 + n)) < 0)
				break;
			committed++;
		}
		if ((seed >> 8) & 1) {
			xsktx_publish(&k.x);
			sim_send(&k);
		}
		sim_complete(&k, (seed >> 20) % (NF + 1), (seed >> 9) & 1);
	}
	xsktx_publish(&k.x);
	sim_send(&k);
	assert_int_equal(k.sent, committed);
	assert_true(committed > 2000);
	/* Every index went past the wrap. */
	assert_true(k.tx.producer < UINT32_MAX - 3 * NF);
	assert_true(k.cq.producer < UINT32_MAX - 3 * NF);
	assert_true(k.x.cq.head < UINT32_MAX - 3 * NF);
	sim_free(&k);
}

/* An address the kernel should never return still names a frame inside
 * the UMEM. */
static void test_bad_completion(void **state)
{
	struct sim k;
	uint8_t *tag, *f;

	(void)state;
	sim_init(&k, 0);
	k.x.fresh = NF;
	k.cq.a[0] = ((uint64_t)NF + 3) << XSK_FRAME_SHIFT;
	k.cq.producer = 1;
	f = xsktx_next(&k.x, &tag);
	assert_ptr_equal(f, k.umem + 3 * FRAME);
	assert_ptr_equal(tag, &k.x.tmpl[3]);
	sim_free(&k);
}

/* The sender's interface dispatches to the XDP socket's calls. */
static void test_txq_dispatch(void **state)
{
	struct sim k;
	struct txq q;
	uint8_t *tag, *f;

	(void)state;
	sim_init(&k, 5);
	q.kind = TXQ_XDP;
	q.xsk = k.x;
	f = txq_next(&q, &tag);
	assert_ptr_equal(f, k.umem);
	f[0] = 60;
	txq_commit(&q, 60);
	assert_int_equal(q.xsk.pending, 1);
	xsktx_publish(&q.xsk);
	k.x = q.xsk;
	sim_send(&k);
	assert_int_equal(k.sent, 1);
	assert_int_equal(k.tx.d[5 & (NF - 1)].len, 60);
	sim_free(&k);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/*
 * Set-up against the kernel, in a network namespace of its own (root
 * only): the loopback device takes a copy-mode socket on its one queue,
 * a second socket is refused that queue, a queue it lacks is refused, and
 * failures leave nothing open. Nothing is sent.
 */
static void test_open(void **state)
{
	struct xsktx a, b;
	char err[256];
	int before, ret;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		skip();
	before = open_fds();
	ret = xsktx_open(&a, 1, 0, err, sizeof(err));
	/* A kernel without AF_XDP; qemu-user, which does not pass the XDP
	 * socket options through (ENOPROTOOPT). */
	if ((ret == FP_ENOTSUP && strstr(err, "socket")) || strstr(err, strerror(ENOPROTOOPT))) {
		print_message("skipped: %s\n", err);
		skip();
	}
	assert_int_equal(ret, 0);
	assert_true(a.fd >= 0);
	assert_false(a.zerocopy);
	assert_int_equal(a.frame_nr & (a.frame_nr - 1), 0);
	assert_int_equal(a.tx.mask + 1, a.frame_nr);
	assert_int_equal(a.cq.mask + 1, a.frame_nr);
	assert_int_equal(xsk_tx_queues("lo"), 1);
	assert_int_equal(xsktx_open(&b, 1, 0, err, sizeof(err)), FP_ESTATE);
	assert_non_null(strstr(err, "already has an XDP socket"));
	assert_int_equal(b.fd, -1);
	/* Nothing committed: the kick sends nothing and returns at once. */
	assert_int_equal(xsktx_kick(&a, false), 0);
	xsktx_close(&a);
	assert_int_equal(a.fd, -1);
	ret = xsktx_open(&b, 1, 7, err, sizeof(err));
	assert_int_equal(ret, FP_ENOTSUP);
	assert_non_null(strstr(err, "bind"));
	assert_int_equal(xsktx_open(&b, 999999, 0, err, sizeof(err)), FP_ENOTSUP);
	assert_int_equal(open_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_init),
		cmocka_unit_test(test_fresh_frames),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_bad_completion),
		cmocka_unit_test(test_txq_dispatch),
		cmocka_unit_test(test_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
