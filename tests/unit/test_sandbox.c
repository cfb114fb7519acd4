/* SPDX-License-Identifier: MIT */
/* The CLI's sandbox: after the drop, forbidden calls fail with EPERM and the scan's calls work. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/capability.h>

#include "unit.h"
#include "cli/sandbox.h"

/* A failed check in the child: the message goes to the parent through the
 * pipe (write() stays allowed), the exit status says it failed. */
static int report_fd = -1;

#define CHILD_CHECK(cond, ...)                                               \
	do {                                                                 \
		if (!(cond)) {                                               \
			char m_[256];                                        \
			int n_ = snprintf(m_, sizeof(m_), __VA_ARGS__);      \
			if (n_ > 0 && write(report_fd, m_, (size_t)n_) < 0)  \
				_exit(3);                                    \
			_exit(1);                                            \
		}                                                            \
	} while (0)

/* Tells the parent that every check passed, then waits for it to read
 * /proc/<pid>/status and kill us (sleeping is allowed). */
static void child_done(void) __attribute__((noreturn));
static void child_done(void)
{
	struct timespec ts = { .tv_sec = 1 };

	if (write(report_fd, "READY", 5) != 5)
		_exit(3);
	for (int i = 0; i < 30; i++)
		nanosleep(&ts, NULL);
	_exit(4);
}

static void *thread_main(void *arg)
{
	return arg;
}

/* The checks inside the sandbox; flags say which allowlist is in force. */
static void child(unsigned flags, int out_fd)
{
	struct sandbox sb;
	char *argv[] = { (char *)"/bin/true", NULL };
	uid_t r = 0, e = 0, s = 0;
	pthread_t t;
	int token = 0;
	void *ret = NULL;
	int fd;
	bool filtered = sandbox_filters_syscalls();

	/* An XDP socket opened before the drop, as the AF_XDP send path's. */
	int xsk = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);

	CHILD_CHECK(sandbox_init(&sb, NULL, flags) == 0, "sandbox_init: %s", sb.err);
	CHILD_CHECK(sandbox_enter(&sb) == 0, "sandbox_enter: %s", sb.err);

	/* The user is nobody for good, without capabilities (the parent reads
	 * the rest from /proc: with the filter, getresuid and capget fail). */
	CHILD_CHECK(setresuid(0, 0, 0) < 0 && errno == EPERM, "setresuid(0) after the drop: %s",
		    strerror(errno));
	CHILD_CHECK(filtered || (getresuid(&r, &e, &s) == 0 && r == sb.uid && e == sb.uid &&
				 s == sb.uid && r != 0),
		    "uid %u/%u/%u after the drop", (unsigned)r, (unsigned)e, (unsigned)s);
	CHILD_CHECK(filtered || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs not set");

	/* What the scan needs still works: writes, memory, threads. */
	CHILD_CHECK(write(out_fd, "", 0) == 0, "write to an open fd: %s", strerror(errno));
	{
		void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		CHILD_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
		CHILD_CHECK(munmap(p, 1 << 20) == 0, "munmap: %s", strerror(errno));
	}
	if (xsk >= 0) {
		/* Its kick reaches the kernel (unbound: ENXIO), and it closes. */
		errno = 0;
		CHILD_CHECK(sendto(xsk, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno == ENXIO,
			    "sendto on an XDP socket: %s", strerror(errno));
		CHILD_CHECK(close(xsk) == 0, "close of an XDP socket: %s", strerror(errno));
	}
	CHILD_CHECK(pthread_create(&t, NULL, thread_main, &token) == 0, "pthread_create failed");
	CHILD_CHECK(pthread_join(t, &ret) == 0 && ret == &token, "pthread_join failed");
	if (flags & SANDBOX_CONNECT) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		CHILD_CHECK(fd >= 0, "connect mode: socket(AF_INET, SOCK_STREAM): %s", strerror(errno));
		close(fd);
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CHILD_CHECK(fd >= 0 || errno == EAFNOSUPPORT, "connect mode: socket(AF_INET6): %s",
			    strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (!filtered)
		child_done();

	/* What it does not need fails with EPERM. */
	errno = 0;
	execve(argv[0], argv, NULL);
	CHILD_CHECK(errno == EPERM, "execve: %s", strerror(errno));
	errno = 0;
	fd = open("/tmp/fastport-sandbox-test", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHILD_CHECK(fd < 0 && errno == EPERM, "open for writing: fd %d, %s", fd, strerror(errno));
	fd = openat(AT_FDCWD, "/etc/passwd", O_RDONLY);
	CHILD_CHECK(fd < 0 && errno == EPERM, "openat for reading: fd %d, %s", fd, strerror(errno));
	errno = 0;
	CHILD_CHECK(ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 && errno == EPERM, "ptrace: %s",
		    strerror(errno));
	errno = 0;
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	CHILD_CHECK(fd < 0 && errno == EPERM, "socket(AF_PACKET): fd %d, %s", fd, strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	CHILD_CHECK(fd < 0 && errno == EPERM, "socket(AF_INET, SOCK_DGRAM): fd %d, %s", fd,
		    strerror(errno));
	fd = socket(AF_XDP, SOCK_RAW, 0);
	CHILD_CHECK(fd < 0 && errno == EPERM, "socket(AF_XDP): fd %d, %s", fd, strerror(errno));
	if (!(flags & SANDBOX_CONNECT)) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		CHILD_CHECK(fd < 0 && errno == EPERM, "raw mode: socket(AF_INET, SOCK_STREAM): fd %d, %s",
			    fd, strerror(errno));
	}
	{
		pid_t pid = fork();

		CHILD_CHECK(pid < 0 && errno == EPERM, "fork: pid %d, %s", (int)pid, strerror(errno));
	}
	{
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		CHILD_CHECK(p == MAP_FAILED && errno == EPERM, "mmap(PROT_EXEC): %s", strerror(errno));
	}
	CHILD_CHECK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 && errno == EPERM, "prctl: %s",
		    strerror(errno));
	CHILD_CHECK(kill(1, 0) < 0 && errno == EPERM, "kill: %s", strerror(errno));
	child_done();
}

/* The value of "Key:" in /proc/<pid>/status, or "" when absent. */
static void proc_field(pid_t pid, const char *key, char *out, size_t outlen)
{
	char path[64], line[256];
	FILE *f;
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	out[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			const char *v = line + klen + 1;

			v += strspn(v, " \t");
			size_t vlen = strcspn(v, "\n");

			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			snprintf(out, outlen, "%.*s", (int)vlen, v);
			break;
		}
	fclose(f);
}

/* Runs child() in a fork; fails the test with the child's message, then
 * checks its credentials, capabilities and filter in /proc. */
static void run_sandboxed(unsigned flags)
{
	int p[2], status = 0;
	char msg[512] = "", v[128], want[64];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	struct sandbox sb;

	if (geteuid() != 0)
		skip();
	assert_int_equal(sandbox_init(&sb, NULL, flags), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		child(flags, p[1]);
	}
	close(p[1]);
	while (len < sizeof(msg) - 1 && (n = read(p[0], msg + len, sizeof(msg) - 1 - len)) > 0) {
		len += (size_t)n;
		msg[len] = '\0';
		if (strstr(msg, "READY"))
			break;
	}
	close(p[0]);
	if (strcmp(msg, "READY")) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("sandboxed child: %s", msg[0] ? msg : "no report");
	}
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)sb.uid, (unsigned)sb.uid,
		 (unsigned)sb.uid, (unsigned)sb.uid);
	proc_field(pid, "Uid", v, sizeof(v));
	assert_string_equal(v, want);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)sb.gid, (unsigned)sb.gid,
		 (unsigned)sb.gid, (unsigned)sb.gid);
	proc_field(pid, "Gid", v, sizeof(v));
	assert_string_equal(v, want);
	snprintf(want, sizeof(want), "%u", (unsigned)sb.gid);
	proc_field(pid, "Groups", v, sizeof(v));
	assert_string_equal(v, want);
	for (size_t i = 0; i < 5; i++) {
		static const char *const sets[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };

		proc_field(pid, sets[i], v, sizeof(v));
		assert_string_equal(v, "0000000000000000");
	}
	proc_field(pid, "NoNewPrivs", v, sizeof(v));
	assert_string_equal(v, "1");
	proc_field(pid, "Seccomp", v, sizeof(v));
	assert_string_equal(v, sandbox_filters_syscalls() ? "2" : "0");
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_raw_scan_sandbox(void **state)
{
	(void)state;
	run_sandboxed(0);
}

static void test_connect_scan_sandbox(void **state)
{
	(void)state;
	run_sandboxed(SANDBOX_CONNECT);
}

/* serve's profiles (src/serve/privsep.c) in a child: the privileged
 * parent's (SANDBOX_KEEP_RAW: CAP_NET_RAW alone, no filter) and the HTTP
 * process's (SANDBOX_SERVE_HTTP: nothing, its own allowlist). */
static void serve_child(unsigned flags)
{
	struct sandbox sb;
	pthread_t t;
	int fd;

	CHILD_CHECK(sandbox_init(&sb, NULL, flags) == 0, "sandbox_init: %s", sb.err);
	CHILD_CHECK(sandbox_enter(&sb) == 0, "sandbox_enter: %s", sb.err);
	CHILD_CHECK(setresuid(0, 0, 0) < 0, "root regained");
	if (flags & SANDBOX_KEEP_RAW) {
		fd = socket(AF_PACKET, SOCK_RAW, 0);
		CHILD_CHECK(fd >= 0, "AF_PACKET with CAP_NET_RAW kept: %d", errno);
		close(fd);
	}
	if ((flags & SANDBOX_SERVE_HTTP) && sandbox_filters_syscalls()) {
		errno = 0;
		CHILD_CHECK(socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EPERM, "socket allowed");
		CHILD_CHECK(open("/etc/hostname", O_RDONLY) < 0 && errno == EPERM, "open allowed");
		CHILD_CHECK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 && errno == EPERM, "prctl allowed");
		CHILD_CHECK(prctl(PR_SET_NAME, "fp-test", 0, 0, 0) == 0, "PR_SET_NAME refused");
		CHILD_CHECK(fork() < 0 && errno == EPERM, "fork allowed");
		CHILD_CHECK(kill(getppid(), 0) < 0 && errno == EPERM, "kill allowed");
		CHILD_CHECK(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
			    MAP_FAILED, "executable mmap allowed");
	}
	CHILD_CHECK(pthread_create(&t, NULL, thread_main, NULL) == 0 && pthread_join(t, NULL) == 0,
		    "threads refused");
	child_done();
}

static void run_serve_case(unsigned flags, const char *caps, const char *seccomp)
{
	int p[2], status = 0;
	char msg[512] = "", v[128], want[64];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	struct sandbox sb;

	if (geteuid() != 0)
		skip();
	assert_int_equal(sandbox_init(&sb, NULL, flags), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		serve_child(flags);
	}
	close(p[1]);
	while (len < sizeof(msg) - 1 && (n = read(p[0], msg + len, sizeof(msg) - 1 - len)) > 0) {
		len += (size_t)n;
		msg[len] = '\0';
		if (strstr(msg, "READY"))
			break;
	}
	close(p[0]);
	if (strcmp(msg, "READY")) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("sandboxed child: %s", msg[0] ? msg : "no report");
	}
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)sb.uid, (unsigned)sb.uid,
		 (unsigned)sb.uid, (unsigned)sb.uid);
	proc_field(pid, "Uid", v, sizeof(v));
	assert_string_equal(v, want);
	for (size_t i = 0; i < 4; i++) {
		static const char *const sets[] = { "CapPrm", "CapEff", "CapBnd" , "CapInh" };

		proc_field(pid, sets[i], v, sizeof(v));
		assert_string_equal(v, i < 3 ? caps : "0000000000000000");
	}
	proc_field(pid, "NoNewPrivs", v, sizeof(v));
	assert_string_equal(v, "1");
	proc_field(pid, "Seccomp", v, sizeof(v));
	assert_string_equal(v, seccomp);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_serve_parent(void **state)
{
	(void)state;
	run_serve_case(SANDBOX_KEEP_RAW, "0000000000002000", "0");
}

static void test_serve_http(void **state)
{
	(void)state;
	run_serve_case(SANDBOX_SERVE_HTTP, "0000000000000000", sandbox_filters_syscalls() ? "2" : "0");
}

/* --user needs root; --user with --no-drop is a contradiction. */
static void test_init_errors(void **state)
{
	struct sandbox sb;

	(void)state;
	if (geteuid() == 0) {
		assert_int_equal(sandbox_init(&sb, "nobody", SANDBOX_KEEP_PRIVS), -1);
		assert_non_null(strstr(sb.err, "--no-drop"));
		assert_int_equal(sandbox_init(&sb, "no-such-user-fastport", 0), -1);
		assert_non_null(strstr(sb.err, "unknown user"));
		assert_int_equal(sandbox_init(&sb, "root", 0), -1);
		assert_int_equal(sandbox_init(&sb, NULL, 0), 0);
		assert_true(sb.change_user);
	} else {
		assert_int_equal(sandbox_init(&sb, "nobody", 0), -1);
		assert_non_null(strstr(sb.err, "only root"));
		assert_int_equal(sandbox_init(&sb, NULL, 0), 0);
		assert_false(sb.change_user);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_raw_scan_sandbox),
		cmocka_unit_test(test_connect_scan_sandbox),
		cmocka_unit_test(test_serve_parent),
		cmocka_unit_test(test_serve_http),
	};

	if (geteuid() != 0)
		fprintf(stderr, "test_sandbox: not root: the drop tests are skipped\n");
	else if (!sandbox_filters_syscalls())
		fprintf(stderr, "test_sandbox: sanitizer build: no seccomp filter, its checks are skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
