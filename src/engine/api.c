/* SPDX-License-Identifier: MIT */
/* The public fp_ API: configuration, target and port specs, runs, stats. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner.h"
#include "../net/route.h"

#define DEFAULT_PORTS "21,22,23,25,53,80,110,111,135,139,143,443,445,993,995,1723,3306,3389,5900,8080"

static bool is_running(const struct fp_scanner *s)
{
	return __atomic_load_n(&s->running, __ATOMIC_ACQUIRE);
}

/* Claims the scanner for a run, a batch or a change the run reads (false
 * when one is going on); release() gives it back. */
static bool claim(struct fp_scanner *s)
{
	bool idle = false;

	return __atomic_compare_exchange_n(&s->running, &idle, true, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void release(struct fp_scanner *s)
{
	__atomic_store_n(&s->running, false, __ATOMIC_RELEASE);
}

void fp_config_init(fp_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->struct_size = sizeof(*cfg);
	cfg->rate = 10000;
	cfg->retries = 1;
	cfg->wait_ms = 5000;
	cfg->shard = 1;
	cfg->shard_count = 1;
	cfg->states = FP_STATES_DEFAULT;
	cfg->telemetry_ms = 1000;
	cfg->out_fd = -1;
}

static void errf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void errf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int dup_opt(const char *in, char **out)
{
	*out = NULL;
	if (!in)
		return 0;
	*out = strdup(in);
	return *out ? 0 : FP_ENOMEM;
}

/*
 * The size of fp_config_t in 0.1.0, the first release: a caller built
 * against it passes that struct_size, and the members appended since take
 * their defaults.
 */
#define CONFIG_SIZE_0_1_0 (offsetof(fp_config_t, on_ready) + sizeof(((fp_config_t *)0)->on_ready))

int fp_scanner_new(const fp_config_t *user_cfg, fp_scanner_t **out, char *errbuf, size_t errlen)
{
	struct fp_scanner *s;
	fp_config_t full, *cfg = &full;

	if (!out)
		return FP_EINVAL;
	*out = NULL;
	if (!user_cfg || user_cfg->struct_size < CONFIG_SIZE_0_1_0) {
		errf(errbuf, errlen, "configuration not initialised with fp_config_init()");
		return FP_EINVAL;
	}
	fp_config_init(&full);
	memcpy(&full, user_cfg, user_cfg->struct_size < sizeof(full) ? user_cfg->struct_size
								      : sizeof(full));
	full.struct_size = sizeof(full);
	if (cfg->send_path != FP_SEND_AUTO && cfg->send_path != FP_SEND_RING &&
	    cfg->send_path != FP_SEND_XDP) {
		errf(errbuf, errlen, "send path %d: expected FP_SEND_AUTO, FP_SEND_RING or FP_SEND_XDP",
		     cfg->send_path);
		return FP_EINVAL;
	}
	if (cfg->rate == 0) {
		errf(errbuf, errlen, "rate must be at least 1 packet per second");
		return FP_EINVAL;
	}
	if (cfg->shard_count == 0 || cfg->shard == 0 || cfg->shard > cfg->shard_count) {
		errf(errbuf, errlen, "shard %u/%u: K must be from 1 to N", cfg->shard, cfg->shard_count);
		return FP_EINVAL;
	}
	if (cfg->states == 0 || (cfg->states & ~FP_STATES_ALL)) {
		errf(errbuf, errlen, "no valid state to report");
		return FP_EINVAL;
	}
	if (cfg->router_mac) {
		uint8_t mac[6];

		if (mac_parse(cfg->router_mac, mac) < 0) {
			errf(errbuf, errlen, "invalid router MAC '%s' (expected aa:bb:cc:dd:ee:ff)",
			     cfg->router_mac);
			return FP_EINVAL;
		}
	}
	if (cfg->source_ip) {
		u128 a;

		if (addr_parse(cfg->source_ip, strlen(cfg->source_ip), &a) < 0) {
			errf(errbuf, errlen, "invalid source address '%s'", cfg->source_ip);
			return FP_EINVAL;
		}
	}
	if (cfg->scan_id && (strlen(cfg->scan_id) != 32 ||
			     strspn(cfg->scan_id, "0123456789abcdef") != 32)) {
		errf(errbuf, errlen, "invalid scan id '%.40s' (expected 32 lowercase hex digits)",
		     cfg->scan_id);
		return FP_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errf(errbuf, errlen, "out of memory");
		return FP_ENOMEM;
	}
	s->cfg = *cfg;
	ipset_init(&s->targets);
	ipset_init(&s->excludes);
	ipset_init(&s->scan_addrs);
	portset_init(&s->ports);
	portset_init(&s->default_ports);
	pthread_mutex_init(&s->emit_lock, NULL);
	pthread_mutex_init(&s->err_lock, NULL);
	pthread_mutex_init(&s->ckpt_lock, NULL);
	if (dup_opt(cfg->interface, &s->interface) || dup_opt(cfg->source_ip, &s->source_ip) ||
	    dup_opt(cfg->router_mac, &s->router_mac) || dup_opt(cfg->sv_db, &s->sv_db) ||
	    dup_opt(cfg->scan_id, &s->scan_id)) {
		fp_scanner_free(s);
		errf(errbuf, errlen, "out of memory");
		return FP_ENOMEM;
	}
	s->cfg.interface = s->interface;
	s->cfg.source_ip = s->source_ip;
	s->cfg.router_mac = s->router_mac;
	s->cfg.sv_db = s->sv_db;
	s->cfg.scan_id = s->scan_id;
	strcpy(s->err, "no error");
	*out = s;
	return 0;
}

int fp_scanner_add_targets(fp_scanner_t *s, const char *spec)
{
	if (!s || !spec)
		return FP_EINVAL;
	return ipset_add_spec(&s->targets, spec, s->err, sizeof(s->err));
}

int fp_scanner_add_target_file(fp_scanner_t *s, const char *path)
{
	if (!s || !path)
		return FP_EINVAL;
	return ipset_add_file(&s->targets, path, s->err, sizeof(s->err));
}

int fp_scanner_add_exclude(fp_scanner_t *s, const char *spec)
{
	if (!s || !spec)
		return FP_EINVAL;
	return ipset_add_spec(&s->excludes, spec, s->err, sizeof(s->err));
}

int fp_scanner_add_exclude_file(fp_scanner_t *s, const char *path)
{
	if (!s || !path)
		return FP_EINVAL;
	return ipset_add_file(&s->excludes, path, s->err, sizeof(s->err));
}

int fp_scanner_set_ports(fp_scanner_t *s, const char *spec)
{
	int ret;

	if (!s || !spec)
		return FP_EINVAL;
	ret = portset_add_spec(&s->ports, spec, s->err, sizeof(s->err));
	if (ret == 0)
		s->ports_set = true;
	return ret;
}

int fp_scanner_add_udp_payload(fp_scanner_t *s, uint16_t port, const uint8_t *data, size_t len)
{
	int ret;

	if (!s || (!data && len))
		return FP_EINVAL;
	/* Claimed, so that a scan cannot start while the table changes. */
	if (!claim(s))
		return scanner_refuse(s, FP_ESTATE, "UDP payloads cannot change during a scan");
	ret = udp_user_add(&s->udp_user, port, data, len);
	release(s);
	if (ret == FP_ERANGE)
		return scanner_fail(s, ret, "UDP payload for port %u: %zu bytes, at most %d allowed",
				    port, len, UDP_PAYLOAD_MAX);
	if (ret < 0)
		return scanner_fail(s, ret, "out of memory");
	return 0;
}

/* The exclusions in force: the user's plus the built-in ones. */
static int build_excludes(struct fp_scanner *s, struct ipset *ex)
{
	int ret;

	ipset_init(ex);
	ret = ipset_add_builtin_excludes(ex, s->cfg.allow_reserved);
	for (size_t i = 0; ret == 0 && i < s->excludes.n; i++)
		ret = ipset_add(ex, s->excludes.r[i].lo, s->excludes.r[i].hi);
	/* An exclusion set may be larger than any scan (ff00::/8): it only
	 * needs to be sorted, which ipset_finish leaves it even when it
	 * refuses the size. */
	if (ret == 0) {
		ret = ipset_finish(ex, NULL, 0);
		if (ret == FP_ERANGE)
			ret = 0;
	}
	return ret;
}

static int check_ports(struct fp_scanner *s, const struct portset *ports)
{
	for (uint32_t i = 0; i < ports->n; i++) {
		uint8_t proto = portset_proto(ports->list[i]);

		if (!probe_for(proto))
			return scanner_fail(s, FP_ENOTSUP, "%s probes are not available in this version",
					    proto_name(proto));
	}
	return 0;
}

/* Claims the scanner for one run or batch (end() gives it back). */
static int begin(struct fp_scanner *s)
{
	if (!claim(s))
		return scanner_refuse(s, FP_ESTATE, "a scan is already running on this scanner");
	__atomic_store_n(&s->stop, 0, __ATOMIC_RELAXED);
	return 0;
}

static void end(struct fp_scanner *s)
{
	release(s);
}

int fp_scanner_run(fp_scanner_t *s)
{
	const struct portset *ports;
	struct ipset ex;
	uint64_t before;
	int ret;

	if (!s)
		return FP_EINVAL;
	ret = begin(s);
	if (ret < 0)
		return ret;
	ipset_init(&ex);
	/* The defaults serve this run only: ports set later replace them. */
	ports = &s->ports;
	if (!s->ports_set) {
		portset_free(&s->default_ports);
		portset_init(&s->default_ports);
		ret = portset_add_spec(&s->default_ports, DEFAULT_PORTS, s->err, sizeof(s->err));
		if (ret < 0)
			goto out;
		ports = &s->default_ports;
	}
	ret = check_ports(s, ports);
	if (ret < 0)
		goto out;
	ret = build_excludes(s, &ex);
	if (ret < 0)
		goto out;
	ipset_free(&s->scan_addrs);
	ipset_init(&s->scan_addrs);
	for (size_t i = 0; ret == 0 && i < s->targets.n; i++)
		ret = ipset_add(&s->scan_addrs, s->targets.r[i].lo, s->targets.r[i].hi);
	if (ret == 0)
		ret = ipset_finish(&s->scan_addrs, s->err, sizeof(s->err));
	if (ret < 0)
		goto out;
	before = s->scan_addrs.count;
	if (!before) {
		ret = scanner_fail(s, FP_EEMPTY, "no targets given");
		goto out;
	}
	ret = ipset_subtract(&s->scan_addrs, &ex);
	if (ret == 0)
		ret = ipset_finish(&s->scan_addrs, s->err, sizeof(s->err));
	if (ret < 0)
		goto out;
	if (!s->scan_addrs.count) {
		ret = scanner_fail(s, FP_EEMPTY, "nothing to scan: all %llu target addresses are excluded%s",
				   (unsigned long long)before,
				   s->cfg.allow_reserved ? "" :
				   " (benchmark, documentation and reserved ranges need --allow-reserved)");
		goto out;
	}
	ret = plan_range(&s->plan, &s->scan_addrs, ports);
	if (ret < 0) {
		scanner_fail(s, ret, "scan too large: %llu addresses x %u ports",
			     (unsigned long long)s->scan_addrs.count, ports->n);
		goto out;
	}
	ret = engine_run(s);
out:
	ipset_free(&ex);
	end(s);
	return ret;
}

int fp_scan_batch(fp_scanner_t *s, const fp_target_t *targets, uint32_t len)
{
	struct plan_entry *list = NULL;
	struct ipset ex;
	uint64_t n = 0;
	int ret;

	if (!s || (!targets && len))
		return FP_EINVAL;
	ret = begin(s);
	if (ret < 0)
		return ret;
	ipset_init(&ex);
	ret = build_excludes(s, &ex);
	if (ret < 0)
		goto out;
	list = calloc(len ? len : 1, sizeof(*list));
	if (!list) {
		ret = scanner_fail(s, FP_ENOMEM, "out of memory for %u targets", len);
		goto out;
	}
	STAT_SET(s, excluded, 0);
	for (uint32_t i = 0; i < len; i++) {
		const fp_target_t *t = &targets[i];
		u128 a;

		if (!t->ip || addr_parse(t->ip, strlen(t->ip), &a) < 0) {
			ret = scanner_fail(s, FP_EINVAL, "target %u: invalid address '%s'", i,
					   t->ip ? t->ip : "(null)");
			goto out;
		}
		if (t->protocol > FP_PROTO_QUIC) {
			ret = scanner_fail(s, FP_EINVAL, "target %u (%s): unknown protocol %u", i, t->ip,
					   t->protocol);
			goto out;
		}
		if (!probe_for(t->protocol)) {
			ret = scanner_fail(s, FP_ENOTSUP, "target %u (%s): %s probes are not available in this version",
					   i, t->ip, proto_name(t->protocol));
			goto out;
		}
		if (ipset_contains(&ex, a)) {
			STAT_ADD(s, excluded, 1);
			continue;
		}
		list[n].addr = a;
		list[n].pp = (uint32_t)t->protocol << 16 | t->port;
		n++;
	}
	if (!n) {
		ret = scanner_fail(s, FP_EEMPTY, "nothing to scan: %s", len ? "every target is excluded" :
				   "no targets given");
		goto out;
	}
	plan_free(&s->plan);
	ret = plan_list(&s->plan, list, n);
	list = NULL;
	if (ret == 0) {
		uint64_t excluded = STAT_GET(s, excluded);

		ret = engine_run(s);
		STAT_SET(s, excluded, excluded);
	}
	plan_free(&s->plan);
out:
	free(list);
	ipset_free(&ex);
	end(s);
	return ret;
}

void fp_scanner_stop(fp_scanner_t *s)
{
	if (s)
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
}

/*
 * The size of the first fp_stats_t with a struct_size (it ends with rate):
 * the least a caller may pass.
 */
#define STATS_SIZE_FIRST (offsetof(fp_stats_t, rate) + sizeof(((fp_stats_t *)0)->rate))

int fp_scanner_stats(const fp_scanner_t *s, fp_stats_t *out)
{
	fp_stats_t st;
	size_t n;

	if (!s || !out || out->struct_size < STATS_SIZE_FIRST)
		return FP_EINVAL;
	memset(&st, 0, sizeof(st));
	engine_stats(s, &st);
	/* No more than the caller's struct holds: a caller built against an
	 * older header has a shorter one. */
	n = out->struct_size < sizeof(st) ? out->struct_size : sizeof(st);
	st.struct_size = (uint32_t)n;
	memcpy(out, &st, n);
	return 0;
}

/* Writes all len bytes; 0 or errno. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int fp_scanner_save_state(fp_scanner_t *s, int fd)
{
	struct resume_state st;
	uint8_t buf[RESUME_HDR_LEN > 4096 ? RESUME_HDR_LEN : 4096];
	uint64_t words;
	int e;

	if (!s || fd < 0)
		return FP_EINVAL;
	if (is_running(s))
		return scanner_refuse(s, FP_ESTATE, "cannot save the state of a running scan");
	if (!s->saveable || !s->answered)
		return scanner_fail(s, FP_ESTATE, "no stopped scan to save");
	st = (struct resume_state){ .pass = s->last_pass, .seed = s->seed, .n = s->last_n,
				    .fingerprint = s->last_fp };
	resume_header(buf, &st, s->answered);
	e = write_all(fd, buf, RESUME_HDR_LEN);
	words = resume_bitmap_len(st.n) / 8;
	for (uint64_t i = 0; !e && i < words;) {
		size_t len = 0;

		/* Little-endian words, whatever the host's order. */
		for (; i < words && len + 8 <= sizeof(buf); i++, len += 8)
			for (int b = 0; b < 8; b++)
				buf[len + (size_t)b] = (uint8_t)(s->answered[i] >> (8 * b));
		e = write_all(fd, buf, len);
	}
	if (e)
		return scanner_fail(s, FP_EIO, "writing the resume file: %s", strerror(e));
	return 0;
}

/*
 * A snapshot of the delivered bitmap under ckpt_lock (the run may end and
 * free it meanwhile), then written without the lock: the header's
 * checksum needs the bytes that are written, and the bits keep changing.
 * The pass is read before the bits: a newer bitmap with an older pass
 * only resends more.
 */
int fp_scanner_checkpoint(fp_scanner_t *s, int fd)
{
	struct resume_state st = { 0 };
	uint8_t hdr[RESUME_HDR_LEN], buf[4096];
	uint64_t *words = NULL, nw = 0;
	int e, ret = 0;

	if (!s || fd < 0)
		return FP_EINVAL;
	pthread_mutex_lock(&s->ckpt_lock);
	if (s->ckpt_live || (s->saveable && s->delivered)) {
		st.pass = s->ckpt_live ? STAT_GET(s, pass) : s->last_pass;
		st.seed = s->seed;
		st.n = s->last_n;
		st.fingerprint = s->last_fp;
		nw = resume_bitmap_len(st.n) / 8;
		words = malloc(nw * sizeof(*words));
		for (uint64_t i = 0; words && i < nw; i++)
			words[i] = __atomic_load_n(&s->delivered[i], __ATOMIC_ACQUIRE);
		if (!words)
			ret = FP_ENOMEM;
	} else {
		ret = FP_ESTATE;
	}
	pthread_mutex_unlock(&s->ckpt_lock);
	if (ret == FP_ENOMEM)
		return scanner_refuse(s, ret, "out of memory for a checkpoint");
	if (ret < 0)
		return scanner_refuse(s, ret, "no running or stopped scan to checkpoint");
	resume_header(hdr, &st, words);
	e = write_all(fd, hdr, RESUME_HDR_LEN);
	for (uint64_t i = 0; !e && i < nw;) {
		size_t len = 0;

		for (; i < nw && len + 8 <= sizeof(buf); i++, len += 8)
			for (int b = 0; b < 8; b++)
				buf[len + (size_t)b] = (uint8_t)(words[i] >> (8 * b));
		e = write_all(fd, buf, len);
	}
	free(words);
	if (e)
		return scanner_refuse(s, FP_EIO, "writing the checkpoint: %s", strerror(e));
	return 0;
}

/* Reads up to len bytes (fewer only at end of file); the count or -errno. */
static ssize_t read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, p + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int fp_scanner_load_state(fp_scanner_t *s, int fd)
{
	struct resume_state st;
	uint8_t *buf = NULL, *nb;
	size_t cap = RESUME_HDR_LEN, got = 0, want;
	ssize_t r;
	int ret;

	if (!s || fd < 0)
		return FP_EINVAL;
	if (is_running(s))
		return scanner_refuse(s, FP_ESTATE, "cannot load a state while a scan runs");
	buf = malloc(cap);
	if (!buf)
		return scanner_fail(s, FP_ENOMEM, "out of memory");
	r = read_full(fd, buf, RESUME_HDR_LEN);
	if (r < 0) {
		ret = scanner_fail(s, FP_EIO, "reading the resume file: %s", strerror((int)-r));
		goto out;
	}
	if (r == 0) {
		ret = scanner_fail(s, FP_EEMPTY, "the resume file is empty: nothing to resume");
		goto out;
	}
	got = (size_t)r;
	ret = resume_parse_header(buf, got, &st, s->err, sizeof(s->err));
	if (ret < 0)
		goto out;
	/* One byte more than the header promises shows trailing garbage; the
	 * buffer grows only as data arrives, never to the size claimed. */
	if (resume_bitmap_len(st.n) > SIZE_MAX - RESUME_HDR_LEN - 1) {
		ret = scanner_fail(s, FP_ERANGE, "resume file: plan too large for this host");
		goto out;
	}
	want = RESUME_HDR_LEN + (size_t)resume_bitmap_len(st.n) + 1;
	while (got < want) {
		size_t ask;

		if (got == cap) {
			cap = cap < 65536 ? 65536 : cap * 2;
			if (cap > want)
				cap = want;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = scanner_fail(s, FP_ENOMEM, "out of memory");
				goto out;
			}
			buf = nb;
		}
		ask = cap - got;
		r = read_full(fd, buf + got, ask);
		if (r < 0) {
			ret = scanner_fail(s, FP_EIO, "reading the resume file: %s", strerror((int)-r));
			goto out;
		}
		got += (size_t)r;
		if ((size_t)r < ask)
			break; /* end of file */
	}
	ret = resume_parse(buf, got, &st, s->err, sizeof(s->err));
	if (ret < 0)
		goto out;
	resume_state_free(&s->resume);
	s->resume = st;
	s->have_resume = true;
out:
	free(buf);
	return ret;
}

const char *fp_scanner_error(const fp_scanner_t *s)
{
	return s ? s->err : "no scanner";
}

void fp_scanner_free(fp_scanner_t *s)
{
	if (!s)
		return;
	ipset_free(&s->targets);
	ipset_free(&s->excludes);
	ipset_free(&s->scan_addrs);
	portset_free(&s->ports);
	portset_free(&s->default_ports);
	plan_free(&s->plan);
	udp_user_free(&s->udp_user);
	resume_state_free(&s->resume);
	free(s->answered);
	free(s->delivered);
	pthread_mutex_destroy(&s->ckpt_lock);
	pthread_mutex_destroy(&s->emit_lock);
	pthread_mutex_destroy(&s->err_lock);
	free(s->interface);
	free(s->sv_db);
	free(s->scan_id);
	free(s->source_ip);
	free(s->router_mac);
	free(s);
}
