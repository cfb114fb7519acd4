/* SPDX-License-Identifier: MIT */
/* `fastport serve`: its options from one table, the checks before listening, the life of the server. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "serve/privsep.h"
#include "serve/serve.h"
#include "store/store.h"

enum opt_id {
	OPT_HELP = 'h',
	OPT_LISTEN = 256, OPT_ALLOW, OPT_ALLOW_RESERVED, OPT_TOKEN_FILE, OPT_STORE, OPT_MAX_RATE,
	OPT_MAX_SCANS, OPT_TLS_CERT, OPT_TLS_KEY, OPT_MAX_EVENTS, OPT_USER, OPT_STATE_DIR,
	OPT_NATS, OPT_CREDS, OPT_USER_FILE, OPT_TLS_CA,
};

static const struct cli_opt serve_opts[] = {
	{ "listen", OPT_LISTEN, "ADDR:PORT", "where to listen (default 127.0.0.1:8700; [::1]:PORT for IPv6)" },
	{ "allow", OPT_ALLOW, "SPEC", "what this sensor may scan: addresses, CIDRs, ranges (required, repeatable)" },
	{ "allow-reserved", OPT_ALLOW_RESERVED, NULL, "permit tasks in the benchmark, documentation and reserved ranges" },
	{ "token-file", OPT_TOKEN_FILE, "FILE", "bearer token clients must send (first line; mode 0600 or stricter)" },
	{ "store", OPT_STORE, "URL", "results store: sqlite:PATH (default sqlite:STATE-DIR/fastport.db), postgresql://..., none" },
	{ "state-dir", OPT_STATE_DIR, "DIR", "tasks' checkpoints, default store (default $XDG_STATE_HOME/fastport or ~/.local/state/fastport)" },
	{ "max-rate", OPT_MAX_RATE, "PPS", "highest rate a task may ask for (default 100000; above: 400)" },
	{ "max-scans", OPT_MAX_SCANS, "N", "scans running at once, the rest queued (default 1)" },
	{ "max-events", OPT_MAX_EVENTS, "MIB", "event bytes kept in memory per scan (default 64)" },
	{ "tls-cert", OPT_TLS_CERT, "FILE", "serve HTTPS with this PEM certificate (with --tls-key)" },
	{ "tls-key", OPT_TLS_KEY, "FILE", "the certificate's PEM private key" },
	{ "user", OPT_USER, "NAME", "as root: the user the HTTP process and the scans run as (default nobody)" },
#ifdef FP_FLEET
	{ "nats", OPT_NATS, "URL", "run every scan on the fleet: shard tasks to this NATS JetStream, findings back (docs/SCALING.md)" },
	{ "creds", OPT_CREDS, "FILE", "with --nats: NATS credentials file (JWT and nkey seed)" },
	{ "user-file", OPT_USER_FILE, "FILE", "with --nats: user and password, first line 'user:password'" },
	{ "tls-ca", OPT_TLS_CA, "FILE", "with --nats: require TLS, trusting this PEM CA bundle" },
#endif
	{ "help", OPT_HELP, NULL, "print this help" },
};

#define NOPTS (sizeof(serve_opts) / sizeof(serve_opts[0]))

void cmd_serve_usage(FILE *f)
{
	fprintf(f, "Run the tasking and telemetry API of this sensor: scans are posted as JSON\n"
		"(POST /v1/scans), run here within the --allow scope, and their events, state\n"
		"and counters read back; /metrics for Prometheus. docs/API-SERVE.md and\n"
		"docs/openapi.yaml describe the API.\n\nOptions:\n");
	cli_opts_usage(f, serve_opts, NOPTS);
	fprintf(f, "\nA non-loopback --listen needs --token-file and --tls-cert/--tls-key.\n"
		"Exit status: 0 stopped by SIGINT/SIGTERM, 1 runtime failure, 2 usage error.\n");
}

/* ADDR:PORT or [V6]:PORT. Returns whether the address is loopback. */
static bool parse_listen(const char *spec, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon = strrchr(spec, ':'), *h = spec;
	size_t hl;
	uint16_t port;

	if (!colon)
		fatalx(EXIT_USAGE, "--listen: expected ADDR:PORT, got '%s'", spec);
	port = (uint16_t)cli_parse_u64("listen", colon + 1, 1, 65535);
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']')
		h++, hl -= 2;
	if (hl >= sizeof(host))
		fatalx(EXIT_USAGE, "--listen: bad address in '%s'", spec);
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons(port);
			return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
		}
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons(port);
			return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
		}
	}
	fatalx(EXIT_USAGE, "--listen: '%s' is no IPv4 or IPv6 address (names are not resolved)", host);
}

/* A whole small file (PEM, token), NUL-terminated. */
static char *slurp(const char *opt, const char *path, bool secret)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *buf;
	size_t n;

	if (!f)
		fatalx(EXIT_USAGE, "--%s: cannot open '%s': %s", opt, path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || st.st_size > 1 << 20)
		fatalx(EXIT_USAGE, "--%s: '%s' is not a small regular file", opt, path);
	if (secret && (st.st_mode & 077))
		fatalx(EXIT_USAGE, "--%s: '%s' is readable by others (chmod 600 it)", opt, path);
	buf = calloc(1, (size_t)st.st_size + 1);
	if (!buf)
		fatalx(1, "out of memory");
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f))
		fatalx(1, "--%s: reading '%s': %s", opt, path, strerror(errno));
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The listening socket, made now so that no privilege is needed later. */
static int listen_socket(const struct sockaddr_storage *ss, const char *spec)
{
	socklen_t len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;

	if (fd < 0)
		fatalx(1, "--listen %s: socket: %s", spec, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 64) < 0)
		fatalx(1, "--listen %s: %s", spec, strerror(errno));
	return fd;
}

static bool raw_permitted(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		return errno != EPERM && errno != EACCES;
	close(fd);
	return true;
}

int cmd_serve(int argc, char **argv)
{
	struct option lopts[NOPTS + 1];
	char shorts[3 * NOPTS + 1];
	struct serve sv = { .lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER,
			    .events = PTHREAD_COND_INITIALIZER };
	struct MHD_Daemon *d;
	struct store_url su = { 0 };
	struct timespec now;
	sigset_t sigs;
	char err[1024], *state_dir = NULL, *default_store = NULL;
	bool loopback;
	int c, sig = 0;

	sv.o.listen = "127.0.0.1:8700";
	sv.o.store_url = NULL; /* sqlite: in the state directory */
	sv.o.max_rate = 100000;
	sv.o.max_scans = 1;
	sv.o.max_events_bytes = 64u << 20;
	sv.o.allow = calloc((size_t)argc, sizeof(*sv.o.allow));
	if (!sv.o.allow)
		fatalx(1, "out of memory");
	cli_opts_getopt(serve_opts, NOPTS, lopts, shorts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN: sv.o.listen = optarg; break;
		case OPT_ALLOW: sv.o.allow[sv.o.nallow++] = optarg; break;
		case OPT_ALLOW_RESERVED: sv.o.allow_reserved = true; break;
		case OPT_TOKEN_FILE: sv.o.token_file = optarg; break;
		case OPT_STORE: sv.o.store_url = optarg; break;
		case OPT_STATE_DIR: sv.o.state_dir = optarg; break;
		case OPT_MAX_RATE: sv.o.max_rate = cli_parse_u64("max-rate", optarg, 1, 100000000); break;
		case OPT_MAX_SCANS: sv.o.max_scans = (unsigned)cli_parse_u64("max-scans", optarg, 1, 64); break;
		case OPT_MAX_EVENTS:
			sv.o.max_events_bytes = (size_t)cli_parse_u64("max-events", optarg, 1, 65536) << 20;
			break;
		case OPT_TLS_CERT: sv.o.tls_cert = optarg; break;
		case OPT_TLS_KEY: sv.o.tls_key = optarg; break;
		case OPT_USER: sv.o.user = optarg; break;
		case OPT_NATS: sv.o.nats = optarg; break;
		case OPT_CREDS: sv.o.nats_creds = optarg; break;
		case OPT_USER_FILE: sv.o.nats_user_file = optarg; break;
		case OPT_TLS_CA: sv.o.nats_tls_ca = optarg; break;
		case OPT_HELP: cli_usage(stdout, "serve"); free(sv.o.allow); return 0;
		case ':': fatalx(EXIT_USAGE, "option '%s' needs an argument", argv[optind - 1]);
		default: fatalx(EXIT_USAGE, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		fatalx(EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (!sv.o.nallow)
		fatalx(EXIT_USAGE, "--allow is required: the addresses this sensor may scan");
	if (!sv.o.nats && (sv.o.nats_creds || sv.o.nats_user_file || sv.o.nats_tls_ca))
		fatalx(EXIT_USAGE, "--creds, --user-file and --tls-ca go with --nats");
	if (sv.o.nats_creds && sv.o.nats_user_file)
		fatalx(EXIT_USAGE, "--creds and --user-file exclude each other");
	if (!!sv.o.tls_cert != !!sv.o.tls_key)
		fatalx(EXIT_USAGE, "--tls-cert and --tls-key go together");
	loopback = parse_listen(sv.o.listen, &sv.addr);
	if (!loopback && (!sv.o.token_file || !sv.o.tls_cert))
		fatalx(EXIT_USAGE, "--listen %s is not a loopback address: --token-file and "
		       "--tls-cert/--tls-key are required", sv.o.listen);
	if (sv.o.tls_cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		fatalx(1, "--tls-cert: this libmicrohttpd has no TLS support");

	if (scope_new(&sv.scope, sv.o.allow_reserved) < 0)
		fatalx(1, "out of memory");
	for (size_t i = 0; i < sv.o.nallow; i++)
		if (scope_allow(sv.scope, sv.o.allow[i], err, sizeof(err)) < 0)
			fatalx(EXIT_USAGE, "--allow: %s", err);
	if (sv.o.token_file) {
		char *tok = slurp("token-file", sv.o.token_file, true);

		tok[strcspn(tok, "\r\n")] = '\0';
		if (strlen(tok) < 16)
			fatalx(EXIT_USAGE, "--token-file: the token is shorter than 16 characters");
		for (const char *p = tok; *p; p++)
			if (*p <= ' ' || *p == 0x7f)
				fatalx(EXIT_USAGE, "--token-file: the token holds a space or control character");
		sv.token = tok;
		sv.token_len = strlen(tok);
	} else {
		fprintf(stderr, "%s: serve: no --token-file: anyone on this host may task scans\n", CLI_PROG);
	}
	if (sv.o.tls_cert) {
		sv.tls_cert_pem = slurp("tls-cert", sv.o.tls_cert, false);
		sv.tls_key_pem = slurp("tls-key", sv.o.tls_key, true);
	}
	/* --store none keeps nothing: no state directory either. */
	if ((!sv.o.store_url || strcmp(sv.o.store_url, "none")) &&
	    serve_state_dir(sv.o.state_dir, &state_dir, err, sizeof(err)) < 0)
		fatalx(EXIT_USAGE, "%s", err);
	if (!sv.o.store_url) {
		if (asprintf(&default_store, "sqlite:%s/fastport.db", state_dir) < 0)
			fatalx(1, "out of memory");
		sv.o.store_url = default_store;
	}
	if (strcmp(sv.o.store_url, "none")) {
		struct store *st;

		if (store_url_parse(sv.o.store_url, &su, err, sizeof(err)) < 0)
			fatalx(EXIT_USAGE, "--store: %s", err);
		/* Opened once now, so a bad store fails here and not per scan. */
		if (store_open(&su, STORE_OPEN_CREATE, &st, err, sizeof(err)) < 0)
			fatalx(1, "--store: %s", err);
		store_close(st);
		sv.store_url = &su;
	}
	sv.raw_ok = raw_permitted();
	sv.exec = &serve_exec_inproc;
	sv.listen_fd = -1;
	if (!sv.raw_ok) {
		fprintf(stderr, "%s: serve: raw sockets are not permitted: every scan is a connect() scan\n",
			CLI_PROG);
		if (sv.o.user)
			fatalx(EXIT_USAGE, "--user: only root can change user");
	} else {
		/* Privilege separation (privsep.h): this process stays the
		 * privileged parent; the HTTP process goes on from here. */
		sv.listen_fd = listen_socket(&sv.addr, sv.o.listen);
		if (privsep_split(&sv, err, sizeof(err)) < 0)
			fatalx(1, "%s", err);
		if (serve_store_pool_open(&sv, sv.o.max_scans, err, sizeof(err)) < 0)
			fatalx(1, "--store: %s", err);
		/* The tasks and checkpoints of the last run, read before the drop. */
		if (state_dir && serve_durable_open(&sv, state_dir, err, sizeof(err)) < 0)
			fatalx(1, "%s", err);
		/* jansson seeds its hash from /dev/urandom on first use: now. */
		json_decref(json_object());
		if (privsep_drop_http(&sv, err, sizeof(err)) < 0)
			fatalx(1, "%s", err);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	sv.start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;

	/* Every thread inherits the mask: the signals come to sigwait below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Tasks from the last run come back (the unfinished ones queued). */
	if (!sv.ps && state_dir && serve_durable_open(&sv, state_dir, err, sizeof(err)) < 0)
		fatalx(1, "%s", err);
	if (serve_scans_start(&sv) < 0)
		fatalx(1, "cannot start the scan workers");
	d = serve_http_start(&sv, err, sizeof(err));
	if (!d) {
		serve_scans_stop(&sv);
		fatalx(1, "%s", err);
	}
	fprintf(stderr, "%s: serve: listening on %s://%s (pid %d)\n", CLI_PROG,
		sv.tls_cert_pem ? "https" : "http", sv.o.listen,
		sv.ps ? privsep_parent_pid(&sv) : (int)getpid()); /* privsep: the parent's, serve's own */
	while (sigwait(&sigs, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
		;
	fprintf(stderr, "%s: serve: stopping (signal %d)\n", CLI_PROG, sig);
	serve_scans_stop(&sv);
	MHD_stop_daemon(d);

	while (sv.scans) {
		struct serve_scan *sc = sv.scans;

		sv.scans = sc->next;
		for (size_t i = 0; i < sc->nev; i++)
			free(sc->ev[i].json);
		free(sc->ev);
		for (size_t i = 0; i < sc->nsev; i++)
			free(sc->sev[i].json);
		free(sc->sev);
		free(sc->task_json);
		free(sc->resume_state);
		task_free(&sc->task);
		free(sc);
	}
	serve_durable_close(&sv);
	serve_store_pool_close(&sv);
	if (sv.store_url)
		store_url_free(&su);
	free(default_store);
	free(state_dir);
	scope_free(sv.scope);
	if (sv.token)
		explicit_bzero(sv.token, sv.token_len);
	free(sv.token);
	free(sv.tls_cert_pem);
	if (sv.tls_key_pem)
		explicit_bzero(sv.tls_key_pem, strlen(sv.tls_key_pem));
	free(sv.tls_key_pem);
	free(sv.o.allow);
	return 0;
}
