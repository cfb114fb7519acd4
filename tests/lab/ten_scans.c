/* SPDX-License-Identifier: MIT */
/*
 * Ten scans back to back in one process through the library, first with a
 * new scanner each, then reusing one (whose fifth scan is stopped, saved
 * and resumed by the sixth): each scan finds every expected open port, the
 * process holds the same descriptors after as before, and its resident
 * memory does not grow between the third and the tenth scan.
 * Usage: ten_scans TARGETS PORTS EXPECTED_OPEN
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "fastport.h"

#define SCANS 10
#define RSS_GROWTH_MAX (1024 * 1024)
/* ThreadSanitizer's shadow memory and thread histories grow with every
 * thread it has seen (each scan starts new ones): its RSS says nothing
 * about the library's, so a tsan build reports it without judging it. */
#if defined(__SANITIZE_THREAD__)
#define RSS_JUDGED 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RSS_JUDGED 0
#endif
#endif
#ifndef RSS_JUDGED
#define RSS_JUDGED 1
#endif

struct counts {
	unsigned long open;
	unsigned long stop_after; /* stop the scan after this many, 0: never */
};

static int on_event(const fp_event_t *ev, void *arg)
{
	struct counts *c = arg;

	if (ev->kind == FP_EVENT_PORT_STATE && ev->state == FP_STATE_OPEN)
		c->open++;
	return c->stop_after && c->open >= c->stop_after;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static long rss_bytes(void)
{
	long size, resident = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

static void fail(const char *what, fp_scanner_t *s, int ret)
{
	fprintf(stderr, "ten_scans: %s: %s (%s)\n", what, fp_strerror(ret),
		s ? fp_scanner_error(s) : "-");
	exit(1);
}

static fp_scanner_t *make(const char *targets, const char *ports, struct counts *c)
{
	fp_config_t cfg;
	fp_scanner_t *s;
	char err[256];
	int ret;

	fp_config_init(&cfg);
	cfg.rate = 20000;
	cfg.wait_ms = 500;
	cfg.telemetry_ms = 0;
	cfg.allow_reserved = 1;
	cfg.on_event = on_event;
	cfg.userdata = c;
	ret = fp_scanner_new(&cfg, &s, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "ten_scans: fp_scanner_new: %s\n", err);
		exit(1);
	}
	if ((ret = fp_scanner_add_targets(s, targets)) < 0 ||
	    (ret = fp_scanner_set_ports(s, ports)) < 0)
		fail("spec", s, ret);
	return s;
}

static void check_rss(const char *series, long at3, long at10)
{
	printf("%s: rss after scan 3 %ld KiB, after scan 10 %ld KiB\n", series, at3 / 1024,
	       at10 / 1024);
	if (RSS_JUDGED && (at3 < 0 || at10 < 0 || at10 - at3 >= RSS_GROWTH_MAX)) {
		fprintf(stderr, "ten_scans: %s: memory grew by %ld bytes\n", series, at10 - at3);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	unsigned long want;
	long rss3 = -1, rss10 = -1;
	int fds0, fds1, ret;
	fp_scanner_t *s;
	struct counts c = { 0 };

	if (argc != 4) {
		fprintf(stderr, "usage: ten_scans TARGETS PORTS EXPECTED_OPEN\n");
		return 2;
	}
	want = strtoul(argv[3], NULL, 10);
	fds0 = count_fds();

	/* One scanner per scan. */
	for (int i = 1; i <= SCANS; i++) {
		c = (struct counts){ 0 };
		s = make(argv[1], argv[2], &c);
		ret = fp_scanner_run(s);
		if (ret < 0)
			fail("fp_scanner_run", s, ret);
		fp_scanner_free(s);
		if (c.open != want) {
			fprintf(stderr, "ten_scans: new scanner, scan %d: %lu open, expected %lu\n", i,
				c.open, want);
			return 1;
		}
		if (i == 3)
			rss3 = rss_bytes();
		if (i == SCANS)
			rss10 = rss_bytes();
	}
	check_rss("new scanner each", rss3, rss10);

	/* One scanner for every scan; the fifth is stopped and saved, the
	 * sixth resumes it, so those two together find everything. */
	s = make(argv[1], argv[2], &c);
	for (int i = 1; i <= SCANS; i++) {
		unsigned long before = c.open;
		int mfd = -1;

		if (i != 6)
			c.open = 0;
		c.stop_after = i == 5 ? want / 2 : 0;
		ret = fp_scanner_run(s);
		if (ret < 0)
			fail("fp_scanner_run", s, ret);
		if (i == 5) {
			mfd = memfd_create("state", MFD_CLOEXEC);
			if (mfd < 0) {
				perror("ten_scans: memfd_create");
				return 1;
			}
			if ((ret = fp_scanner_save_state(s, mfd)) < 0)
				fail("fp_scanner_save_state", s, ret);
			lseek(mfd, 0, SEEK_SET);
			if ((ret = fp_scanner_load_state(s, mfd)) < 0)
				fail("fp_scanner_load_state", s, ret);
			close(mfd);
			printf("scan 5 stopped after %lu open, state saved and loaded\n", c.open);
			if (c.open >= want)
				return fprintf(stderr, "ten_scans: scan 5 was not stopped\n"), 1;
			continue;
		}
		if (i != 5 && fp_scanner_save_state(s, 1) != FP_ESTATE)
			return fprintf(stderr, "ten_scans: a completed scan had a state\n"), 1;
		if (c.open != want) {
			fprintf(stderr, "ten_scans: reused scanner, scan %d: %lu open (%lu before), expected %lu\n",
				i, c.open, before, want);
			return 1;
		}
		if (i == 3)
			rss3 = rss_bytes();
		if (i == SCANS)
			rss10 = rss_bytes();
	}
	fp_scanner_free(s);
	check_rss("one scanner reused", rss3, rss10);

	fds1 = count_fds();
	printf("descriptors before %d, after %d\n", fds0, fds1);
	if (fds0 != fds1) {
		fprintf(stderr, "ten_scans: %d descriptors before, %d after\n", fds0, fds1);
		return 1;
	}
	printf("ten_scans: ok\n");
	return 0;
}
