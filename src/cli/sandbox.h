/* SPDX-License-Identifier: MIT */
/* The CLI's privilege drop: user, capabilities, no_new_privs, seccomp. */
#ifndef FP_CLI_SANDBOX_H
#define FP_CLI_SANDBOX_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum sandbox_flags {
	SANDBOX_KEEP_PRIVS = 1U << 0, /* --no-drop: keep the user and the capabilities */
	SANDBOX_CONNECT = 1U << 1,    /* allow what the connect() scan needs */
	SANDBOX_SERVICE = 1U << 2,    /* ... and what service identification (-sV) needs */
	SANDBOX_STORE = 1U << 3,      /* ... and what the results store (--store) needs */
	/* serve's privileged parent (src/serve/privsep.c): keep CAP_NET_RAW
	 * (permitted, effective, bounding) across the user change, drop the
	 * rest; no syscall filter (its scan children install theirs). */
	SANDBOX_KEEP_RAW = 1U << 4,
	/* serve's HTTP process: its own allowlist instead of the scan's. */
	SANDBOX_SERVE_HTTP = 1U << 5,
};

struct sandbox {
	unsigned flags;
	bool change_user;  /* started with a root uid: become uid/gid */
	uid_t uid;
	gid_t gid;
	char user[64];
	pid_t child;       /* > 0: a helper process this one may wait for (wait4) */
	int pdeathsig;     /* > 0: PR_SET_PDEATHSIG after the user change (which clears it) */
	pid_t parent;      /* with pdeathsig: fail if the parent is no longer this one */
	int dirfd;         /* SANDBOX_SERVE_HTTP, >= 0: openat, renameat, unlinkat relative to it */
	char err[256];     /* why sandbox_enter failed */
};

/*
 * Prepares the drop before anything is opened: looks up user (NULL means
 * "nobody") when the process runs with a root uid, and loads what the C
 * library would otherwise read from files later (the time zone). Returns 0,
 * or -1 with the reason in sb->err (unknown user; --user without root).
 */
int sandbox_init(struct sandbox *sb, const char *user, unsigned flags);

/*
 * Drops privileges for good; called once every socket is open. With a root
 * uid (and no SANDBOX_KEEP_PRIVS): setgroups, setresgid, setresuid to the
 * prepared user, then verifies the drop. Always (unless
 * SANDBOX_KEEP_PRIVS): empties the capability sets, the bounding set where
 * permitted and the ambient set. Then sets no_new_privs and installs the
 * seccomp allowlist on every thread of the process (calls outside it fail
 * with EPERM). Threads created earlier keep their own capabilities, so
 * start threads afterwards. Returns 0, or -1 with the reason in sb->err;
 * a failure leaves the process half-dropped: the caller must not go on.
 */
int sandbox_enter(struct sandbox *sb);

/* Whether sandbox_enter installs the seccomp filter in this build (not
 * with the sanitizers, whose reports need /proc, ptrace and exec). */
bool sandbox_filters_syscalls(void);

#endif
