/* SPDX-License-Identifier: MIT */
/* The CLI's privilege drop, the OpenBSD way: user, capabilities, no_new_privs, seccomp. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/capability.h>
#include <seccomp.h>

#include "cli/sandbox.h"

/* The sanitizers' reports read /proc, ptrace a helper and exec a symbolizer. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SANDBOX_SANITIZED 1
#endif
#endif
#ifndef SANDBOX_SANITIZED
#define SANDBOX_SANITIZED 0
#endif

/* One argument check: with SCMP_CMP_MASKED_EQ, a is the mask, b the value. */
#define SB_ARG(n, o, a, b) { .arg = (n), .op = (o), .datum_a = (a), .datum_b = (b) }

#define SB_ALL (1U << 0)     /* needed by every scan */
#define SB_CONNECT (1U << 1) /* needed by the connect() scan (and -sV) only */
#define SB_SERVICE (1U << 2) /* needed by service identification (-sV) only */
#define SB_STORE (1U << 3)   /* needed by the results store (--store) only */

/*
 * The allowlist: what the scan loop calls once every socket is open, found
 * with strace -f on lab scans (raw IPv4/IPv6 TCP, UDP, QUIC; connect) in
 * the fast and secure builds. docs/SECURITY.md says why each is there.
 * Calls with argument checks are added in sandbox_seccomp().
 */
static const struct {
	const char *name;
	unsigned when;
} sb_calls[] = {
	{ "write", SB_ALL },          /* events to the output fd, messages to stderr */
	{ "writev", SB_ALL },         /* the C library's fatal messages */
	{ "lseek", SB_ALL },          /* a failed write: cut the output after its last */
	{ "ftruncate", SB_ALL },      /* whole line (src/event/sink.c) */
	{ "close", SB_ALL },          /* rings and sockets at the end; connect sockets */
	{ "sendto", SB_ALL },         /* TX ring kick: send(fd, NULL, 0, MSG_DONTWAIT); AF_XDP kick */
	{ "poll", SB_ALL },           /* RX ring: wait for a block */
	{ "ppoll", SB_ALL },
	{ "getsockopt", SB_ALL },     /* PACKET_STATISTICS (drops); SO_ERROR (connect) */
	{ "clock_nanosleep", SB_ALL },/* pacing, cooldown, telemetry ticks; AF_XDP completions */
	{ "clock_gettime", SB_ALL },  /* the vDSO's fallback */
	{ "gettimeofday", SB_ALL },
	{ "restart_syscall", SB_ALL },/* a sleep resumed after SIGSTOP/SIGCONT */
	{ "futex", SB_ALL },          /* mutexes, condition variables, pthread_join */
	{ "set_robust_list", SB_ALL },/* a new sending thread starts */
	{ "sched_setaffinity", SB_ALL },/* ... pinned to its CPU (--pin-cpus) */
	{ "rseq", SB_ALL },
	{ "exit", SB_ALL },           /* a thread ends */
	{ "exit_group", SB_ALL },
	{ "munmap", SB_ALL },         /* memory: rings unmapped, malloc */
	{ "madvise", SB_ALL },
	{ "brk", SB_ALL },
	{ "mremap", SB_ALL },
	{ "rt_sigprocmask", SB_ALL }, /* thread creation; abort() */
	{ "rt_sigaction", SB_ALL },
	{ "rt_sigreturn", SB_ALL },   /* back from the SIGINT/SIGTERM handler */
	{ "getpid", SB_ALL },         /* abort() and raise() */
	{ "gettid", SB_ALL },
#ifdef SANDBOX_TSAN /* MODE=tsan: ThreadSanitizer's background thread sleeps, */
	{ "nanosleep", SB_ALL },      /* and its thread start calls pthread_getattr_np */
	{ "sched_getaffinity", SB_ALL },
#endif
	{ "connect", SB_CONNECT },    /* the probes of a connect() scan */
	{ "setsockopt", SB_CONNECT }, /* IP_RECVERR, SO_LINGER */
	{ "getsockname", SB_CONNECT },/* the source port of a probe */
	{ "recvmsg", SB_CONNECT },    /* MSG_ERRQUEUE: the ICMP reason of a refusal */
	{ "epoll_ctl", SB_CONNECT },
	{ "epoll_wait", SB_CONNECT },
	{ "epoll_pwait", SB_CONNECT },
	/* Service identification (-sV, src/service): TCP connections like the
	 * connect() scan's, plus reading answers and the stage's eventfd, and
	 * OpenSSL reseeding its generator now and then. */
	{ "read", SB_SERVICE | SB_STORE },
	{ "recvfrom", SB_SERVICE | SB_STORE },
	{ "getrandom", SB_SERVICE },
	/* The results store (--store, src/store): its writer thread and the
	 * end of the scan. SQLite on the files opened before the drop (the
	 * database, its -wal and -shm; temporary data stays in memory):
	 * positioned reads and writes, syncs, POSIX locks, sizes, the WAL
	 * index mapped shared (mmap is allowed above, never executable).
	 * PostgreSQL on the socket connected before the drop: sendto and
	 * recvfrom (send/recv, recvfrom listed above), poll. Both: read
	 * (above), the re-probing helper's answers on a pipe. */
	{ "pread64", SB_STORE },
	{ "pwrite64", SB_STORE },
	{ "fsync", SB_STORE },
	{ "fdatasync", SB_STORE },
	{ "fcntl", SB_STORE },
	{ "fstat", SB_STORE },
	{ "newfstatat", SB_STORE },
	/* SQLite's checkpointer thread lowers its own priority (raising it
	 * needs CAP_SYS_NICE, which no sandboxed process has). */
	{ "setpriority", SB_STORE },
};

/*
 * The allowlist of serve's HTTP process (src/serve/privsep.c), which runs
 * libmicrohttpd (a thread per connection, its listening socket made
 * before the drop), the registry, the results store on handles opened
 * before the drop, and the privsep channels. Found with strace -ff on
 * tests/serve/run and tests/serve/privsep.sh; docs/SECURITY.md says why
 * each is there. clone (threads only), mmap/mprotect (never executable)
 * and tgkill (itself only) are added with their argument checks.
 */
static const char *const sb_http_calls[] = {
	/* Requests, responses, the store's files (positioned reads and
	 * writes, syncs, locks), the privsep channels (SCM_RIGHTS). */
	"read", "write", "writev", "close", "lseek", "pread64", "pwrite64", "fsync", "fdatasync",
	"fcntl", "fstat", "newfstatat", "ftruncate",
	"accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown", "setsockopt",
	"getsockopt", "getsockname",
	/* libmicrohttpd's waits and its inter-thread wake-up. */
	"pselect6", "select", "poll", "ppoll", "eventfd2",
	/* Threads, memory, signals (sigwait), time, randomness (scan ids, GnuTLS). */
	"futex", "set_robust_list", "rseq", "sched_yield", "sched_getaffinity", "exit", "exit_group",
	"munmap", "madvise", "brk", "mremap",
	"rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "rt_sigtimedwait", "getpid", "gettid",
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "restart_syscall",
	"getrandom",
};

static int sb_fail(struct sandbox *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sb_fail(struct sandbox *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sb->err, sizeof(sb->err), fmt, ap);
	va_end(ap);
	return -1;
}

bool sandbox_filters_syscalls(void)
{
	return !SANDBOX_SANITIZED;
}

int sandbox_init(struct sandbox *sb, const char *user, unsigned flags)
{
	uid_t ruid, euid, suid;
	struct passwd *pw;

	memset(sb, 0, sizeof(*sb));
	sb->flags = flags;
	sb->dirfd = -1;
	/* strftime() would read /etc/localtime on its first use, after the drop. */
	tzset();
	if (getresuid(&ruid, &euid, &suid) < 0)
		return sb_fail(sb, "getresuid: %s", strerror(errno));
	if (ruid && euid && suid) {
		if (user)
			return sb_fail(sb, "--user %s: only root can change user", user);
		return 0;
	}
	if (flags & SANDBOX_KEEP_PRIVS) {
		if (user)
			return sb_fail(sb, "--user and --no-drop exclude each other");
		return 0;
	}
	if (!user)
		user = "nobody";
	errno = 0;
	pw = getpwnam(user);
	if (!pw)
		return sb_fail(sb, "unknown user '%s'%s%s (choose one with --user, or keep root with --no-drop)",
			       user, errno ? ": " : "", errno ? strerror(errno) : "");
	if (pw->pw_uid == 0)
		return sb_fail(sb, "--user %s: the user to drop to must not be root", user);
	snprintf(sb->user, sizeof(sb->user), "%s", user);
	sb->uid = pw->pw_uid;
	sb->gid = pw->pw_gid;
	sb->change_user = true;
	endpwent();
	return 0;
}

/* Becomes sb->uid/gid for good and checks that there is no way back. */
static int sandbox_user(struct sandbox *sb)
{
	uid_t r, e, s;
	gid_t rg, eg, sg, groups[2];

	if (setgroups(1, &sb->gid) < 0)
		return sb_fail(sb, "setgroups: %s", strerror(errno));
	if (setresgid(sb->gid, sb->gid, sb->gid) < 0)
		return sb_fail(sb, "setresgid %u: %s", (unsigned)sb->gid, strerror(errno));
	/* The permitted set survives the change only with keepcaps. */
	if ((sb->flags & SANDBOX_KEEP_RAW) && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return sb_fail(sb, "PR_SET_KEEPCAPS: %s", strerror(errno));
	if (setresuid(sb->uid, sb->uid, sb->uid) < 0)
		return sb_fail(sb, "setresuid %u: %s", (unsigned)sb->uid, strerror(errno));
	if ((sb->flags & SANDBOX_KEEP_RAW) && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return sb_fail(sb, "PR_SET_KEEPCAPS: %s", strerror(errno));
	if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return sb_fail(sb, "getresuid: %s", strerror(errno));
	if (r != sb->uid || e != sb->uid || s != sb->uid || rg != sb->gid || eg != sb->gid ||
	    sg != sb->gid)
		return sb_fail(sb, "the drop to %s did not hold (uid %u/%u/%u gid %u/%u/%u)", sb->user,
			       (unsigned)r, (unsigned)e, (unsigned)s, (unsigned)rg, (unsigned)eg,
			       (unsigned)sg);
	if (getgroups(2, groups) != 1 || groups[0] != sb->gid)
		return sb_fail(sb, "supplementary groups remain after the drop to %s", sb->user);
	if (setresuid(0, 0, 0) == 0 || setegid(0) == 0)
		return sb_fail(sb, "root could be regained after the drop to %s", sb->user);
	return 0;
}

/* Empties the bounding set (where CAP_SETPCAP allows it) and the ambient
 * set: before the user change, which takes CAP_SETPCAP away. */
static int sandbox_bound(struct sandbox *sb)
{
	cap_flag_value_t setpcap = CAP_CLEAR;
	cap_t caps = cap_get_proc();
	int ret = -1;

	if (!caps)
		return sb_fail(sb, "cap_get_proc: %s", strerror(errno));
	if (cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap) < 0) {
		sb_fail(sb, "cap_get_flag: %s", strerror(errno));
		goto out;
	}
	if (setpcap == CAP_SET) {
		for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
			if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) <= 0 ||
			    ((sb->flags & SANDBOX_KEEP_RAW) && c == CAP_NET_RAW))
				continue;
			if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0) {
				sb_fail(sb, "PR_CAPBSET_DROP %d: %s", (int)c, strerror(errno));
				goto out;
			}
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		sb_fail(sb, "clearing the ambient capabilities: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	cap_free(caps);
	return ret;
}

/* Empties the effective, permitted and inheritable sets (but for
 * CAP_NET_RAW with SANDBOX_KEEP_RAW) and checks them. */
static int sandbox_caps(struct sandbox *sb)
{
	cap_t caps = cap_init(), now = NULL;
	const cap_value_t raw[] = { CAP_NET_RAW };
	int ret = -1;

	if (!caps)
		return sb_fail(sb, "cap_init: %s", strerror(errno));
	if (cap_clear(caps) < 0 ||
	    ((sb->flags & SANDBOX_KEEP_RAW) &&
	     (cap_set_flag(caps, CAP_PERMITTED, 1, raw, CAP_SET) < 0 ||
	      cap_set_flag(caps, CAP_EFFECTIVE, 1, raw, CAP_SET) < 0)) ||
	    cap_set_proc(caps) < 0) {
		sb_fail(sb, "dropping the capabilities: %s", strerror(errno));
		goto out;
	}
	now = cap_get_proc();
	if (!now) {
		sb_fail(sb, "cap_get_proc: %s", strerror(errno));
		goto out;
	}
	if (cap_compare(now, caps) != 0) {
		sb_fail(sb, "capabilities remain after the drop");
		goto out;
	}
	ret = 0;
out:
	cap_free(now);
	cap_free(caps);
	return ret;
}

/* Adds one rule; a name this architecture lacks is skipped. */
static int sb_rule(struct sandbox *sb, scmp_filter_ctx ctx, uint32_t action, const char *name,
		   unsigned nargs, const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name), r;

	if (nr == __NR_SCMP_ERROR)
		return 0;
	r = seccomp_rule_add_array(ctx, action, nr, nargs, args);
	if (r < 0)
		return sb_fail(sb, "seccomp rule for %s: %s", name, strerror(-r));
	return 0;
}

/* The allowlist, on every thread (TSYNC); everything else fails with EPERM. */
static int sandbox_seccomp(struct sandbox *sb)
{
	unsigned when = SB_ALL | (sb->flags & SANDBOX_CONNECT ? SB_CONNECT : 0) |
			(sb->flags & SANDBOX_SERVICE ? SB_CONNECT | SB_SERVICE : 0) |
			(sb->flags & SANDBOX_STORE ? SB_STORE : 0);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int r = -1;

	if (!ctx)
		return sb_fail(sb, "seccomp_init failed");
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (r < 0) {
		sb_fail(sb, "seccomp TSYNC: %s", strerror(-r));
		goto out;
	}
	if (sb->flags & SANDBOX_SERVE_HTTP) {
		when = 0;
		for (size_t i = 0; i < sizeof(sb_http_calls) / sizeof(sb_http_calls[0]); i++)
			if ((r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, sb_http_calls[i], 0, NULL)) < 0)
				goto out;
	}
	for (size_t i = 0; i < sizeof(sb_calls) / sizeof(sb_calls[0]); i++)
		if ((sb_calls[i].when & when) && (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, sb_calls[i].name, 0, NULL)) < 0)
			goto out;
	{
		/* Threads, never processes: glibc falls back from clone3 to clone,
		 * whose flags a filter can read. */
		const struct scmp_arg_cmp thread[] = { SB_ARG(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD) };
		/* Memory, never executable memory. */
		const struct scmp_arg_cmp noexec[] = { SB_ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) };
		/* abort() signals this process only. */
		const struct scmp_arg_cmp self[] = { SB_ARG(0, SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0) };
		/* TCP sockets of the connect() scan, nothing else. */
		const struct scmp_arg_cmp tcp4[] = { SB_ARG(0, SCMP_CMP_EQ, AF_INET, 0),
						     SB_ARG(1, SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM) };
		const struct scmp_arg_cmp tcp6[] = { SB_ARG(0, SCMP_CMP_EQ, AF_INET6, 0),
						     SB_ARG(1, SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM) };
		/* The re-probing helper (--store), and no other process, is waited for. */
		const struct scmp_arg_cmp child[] = { SB_ARG(0, SCMP_CMP_EQ, (scmp_datum_t)sb->child, 0) };
		/* libmicrohttpd names its threads (serve); nothing else of prctl. */
		const struct scmp_arg_cmp name[] = { SB_ARG(0, SCMP_CMP_EQ, PR_SET_NAME, 0) };

		if ((r = sb_rule(sb, ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL)) < 0 ||
		    (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "clone", 1, thread)) < 0 ||
		    (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "mmap", 1, noexec)) < 0 ||
		    (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "mprotect", 1, noexec)) < 0 ||
		    (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "tgkill", 1, self)) < 0)
			goto out;
		if (sb->child > 0 && (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "wait4", 1, child)) < 0)
			goto out;
		if ((sb->flags & SANDBOX_SERVE_HTTP) &&
		    (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "prctl", 1, name)) < 0)
			goto out;
		/* serve's checkpoints (durable.c): files relative to the one
		 * directory fd the unprivileged user owns, never the cwd. */
		if ((sb->flags & SANDBOX_SERVE_HTTP) && sb->dirfd >= 0) {
			const struct scmp_arg_cmp at[] = { SB_ARG(0, SCMP_CMP_EQ, (scmp_datum_t)sb->dirfd, 0) };
			const struct scmp_arg_cmp at2[] = { SB_ARG(0, SCMP_CMP_EQ, (scmp_datum_t)sb->dirfd, 0),
							    SB_ARG(2, SCMP_CMP_EQ, (scmp_datum_t)sb->dirfd, 0) };

			if ((r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "openat", 1, at)) < 0 ||
			    (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "unlinkat", 1, at)) < 0 ||
			    (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "renameat", 2, at2)) < 0 ||
			    (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "renameat2", 2, at2)) < 0)
				goto out;
		}
		if ((when & SB_CONNECT) &&
		    ((r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "socket", 2, tcp4)) < 0 ||
		     (r = sb_rule(sb, ctx, SCMP_ACT_ALLOW, "socket", 2, tcp6)) < 0))
			goto out;
	}
	r = seccomp_load(ctx);
	if (r < 0)
		sb_fail(sb, "loading the seccomp filter: %s", strerror(-r));
out:
	seccomp_release(ctx);
	return r < 0 ? -1 : 0;
}

int sandbox_enter(struct sandbox *sb)
{
	bool keep = sb->flags & SANDBOX_KEEP_PRIVS;

	if (!keep && sandbox_bound(sb) < 0)
		return -1;
	if (sb->change_user && sandbox_user(sb) < 0)
		return -1;
	errno = 0;
	if (sb->pdeathsig > 0 &&
	    (prctl(PR_SET_PDEATHSIG, (unsigned long)sb->pdeathsig, 0, 0, 0) < 0 || getppid() != sb->parent))
		return sb_fail(sb, "PR_SET_PDEATHSIG: %s", errno ? strerror(errno) : "the parent is gone");
	if (!keep && sandbox_caps(sb) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return sb_fail(sb, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (SANDBOX_SANITIZED || (sb->flags & SANDBOX_KEEP_RAW))
		return 0;
	return sandbox_seccomp(sb);
}
