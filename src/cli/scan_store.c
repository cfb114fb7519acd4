/* SPDX-License-Identifier: MIT */
/* The scan's results store: opening, the re-probing helper, the writer, the changes. */
#ifdef FP_STORE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/scan_store.h"
#include "store/nmap_xml.h"
#include "store/sink_store.h"

struct scan_store {
	struct store_url url;
	struct store *st;
	struct sink_store *sink;
	char scope[33];
	char *scope_desc;
	char scan_id[STORE_ID_MAX + 1];
	unsigned confirm;
	bool baseline;         /* the scope has a complete scan */
	int out_fd;
	bool list, quiet_out;
	struct nmap_xml *xml;
	/* the helper */
	pid_t helper;
	int to_helper, from_helper;
};

/* Growing list of specs read from files. */
struct specs {
	char **v;
	size_t n, cap;
};

static void specs_add(struct specs *s, const char *p, size_t len)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			fatalx(1, "out of memory");
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strndup(p, len);
	if (!s->v[s->n])
		fatalx(1, "out of memory");
	s->n++;
}

static void specs_free(struct specs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* A target or exclude file as the scanner reads it: specs, '#' comments. */
static void specs_file(struct specs *s, const char *opt, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		fatalx(EXIT_USAGE, "%s: cannot open '%s': %s", opt, path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = strcspn(line, "#\r\n"), a = strspn(line, " \t,");

		while (len > a && strchr(" \t,", line[len - 1]))
			len--;
		if (len > a)
			specs_add(s, line + a, len - a);
	}
	free(line);
	fclose(f);
}

/* The seed saved in a resume file (src/engine/resume.h: "FPRESUME", then
 * the version, the pass and the seed as little-endian numbers). */
static bool resume_seed(int fd, uint64_t *seed)
{
	uint8_t h[24];

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "FPRESUME", 8))
		return false;
	*seed = 0;
	for (int i = 7; i >= 0; i--)
		*seed = *seed << 8 | h[16 + i];
	return true;
}

struct scan_store *scan_store_open(const struct scan_store_opts *o, const char **scan_id)
{
	struct scan_store *ss = calloc(1, sizeof(*ss));
	struct specs targets = { 0 }, excludes = { 0 };
	char err[600];
	uint64_t seed;
	int ret;

	*scan_id = NULL;
	if (!ss)
		fatalx(1, "out of memory");
	ss->helper = 0;
	ss->to_helper = ss->from_helper = -1;
	ss->confirm = o->confirm;
	ss->out_fd = o->out_fd;
	ss->list = o->list;
	ss->quiet_out = o->quiet_out;
	ss->xml = o->xml;
	ret = store_url_parse(o->url, &ss->url, err, sizeof(err));
	if (ret < 0)
		fatalx(ret == STORE_EUSAGE ? EXIT_USAGE : 1, "--store: %s", err);
	if (o->scan_id && (strlen(o->scan_id) != 32 || strspn(o->scan_id, "0123456789abcdef") != 32))
		fatalx(EXIT_USAGE, "--scan-id: '%.40s' is not a scan id (32 lowercase hex digits)",
		       o->scan_id);

	for (size_t i = 0; i < o->ntargets; i++)
		specs_add(&targets, o->targets[i], strlen(o->targets[i]));
	for (size_t i = 0; i < o->ntarget_files; i++)
		specs_file(&targets, "--input-list", o->target_files[i]);
	for (size_t i = 0; i < o->nexcludes; i++)
		specs_add(&excludes, o->excludes[i], strlen(o->excludes[i]));
	for (size_t i = 0; i < o->nexclude_files; i++)
		specs_file(&excludes, "--excludefile", o->exclude_files[i]);
	ret = store_scope_key((const char *const *)targets.v, targets.n,
			      (const char *const *)excludes.v, excludes.n,
			      o->ports ? o->ports : SCAN_DEFAULT_PORTS, o->allow_reserved, ss->scope,
			      &ss->scope_desc, err, sizeof(err));
	specs_free(&targets);
	specs_free(&excludes);
	if (ret < 0)
		fatalx(ret == STORE_EUSAGE ? EXIT_USAGE : 1, "%s", err);

	if (store_open(&ss->url, STORE_OPEN_CREATE, &ss->st, err, sizeof(err)) < 0)
		fatalx(1, "%s", err);
	if (o->scan_id) {
		char scope[STORE_ID_MAX + 1];
		enum store_state state;

		ret = store_scan_info(ss->st, o->scan_id, scope, &state);
		if (ret < 0)
			fatalx(1, "%s", store_error(ss->st));
		if (ret > 0 && strcmp(scope, ss->scope))
			fatalx(EXIT_USAGE, "--scan-id: scan %s in %s has another scope (targets, "
			       "exclusions or ports differ)", o->scan_id, ss->url.target);
		snprintf(ss->scan_id, sizeof(ss->scan_id), "%s", o->scan_id);
	} else if (o->resume_fd >= 0 && resume_seed(o->resume_fd, &seed)) {
		if (store_find_resumable(ss->st, ss->scope, seed, o->shard, o->shard_count,
					 ss->scan_id) < 0)
			fatalx(1, "%s", store_error(ss->st));
		if (!ss->scan_id[0])
			fatalx(1, "--resume: the store holds no interrupted scan of this scope with "
			       "seed %llu (name the scan to continue with --scan-id ID)",
			       (unsigned long long)seed);
	}
	if (ss->scan_id[0])
		*scan_id = ss->scan_id;
	ret = store_scope_has_complete(ss->st, ss->scope);
	if (ret < 0)
		fatalx(1, "%s", store_error(ss->st));
	ss->baseline = ret > 0;
	store_trace("scope has %s complete scan", ss->baseline ? "a" : "no");
	return ss;
}

/* ---- the helper: re-probing in a process of its own ---- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads fd to its end into a NUL-terminated buffer; NULL on an error. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);

	while (b) {
		ssize_t r;

		if (cap - n < 2) {
			char *nb = realloc(b, cap * 2);

			if (!nb)
				break;
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0) {
			b[n] = '\0';
			*len = n;
			return b;
		}
		n += (size_t)r;
	}
	free(b);
	return NULL;
}

/* The helper's life: candidates in ("PROTO IP PORT" lines until the end
 * of the pipe), states out (one line each, "-" when not re-probed). */
static void __attribute__((noreturn))
helper_main(pid_t parent, int in, int out, int (*probe)(void *ctx, struct store_port *c, size_t n),
	    void *ctx)
{
	struct store_port *c = NULL;
	size_t n = 0, len;
	char *buf, *line, *save = NULL;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	buf = read_all(in, &len);
	if (!buf)
		_exit(1);
	close(in);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct store_port p = { 0 };
		unsigned port;

		if (sscanf(line, "%7s %45s %u", p.protocol, p.ip, &port) != 3 || port > 65535)
			_exit(1);
		p.port = (uint16_t)port;
		if (n % 64 == 0) {
			struct store_port *v = realloc(c, (n + 64) * sizeof(*v));

			if (!v)
				_exit(1);
			c = v;
		}
		c[n++] = p;
	}
	if (!n)
		_exit(0);
	if (probe(ctx, c, n) != 0)
		_exit(1);
	for (size_t i = 0; i < n; i++) {
		char l[24];
		int k = snprintf(l, sizeof(l), "%s\n", c[i].confirmed[0] ? c[i].confirmed : "-");

		if (write_all(out, l, (size_t)k) < 0)
			_exit(1);
	}
	_exit(0);
}

pid_t scan_store_fork_helper(struct scan_store *ss,
			     int (*probe)(void *ctx, struct store_port *c, size_t n), void *ctx)
{
	int down[2], up[2];
	pid_t parent = getpid(), pid;

	if (!ss->confirm || !ss->baseline)
		return 0;
	if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0)
		fatalx(1, "--confirm: pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fatalx(1, "--confirm: fork: %s", strerror(errno));
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		helper_main(parent, down[0], up[1], probe, ctx);
	}
	close(down[0]);
	close(up[1]);
	ss->helper = pid;
	ss->to_helper = down[1];
	ss->from_helper = up[0];
	return pid;
}

/* sink_store_finish's confirm callback: the candidates to the helper and
 * its findings back. */
static int confirm_cb(struct store_port *c, size_t n, void *ud)
{
	struct scan_store *ss = ud;
	char *buf, *line, *save = NULL;
	size_t len, i = 0;
	int ret = -1;

	if (ss->to_helper < 0)
		return 0; /* no helper: reported closed without a re-probe */
	fprintf(stderr, "%s: re-probing %zu port%s open in the baseline (--confirm %u)\n", CLI_PROG,
		n, n == 1 ? "" : "s", ss->confirm);
	for (size_t k = 0; k < n; k++) {
		char l[80];
		int m = snprintf(l, sizeof(l), "%s %s %u\n", c[k].protocol, c[k].ip, c[k].port);

		if (write_all(ss->to_helper, l, (size_t)m) < 0)
			break;
	}
	close(ss->to_helper);
	ss->to_helper = -1;
	buf = read_all(ss->from_helper, &len);
	close(ss->from_helper);
	ss->from_helper = -1;
	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && i < n; line = strtok_r(NULL, "\n", &save), i++)
		snprintf(c[i].confirmed, sizeof(c[i].confirmed), "%s", strcmp(line, "-") ? line : "");
	if (i == n)
		ret = 0;
	free(buf);
	return ret;
}

/* ---- writing ---- */

int scan_store_start(struct scan_store *ss)
{
	char err[600];

	if (sink_store_open(&ss->sink, ss->st, &(struct sink_store_opts){
				    .scope = ss->scope, .scope_desc = ss->scope_desc }, err,
			    sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", CLI_PROG, err);
		return -1;
	}
	return 0;
}

int scan_store_event(struct scan_store *ss, const char *json, size_t n)
{
	return ss->sink ? sink_store_event(ss->sink, json, n) : 0;
}

/* One exposure change as a line of the list format to fd, after prefix. */
static int change_line(int fd, const char *prefix, const char *json, size_t len)
{
	json_t *e, *t;
	char line[256];
	const char *ip;
	bool v6;
	int n;

	e = json_loadb(json, len, 0, NULL);
	if (!e)
		return -1;
	t = json_object_get(e, "target");
	ip = json_string_value(json_object_get(t, "ip"));
	v6 = ip && strchr(ip, ':');
	n = snprintf(line, sizeof(line), "%s%-14s %s%s%s:%d/%s\n", prefix,
		     json_string_value(json_object_get(e, "change")), v6 ? "[" : "", ip ? ip : "?",
		     v6 ? "]" : "", (int)json_integer_value(json_object_get(t, "port")),
		     json_string_value(json_object_get(t, "protocol")));
	json_decref(e);
	return write_all(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* One exposure change after the scan's events: the event itself, or a
 * line of the list format; into the nmap XML as a comment; on standard
 * error when the XML is the scan's output (a user of --format nmap-xml
 * learns of the changes without reading the document). */
static int change_cb(const char *json, size_t len, void *ud)
{
	struct scan_store *ss = ud;

	if (ss->xml && nmap_xml_change(ss->xml, json, len) < 0)
		return -1;
	if (ss->quiet_out)
		return change_line(STDERR_FILENO, CLI_PROG ": ", json, len) < 0 ? -1 : 0;
	if (!ss->list) {
		if (write_all(ss->out_fd, json, len) < 0 || write_all(ss->out_fd, "\n", 1) < 0)
			return -1;
		return 0;
	}
	return change_line(ss->out_fd, "", json, len);
}

int scan_store_finish(struct scan_store *ss, bool failed)
{
	struct sink_store_stats stats;

	if (!ss->sink)
		return 0;
	if (sink_store_finish(ss->sink, failed ? STORE_FAILED : -1, confirm_cb, ss, change_cb,
			      ss) < 0) {
		fprintf(stderr, "%s: %s\n", CLI_PROG, sink_store_error(ss->sink));
		return 1;
	}
	sink_store_stats(ss->sink, &stats);
	if (!stats.scan_id[0])
		return 0;
	fprintf(stderr, "%s: stored scan %s (%s) in %s: %llu events", CLI_PROG, stats.scan_id,
		store_state_name(stats.state), store_backend_name(ss->st),
		(unsigned long long)stats.events);
	if (stats.state == STORE_COMPLETE)
		fprintf(stderr, ", %zu exposure change%s", stats.changes, stats.changes == 1 ? "" : "s");
	fputc('\n', stderr);
	return 0;
}

void scan_store_free(struct scan_store *ss)
{
	if (!ss)
		return;
	if (ss->to_helper >= 0)
		close(ss->to_helper); /* the helper reads the end: nothing to re-probe */
	if (ss->from_helper >= 0)
		close(ss->from_helper);
	if (ss->helper > 0)
		while (waitpid(ss->helper, NULL, 0) < 0 && errno == EINTR)
			;
	sink_store_close(ss->sink);
	store_close(ss->st);
	store_trace("closed");
	store_url_free(&ss->url);
	free(ss->scope_desc);
	free(ss);
}
#else
typedef int scan_store_absent; /* built with STORE=0: no store */
#endif
