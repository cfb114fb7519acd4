/* SPDX-License-Identifier: MIT */
/* `fastport scan` (and the bare `fastport TARGET...`): its options from one table, the scan. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "fastport.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/payload_arg.h"
#include "cli/sandbox.h"
#ifdef FP_STORE
#include "cli/scan_store.h"
#include "store/nmap_xml.h"
#endif

enum opt_id {
	OPT_PORTS = 'p', OPT_OUTPUT = 'o', OPT_IFACE = 'i', OPT_HELP = 'h', OPT_QUIET = 'q',
	OPT_RATE = 256, OPT_RETRIES, OPT_WAIT, OPT_FORMAT, OPT_STATES, OPT_EXCLUDE,
	OPT_EXCLUDEFILE, OPT_ALLOW_RESERVED, OPT_SHARD, OPT_SEED, OPT_SOURCE_IP,
	OPT_ROUTER_MAC, OPT_CONNECT, OPT_VERSION, OPT_INPUT_LIST, OPT_TELEMETRY, OPT_SEND_THREADS,
	OPT_UDP_PAYLOAD, OPT_UDP_PAYLOAD_FILE, OPT_USER, OPT_NO_DROP, OPT_RESUME, OPT_RESUME_FILE,
	OPT_PIN_CPUS,
	OPT_SEND_PATH, OPT_SERVICE_SCAN, OPT_SV_CONCURRENCY, OPT_SV_TIMEOUT, OPT_SV_DB,
	OPT_STORE, OPT_CONFIRM, OPT_SCAN_ID, OPT_XML_OUTPUT,
};

/* The one table of the scan's options: parsing and the usage text both come from it. */
static const struct cli_opt cli_opts[] = {
	{ "ports", OPT_PORTS, "SPEC", "ports: 22,80-90 ('-' all); T: tcp, U: udp, Q: quic prefixes" },
	{ "input-list", OPT_INPUT_LIST, "FILE", "read targets from FILE (also -iL FILE; '#' comments)" },
	{ "rate", OPT_RATE, "PPS", "packets per second cap, e.g. 300000 or 300k (default 10000)" },
	{ "retries", OPT_RETRIES, "N", "extra probes per target when no answer came (default 1)" },
	{ "wait", OPT_WAIT, "SEC", "longest cooldown after the last probe (default 5)" },
	{ "output", OPT_OUTPUT, "FILE", "write events to FILE (default: standard output)" },
	{ "format", OPT_FORMAT, "FMT", "ndjson (threat_event_v1, default), list or nmap-xml" },
	{ "xml-output", OPT_XML_OUTPUT, "FILE", "also write nmap's XML output to FILE (also -oX FILE)" },
	{ "states", OPT_STATES, "LIST", "states to report: open,closed,filtered,open|filtered,all (default open)" },
	{ "udp-payload", OPT_UDP_PAYLOAD, "PORT:HEX", "send these bytes to UDP PORT instead of the built-in payload" },
	{ "udp-payload-file", OPT_UDP_PAYLOAD_FILE, "FILE", "UDP payloads from FILE: lines 'PORT HEX' or 'PORT:HEX'" },
	{ "exclude", OPT_EXCLUDE, "SPEC", "never probe these addresses, CIDRs or ranges" },
	{ "excludefile", OPT_EXCLUDEFILE, "FILE", "never probe the addresses listed in FILE" },
	{ "allow-reserved", OPT_ALLOW_RESERVED, NULL, "permit benchmark, documentation and reserved ranges" },
	{ "shard", OPT_SHARD, "K/N", "scan part K of N (K from 1 to N) of the work" },
	{ "seed", OPT_SEED, "N", "seed of the probe order (same seed, same order)" },
	{ "interface", OPT_IFACE, "IFACE", "send and receive on IFACE" },
	{ "source-ip", OPT_SOURCE_IP, "IP", "source address of the probes" },
	{ "router-mac", OPT_ROUTER_MAC, "MAC", "next-hop MAC address (skips ARP/NDP)" },
	{ "send-threads", OPT_SEND_THREADS, "N", "sending threads (default: one per CPU, at most 8)" },
	{ "pin-cpus", OPT_PIN_CPUS, NULL, "pin each sending thread, then the receiver, to its own CPU" },
	{ "send-path", OPT_SEND_PATH, "PATH", "auto (default), ring (AF_PACKET TX ring) or xdp (AF_XDP socket)" },
	{ "telemetry", OPT_TELEMETRY, "SEC", "seconds between telemetry events, 0 for none (default 1)" },
	{ "resume-file", OPT_RESUME_FILE, "FILE", "on SIGINT/SIGTERM save progress to FILE (left empty when done)" },
	{ "resume", OPT_RESUME, "FILE", "continue the scan saved in FILE (same targets and options)" },
	{ "connect", OPT_CONNECT, NULL, "TCP connect() scan (no privileges needed)" },
	{ "service-scan", OPT_SERVICE_SCAN, NULL, "identify the service on every open TCP port (also -sV)" },
	{ "sv-concurrency", OPT_SV_CONCURRENCY, "N", "service identification: connections at once (default: from the fd limit)" },
	{ "sv-timeout", OPT_SV_TIMEOUT, "SEC", "service identification: longest time per port (default 6)" },
	{ "sv-db", OPT_SV_DB, "FILE", "service identification: probe database FILE instead of the built-in one" },
#ifdef FP_STORE
	{ "store", OPT_STORE, "URL", "store the scan: sqlite:PATH, sqlite: (default file), postgresql://..." },
	{ "confirm", OPT_CONFIRM, "N", "--store: re-probe ports open before, unanswered now (N passes, default 2)" },
	{ "scan-id", OPT_SCAN_ID, "ID", "--store: continue stored scan ID (a rerun; --resume finds its own)" },
#endif
	{ "user", OPT_USER, "NAME", "as root: become NAME once the sockets are open (default nobody)" },
	{ "no-drop", OPT_NO_DROP, NULL, "keep the user and capabilities (the syscall filter stays)" },
	{ "quiet", OPT_QUIET, NULL, "no progress line on standard error" },
	{ "version", OPT_VERSION, NULL, "print version and build identity" },
	{ "help", OPT_HELP, NULL, "print this help" },
};

static const char *prog = CLI_PROG;
static fp_scanner_t *volatile g_scanner;
static volatile sig_atomic_t g_signals;

void cmd_scan_usage(FILE *f)
{
	fprintf(f, "Scan TCP (stateless SYN or connect), UDP and QUIC ports and report each finding\n"
		"as a threat_event_v1 event.\n"
		"TARGETs are IPv4/IPv6 addresses, CIDR blocks and A-B ranges.\n\nOptions:\n");
	cli_opts_usage(f, cli_opts, sizeof(cli_opts) / sizeof(cli_opts[0]));
	fprintf(f, "\nExit status: 0 done, 1 runtime failure, 2 usage error.\n");
}

static uint32_t parse_seconds_ms(const char *opt, const char *s, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= 0) || v > max)
		fatalx(EXIT_USAGE, "--%s: invalid number of seconds '%s' (0-%g)", opt, s, max);
	return (uint32_t)(v * 1000 + 0.5);
}

static uint32_t parse_states(const char *s)
{
	static const struct { const char *name; uint32_t bits; } names[] = {
		{ "open", 1U << FP_STATE_OPEN }, { "closed", 1U << FP_STATE_CLOSED },
		{ "filtered", 1U << FP_STATE_FILTERED },
		{ "open|filtered", 1U << FP_STATE_OPEN_FILTERED }, { "all", FP_STATES_ALL },
	};
	uint32_t bits = 0;
	const char *p = s;

	while (*p) {
		size_t len = strcspn(p, ",");
		uint32_t b = 0;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && !strncmp(p, names[i].name, len))
				b = names[i].bits;
		if (!b)
			fatalx(EXIT_USAGE, "--states: unknown state '%.*s' (open, closed, filtered, open|filtered, all)",
			       (int)len, p);
		bits |= b;
		p += len;
		if (*p == ',' && !*++p)
			fatalx(EXIT_USAGE, "--states: empty state in '%s'", s);
	}
	if (!bits)
		fatalx(EXIT_USAGE, "--states: no state given");
	return bits;
}

/*
 * One user payload, "PORT:HEX" (or "PORT HEX" in a file): where names the
 * option or file line for messages. Exits 2 on a malformed item.
 */
static void add_udp_payload(fp_scanner_t *s, const char *where, const char *item, size_t len)
{
	char err[640];
	uint8_t *data;
	uint16_t port;
	size_t n;
	int ret;

	data = malloc(len / 2 + 1);
	if (!data)
		fatalx(1, "out of memory");
	if (!payload_item_parse(item, len, &port, data, &n, err, sizeof(err)))
		fatalx(EXIT_USAGE, "%s: %s", where, err);
	ret = fp_scanner_add_udp_payload(s, port, data, n);
	free(data);
	if (ret < 0)
		fatalx(ret == FP_ENOMEM ? 1 : EXIT_USAGE, "%s: %s", where, fp_scanner_error(s));
}

/* A file of "PORT HEX" or "PORT:HEX" lines; '#' starts a comment. */
static void add_udp_payload_file(fp_scanner_t *s, const char *path)
{
	char where[512], *line = NULL;
	size_t cap = 0, lineno = 0, a, b;
	ssize_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		fatalx(EXIT_USAGE, "--udp-payload-file: cannot open '%s': %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (!payload_line_trim(line, (size_t)n, &a, &b))
			continue;
		snprintf(where, sizeof(where), "--udp-payload-file: %s:%zu", path, lineno);
		add_udp_payload(s, where, line + a, b - a);
	}
	if (ferror(f))
		fatalx(1, "--udp-payload-file: reading '%s': %s", path, strerror(errno));
	free(line);
	fclose(f);
}

/* Whether this process may open the raw sockets of a SYN scan. */
static bool raw_permitted(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		return errno != EPERM && errno != EACCES;
	close(fd);
	return true;
}

static void on_signal(int sig)
{
	(void)sig;
	g_signals++;
	if (g_scanner)
		fp_scanner_stop(g_scanner);
	if (g_signals >= 3)
		_exit(130);
}

struct progress {
	fp_scanner_t *s;
	int stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* What the on_ready hook needs: the drop, then the store's writer and
 * the progress thread. */
struct cli_run {
	struct sandbox sb;
	bool sandbox_failed;
	bool store_failed;
#ifdef FP_STORE
	struct scan_store *store;
	struct nmap_xml *xml;
	bool xml_failed;
#endif
	bool want_progress;
	bool pg_started;
	struct progress pg;
	pthread_t pg_thread;
};

/* The one-line status on a terminal: rate, progress, findings, ETA. */
static void *progress_main(void *arg)
{
	struct progress *pg = arg;
	struct timespec ts;

	pthread_mutex_lock(&pg->lock);
	while (!pg->stop) {
		fp_stats_t st = { .struct_size = sizeof(st) };

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&pg->cond, &pg->lock, &ts);
		if (pg->stop)
			break;
		if (fp_scanner_stats(pg->s, &st) == 0 && st.elapsed_us) {
			double el = (double)st.elapsed_us / 1e6;
			double eta = st.progress > 0.001 ? el / st.progress - el : 0;

			fprintf(stderr, "\r\033[K%.1f kpps  %5.1f%%  found %" PRIu64 "  sent %" PRIu64
				"  ETA %.0fs", st.rate / 1000, st.progress * 100, st.open, st.sent,
				eta > 0 ? eta : 0);
		}
	}
	pthread_mutex_unlock(&pg->lock);
	fprintf(stderr, "\r\033[K");
	return NULL;
}

/*
 * cfg.on_ready: every socket is open, no probe sent yet. Drops privileges
 * (sandbox.c), then starts the progress thread, so that it is born with
 * the dropped credentials, capabilities and syscall filter.
 */
static int cli_ready(void *arg)
{
	struct cli_run *run = arg;

	if (sandbox_enter(&run->sb) < 0) {
		run->sandbox_failed = true;
		return -1;
	}
#ifdef FP_STORE
	if (run->store && scan_store_start(run->store) < 0) {
		run->store_failed = true;
		return -1;
	}
#endif
	if (run->want_progress)
		run->pg_started = pthread_create(&run->pg_thread, NULL, progress_main, &run->pg) == 0;
	return 0;
}

/* The scan's events go to the store too (--store). */
static int cli_event(const fp_event_t *ev, void *arg)
{
	struct cli_run *run = arg;

#ifdef FP_STORE
	if (run->xml && !run->xml_failed && nmap_xml_event(run->xml, ev->json, ev->json_len) < 0)
		run->xml_failed = true;
	if (run->store && scan_store_event(run->store, ev->json, ev->json_len) < 0) {
		run->store_failed = true;
		return 1;
	}
#else
	(void)run;
	(void)ev;
#endif
	return 0;
}

#ifdef FP_STORE
/*
 * The re-probe of the ports open in the baseline and unanswered now
 * (--confirm N): in the helper process (scan_store.c), a batch scan of
 * those ports alone with the scan's method, interface, exclusions and UDP
 * payloads, N passes, every state reported.
 */
struct confirm_ctx {
	fp_config_t cfg;
	struct sandbox *sb;
	char **excl, **exclfiles, **udpp, **udpf;
	size_t nexcl, nexclfiles, nudpp, nudpf;
	struct store_port *c;
	size_t *order; /* indexes of c by (protocol, ip, port) */
	size_t n;
};

static const char *proto_text(uint8_t p)
{
	return p == FP_PROTO_UDP ? "udp" : p == FP_PROTO_QUIC ? "quic" : "tcp";
}

static int port_cmp(const struct store_port *a, const char *proto, const char *ip, uint16_t port)
{
	int r = strcmp(a->protocol, proto);

	if (!r)
		r = strcmp(a->ip, ip);
	if (!r)
		r = a->port < port ? -1 : a->port > port;
	return r;
}

static struct confirm_ctx *g_confirm; /* for qsort's comparison */

static int order_cmp(const void *x, const void *y)
{
	const struct store_port *b = &g_confirm->c[*(const size_t *)y];

	return port_cmp(&g_confirm->c[*(const size_t *)x], b->protocol, b->ip, b->port);
}

static int confirm_event(const fp_event_t *ev, void *arg)
{
	static const char *const names[] = { "open", "closed", "filtered", "open|filtered" };
	struct confirm_ctx *cc = arg;
	const char *proto;
	size_t lo = 0, hi = cc->n;

	if (ev->kind != FP_EVENT_PORT_STATE)
		return 0;
	proto = proto_text(ev->protocol);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = port_cmp(&cc->c[cc->order[mid]], proto, ev->ip, ev->port);

		if (!r) {
			snprintf(cc->c[cc->order[mid]].confirmed, sizeof(cc->c[0].confirmed), "%s",
				 names[ev->state & 3]);
			break;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int confirm_ready(void *arg)
{
	struct confirm_ctx *cc = arg;

	return sandbox_enter(cc->sb) < 0 ? -1 : 0;
}

static int confirm_probe(void *arg, struct store_port *c, size_t n)
{
	struct confirm_ctx *cc = arg;
	fp_target_t *t = calloc(n, sizeof(*t));
	fp_scanner_t *s = NULL;
	char errbuf[512];
	int ret = -1;

	cc->c = c;
	cc->n = n;
	cc->order = calloc(n, sizeof(*cc->order));
	if (!t || !cc->order || n > UINT32_MAX) {
		fprintf(stderr, "%s: --confirm: out of memory\n", prog);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cc->order[i] = i;
		t[i] = (fp_target_t){ c[i].ip, c[i].port,
				      !strcmp(c[i].protocol, "udp") ? FP_PROTO_UDP :
				      !strcmp(c[i].protocol, "quic") ? FP_PROTO_QUIC : FP_PROTO_TCP };
	}
	g_confirm = cc;
	qsort(cc->order, n, sizeof(*cc->order), order_cmp);
	cc->cfg.on_event = confirm_event;
	cc->cfg.on_ready = confirm_ready;
	cc->cfg.userdata = cc;
	if (fp_scanner_new(&cc->cfg, &s, errbuf, sizeof(errbuf)) < 0) {
		fprintf(stderr, "%s: --confirm: %s\n", prog, errbuf);
		goto out;
	}
	for (size_t i = 0; i < cc->nexcl; i++)
		if (fp_scanner_add_exclude(s, cc->excl[i]) < 0)
			goto fail;
	for (size_t i = 0; i < cc->nexclfiles; i++)
		if (fp_scanner_add_exclude_file(s, cc->exclfiles[i]) < 0)
			goto fail;
	for (size_t i = 0; i < cc->nudpf; i++)
		add_udp_payload_file(s, cc->udpf[i]);
	for (size_t i = 0; i < cc->nudpp; i++)
		add_udp_payload(s, "--udp-payload", cc->udpp[i], strlen(cc->udpp[i]));
	g_scanner = s;
	ret = fp_scan_batch(s, t, (uint32_t)n);
	g_scanner = NULL;
	if (ret == FP_EEMPTY) /* every one excluded: nothing re-probed */
		ret = 0;
	if (ret < 0)
		goto fail;
	goto out;
fail:
	fprintf(stderr, "%s: --confirm: %s\n", prog, fp_scanner_error(s));
	ret = -1;
out:
	fp_scanner_free(s);
	free(cc->order);
	free(t);
	return ret;
}
#endif

/*
 * argv[0] is "scan", or "fastport" for the bare form, whose --help is
 * fastport's own (every command, then these options).
 */
int cmd_scan(int argc, char **argv)
{
	struct option lopts[sizeof(cli_opts) / sizeof(cli_opts[0]) + 1];
	char shorts[64], errbuf[512];
	char **excl = NULL, **exclfiles = NULL, **lists = NULL, **udpp = NULL, **udpf = NULL;
	size_t nexcl = 0, nexclfiles = 0, nlists = 0, nudpp = 0, nudpf = 0;
	const char *ports = NULL, *outpath = NULL, *user = NULL, *resume = NULL, *resume_out = NULL;
	const char *store_url = NULL, *scan_id = NULL, *xml_path = NULL;
	long confirm = -1;
	bool xml_out = false;
#ifdef FP_STORE
	FILE *xml_files[2] = { NULL, NULL }; /* --format nmap-xml, -oX */
#endif
	char *cmdline = NULL;
	fp_config_t cfg;
	fp_scanner_t *s;
	int c, ret, quiet = 0, outfd = STDOUT_FILENO, resfd = -1;
	unsigned sb_flags = 0;
	struct cli_run run = { .pg = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER } };

	fp_config_init(&cfg);
	cfg.out_fd = STDOUT_FILENO;
	cli_opts_getopt(cli_opts, sizeof(cli_opts) / sizeof(cli_opts[0]), lopts, shorts);
	/* The command line as given, for nmap XML's <nmaprun args>. */
	{
		size_t len = strlen(CLI_PROG) + 1;

		for (int i = 1; i < argc; i++)
			len += strlen(argv[i]) + 1;
		cmdline = malloc(len);
		if (!cmdline)
			fatalx(1, "out of memory");
		strcpy(cmdline, CLI_PROG);
		for (int i = 1; i < argc; i++)
			strcat(strcat(cmdline, " "), argv[i]);
	}
	/* nmap's -iL, -sV and -oX are one option each (-iL is not -i with "L"). */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-iL"))
			argv[i] = (char *)"--input-list";
		else if (!strcmp(argv[i], "-sV"))
			argv[i] = (char *)"--service-scan";
		else if (!strcmp(argv[i], "-oX"))
			argv[i] = (char *)"--xml-output";
	}
	excl = calloc((size_t)argc, sizeof(*excl));
	exclfiles = calloc((size_t)argc, sizeof(*exclfiles));
	lists = calloc((size_t)argc, sizeof(*lists));
	udpp = calloc((size_t)argc, sizeof(*udpp));
	udpf = calloc((size_t)argc, sizeof(*udpf));
	if (!excl || !exclfiles || !lists || !udpp || !udpf)
		fatalx(1, "out of memory");

	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		switch (c) {
		case OPT_PORTS: ports = optarg; break;
		case OPT_INPUT_LIST: lists[nlists++] = optarg; break;
		case OPT_RATE: cfg.rate = cli_parse_u64("rate", optarg, 1, 100000000); break;
		case OPT_RETRIES: cfg.retries = (uint32_t)cli_parse_u64("retries", optarg, 0, 100); break;
		case OPT_WAIT: cfg.wait_ms = parse_seconds_ms("wait", optarg, 3600); break;
		case OPT_OUTPUT: outpath = optarg; break;
		case OPT_FORMAT:
			xml_out = false;
			if (!strcmp(optarg, "ndjson") || !strcmp(optarg, "json"))
				cfg.out_format = FP_FORMAT_NDJSON;
			else if (!strcmp(optarg, "list"))
				cfg.out_format = FP_FORMAT_LIST;
			else if (!strcmp(optarg, "nmap-xml"))
				xml_out = true;
			else
				fatalx(EXIT_USAGE, "--format: unknown format '%s' (ndjson, list, nmap-xml)", optarg);
			break;
		case OPT_XML_OUTPUT: xml_path = optarg; break;
		case OPT_STATES: cfg.states = parse_states(optarg); break;
		case OPT_EXCLUDE: excl[nexcl++] = optarg; break;
		case OPT_UDP_PAYLOAD: udpp[nudpp++] = optarg; break;
		case OPT_UDP_PAYLOAD_FILE: udpf[nudpf++] = optarg; break;
		case OPT_EXCLUDEFILE: exclfiles[nexclfiles++] = optarg; break;
		case OPT_ALLOW_RESERVED: cfg.allow_reserved = 1; break;
		case OPT_SHARD: {
			char *slash = strchr(optarg, '/');

			if (!slash)
				fatalx(EXIT_USAGE, "--shard: expected K/N, got '%s'", optarg);
			*slash = '\0';
			cfg.shard = (uint32_t)cli_parse_u64("shard", optarg, 1, 1000000);
			cfg.shard_count = (uint32_t)cli_parse_u64("shard", slash + 1, 1, 1000000);
			*slash = '/';
			if (cfg.shard > cfg.shard_count)
				fatalx(EXIT_USAGE, "--shard: K must be from 1 to N, got '%s'", optarg);
			break;
		}
		case OPT_SEED: cfg.seed = cli_parse_u64("seed", optarg, 0, UINT64_MAX); break;
		case OPT_IFACE: cfg.interface = optarg; break;
		case OPT_SOURCE_IP: cfg.source_ip = optarg; break;
		case OPT_ROUTER_MAC: cfg.router_mac = optarg; break;
		case OPT_TELEMETRY: cfg.telemetry_ms = parse_seconds_ms("telemetry", optarg, 3600); break;
		case OPT_SEND_THREADS: cfg.send_threads = (uint32_t)cli_parse_u64("send-threads", optarg, 1, 64); break;
		case OPT_SEND_PATH:
			if (!strcmp(optarg, "auto"))
				cfg.send_path = FP_SEND_AUTO;
			else if (!strcmp(optarg, "ring"))
				cfg.send_path = FP_SEND_RING;
			else if (!strcmp(optarg, "xdp"))
				cfg.send_path = FP_SEND_XDP;
			else
				fatalx(EXIT_USAGE, "--send-path: unknown path '%s' (auto, ring, xdp)", optarg);
			break;
		case OPT_CONNECT: cfg.connect = 1; break;
		case OPT_SERVICE_SCAN: cfg.service_scan = 1; break;
		case OPT_SV_CONCURRENCY:
			cfg.sv_concurrency = (uint32_t)cli_parse_u64("sv-concurrency", optarg, 1, 16384);
			break;
		case OPT_SV_TIMEOUT:
			cfg.sv_timeout_ms = parse_seconds_ms("sv-timeout", optarg, 600);
			if (!cfg.sv_timeout_ms)
				fatalx(EXIT_USAGE, "--sv-timeout: at least 0.001 seconds, got '%s'", optarg);
			break;
		case OPT_SV_DB: cfg.sv_db = optarg; break;
		case OPT_STORE: store_url = optarg; break;
		case OPT_CONFIRM: confirm = (long)cli_parse_u64("confirm", optarg, 0, 100); break;
		case OPT_SCAN_ID: scan_id = optarg; break;
		case OPT_USER: user = optarg; break;
		case OPT_NO_DROP: sb_flags |= SANDBOX_KEEP_PRIVS; break;
		case OPT_PIN_CPUS: cfg.pin_cpus = 1; break;
		case OPT_RESUME: resume = optarg; break;
		case OPT_RESUME_FILE: resume_out = optarg; break;
		case OPT_QUIET: quiet = 1; break;
		case OPT_VERSION: cli_version(); goto done;
		case OPT_HELP: cli_usage(stdout, strcmp(argv[0], "scan") ? NULL : "scan"); goto done;
		case ':':
			fatalx(EXIT_USAGE, "option '%s' needs an argument", argv[optind - 1]);
		default:
			fatalx(EXIT_USAGE, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc && !nlists)
		fatalx(EXIT_USAGE, "no targets given");
	if ((confirm >= 0 || scan_id) && !store_url)
		fatalx(EXIT_USAGE, "--confirm and --scan-id need --store");
#ifndef FP_STORE
	if (xml_out || xml_path)
		fatalx(EXIT_USAGE, "nmap XML output needs a fastport built with the store (STORE=1)");
#endif

	/* Every file is opened now: the sandbox forbids it once the scan's
	 * sockets are open. The state to continue is read first, so --resume
	 * and --resume-file may name the same file. */
	if (resume)
		resfd = open(resume, O_RDONLY | O_CLOEXEC);
	if (resume && resfd < 0)
		fatalx(EXIT_USAGE, "--resume: cannot open '%s': %s", resume, strerror(errno));
	if (outpath && strcmp(outpath, "-")) {
		outfd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (outfd < 0)
			fatalx(1, "cannot open '%s': %s", outpath, strerror(errno));
	}
	cfg.out_fd = outfd;
#ifdef FP_STORE
	/* nmap XML is written when the scan ends (hosts are grouped), by
	 * stdio on files opened now; their buffers are set up now too (the
	 * C library would fstat the file on the first write). */
	if (xml_out) {
		xml_files[0] = outfd == STDOUT_FILENO ? stdout : fdopen(outfd, "w");
		cfg.out_fd = -1;
	}
	if (xml_path) {
		xml_files[1] = !strcmp(xml_path, "-") ? stdout : fopen(xml_path, "we");
		if (!xml_files[1])
			fatalx(1, "--xml-output: cannot open '%s': %s", xml_path, strerror(errno));
	}
	for (int i = 0; i < 2; i++)
		if (xml_files[i] && setvbuf(xml_files[i], NULL, _IOFBF, 1 << 16) != 0)
			fatalx(1, "out of memory");
	if (xml_out || xml_path) {
		run.xml = nmap_xml_new(cmdline, ports ? ports : SCAN_DEFAULT_PORTS);
		if (!run.xml || (xml_out && !xml_files[0]))
			fatalx(1, "out of memory");
	}
#endif

	if (cfg.connect && cfg.send_path != FP_SEND_AUTO)
		fatalx(EXIT_USAGE, "--send-path: a connect() scan sends through the kernel's TCP stack");
	/* An explicit send path is a raw scan or nothing: it fails below
	 * with a message instead of turning into a connect() scan. */
	if (!cfg.connect && cfg.send_path == FP_SEND_AUTO && !raw_permitted()) {
		fprintf(stderr, "%s: raw sockets are not permitted (root or CAP_NET_RAW needed): "
			"scanning with --connect\n", prog);
		cfg.connect = 1;
	}
	if ((cfg.sv_concurrency || cfg.sv_timeout_ms || cfg.sv_db) && !cfg.service_scan)
		fatalx(EXIT_USAGE, "--sv-concurrency, --sv-timeout and --sv-db need --service-scan (-sV)");
	if (sandbox_init(&run.sb, user, sb_flags | (cfg.connect ? SANDBOX_CONNECT : 0) |
					(cfg.service_scan ? SANDBOX_SERVICE : 0) |
					(store_url ? SANDBOX_STORE : 0)) < 0)
		fatalx(user || (sb_flags & SANDBOX_KEEP_PRIVS) ? EXIT_USAGE : 1, "%s", run.sb.err);
#ifdef FP_STORE
	/* The store is opened now, while privileged: its files (or its
	 * connection) are used by the writer thread after the drop. It
	 * decides the scan id: a resumed run continues its stored scan. */
	if (store_url) {
		struct scan_store_opts so = {
			.url = store_url, .targets = (const char *const *)argv + optind,
			.ntargets = (size_t)(argc - optind), .target_files = (const char *const *)lists,
			.ntarget_files = nlists, .excludes = (const char *const *)excl,
			.nexcludes = nexcl, .exclude_files = (const char *const *)exclfiles,
			.nexclude_files = nexclfiles, .ports = ports,
			.allow_reserved = cfg.allow_reserved, .confirm = confirm < 0 ? 2 : (unsigned)confirm,
			.scan_id = scan_id, .resume_fd = resfd, .shard = cfg.shard,
			.shard_count = cfg.shard_count, .out_fd = outfd,
			.list = cfg.out_format == FP_FORMAT_LIST, .quiet_out = xml_out,
			.xml = run.xml,
		};

		run.store = scan_store_open(&so, &cfg.scan_id);
	}
#endif
	cfg.on_event = store_url || xml_out || xml_path ? cli_event : NULL;
	cfg.on_ready = cli_ready;
	cfg.userdata = &run;
	ret = fp_scanner_new(&cfg, &s, errbuf, sizeof(errbuf));
	if (ret < 0)
		fatalx(ret == FP_EINVAL ? EXIT_USAGE : 1, "%s", errbuf);
	for (int i = optind; i < argc; i++)
		if (fp_scanner_add_targets(s, argv[i]) < 0)
			fatalx(EXIT_USAGE, "%s", fp_scanner_error(s));
	for (size_t i = 0; i < nlists; i++)
		if (fp_scanner_add_target_file(s, lists[i]) < 0)
			fatalx(EXIT_USAGE, "%s", fp_scanner_error(s));
	for (size_t i = 0; i < nexcl; i++)
		if (fp_scanner_add_exclude(s, excl[i]) < 0)
			fatalx(EXIT_USAGE, "--exclude: %s", fp_scanner_error(s));
	for (size_t i = 0; i < nexclfiles; i++)
		if (fp_scanner_add_exclude_file(s, exclfiles[i]) < 0)
			fatalx(EXIT_USAGE, "--excludefile: %s", fp_scanner_error(s));
	if (ports && fp_scanner_set_ports(s, ports) < 0)
		fatalx(EXIT_USAGE, "%s", fp_scanner_error(s));
	if (resume) {
		ret = fp_scanner_load_state(s, resfd);
		close(resfd);
		resfd = -1;
		if (ret == FP_EEMPTY) {
			/* An empty file is what a completed scan leaves. */
			fprintf(stderr, "%s: '%s' is empty: the scan completed, nothing to resume\n",
				prog, resume);
			fp_scanner_free(s);
			goto done;
		}
		if (ret < 0)
			fatalx(ret == FP_ENOMEM || ret == FP_EIO ? 1 : EXIT_USAGE, "--resume: '%s': %s",
			       resume, fp_scanner_error(s));
	}
	/* Not truncated yet: a scan that fails (a state for another scan,
	 * say) leaves the file as it was, also when it is the --resume file. */
	if (resume_out) {
		resfd = open(resume_out, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (resfd < 0)
			fatalx(1, "--resume-file: cannot open '%s': %s", resume_out, strerror(errno));
	}
	/* Files first, so a --udp-payload on the command line wins. */
	for (size_t i = 0; i < nudpf; i++)
		add_udp_payload_file(s, udpf[i]);
	for (size_t i = 0; i < nudpp; i++)
		add_udp_payload(s, "--udp-payload", udpp[i], strlen(udpp[i]));

	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		g_scanner = s;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	run.pg.s = s;
	run.want_progress = !quiet && isatty(STDERR_FILENO);
#ifdef FP_STORE
	/* The re-probing helper is forked now: every option is in place and
	 * no thread runs yet (the store's writer starts after the drop). */
	if (run.store) {
		static struct confirm_ctx cc;

		cc.cfg = cfg;
		cc.cfg.states = FP_STATES_ALL;
		cc.cfg.retries = confirm > 0 ? (uint32_t)confirm - 1 : 1;
		cc.cfg.out_fd = -1;
		cc.cfg.telemetry_ms = 0;
		cc.cfg.shard = cc.cfg.shard_count = 1;
		cc.cfg.seed = 0;
		cc.cfg.scan_id = NULL;
		cc.cfg.service_scan = 0;
		cc.cfg.sv_concurrency = cc.cfg.sv_timeout_ms = 0;
		cc.cfg.sv_db = NULL;
		cc.cfg.send_threads = 1;
		cc.cfg.pin_cpus = 0;
		cc.sb = &run.sb;
		cc.excl = excl, cc.nexcl = nexcl, cc.exclfiles = exclfiles, cc.nexclfiles = nexclfiles;
		cc.udpp = udpp, cc.nudpp = nudpp, cc.udpf = udpf, cc.nudpf = nudpf;
		run.sb.child = scan_store_fork_helper(run.store, confirm_probe, &cc);
	}
#endif
	ret = fp_scanner_run(s);
	if (run.pg_started) {
		pthread_mutex_lock(&run.pg.lock);
		run.pg.stop = 1;
		pthread_cond_signal(&run.pg.cond);
		pthread_mutex_unlock(&run.pg.lock);
		pthread_join(run.pg_thread, NULL);
	}
	g_scanner = NULL;
#ifdef FP_STORE
	/* After the scan's last event: its state, the re-probe, the changes. */
	if (run.store) {
		int code = run.store_failed && !run.sandbox_failed ? 1 : 0;

		if (scan_store_finish(run.store, ret < 0))
			code = 1;
		scan_store_free(run.store);
		run.store = NULL;
		if (code && ret == 0) {
			if (resfd >= 0)
				close(resfd);
			fp_scanner_free(s);
			free(excl);
			free(exclfiles);
			free(lists);
			free(udpp);
			free(udpf);
			free(cmdline);
			return code;
		}
	}
	/* nmap XML: the whole document now (hosts are grouped). */
	if (run.xml) {
		for (int i = 0; i < 2 && ret == 0; i++) {
			FILE *f = xml_files[i];
			const char *name = i ? xml_path : outpath ? outpath : "standard output";

			if (!f)
				continue;
			if (run.xml_failed || nmap_xml_write(run.xml, f) < 0 || fflush(f) != 0)
				fatalx(1, "writing nmap XML to %s: %s", name,
				       run.xml_failed ? "out of memory" : strerror(errno));
			if (f != stdout && fclose(f) != 0)
				fatalx(1, "closing %s: %s", name, strerror(errno));
			if (f != stdout && i == 0)
				outfd = STDOUT_FILENO; /* closed with its stream */
		}
		nmap_xml_free(run.xml);
		run.xml = NULL;
	}
#endif
	if (ret < 0) {
		int code = ret == FP_EINVAL || ret == FP_EEMPTY || ret == FP_ERANGE ? EXIT_USAGE : 1;

		if (run.store_failed && ret == FP_EPERM)
			code = 1; /* the store's writer did not start: said above */
		else if (run.sandbox_failed)
			fprintf(stderr, "%s: cannot drop privileges: %s\n", prog, run.sb.err);
		else
			fprintf(stderr, "%s: %s\n", prog, fp_scanner_error(s));
		if (ret == FP_EPERM && !run.sandbox_failed && !run.store_failed)
			fprintf(stderr, "%s: raw sockets need root or CAP_NET_RAW\n", prog);
		if (resfd >= 0)
			close(resfd); /* a failed scan leaves the file as it was */
		fp_scanner_free(s);
		free(excl);
		free(exclfiles);
		free(lists);
		free(udpp);
		free(udpf);
		free(cmdline);
		return code;
	}
	if (resfd >= 0) {
		/* A stopped scan leaves its state; a completed one an empty
		 * file (the sandbox permits ftruncate, not unlink). Nothing
		 * was written yet, so the state starts at offset 0. */
		if (ftruncate(resfd, 0) < 0)
			fatalx(1, "--resume-file: '%s': %s", resume_out, strerror(errno));
		ret = fp_scanner_save_state(s, resfd);
		if (ret == 0)
			fprintf(stderr, "%s: interrupted; resume with --resume %s\n", prog, resume_out);
		else if (ret != FP_ESTATE)
			fatalx(1, "--resume-file: '%s': %s", resume_out, fp_scanner_error(s));
		if (close(resfd) < 0)
			fatalx(1, "--resume-file: closing '%s': %s", resume_out, strerror(errno));
	}
	fp_scanner_free(s);
	if (outfd != STDOUT_FILENO && close(outfd) < 0)
		fatalx(1, "closing '%s': %s", outpath, strerror(errno));
done:
	free(excl);
	free(exclfiles);
	free(lists);
	free(udpp);
	free(udpf);
	free(cmdline);
	return 0;
}
