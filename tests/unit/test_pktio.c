/* SPDX-License-Identifier: MIT */
/* Unit tests of the AF_PACKET rings' life cycle: descriptors closed
 * whatever their number, and a receive ring that cannot be waited on. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <sys/mman.h>

#include "unit.h"
#include "io/pktio.h"

/* Makes fd 0 an open descriptor of ours (a pipe's read end); returns the
 * other end. */
static int take_fd0(void)
{
	int p[2];

	close(0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(p[0], 0);
	return p[1];
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A ring whose socket is descriptor 0 is closed like any other, and a
 * closed ring (fd -1) closes nothing. */
static void test_close_fd0(void **state)
{
	struct rxring r;
	struct txring t;
	int w;

	(void)state;
	w = take_fd0();
	memset(&r, 0, sizeof(r));
	r.fd = 0;
	rxring_close(&r);
	assert_int_equal(r.fd, -1);
	assert_false(fd_open(0));
	rxring_close(&r);
	close(w);

	w = take_fd0();
	memset(&t, 0, sizeof(t));
	t.fd = 0;
	txring_close(&t);
	assert_int_equal(t.fd, -1);
	assert_false(fd_open(0));
	txring_close(&t);
	assert_true(fd_open(w));
	close(w);
}

static void count(void *arg, const uint8_t *frame, size_t len)
{
	(void)frame;
	(void)len;
	(*(int *)arg)++;
}

/*
 * A ring whose descriptor is gone: poll answers POLLNVAL at once, which
 * used to read as "nothing yet", so the receive thread spun. It is a
 * failure now (EBADF), reported every time; an idle wait of 0 ms is not.
 */
static void test_poll_failure(void **state)
{
	struct rxring r;
	int fd, seen = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.block_size = 4096;
	r.block_nr = 2;
	r.map_len = (size_t)r.block_size * r.block_nr;
	/* Blocks owned by the kernel (status 0): nothing to read. */
	r.map = mmap(NULL, r.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(r.map != MAP_FAILED);
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	r.fd = fd; /* closed: no thread of this test opens another */

	assert_int_equal(rxring_poll(&r, 0, count, &seen), 0);
	assert_int_equal(r.err, 0);
	for (int i = 0; i < 3; i++) {
		errno = 0;
		assert_int_equal(rxring_poll(&r, 1, count, &seen), FP_ESYS);
		assert_int_equal(errno, EBADF);
		assert_int_equal(r.err, EBADF);
	}
	assert_int_equal(seen, 0);

	/* A ready block is still read (and released) first. */
	{
		struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(void *)r.map;

		bd->hdr.bh1.num_pkts = 0;
		bd->hdr.bh1.block_status = TP_STATUS_USER;
		assert_int_equal(rxring_poll(&r, 0, count, &seen), 0);
		assert_int_equal(bd->hdr.bh1.block_status, TP_STATUS_KERNEL);
		assert_int_equal(r.cur, 1);
	}
	munmap(r.map, r.map_len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_fd0),
		cmocka_unit_test(test_poll_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
