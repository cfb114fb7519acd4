/* SPDX-License-Identifier: MIT */
/*
 * The in-process executor of `fastport serve` (struct serve_exec): a scan
 * on an fp_scanner of this process, used when serve runs without raw
 * sockets and so without privilege separation. It gives the same io as
 * the privsep executor: a resume state in as bytes, resume states out as
 * bytes (a thread takes one every io->checkpoint_ms, and a stopped scan
 * gives a last one).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "serve/serve.h"

/* A resume state written to a memory file by fn, handed to io as bytes. */
static void give_state(const struct serve_exec_io *io, fp_scanner_t *s, int fd,
		       int (*fn)(fp_scanner_t *, int))
{
	off_t n;
	void *p;

	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0 || fn(s, fd) < 0)
		return;
	n = lseek(fd, 0, SEEK_CUR);
	if (n <= 0)
		return;
	p = mmap(NULL, (size_t)n, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return;
	io->on_checkpoint(p, (size_t)n, io->ud);
	munmap(p, (size_t)n);
}

struct ckpt {
	const struct serve_exec_io *io;
	fp_scanner_t *s;
	int fd;
	bool stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *ckpt_main(void *arg)
{
	struct ckpt *ck = arg;
	uint32_t ms = ck->io->checkpoint_ms ? ck->io->checkpoint_ms : 1000;
	struct timespec ts;

	pthread_mutex_lock(&ck->lock);
	while (!ck->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ck->cond, &ck->lock, &ts);
		if (ck->stop)
			break;
		pthread_mutex_unlock(&ck->lock);
		give_state(ck->io, ck->s, ck->fd, fp_scanner_checkpoint);
		pthread_mutex_lock(&ck->lock);
	}
	pthread_mutex_unlock(&ck->lock);
	return NULL;
}

struct fleet_stop {
	struct serve *sv;
	struct serve_scan *sc;
};

static bool fleet_stopped(void *ud)
{
	struct fleet_stop *fs = ud;
	bool stop;

	pthread_mutex_lock(&fs->sv->lock);
	stop = fs->sc->cancel || fs->sv->shutdown;
	pthread_mutex_unlock(&fs->sv->lock);
	return stop;
}

static int inproc_run(struct serve *sv, struct serve_scan *sc, fp_config_t *cfg,
		      const struct serve_exec_io *io, char *err, size_t errlen)
{
	struct ckpt ck = { .io = io, .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER,
			   .cond = PTHREAD_COND_INITIALIZER };
	bool ck_started = false;
	fp_scanner_t *s = NULL;
	pthread_t ck_thread;
	int ret, fd;

	if (sv->o.nats) {
		/* A fleet scan: the collector in this worker thread. */
		struct fleet_stop fs = { sv, sc };

		(void)io;
		return serve_fleet_run(sv, sc->scan_id, &sc->task, cfg, fleet_stopped, &fs, err, errlen);
	}
	if (serve_scanner_for(sv, &sc->task, cfg, &s, err, errlen) < 0)
		return -1;
	if (io && io->resume && io->resume_len) {
		fd = memfd_create("fastport-resume", MFD_CLOEXEC);
		ret = fd < 0 || write(fd, io->resume, io->resume_len) != (ssize_t)io->resume_len ||
		      lseek(fd, 0, SEEK_SET) < 0 ? FP_EIO : fp_scanner_load_state(s, fd);
		if (fd >= 0)
			close(fd);
		if (ret < 0) {
			snprintf(err, errlen, "resume state: %s",
				 ret == FP_EIO ? strerror(errno) : fp_scanner_error(s));
			fp_scanner_free(s);
			return -1;
		}
	}
	if (io && io->on_checkpoint) {
		ck.s = s;
		ck.fd = memfd_create("fastport-checkpoint", MFD_CLOEXEC);
		ck_started = ck.fd >= 0 && pthread_create(&ck_thread, NULL, ckpt_main, &ck) == 0;
	}
	pthread_mutex_lock(&sv->lock);
	sc->scanner = s;
	pthread_mutex_unlock(&sv->lock);
	ret = fp_scanner_run(s);
	if (ret < 0)
		snprintf(err, errlen, "%s", fp_scanner_error(s));
	if (ck_started) {
		pthread_mutex_lock(&ck.lock);
		ck.stop = true;
		pthread_cond_signal(&ck.cond);
		pthread_mutex_unlock(&ck.lock);
		pthread_join(ck_thread, NULL);
		if (ret == 0) /* a stopped scan's state: where to resume (none when complete) */
			give_state(io, s, ck.fd, fp_scanner_save_state);
	}
	if (ck.fd >= 0)
		close(ck.fd);
	pthread_mutex_lock(&sv->lock);
	sc->last.struct_size = sizeof(sc->last);
	fp_scanner_stats(s, &sc->last);
	sc->scanner = NULL;
	pthread_mutex_unlock(&sv->lock);
	fp_scanner_free(s);
	return ret < 0 ? -1 : 0;
}

static void inproc_stop(struct serve *sv, struct serve_scan *sc)
{
	(void)sv;
	if (sc->scanner)
		fp_scanner_stop(sc->scanner);
}

static bool inproc_stats(const struct serve_scan *sc, fp_stats_t *st)
{
	st->struct_size = sizeof(*st);
	return sc->scanner && fp_scanner_stats(sc->scanner, st) == 0;
}

const struct serve_exec serve_exec_inproc = {
	.name = "in-process", .run = inproc_run, .stop = inproc_stop, .stats = inproc_stats,
};
