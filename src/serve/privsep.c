/* SPDX-License-Identifier: MIT */
/* serve's privilege separation: the privileged parent, the scan children, and the HTTP process's side of both channels. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <jansson.h>

#include "cli/sandbox.h"
#include "serve/privsep.h"
#include "serve/privsep_proto.h"
#include "serve/scope.h"
#include "serve/task.h"

#define PS_EXITS_MAX 256   /* exit reports kept for the HTTP side to collect */
#define PS_STATS_MS 250    /* a scan child's counters, this often */

/* ------------------------------------------------------------------ */
/* The scan child                                                      */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t child_cancel;
static fp_scanner_t *volatile child_scanner;

/* SIGTERM from the parent: the HTTP process asked for a stop. */
static void child_on_term(int sig)
{
	fp_scanner_t *s = child_scanner;

	(void)sig;
	child_cancel = 1;
	if (s)
		fp_scanner_stop(s);
}

struct child {
	int fd;                    /* the scan channel */
	pthread_mutex_t wlock;     /* one frame at a time on fd */
	bool write_failed;         /* the HTTP side is gone: stop */
	fp_scanner_t *s;
	struct sandbox sb;
	bool sb_failed;
	int ckfd;                  /* a memory file for resume states (-1: none) */
	uint32_t ckpt_ms;          /* 0: no periodic resume states */
	pthread_t stats;
	bool stats_started, stats_stop;
	pthread_mutex_t slock;
	pthread_cond_t scond;
};

static void child_send(struct child *c, uint32_t type, const void *a, size_t alen, const void *b,
		       size_t blen)
{
	pthread_mutex_lock(&c->wlock);
	if (!c->write_failed && ps_frame_write(c->fd, type, a, alen, b, blen) < 0)
		c->write_failed = true;
	pthread_mutex_unlock(&c->wlock);
}

static void child_send_stats(struct child *c)
{
	fp_stats_t st = { .struct_size = sizeof(st) };
	uint8_t buf[PS_STATS_LEN];

	if (fp_scanner_stats(c->s, &st) < 0)
		return;
	ps_stats_encode(&st, buf);
	child_send(c, PS_F_STATS, buf, sizeof(buf), NULL, 0);
}

static void child_checkpoint(struct child *c, bool live);

/* The counters every PS_STATS_MS while the scan runs, and a resume state
 * every ckpt_ms when the HTTP process asked for them. */
static void *child_stats_main(void *arg)
{
	struct child *c = arg;
	struct timespec ts, last;

	clock_gettime(CLOCK_MONOTONIC, &last);
	pthread_mutex_lock(&c->slock);
	while (!c->stats_stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += PS_STATS_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->scond, &c->slock, &ts);
		if (c->stats_stop)
			break;
		pthread_mutex_unlock(&c->slock);
		child_send_stats(c);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (c->ckpt_ms && (ts.tv_sec - last.tv_sec) * 1000 + (ts.tv_nsec - last.tv_nsec) / 1000000 >=
				  (long)c->ckpt_ms) {
			last = ts;
			child_checkpoint(c, true);
		}
		pthread_mutex_lock(&c->slock);
	}
	pthread_mutex_unlock(&c->slock);
	return NULL;
}

static int child_event(const fp_event_t *ev, void *ud)
{
	struct child *c = ud;
	uint32_t kind = (uint32_t)ev->kind;

	if (ev->json_len <= PS_EVENT_MAX)
		child_send(c, PS_F_EVENT, &kind, 4, ev->json, ev->json_len);
	return c->write_failed || child_cancel;
}

/* Every socket is open: drop the rest (cli/sandbox.c), then start the
 * counters' thread, born without privileges. */
static int child_ready(void *ud)
{
	struct child *c = ud;

	if (sandbox_enter(&c->sb) < 0) {
		c->sb_failed = true;
		return -1;
	}
	c->stats_started = pthread_create(&c->stats, NULL, child_stats_main, c) == 0;
	return 0;
}

/* DONE with result and a printable message of at most PS_ERR_MAX bytes. */
static void child_done(struct child *c, int result, const char *msg)
{
	char text[PS_ERR_MAX + 1];
	int32_t r = result;
	size_t n;

	snprintf(text, sizeof(text), "%s", msg ? msg : "");
	n = strlen(text);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			text[i] = ' ';
	child_send(c, PS_F_DONE, &r, 4, text, n);
}

/* Writes len bytes to a new memory file, rewound. -1 on failure. */
static int memfd_with(const char *name, const void *p, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t w = write(fd, (const uint8_t *)p + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Sends a resume state: of the running scan (live), or of a stopped one.
 * It is written into ckfd, a memory file made before the drop, and read
 * back through mmap: write, lseek, ftruncate and mmap are all it needs.
 * Every event the state covers was sent before it (the library's
 * checkpoint contract, and one ordered stream).
 */
static void child_checkpoint(struct child *c, bool live)
{
	int ckfd = c->ckfd;
	off_t n;
	void *p;

	if (ckfd < 0 || lseek(ckfd, 0, SEEK_SET) < 0 || ftruncate(ckfd, 0) < 0 ||
	    (live ? fp_scanner_checkpoint(c->s, ckfd) : fp_scanner_save_state(c->s, ckfd)) < 0)
		return;
	n = lseek(ckfd, 0, SEEK_CUR);
	if (n <= 0 || (uint64_t)n > PS_BLOB_MAX)
		return;
	p = mmap(NULL, (size_t)n, PROT_READ, MAP_SHARED, ckfd, 0);
	if (p == MAP_FAILED)
		return;
	child_send(c, PS_F_CHECKPOINT, p, (size_t)n, NULL, 0);
	munmap(p, (size_t)n);
}

static bool child_stopped(void *ud)
{
	struct child *c = ud;

	return child_cancel || c->write_failed;
}

/*
 * A fleet scan (serve --nats): this child is the fleet collector. It keeps
 * no capability and sets no_new_privs but installs no seccomp filter: it
 * talks to the NATS servers (libnats's threads, reconnects, TLS) and
 * sends nothing else (docs/SECURITY.md). Never returns.
 */
static void __attribute__((noreturn)) fleet_child(struct serve *sv, struct child *c,
						  const char *scan_id, struct serve_task *t)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	char err[PS_ERR_MAX + 1] = "";
	fp_config_t cfg;
	int ret;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, sizeof(err), "cannot drop privileges: %s", strerror(errno));
		child_done(c, FP_EPERM, err);
		_exit(0);
	}
	if (!scan_id[0]) {
		child_done(c, FP_EINVAL, "a fleet scan needs its scan id");
		_exit(0);
	}
	prctl(PR_SET_NAME, "fp-serve-fleet");
	fp_config_init(&cfg);
	cfg.on_event = child_event;
	cfg.userdata = c;
	ret = serve_fleet_run(sv, scan_id, t, &cfg, child_stopped, c, err, sizeof(err));
	child_done(c, ret < 0 ? FP_EIO : 0, ret < 0 ? err : "");
	_exit(0);
}

/*
 * A scan child: forked by the parent (the unprivileged user, CAP_NET_RAW
 * alone, no_new_privs), fd its scan channel. Reads the task, checks it
 * against this sensor's own options (the HTTP process checked it too, but
 * it is the less trusted side), runs it and reports. Never returns.
 */
static void __attribute__((noreturn)) scan_child(struct serve *sv, int fd, pid_t parent)
{
	struct child c = { .fd = fd, .ckfd = -1, .wlock = PTHREAD_MUTEX_INITIALIZER,
			   .slock = PTHREAD_MUTEX_INITIALIZER, .scond = PTHREAD_COND_INITIALIZER };
	struct serve_task t = { 0 };
	struct sigaction sa = { .sa_handler = child_on_term };
	char scan_id[PS_SCAN_ID_LEN + 1] = "", err[PS_ERR_MAX + 1];
	int resfd = -1, ret;
	bool have_task = false;
	fp_config_t cfg;
	sigset_t set;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, "fp-serve-scan");
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN);   /* a terminal's ^C: the HTTP process decides */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	while (!have_task) {
		struct ps_frame f;
		int r = ps_frame_read(fd, PS_TO_SCAN, &f);

		if (r <= 0)
			_exit(1);
		switch (f.type) {
		case PS_F_SCAN_ID:
			if (!ps_scan_id_ok(f.data, f.len) || scan_id[0])
				_exit(1);
			memcpy(scan_id, f.data, PS_SCAN_ID_LEN);
			break;
		case PS_F_RESUME:
			if (resfd >= 0)
				_exit(1);
			resfd = memfd_with("fastport-resume", f.data, f.len);
			if (resfd < 0) {
				snprintf(err, sizeof(err), "resume state: %s", strerror(errno));
				child_done(&c, FP_EIO, err);
				_exit(0);
			}
			break;
		case PS_F_CHECKPOINT_EVERY:
			if (ps_ckpt_every_decode(f.data, f.len, &c.ckpt_ms) < 0)
				_exit(1);
			break;
		case PS_F_START:
			if (task_parse((const char *)f.data, f.len, &t, err, sizeof(err)) < 0) {
				child_done(&c, FP_EINVAL, err);
				_exit(0);
			}
			have_task = true;
			break;
		default:
			_exit(1);
		}
		free(f.data);
	}

	/* The privileged side's own checks: scope, reserved ranges, rate. */
	{
		bool reserved = t.allow_reserved && sv->o.allow_reserved;
		char why[400];

		if (!t.rate || t.rate > sv->o.max_rate) {
			child_done(&c, FP_EINVAL, "task refused by the privileged side: rate above --max-rate");
			_exit(0);
		}
		if (scope_check(sv->scope, t.targets, t.ntargets, t.exclude, t.nexclude, reserved, why,
				sizeof(why)) != 0) {
			snprintf(err, sizeof(err), "task refused by the privileged side: %s", why);
			child_done(&c, FP_EINVAL, err);
			_exit(0);
		}
		if (sv->o.nats)
			fleet_child(sv, &c, scan_id, &t);
		fp_config_init(&cfg);
		cfg.out_fd = -1;
		cfg.rate = t.rate;
		if (t.has_retries)
			cfg.retries = t.retries;
		cfg.seed = t.seed;
		if (t.states)
			cfg.states = t.states;
		cfg.service_scan = t.service_scan;
		cfg.connect = t.connect || !sv->raw_ok;
		cfg.allow_reserved = reserved;
		if (scan_id[0])
			cfg.scan_id = scan_id;
		cfg.on_event = child_event;
		cfg.on_ready = child_ready;
		cfg.userdata = &c;
	}
	if (sandbox_init(&c.sb, NULL, (cfg.connect ? SANDBOX_CONNECT : 0) |
				      (cfg.service_scan ? SANDBOX_SERVICE : 0)) < 0) {
		child_done(&c, FP_EPERM, c.sb.err);
		_exit(0);
	}
	c.ckfd = memfd_create("fastport-checkpoint", MFD_CLOEXEC);
	if (fp_scanner_new(&cfg, &c.s, err, sizeof(err)) < 0) {
		child_done(&c, FP_EINVAL, err);
		_exit(0);
	}
	ret = 0;
	for (size_t i = 0; i < t.ntargets && ret == 0; i++)
		ret = fp_scanner_add_targets(c.s, t.targets[i]);
	for (size_t i = 0; i < t.nexclude && ret == 0; i++)
		ret = fp_scanner_add_exclude(c.s, t.exclude[i]);
	if (ret == 0 && t.ports)
		ret = fp_scanner_set_ports(c.s, t.ports);
	if (ret == 0 && resfd >= 0)
		ret = fp_scanner_load_state(c.s, resfd);
	if (ret < 0) {
		child_done(&c, ret, fp_scanner_error(c.s));
		_exit(0);
	}
	child_scanner = c.s;
	if (child_cancel)
		fp_scanner_stop(c.s);
	ret = fp_scanner_run(c.s);
	if (c.stats_started) {
		pthread_mutex_lock(&c.slock);
		c.stats_stop = true;
		pthread_cond_signal(&c.scond);
		pthread_mutex_unlock(&c.slock);
		pthread_join(c.stats, NULL);
	}
	child_send_stats(&c);
	if (ret == 0 && c.ckpt_ms) /* a stopped scan's state: where to resume */
		child_checkpoint(&c, false);
	if (ret < 0 && c.sb_failed)
		snprintf(err, sizeof(err), "cannot drop privileges: %s", c.sb.err);
	else
		snprintf(err, sizeof(err), "%s", ret < 0 ? fp_scanner_error(c.s) : "");
	child_done(&c, ret, err);
	/* No exit handlers: this is a fork of the parent. */
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The privileged parent                                               */
/* ------------------------------------------------------------------ */

struct parent {
	struct serve *sv;
	int chan;                  /* the parent channel */
	int sigfd;
	pid_t http, self;
	pid_t *kids;               /* scan children alive */
	size_t nkids, maxkids;
};

static void parent_send(struct parent *p, const struct ps_pmsg *m, int fd)
{
	uint8_t buf[PS_PMSG_LEN];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	ps_pmsg_encode(m, buf);
	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof(u.b);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while (sendmsg(p->chan, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void parent_spawn(struct parent *p, uint32_t id)
{
	struct ps_pmsg m = { .type = PS_P_SPAWN_FAILED, .id = id, .value = EAGAIN };
	int sp[2];
	pid_t pid;

	if (p->nkids >= p->maxkids) {
		parent_send(p, &m, -1);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		m.value = errno;
		parent_send(p, &m, -1);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		close(p->chan);
		close(p->sigfd);
		scan_child(p->sv, sp[1], p->self);
	}
	close(sp[1]);
	if (pid < 0) {
		m.value = errno;
		close(sp[0]);
		parent_send(p, &m, -1);
		return;
	}
	p->kids[p->nkids++] = pid;
	m = (struct ps_pmsg){ .type = PS_P_SPAWNED, .id = id, .pid = pid };
	parent_send(p, &m, sp[0]);
	close(sp[0]);
}

static bool parent_is_kid(const struct parent *p, pid_t pid)
{
	for (size_t i = 0; i < p->nkids; i++)
		if (p->kids[i] == pid)
			return true;
	return false;
}

/* Reaps what ended. Returns whether the HTTP process did (its status in *st). */
static bool parent_reap(struct parent *p, int *http_status)
{
	bool http_done = false;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == p->http) {
			*http_status = st;
			http_done = true;
			continue;
		}
		for (size_t i = 0; i < p->nkids; i++)
			if (p->kids[i] == pid) {
				struct ps_pmsg m = { .type = PS_P_EXITED, .pid = pid, .value = st };

				p->kids[i] = p->kids[--p->nkids];
				parent_send(p, &m, -1);
				break;
			}
	}
	return http_done;
}

/* Ends every scan child, waits for them and the HTTP process, exits as it did. */
static void __attribute__((noreturn)) parent_exit(struct parent *p, bool http_done, int http_status)
{
	int st;

	for (size_t i = 0; i < p->nkids; i++)
		kill(p->kids[i], SIGKILL);
	if (!http_done) {
		kill(p->http, SIGTERM);
		while (waitpid(p->http, &http_status, 0) < 0 && errno == EINTR)
			;
	}
	while (waitpid(-1, &st, 0) > 0 || errno == EINTR)
		;
	if (WIFEXITED(http_status))
		_exit(WEXITSTATUS(http_status));
	_exit(128 + (WIFSIGNALED(http_status) ? WTERMSIG(http_status) : 0));
}

static void __attribute__((noreturn)) parent_main(struct serve *sv, int chan, pid_t http)
{
	struct parent p = { .sv = sv, .chan = chan, .http = http, .self = getpid() };
	struct sandbox sb;
	sigset_t set;
	int http_status = 0;

	/* What the parent never needs: the HTTP side's secrets and socket. */
	if (sv->token)
		explicit_bzero(sv->token, sv->token_len);
	if (sv->tls_key_pem)
		explicit_bzero(sv->tls_key_pem, strlen(sv->tls_key_pem));
	if (sv->listen_fd >= 0)
		close(sv->listen_fd);
	sv->listen_fd = -1;
	p.maxkids = 2 * (size_t)sv->o.max_scans + 2;
	p.kids = calloc(p.maxkids, sizeof(*p.kids));
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	p.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (!p.kids || p.sigfd < 0) {
		fprintf(stderr, "fastport: serve: privileged process: %s\n", strerror(errno));
		parent_exit(&p, false, 1 << 8);
	}
	if (sandbox_init(&sb, sv->o.user, SANDBOX_KEEP_RAW) < 0 || sandbox_enter(&sb) < 0) {
		fprintf(stderr, "fastport: serve: privileged process: cannot drop privileges: %s\n", sb.err);
		parent_exit(&p, false, 1 << 8);
	}
	for (;;) {
		struct pollfd pf[2] = { { .fd = p.sigfd, .events = POLLIN }, { .fd = chan, .events = POLLIN } };

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			parent_exit(&p, false, 1 << 8);
		}
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(p.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
			    (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM))
				kill(p.http, SIGTERM); /* the HTTP process drains, then we follow */
			if (parent_reap(&p, &http_status))
				parent_exit(&p, true, http_status);
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			uint8_t buf[PS_PMSG_LEN + 1];
			struct ps_pmsg m;
			ssize_t n = recv(chan, buf, sizeof(buf), MSG_TRUNC);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* The HTTP process is gone (or closed the channel). */
				if (parent_reap(&p, &http_status))
					parent_exit(&p, true, http_status);
				parent_exit(&p, false, 1 << 8);
			}
			if (ps_pmsg_decode(buf, (size_t)n, PS_TO_PARENT, &m) < 0) {
				fprintf(stderr, "fastport: serve: privileged process: bad message from the "
					"HTTP process; stopping\n");
				parent_exit(&p, false, 1 << 8);
			}
			if (m.type == PS_P_SPAWN)
				parent_spawn(&p, m.id);
			else if (m.type == PS_P_SIGNAL && parent_is_kid(&p, m.pid))
				kill(m.pid, m.value);
		}
	}
}

/* ------------------------------------------------------------------ */
/* The HTTP process's side                                             */
/* ------------------------------------------------------------------ */

struct privsep {
	int fd;                    /* the parent channel */
	int parent;                /* the privileged parent's pid */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_mutex_t spawn_lock; /* one spawn request at a time */
	uint32_t next_id, want_id;
	bool answered;
	int answer_pid, answer_fd, answer_err;
	struct { int pid, status; } exits[PS_EXITS_MAX];
	size_t nexits;
	pthread_t reader;
};

static void *ps_reader_main(void *arg)
{
	struct privsep *ps = arg;

	for (;;) {
		uint8_t buf[PS_PMSG_LEN + 1];
		union {
			char b[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
				     .msg_controllen = sizeof(u.b) };
		struct cmsghdr *cm;
		struct ps_pmsg m;
		ssize_t n = recvmsg(ps->fd, &mh, MSG_CMSG_CLOEXEC);
		int fd = -1;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* No privileged parent: no scans and no way to end them; go. */
			fprintf(stderr, "fastport: serve: the privileged process ended; stopping\n");
			_exit(1);
		}
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
			    cm->cmsg_len == CMSG_LEN(sizeof(int)) && fd < 0)
				memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		    ps_pmsg_decode(buf, (size_t)n, PS_FROM_PARENT, &m) < 0 ||
		    (m.type == PS_P_SPAWNED) != (fd >= 0)) {
			fprintf(stderr, "fastport: serve: bad message from the privileged process; stopping\n");
			_exit(1);
		}
		pthread_mutex_lock(&ps->lock);
		if (m.type == PS_P_EXITED) {
			if (ps->nexits == PS_EXITS_MAX) /* nobody collects them: forget the oldest */
				memmove(ps->exits, ps->exits + 1, --ps->nexits * sizeof(ps->exits[0]));
			ps->exits[ps->nexits].pid = m.pid;
			ps->exits[ps->nexits++].status = m.value;
		} else if (m.id == ps->want_id && !ps->answered) {
			ps->answered = true;
			ps->answer_pid = m.type == PS_P_SPAWNED ? m.pid : 0;
			ps->answer_err = m.type == PS_P_SPAWNED ? 0 : m.value;
			ps->answer_fd = fd;
			fd = -1;
		}
		pthread_cond_broadcast(&ps->cond);
		pthread_mutex_unlock(&ps->lock);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static int ps_send(struct privsep *ps, uint32_t type, uint32_t id, int pid, int value)
{
	struct ps_pmsg m = { .type = type, .id = id, .pid = pid, .value = value };
	uint8_t buf[PS_PMSG_LEN];
	ssize_t n;

	ps_pmsg_encode(&m, buf);
	while ((n = send(ps->fd, buf, sizeof(buf), MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof(buf) ? 0 : -1;
}

/* A new scan child: its pid and channel, or -1 with errno. */
static int ps_spawn(struct privsep *ps, int *pid, int *fd)
{
	int ret = -1;

	pthread_mutex_lock(&ps->spawn_lock);
	pthread_mutex_lock(&ps->lock);
	ps->want_id = ++ps->next_id;
	ps->answered = false;
	pthread_mutex_unlock(&ps->lock);
	if (ps_send(ps, PS_P_SPAWN, ps->want_id, 0, 0) < 0)
		goto out;
	pthread_mutex_lock(&ps->lock);
	while (!ps->answered)
		pthread_cond_wait(&ps->cond, &ps->lock);
	*pid = ps->answer_pid;
	*fd = ps->answer_fd;
	errno = ps->answer_err;
	pthread_mutex_unlock(&ps->lock);
	ret = *pid > 0 ? 0 : -1;
out:
	pthread_mutex_unlock(&ps->spawn_lock);
	return ret;
}

/* Waits for the parent's report that scan child pid ended: its wait status. */
static int ps_wait_exit(struct privsep *ps, int pid)
{
	int st = 0;

	pthread_mutex_lock(&ps->lock);
	for (;;) {
		size_t i;

		for (i = 0; i < ps->nexits && ps->exits[i].pid != pid; i++)
			;
		if (i < ps->nexits) {
			st = ps->exits[i].status;
			ps->exits[i] = ps->exits[--ps->nexits];
			break;
		}
		pthread_cond_wait(&ps->cond, &ps->lock);
	}
	pthread_mutex_unlock(&ps->lock);
	return st;
}

/* The effective task, as task.c's JSON: what the scan child parses and checks. */
static char *task_json(const struct serve_task *t, const fp_config_t *cfg)
{
	static const char *const names[] = { "open", "closed", "filtered", "open|filtered" };
	json_t *o = json_object(), *a, *st = json_array();
	char *s = NULL;

	if (!o || !st)
		goto out;
	a = json_array();
	for (size_t i = 0; a && i < t->ntargets; i++)
		json_array_append_new(a, json_string(t->targets[i]));
	json_object_set_new(o, "targets", a);
	if (t->nexclude) {
		a = json_array();
		for (size_t i = 0; a && i < t->nexclude; i++)
			json_array_append_new(a, json_string(t->exclude[i]));
		json_object_set_new(o, "exclude", a);
	}
	if (t->ports)
		json_object_set_new(o, "ports", json_string(t->ports));
	for (unsigned k = 0; k < 4; k++)
		if (cfg->states & (1U << k))
			json_array_append_new(st, json_string(names[k]));
	if (json_array_size(st))
		json_object_set(o, "states", st);
	json_object_set_new(o, "rate", json_integer((json_int_t)cfg->rate));
	json_object_set_new(o, "retries", json_integer((json_int_t)cfg->retries));
	json_object_set_new(o, "seed", json_integer((json_int_t)cfg->seed));
	json_object_set_new(o, "service_scan", json_boolean(cfg->service_scan));
	json_object_set_new(o, "connect", json_boolean(cfg->connect));
	json_object_set_new(o, "allow_reserved", json_boolean(cfg->allow_reserved));
	if (t->shards) /* a fleet scan (serve --nats) */
		json_object_set_new(o, "shards", json_integer((json_int_t)t->shards));
	s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(st);
	json_decref(o);
	return s;
}

static void privsep_stop(struct serve *sv, struct serve_scan *sc)
{
	sc->exec_stop = true;
	if (sc->exec_pid > 0)
		ps_send(sv->ps, PS_P_SIGNAL, 0, sc->exec_pid, SIGTERM);
}

static bool privsep_stats(const struct serve_scan *sc, fp_stats_t *st)
{
	if (!sc->live_ok)
		return false;
	*st = sc->live;
	return true;
}

static int privsep_run(struct serve *sv, struct serve_scan *sc, fp_config_t *cfg,
		       const struct serve_exec_io *io, char *err, size_t errlen)
{
	struct privsep *ps = sv->ps;
	fp_stats_t last = { .struct_size = sizeof(last) };
	char *task = task_json(&sc->task, cfg), done_err[PS_ERR_MAX + 1] = "";
	bool done = false, killed = false, asked = false;
	int pid = 0, fd = -1, result = 0, status, r;

	if (!task) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (ps_spawn(ps, &pid, &fd) < 0) {
		snprintf(err, errlen, "cannot start a scan process: %s", strerror(errno));
		free(task);
		return -1;
	}
	pthread_mutex_lock(&sv->lock);
	sc->exec_pid = pid;
	if (sc->exec_stop || sc->cancel || sv->shutdown)
		ps_send(ps, PS_P_SIGNAL, 0, pid, SIGTERM);
	pthread_mutex_unlock(&sv->lock);

	/* The task: a scan_id to continue, a state to resume, then the task. */
	r = 0;
	if (cfg->scan_id && strlen(cfg->scan_id) == PS_SCAN_ID_LEN)
		r = ps_frame_write(fd, PS_F_SCAN_ID, cfg->scan_id, PS_SCAN_ID_LEN, NULL, 0);
	if (r == 0 && io && io->on_checkpoint) {
		uint32_t ms = io->checkpoint_ms ? io->checkpoint_ms : 1000;

		if (ms < PS_CKPT_MIN_MS)
			ms = PS_CKPT_MIN_MS;
		r = ps_frame_write(fd, PS_F_CHECKPOINT_EVERY, &ms, 4, NULL, 0);
	}
	if (r == 0 && io && io->resume && io->resume_len && io->resume_len <= PS_BLOB_MAX)
		r = ps_frame_write(fd, PS_F_RESUME, io->resume, io->resume_len, NULL, 0);
	if (r == 0)
		r = ps_frame_write(fd, PS_F_START, task, strlen(task), NULL, 0);
	free(task);

	while (r == 0 && !done) {
		struct ps_frame f;
		uint32_t kind;
		fp_event_t ev = { 0 };

		r = ps_frame_read(fd, PS_TO_HTTP, &f);
		if (r <= 0) {
			if (r < 0 && errno == EPROTO)
				snprintf(done_err, sizeof(done_err), "bad frame from the scan process");
			r = -1;
			break;
		}
		r = 0;
		switch (f.type) {
		case PS_F_EVENT:
			if (ps_event_decode(f.data, f.len, &kind, &ev.json, &ev.json_len) < 0) {
				snprintf(done_err, sizeof(done_err), "bad event from the scan process");
				r = -1;
				break;
			}
			ev.kind = (fp_event_kind_t)kind;
			if (cfg->on_event(&ev, cfg->userdata) && !asked) {
				asked = true;
				ps_send(ps, PS_P_SIGNAL, 0, pid, SIGTERM);
			}
			break;
		case PS_F_STATS:
			if (ps_stats_decode(f.data, f.len, &last) < 0) {
				snprintf(done_err, sizeof(done_err), "bad counters from the scan process");
				r = -1;
				break;
			}
			pthread_mutex_lock(&sv->lock);
			sc->live = last;
			sc->live_ok = true;
			pthread_mutex_unlock(&sv->lock);
			break;
		case PS_F_CHECKPOINT:
			if (io && io->on_checkpoint)
				io->on_checkpoint(f.data, f.len, io->ud);
			break;
		case PS_F_DONE:
			if (ps_done_decode(f.data, f.len, &result, done_err, sizeof(done_err)) < 0) {
				snprintf(done_err, sizeof(done_err), "bad result from the scan process");
				r = -1;
				break;
			}
			done = true;
			break;
		}
		free(f.data);
	}
	if (!done) {
		/* Whatever it is doing, it is of no use any more. */
		ps_send(ps, PS_P_SIGNAL, 0, pid, SIGKILL);
		killed = true;
	}
	close(fd);
	status = ps_wait_exit(ps, pid);

	pthread_mutex_lock(&sv->lock);
	sc->exec_pid = 0;
	sc->live_ok = false;
	sc->last = last;
	pthread_mutex_unlock(&sv->lock);
	if (done && result == 0)
		return 0;
	if (done)
		snprintf(err, errlen, "%s", done_err[0] ? done_err : fp_strerror(result));
	else if (done_err[0])
		snprintf(err, errlen, "%s", done_err);
	else if (WIFSIGNALED(status) && !(killed && WTERMSIG(status) == SIGKILL))
		snprintf(err, errlen, "the scan process was killed by signal %d before it finished",
			 WTERMSIG(status));
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "the scan process ended without a result (killed by signal %d)",
			 WTERMSIG(status));
	else
		snprintf(err, errlen, "the scan process exited with status %d without a result",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -1;
}

int privsep_parent_pid(const struct serve *sv)
{
	return sv->ps ? sv->ps->parent : 0;
}

const struct serve_exec serve_exec_privsep = {
	.name = "privsep", .run = privsep_run, .stop = privsep_stop, .stats = privsep_stats,
};

/* ------------------------------------------------------------------ */
/* The split                                                           */
/* ------------------------------------------------------------------ */

static int ps_chan = -1;   /* the HTTP process's end, until privsep_drop_http */

int privsep_split(struct serve *sv, char *err, size_t errlen)
{
	struct sandbox probe;
	sigset_t set, old;
	int sp[2];
	pid_t pid;

	/* An unknown --user fails here, before anything forks. */
	if (sandbox_init(&probe, sv->o.user, SANDBOX_KEEP_RAW) < 0) {
		snprintf(err, errlen, "%s", probe.err);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (pid > 0) {
		close(sp[1]);
		parent_main(sv, sp[0], pid);
	}
	close(sp[0]);
	ps_chan = sp[1];
	prctl(PR_SET_NAME, "fp-serve-http");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}

int privsep_drop_http(struct serve *sv, char *err, size_t errlen)
{
	struct sandbox sb;
	struct privsep *ps;

	if (sandbox_init(&sb, sv->o.user, SANDBOX_SERVE_HTTP) < 0)
		goto fail;
	/* The checkpoints are written after the drop (durable.c). */
	if (sb.change_user && serve_durable_chown(sv, sb.uid, sb.gid, sb.err, sizeof(sb.err)) < 0)
		goto fail;
	sb.dirfd = serve_durable_dirfd(sv);
	/* Cleared by the user change: set again after it, before the filter. */
	sb.pdeathsig = SIGKILL;
	sb.parent = getppid();
	if (sandbox_enter(&sb) < 0)
		goto fail;
	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ps->fd = ps_chan;
	ps->parent = sb.parent;
	pthread_mutex_init(&ps->lock, NULL);
	pthread_mutex_init(&ps->spawn_lock, NULL);
	pthread_cond_init(&ps->cond, NULL);
	if (pthread_create(&ps->reader, NULL, ps_reader_main, ps)) {
		snprintf(err, errlen, "cannot start the privsep reader");
		return -1;
	}
	pthread_detach(ps->reader);
	sv->ps = ps;
	sv->exec = &serve_exec_privsep;
	return 0;
fail:
	snprintf(err, errlen, "cannot drop privileges: %s", sb.err);
	return -1;
}
