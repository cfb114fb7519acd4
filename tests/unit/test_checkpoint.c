/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of live checkpoints (fp_scanner_checkpoint): connect scans of
 * listeners on 127.0.0.1 (the one place a unit test may probe). A
 * checkpoint taken from another thread mid-scan, loaded into a new
 * scanner, completes the scan: the findings delivered before it and those
 * of the resumed run together equal an uninterrupted scan's, each once. A
 * port whose service event is still pending is not marked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "unit.h"
#include "../../include/fastport.h"

#define NOPEN 24
#define NCLOSED 16
#define NPORTS (NOPEN + NCLOSED)

static int socks[NPORTS];
static uint16_t ports[NPORTS];
static char portspec[NPORTS * 7];

/* Binds 127.0.0.1:0; listening for the first NOPEN, bound only (connect
 * refused) for the rest, so no other program takes those ports. */
static int setup(void **state)
{
	char *p = portspec;

	(void)state;
	for (int i = 0; i < NPORTS; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(a);

		socks[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (socks[i] < 0 || bind(socks[i], (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    (i < NOPEN && listen(socks[i], 64) < 0) ||
		    getsockname(socks[i], (struct sockaddr *)&a, &len) < 0)
			return -1;
		ports[i] = ntohs(a.sin_port);
		p += sprintf(p, "%s%u", i ? "," : "", ports[i]);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NPORTS; i++)
		close(socks[i]);
	return 0;
}

/* What a run saw: one count per port and state, and service events. */
struct seen {
	int n[65536];
	int open_n, total, services;
	/* Mid-scan checkpoint: at the stop_at-th port_state event the
	 * callback has a thread take a checkpoint into fd and waits for it,
	 * then stops the scan. before: events whose callbacks had returned. */
	int stop_at, fd, ckpt_ret;
	fp_scanner_t *s;
	struct seen *before;
};

static void *ckpt_thread(void *arg)
{
	struct seen *w = arg;

	w->ckpt_ret = fp_scanner_checkpoint(w->s, w->fd);
	return NULL;
}

static int on_event(const fp_event_t *ev, void *ud)
{
	struct seen *w = ud;
	pthread_t t;

	if (ev->kind == FP_EVENT_SERVICE)
		w->services++;
	if (ev->kind != FP_EVENT_PORT_STATE)
		return 0;
	if (w->stop_at && w->total + 1 == w->stop_at) {
		/* This callback runs: the checkpoint must not mark its probe. */
		if (pthread_create(&t, NULL, ckpt_thread, w) != 0)
			w->ckpt_ret = -1000;
		else
			pthread_join(t, NULL);
		*w->before = *w;
		w->n[ev->port]++;
		w->total++;
		return 1;
	}
	w->n[ev->port]++;
	w->total++;
	w->open_n += ev->state == FP_STATE_OPEN;
	return 0;
}

static fp_scanner_t *new_scanner(struct seen *w)
{
	fp_config_t c;
	fp_scanner_t *s = NULL;
	char err[256] = "";

	fp_config_init(&c);
	c.connect = 1;
	c.rate = 200;
	c.retries = 0;
	c.wait_ms = 1000;
	c.telemetry_ms = 0;
	c.states = 1U << FP_STATE_OPEN | 1U << FP_STATE_CLOSED;
	c.on_event = on_event;
	c.userdata = w;
	assert_int_equal(fp_scanner_new(&c, &s, err, sizeof(err)), 0);
	assert_int_equal(fp_scanner_add_targets(s, "127.0.0.1"), 0);
	assert_int_equal(fp_scanner_set_ports(s, portspec), 0);
	w->s = s;
	return s;
}

static void test_refused(void **state)
{
	struct seen *w = calloc(1, sizeof(*w));
	fp_scanner_t *s;
	int fd = memfd_create("ckpt", 0);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(fp_scanner_checkpoint(NULL, fd), FP_EINVAL);
	s = new_scanner(w);
	assert_int_equal(fp_scanner_checkpoint(s, -1), FP_EINVAL);
	assert_int_equal(fp_scanner_checkpoint(s, fd), FP_ESTATE);
	/* A completed scan has nothing to resume. */
	assert_int_equal(fp_scanner_run(s), 0);
	assert_int_equal(w->total, NPORTS);
	assert_int_equal(fp_scanner_checkpoint(s, fd), FP_ESTATE);
	assert_int_equal(lseek(fd, 0, SEEK_END), 0);
	fp_scanner_free(s);
	close(fd);
	free(w);
}

static void test_midscan(void **state)
{
	struct seen *ref = calloc(1, sizeof(*ref)), *run = calloc(1, sizeof(*run));
	struct seen *before = calloc(1, sizeof(*before)), *res = calloc(1, sizeof(*res));
	fp_scanner_t *s;
	int fd = memfd_create("ckpt", 0), fd2 = memfd_create("ckpt2", 0);

	(void)state;
	assert_true(fd >= 0 && fd2 >= 0);
	/* The uninterrupted scan. */
	s = new_scanner(ref);
	assert_int_equal(fp_scanner_run(s), 0);
	fp_scanner_free(s);
	assert_int_equal(ref->total, NPORTS);
	assert_int_equal(ref->open_n, NOPEN);

	/* Stopped at its 15th finding, after a checkpoint from another thread. */
	s = new_scanner(run);
	run->stop_at = 15;
	run->fd = fd;
	run->before = before;
	assert_int_equal(fp_scanner_run(s), 0);
	assert_int_equal(run->ckpt_ret, 0);
	assert_int_equal(before->total, 14);
	/* After the stop it writes the stopped scan's state, which loads. */
	assert_int_equal(fp_scanner_checkpoint(s, fd2), 0);
	fp_scanner_free(s);

	/* The resumed scan delivers exactly the rest. */
	s = new_scanner(res);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fp_scanner_load_state(s, fd), 0);
	assert_int_equal(fp_scanner_run(s), 0);
	for (int i = 0; i < NPORTS; i++) {
		uint16_t p = ports[i];

		assert_int_equal(ref->n[p], 1);
		assert_int_equal(before->n[p] + res->n[p], 1);
	}
	assert_int_equal(before->total + res->total, NPORTS);
	/* The state written after the stop is valid too. */
	assert_int_equal(lseek(fd2, 0, SEEK_SET), 0);
	assert_int_equal(fp_scanner_load_state(s, fd2), 0);
	fp_scanner_free(s);
	close(fd);
	close(fd2);
	free(ref);
	free(run);
	free(before);
	free(res);
}

/* Bits set in a checkpoint's bitmap (layout: src/engine/resume.h). */
static int marked(int fd)
{
	uint8_t buf[4096];
	ssize_t r = pread(fd, buf, sizeof(buf), 0);
	int n = 0;

	assert_true(r > 56);
	for (ssize_t i = 56; i < r; i++)
		n += __builtin_popcount(buf[i]);
	return n;
}

struct sv_seen {
	fp_scanner_t *s;
	int fd_open, fd_done, ret_open, ret_done, services;
};

static int on_sv_event(const fp_event_t *ev, void *ud)
{
	struct sv_seen *w = ud;

	/* Open, but its service event is still to come: not marked. The
	 * last event: every earlier one's callback returned. */
	if (ev->kind == FP_EVENT_PORT_STATE)
		w->ret_open = fp_scanner_checkpoint(w->s, w->fd_open);
	if (ev->kind == FP_EVENT_SERVICE)
		w->services++;
	if (ev->kind == FP_EVENT_SCAN_COMPLETED)
		w->ret_done = fp_scanner_checkpoint(w->s, w->fd_done);
	return 0;
}

/* A listener that never speaks: identified "unknown" after the probes. */
static void test_service_pending(void **state)
{
	struct sv_seen w = { .fd_open = memfd_create("a", 0), .fd_done = memfd_create("b", 0) };
	fp_config_t c;
	char err[256] = "", spec[8];

	(void)state;
	fp_config_init(&c);
	c.connect = 1;
	c.rate = 100;
	c.retries = 0;
	c.wait_ms = 500;
	c.telemetry_ms = 0;
	c.service_scan = 1;
	c.sv_timeout_ms = 1500;
	c.on_event = on_sv_event;
	c.userdata = &w;
	assert_int_equal(fp_scanner_new(&c, &w.s, err, sizeof(err)), 0);
	snprintf(spec, sizeof(spec), "%u", ports[0]);
	assert_int_equal(fp_scanner_add_targets(w.s, "127.0.0.1"), 0);
	assert_int_equal(fp_scanner_set_ports(w.s, spec), 0);
	assert_int_equal(fp_scanner_run(w.s), 0);
	assert_int_equal(w.services, 1);
	assert_int_equal(w.ret_open, 0);
	assert_int_equal(w.ret_done, 0);
	assert_int_equal(marked(w.fd_open), 0);
	assert_int_equal(marked(w.fd_done), 1);
	fp_scanner_free(w.s);
	close(w.fd_open);
	close(w.fd_done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_midscan),
		cmocka_unit_test(test_service_pending),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
