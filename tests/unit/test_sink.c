/* SPDX-License-Identifier: MIT */
/* Unit tests of the event sinks and their shared write path
 * (src/event/sink.c, sink_ndjson.c, sink_list.c). */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event/sink.h"

/* A temporary regular file, already unlinked. */
static int temp_file(int extra_flags)
{
	char path[] = "/tmp/fastport-test-sink-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC | extra_flags);

	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	return fd;
}

/* The whole content of fd (from offset 0), NUL-terminated; *len its size. */
static char *read_all(int fd, size_t *len)
{
	struct stat st;
	char *p;
	ssize_t n;

	assert_int_equal(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size + 1);
	assert_non_null(p);
	n = pread(fd, p, (size_t)st.st_size, 0);
	assert_int_equal(n, st.st_size);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

/* Reads what is in a pipe right now (the write end must be closed). */
static char *read_pipe(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *p = malloc(cap + 1);

	assert_non_null(p);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			cap *= 2;
			p = realloc(p, cap + 1);
			assert_non_null(p);
		}
		r = read(fd, p + n, cap - n);
		assert_true(r >= 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	p[n] = '\0';
	*len = n;
	return p;
}

/* Event i of a stream: a JSON object of varying length (40..~540 bytes). */
static size_t make_json(char *buf, size_t cap, unsigned i)
{
	int n = snprintf(buf, cap, "{\"schema\":\"threat_event_v1\",\"n\":%u,\"pad\":\"", i);
	size_t pad = (i * 37) % 500;

	assert_true(n > 0 && (size_t)n + pad + 3 < cap);
	memset(buf + n, 'a' + (char)(i % 26), pad);
	memcpy(buf + (size_t)n + pad, "\"}", 3);
	return (size_t)n + pad + 2;
}

static int send_json(struct sink *s, unsigned i)
{
	char buf[1024];
	fp_event_t ev = { 0 };

	ev.kind = FP_EVENT_PORT_STATE;
	ev.json = buf;
	ev.json_len = make_json(buf, sizeof(buf), i);
	return s->ops->event(s, &ev);
}

/*
 * text is exactly the ndjson lines of events first..first+count-1. An empty
 * text matches count 0.
 */
static void check_lines(const char *text, size_t len, unsigned first, unsigned count)
{
	size_t off = 0;
	char buf[1024];

	for (unsigned i = first; i < first + count; i++) {
		size_t n = make_json(buf, sizeof(buf), i);

		if (off + n + 1 > len)
			fail_msg("text ends before line %u (%zu of %zu bytes)", i, off, len);
		assert_memory_equal(text + off, buf, n);
		assert_int_equal(text[off + n], '\n');
		off += n + 1;
	}
	assert_int_equal(off, len);
}

/* The number of whole lines text holds, which must end with '\n' (or be empty). */
static unsigned count_lines(const char *text, size_t len)
{
	unsigned k = 0;

	if (len)
		assert_int_equal(text[len - 1], '\n');
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			k++;
	return k;
}

static void test_ndjson_file(void **state)
{
	struct sink s = { 0 };
	int fd = temp_file(0);
	unsigned total = 3000; /* about 750 KiB: several automatic writes */
	char *text;
	size_t len;

	(void)state;
	s.ops = &sink_ndjson;
	assert_string_equal(s.ops->name, "ndjson");
	assert_int_equal(s.ops->open(&s, fd), 0);
	assert_int_equal(s.fd, fd);
	assert_int_equal(s.err, 0);
	/* Nothing buffered: flush writes nothing. */
	assert_int_equal(s.ops->flush(&s), 0);
	for (unsigned i = 0; i < total; i++) {
		assert_int_equal(send_json(&s, i), 0);
		if (i % 97 == 0) {
			/* Whatever has been written so far is whole lines, in order. */
			text = read_all(fd, &len);
			check_lines(text, len, 0, count_lines(text, len));
			free(text);
		}
	}
	text = read_all(fd, &len);
	assert_true(len > 0); /* past the 256 KiB mark something was written */
	assert_true(count_lines(text, len) < total);
	free(text);
	assert_int_equal(s.ops->flush(&s), 0);
	assert_int_equal(s.out.len, 0);
	text = read_all(fd, &len);
	check_lines(text, len, 0, total);
	free(text);
	/* More after a flush continues the file. */
	assert_int_equal(send_json(&s, total), 0);
	assert_int_equal(s.ops->flush(&s), 0);
	assert_int_equal(s.ops->flush(&s), 0);
	text = read_all(fd, &len);
	check_lines(text, len, 0, total + 1);
	free(text);
	assert_int_equal(s.err, 0);
	s.ops->close(&s);
	assert_null(s.out.p);
	close(fd);
}

static void test_ndjson_pipe(void **state)
{
	struct sink s = { 0 };
	int p[2];
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(pipe(p), 0);
	s.ops = &sink_ndjson;
	assert_int_equal(s.ops->open(&s, p[1]), 0);
	/* Under 64 KiB so the pipe never blocks. */
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(send_json(&s, i), 0);
	assert_int_equal(s.ops->flush(&s), 0);
	assert_int_equal(s.err, 0);
	s.ops->close(&s);
	close(p[1]);
	text = read_pipe(p[0], &len);
	check_lines(text, len, 0, 100);
	free(text);
	close(p[0]);
}

/* The sink writes exactly json_len bytes of each event and one '\n'. */
static void test_ndjson_exact_bytes(void **state)
{
	struct sink s = { 0 };
	int fd = temp_file(0);
	fp_event_t ev = { 0 };
	char *text;
	size_t len;

	(void)state;
	s.ops = &sink_ndjson;
	assert_int_equal(s.ops->open(&s, fd), 0);
	ev.kind = FP_EVENT_TELEMETRY;
	ev.json = "{\"a\":\"\xc3\xa9\"}IGNORED";
	ev.json_len = 10;
	assert_int_equal(s.ops->event(&s, &ev), 0);
	ev.json = "{}";
	ev.json_len = 2;
	assert_int_equal(s.ops->event(&s, &ev), 0);
	assert_int_equal(s.ops->flush(&s), 0);
	text = read_all(fd, &len);
	assert_int_equal(len, 14);
	assert_memory_equal(text, "{\"a\":\"\xc3\xa9\"}\n{}\n", 14);
	free(text);
	s.ops->close(&s);
	close(fd);
}

static void test_ndjson_enospc(void **state)
{
	struct sink s = { 0 };
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	if (fd < 0)
		skip();
	s.ops = &sink_ndjson;
	assert_int_equal(s.ops->open(&s, fd), 0);
	assert_int_equal(send_json(&s, 1), 0);
	assert_int_equal(s.ops->flush(&s), FP_EIO);
	assert_int_equal(s.err, ENOSPC);
	/* The error stays: later flushes fail too, with the first errno. */
	assert_int_equal(s.ops->flush(&s), FP_EIO);
	assert_int_equal(s.err, ENOSPC);
	s.ops->close(&s);
	close(fd);

	/* The same when the buffer fills and the sink writes on its own. */
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	memset(&s, 0, sizeof(s));
	s.ops = &sink_ndjson;
	assert_int_equal(s.ops->open(&s, fd), 0);
	{
		int ret = 0;
		unsigned i;

		for (i = 0; i < 10000 && ret == 0; i++)
			ret = send_json(&s, i);
		assert_int_equal(ret, FP_EIO);
		assert_true(i > 100);
	}
	assert_int_equal(s.err, ENOSPC);
	assert_int_equal(s.ops->flush(&s), FP_EIO);
	s.ops->close(&s);
	close(fd);
}

static void test_ndjson_epipe(void **state)
{
	struct sink s = { 0 };
	int p[2];
	void (*old)(int);

	(void)state;
	old = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	s.ops = &sink_ndjson;
	assert_int_equal(s.ops->open(&s, p[1]), 0);
	assert_int_equal(send_json(&s, 7), 0);
	assert_int_equal(s.ops->flush(&s), FP_EIO);
	assert_int_equal(s.err, EPIPE);
	assert_int_equal(s.ops->flush(&s), FP_EIO);
	assert_int_equal(s.err, EPIPE);
	s.ops->close(&s);
	close(p[1]);
	signal(SIGPIPE, old);
}

/*
 * Runs fn with the file size limit lowered to limit bytes (SIGXFSZ
 * ignored, so writes past it fail with EFBIG), then restores both.
 */
struct fsize_guard {
	struct rlimit old;
	void (*old_sig)(int);
};

static void fsize_limit(struct fsize_guard *g, rlim_t limit)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &g->old), 0);
	g->old_sig = signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = limit;
	rl.rlim_max = g->old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void fsize_restore(struct fsize_guard *g)
{
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &g->old), 0);
	signal(SIGXFSZ, g->old_sig);
}

/* A write that fails mid-buffer cuts the file back to the last whole line. */
static void test_cut_to_whole_line(void **state)
{
	static const rlim_t limits[] = { 1, 37, 300, 555, 1000, 4097 };

	(void)state;
	for (size_t li = 0; li < ARRAY_SIZE(limits); li++) {
		struct fsize_guard g = { 0 };
		struct sink s = { 0 };
		int fd = temp_file(0);
		char *text;
		size_t len;
		int ret;

		s.ops = &sink_ndjson;
		assert_int_equal(s.ops->open(&s, fd), 0);
		for (unsigned i = 0; i < 40; i++) /* ~10 KiB, more than any limit */
			assert_int_equal(send_json(&s, i), 0);
		fsize_limit(&g, limits[li]);
		ret = s.ops->flush(&s);
		fsize_restore(&g);
		assert_int_equal(ret, FP_EIO);
		assert_int_equal(s.err, EFBIG);
		text = read_all(fd, &len);
		assert_true(len <= limits[li]);
		/* ends with '\n' (or is empty) and holds only whole lines, in order */
		check_lines(text, len, 0, count_lines(text, len));
		/* the file position is at the end, after the kept lines */
		assert_int_equal(lseek(fd, 0, SEEK_CUR), (off_t)len);
		free(text);
		s.ops->close(&s);
		close(fd);
	}
}

/* The same after earlier successful writes and content the sink did not write. */
static void test_cut_after_prior_content(void **state)
{
	struct fsize_guard g = { 0 };
	struct sink s = { 0 };
	int fd = temp_file(0);
	static const char header[] = "# header written by someone else\n";
	char *text;
	size_t len, first_len;
	unsigned first;
	int ret;

	(void)state;
	assert_int_equal(write(fd, header, sizeof(header) - 1), (ssize_t)(sizeof(header) - 1));
	s.ops = &sink_ndjson;
	assert_int_equal(s.ops->open(&s, fd), 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(send_json(&s, i), 0);
	assert_int_equal(s.ops->flush(&s), 0);
	text = read_all(fd, &first_len);
	free(text);
	for (unsigned i = 5; i < 40; i++)
		assert_int_equal(send_json(&s, i), 0);
	fsize_limit(&g, first_len + 700);
	ret = s.ops->flush(&s);
	fsize_restore(&g);
	assert_int_equal(ret, FP_EIO);
	assert_int_equal(s.err, EFBIG);
	text = read_all(fd, &len);
	assert_true(len >= first_len);
	assert_true(len <= first_len + 700);
	assert_memory_equal(text, header, sizeof(header) - 1);
	first = count_lines(text + sizeof(header) - 1, len - (sizeof(header) - 1));
	assert_true(first >= 5);
	check_lines(text + sizeof(header) - 1, len - (sizeof(header) - 1), 0, first);
	free(text);
	s.ops->close(&s);
	close(fd);
}

/*
 * With an O_APPEND descriptor (a shell's `fastport ... >> events.ndjson`)
 * the offset is 0 until the first write: the cut back to whole lines must
 * use the offset after the writes, keeping what the file held before.
 */
static void test_cut_append_fd(void **state)
{
	struct fsize_guard g = { 0 };
	struct sink s = { 0 };
	int fd;
	static const char header[] = "# earlier events, already in the file\n";
	char *text;
	size_t len;
	int ret;

	(void)state;
	fd = temp_file(O_APPEND);
	assert_int_equal(write(fd, header, sizeof(header) - 1), (ssize_t)(sizeof(header) - 1));
	/* A fresh O_APPEND descriptor on that file, as a shell would open it. */
	{
		char proc[64];
		int fd2;

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		fd2 = open(proc, O_RDWR | O_APPEND | O_CLOEXEC);
		assert_true(fd2 >= 0);
		close(fd);
		fd = fd2;
	}
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	s.ops = &sink_ndjson;
	assert_int_equal(s.ops->open(&s, fd), 0);
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(send_json(&s, i), 0);
	fsize_limit(&g, 700);
	ret = s.ops->flush(&s);
	fsize_restore(&g);
	assert_int_equal(ret, FP_EIO);
	assert_int_equal(s.err, EFBIG);
	text = read_all(fd, &len);
	assert_true(len >= sizeof(header) - 1);
	assert_memory_equal(text, header, sizeof(header) - 1);
	check_lines(text + sizeof(header) - 1, len - (sizeof(header) - 1), 0,
		    count_lines(text + sizeof(header) - 1, len - (sizeof(header) - 1)));
	free(text);
	s.ops->close(&s);
	close(fd);
}

/* sink_write_out directly: an out-of-memory buffer is an error, not a write. */
static void test_write_out_oom(void **state)
{
	struct sink s = { 0 };
	int fd = temp_file(0);
	char *text;
	size_t len;

	(void)state;
	s.ops = &sink_ndjson;
	assert_int_equal(s.ops->open(&s, fd), 0);
	jbuf_lit(&s.out, "partial");
	s.out.oom = true;
	assert_int_equal(sink_write_out(&s), FP_EIO);
	assert_int_equal(s.err, ENOMEM);
	text = read_all(fd, &len);
	assert_int_equal(len, 0);
	free(text);
	s.ops->close(&s);
	close(fd);
}

static void list_event(struct sink *s, fp_event_kind_t kind, const char *ip, uint16_t port,
		       uint8_t proto, fp_state_t st, const char *reason)
{
	fp_event_t ev = { 0 };

	ev.kind = kind;
	ev.json = "{}";
	ev.json_len = 2;
	ev.ip = ip;
	ev.port = port;
	ev.protocol = proto;
	ev.state = st;
	ev.reason = reason;
	assert_int_equal(s->ops->event(s, &ev), 0);
}

static void test_list_format(void **state)
{
	struct sink s = { 0 };
	int fd = temp_file(0);
	char *text;
	size_t len;

	(void)state;
	s.ops = &sink_list;
	assert_string_equal(s.ops->name, "list");
	assert_int_equal(s.ops->open(&s, fd), 0);
	assert_int_equal(s.ops->flush(&s), 0);
	list_event(&s, FP_EVENT_SCAN_STARTED, NULL, 0, 0, 0, NULL);
	list_event(&s, FP_EVENT_PORT_STATE, "198.19.3.4", 8080, FP_PROTO_TCP, FP_STATE_OPEN,
		   "syn-ack");
	list_event(&s, FP_EVENT_TELEMETRY, NULL, 0, 0, 0, NULL);
	list_event(&s, FP_EVENT_PORT_STATE, "2001:2::1", 53, FP_PROTO_UDP, FP_STATE_OPEN_FILTERED,
		   "no-response");
	list_event(&s, FP_EVENT_PORT_STATE, "::ffff:198.18.0.1", 443, FP_PROTO_QUIC,
		   FP_STATE_CLOSED, "icmp-port-unreachable");
	list_event(&s, FP_EVENT_PORT_STATE, "0.0.0.0", 0, FP_PROTO_TCP, FP_STATE_FILTERED, NULL);
	list_event(&s, FP_EVENT_PORT_STATE, "10.0.0.1", 65535, 9, FP_STATE_OPEN, "x");
	list_event(&s, FP_EVENT_SCAN_COMPLETED, NULL, 0, 0, 0, NULL);
	/* buffered until flush */
	text = read_all(fd, &len);
	assert_int_equal(len, 0);
	free(text);
	assert_int_equal(s.ops->flush(&s), 0);
	text = read_all(fd, &len);
	assert_string_equal(text,
			    "open           198.19.3.4:8080/tcp syn-ack\n"
			    "open|filtered  [2001:2::1]:53/udp no-response\n"
			    "closed         [::ffff:198.18.0.1]:443/quic icmp-port-unreachable\n"
			    "filtered       0.0.0.0:0/tcp \n"
			    "open           10.0.0.1:65535/unknown x\n");
	assert_int_equal(len, strlen(text));
	free(text);
	s.ops->close(&s);
	close(fd);
}

/* Many findings: automatic writes keep lines whole; flush completes them. */
static void test_list_many(void **state)
{
	struct sink s = { 0 };
	int fd = temp_file(0);
	char *text, *want;
	size_t len, wlen = 0;
	const unsigned total = 4000; /* ~200 KiB */

	(void)state;
	want = malloc((size_t)total * 80);
	assert_non_null(want);
	s.ops = &sink_list;
	assert_int_equal(s.ops->open(&s, fd), 0);
	for (unsigned i = 0; i < total; i++) {
		char ip[64];
		bool v6 = i % 3 == 0;

		if (v6)
			snprintf(ip, sizeof(ip), "2001:2::%x", i);
		else
			snprintf(ip, sizeof(ip), "198.18.%u.%u", i / 256, i % 256);
		list_event(&s, FP_EVENT_PORT_STATE, ip, (uint16_t)(i * 7), (uint8_t)(i % 2),
			   FP_STATE_OPEN, "syn-ack");
		wlen += (size_t)sprintf(want + wlen, "open           %s%s%s:%u/%s syn-ack\n",
					v6 ? "[" : "", ip, v6 ? "]" : "", (unsigned)(uint16_t)(i * 7),
					i % 2 ? "udp" : "tcp");
		if (i % 101 == 0) {
			text = read_all(fd, &len);
			assert_true(len <= wlen);
			assert_true(len == 0 || text[len - 1] == '\n');
			assert_memory_equal(text, want, len);
			free(text);
		}
	}
	text = read_all(fd, &len);
	assert_true(len > 0);
	free(text);
	assert_int_equal(s.ops->flush(&s), 0);
	text = read_all(fd, &len);
	assert_int_equal(len, wlen);
	assert_memory_equal(text, want, len);
	free(text);
	free(want);
	s.ops->close(&s);
	close(fd);
}

static void test_list_errors(void **state)
{
	struct sink s = { 0 };
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	if (fd < 0)
		skip();
	s.ops = &sink_list;
	assert_int_equal(s.ops->open(&s, fd), 0);
	list_event(&s, FP_EVENT_PORT_STATE, "198.19.3.4", 80, FP_PROTO_TCP, FP_STATE_OPEN,
		   "syn-ack");
	assert_int_equal(s.ops->flush(&s), FP_EIO);
	assert_int_equal(s.err, ENOSPC);
	assert_int_equal(s.ops->flush(&s), FP_EIO);
	s.ops->close(&s);
	close(fd);
}

/* A list line longer than any fixed buffer (a long reason) stays whole. */
static void test_list_long_line(void **state)
{
	struct sink s = { 0 };
	int fd;
	char reason[400];
	char *text;
	size_t len;

	(void)state;
	fd = temp_file(0);
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	s.ops = &sink_list;
	assert_int_equal(s.ops->open(&s, fd), 0);
	list_event(&s, FP_EVENT_PORT_STATE, "198.19.3.4", 80, FP_PROTO_TCP, FP_STATE_OPEN, reason);
	list_event(&s, FP_EVENT_PORT_STATE, "198.19.3.5", 80, FP_PROTO_TCP, FP_STATE_OPEN, "x");
	assert_int_equal(s.ops->flush(&s), 0);
	text = read_all(fd, &len);
	assert_int_equal(count_lines(text, len), 2);
	assert_non_null(strstr(text, "\nopen           198.19.3.5:80/tcp x\n"));
	free(text);
	s.ops->close(&s);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndjson_file),
		cmocka_unit_test(test_ndjson_pipe),
		cmocka_unit_test(test_ndjson_exact_bytes),
		cmocka_unit_test(test_ndjson_enospc),
		cmocka_unit_test(test_ndjson_epipe),
		cmocka_unit_test(test_cut_to_whole_line),
		cmocka_unit_test(test_cut_after_prior_content),
		cmocka_unit_test(test_cut_append_fd),
		cmocka_unit_test(test_write_out_oom),
		cmocka_unit_test(test_list_format),
		cmocka_unit_test(test_list_many),
		cmocka_unit_test(test_list_errors),
		cmocka_unit_test(test_list_long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
