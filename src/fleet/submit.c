/* SPDX-License-Identifier: MIT */
/* `fastport submit`, `results` and `agents`: a scan into shard tasks, its findings out of JetStream, the fleet's heartbeats. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "fastport.h"
#include "cli/opts.h"
#include "fleet/fleet.h"

enum opt_id {
	OPT_HELP = 'h', OPT_PORTS = 'p',
	OPT_NATS = 256, OPT_CREDS, OPT_USER_FILE, OPT_TLS_CA, OPT_SHARDS, OPT_SEED, OPT_KEY,
	OPT_EXCLUDE, OPT_RATE, OPT_RETRIES, OPT_STATES, OPT_SERVICE, OPT_CONNECT,
	OPT_ALLOW_RESERVED, OPT_WAIT, OPT_COUNT, OPT_REPLICAS,
};

#define CONN_OPTS \
	{ "nats", OPT_NATS, "URL", "the NATS server(s), e.g. nats://10.0.0.5:4222 (required)" }, \
	{ "creds", OPT_CREDS, "FILE", "NATS credentials file (JWT and nkey seed)" }, \
	{ "user-file", OPT_USER_FILE, "FILE", "user and password: first line 'user:password'" }, \
	{ "tls-ca", OPT_TLS_CA, "FILE", "require TLS, trusting this PEM CA bundle" }

static const struct cli_opt submit_opts[] = {
	CONN_OPTS,
	{ "shards", OPT_SHARDS, "N", "split the scan into N shard tasks (required)" },
	{ "ports", OPT_PORTS, "SPEC", "ports, as for scan (default: the built-in list)" },
	{ "exclude", OPT_EXCLUDE, "SPEC", "addresses never to scan (repeatable)" },
	{ "seed", OPT_SEED, "S", "the scan's order and cookie key, one for every shard (default random)" },
	{ "idempotency-key", OPT_KEY, "KEY", "submitting again with this key is the same scan" },
	{ "rate", OPT_RATE, "PPS", "packets per second of each shard (agents may cap it)" },
	{ "retries", OPT_RETRIES, "N", "extra probes when no answer came" },
	{ "states", OPT_STATES, "LIST", "states to report: open,closed,filtered,open|filtered,all" },
	{ "service-scan", OPT_SERVICE, NULL, "identify what answers on each open TCP port" },
	{ "connect", OPT_CONNECT, NULL, "connect() scan instead of raw SYN" },
	{ "allow-reserved", OPT_ALLOW_RESERVED, NULL, "the scan may include reserved ranges" },
	{ "replicas", OPT_REPLICAS, "N", "copies of the streams when this creates them (default 1; 3 in a cluster)" },
	{ "help", OPT_HELP, NULL, "print this help" },
};

static const struct cli_opt results_opts[] = {
	CONN_OPTS,
	{ "wait", OPT_WAIT, NULL, "wait until every shard is complete, failed or refused" },
	{ "help", OPT_HELP, NULL, "print this help" },
};

static const struct cli_opt agents_opts[] = {
	CONN_OPTS,
	{ "count", OPT_COUNT, "N", "exit after N heartbeats (default: until SIGINT)" },
	{ "help", OPT_HELP, NULL, "print this help" },
};

#define NSUBMIT (sizeof(submit_opts) / sizeof(submit_opts[0]))
#define NRESULTS (sizeof(results_opts) / sizeof(results_opts[0]))
#define NAGENTS (sizeof(agents_opts) / sizeof(agents_opts[0]))

void cmd_submit_usage(FILE *f)
{
	fprintf(f, "Publish a scan as N shard tasks to the JetStream work queue FASTPORT_TASKS,\n"
		"for the agents (fastport agent) to run, and print its scan id.\n\nOptions:\n");
	cli_opts_usage(f, submit_opts, NSUBMIT);
	fprintf(f, "\nExit status: 0 submitted (or already, with the same --idempotency-key),\n"
		"1 runtime failure, 2 usage error.\n");
}

void cmd_results_usage(FILE *f)
{
	fprintf(f, "Print the findings of a fleet scan from FASTPORT_EVENTS as NDJSON, each once;\n"
		"shard outcomes and a summary go to standard error.\n\nOptions:\n");
	cli_opts_usage(f, results_opts, NRESULTS);
	fprintf(f, "\nExit status: 0 done (with --wait: every shard complete), 1 a shard failed or\n"
		"was refused, or a runtime failure, 2 usage error.\n");
}

void cmd_agents_usage(FILE *f)
{
	fprintf(f, "Print the agents' heartbeats (fastport.telemetry.*) as NDJSON.\n\nOptions:\n");
	cli_opts_usage(f, agents_opts, NAGENTS);
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static void signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* fleet_publish's stopped: SIGINT or SIGTERM came. */
static bool signalled(void *ud)
{
	(void)ud;
	return got_signal;
}

static bool conn_opt(int c, struct fleet_conn_opts *co)
{
	switch (c) {
	case OPT_NATS: co->url = optarg; return true;
	case OPT_CREDS: co->creds = optarg; return true;
	case OPT_USER_FILE: co->user_file = optarg; return true;
	case OPT_TLS_CA: co->tls_ca = optarg; return true;
	default: return false;
	}
}

static void conn_check(const char *cmd, const struct fleet_conn_opts *co)
{
	if (!co->url)
		fatalx(EXIT_USAGE, "%s: --nats URL is required", cmd);
	if (co->creds && co->user_file)
		fatalx(EXIT_USAGE, "%s: --creds and --user-file exclude each other", cmd);
}

/* The scan id: from the idempotency key (the same key, the same scan), else random. */
static int make_scan_id(const char *key, char id[static FLEET_SCAN_ID_LEN + 1])
{
	unsigned char md[16];

	if (key)
		return fleet_scan_id_for_key(key, id);
	if (getrandom(md, 16, 0) != 16)
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Checks the targets, exclusions and ports with the library's own parsers. */
static void check_specs(char **targets, int ntargets, const char **exclude, size_t nexclude,
			const char *ports, bool allow_reserved)
{
	fp_config_t cfg;
	fp_scanner_t *s;
	char err[256];

	fp_config_init(&cfg);
	cfg.out_fd = -1;
	cfg.allow_reserved = allow_reserved;
	if (fp_scanner_new(&cfg, &s, err, sizeof(err)) < 0)
		fatalx(1, "submit: %s", err);
	for (int i = 0; i < ntargets; i++)
		if (fp_scanner_add_targets(s, targets[i]) < 0)
			fatalx(EXIT_USAGE, "submit: %s", fp_scanner_error(s));
	for (size_t i = 0; i < nexclude; i++)
		if (fp_scanner_add_exclude(s, exclude[i]) < 0)
			fatalx(EXIT_USAGE, "--exclude: %s", fp_scanner_error(s));
	if (ports && fp_scanner_set_ports(s, ports) < 0)
		fatalx(EXIT_USAGE, "--ports: %s", fp_scanner_error(s));
	fp_scanner_free(s);
}

int cmd_submit(int argc, char **argv)
{
	struct fleet_conn_opts co = { 0 };
	struct option lopts[NSUBMIT + 1];
	char shorts[3 * NSUBMIT + 1], scan[FLEET_SCAN_ID_LEN + 1], err[256];
	const char *exclude[256], *ports = NULL, *key = NULL, *states = NULL;
	size_t nexclude = 0;
	uint64_t shards = 0, seed = 0, rate = 0, retries = 0;
	bool has_retries = false, service = false, connect = false, reserved = false;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jso;
	json_t *task = NULL, *arr;
	/* Each envelope checked as the agents will read it; a signal stops
	 * the retries, not the first try of a shard. */
	struct fleet_publish pub = { .check = true, .stopped = signalled, .stop_after_try = true };
	int c, ret = 1, replicas = 1;

	cli_help = CLI_PROG " submit --help";
	cli_opts_getopt(submit_opts, NSUBMIT, lopts, shorts);
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		if (conn_opt(c, &co))
			continue;
		switch (c) {
		case OPT_SHARDS: shards = cli_parse_u64("shards", optarg, 1, FLEET_SHARDS_MAX); break;
		case OPT_PORTS: ports = optarg; break;
		case OPT_EXCLUDE:
			if (nexclude == sizeof(exclude) / sizeof(exclude[0]))
				fatalx(EXIT_USAGE, "--exclude: at most 256 options (each takes a list)");
			exclude[nexclude++] = optarg;
			break;
		case OPT_SEED: seed = cli_parse_u64("seed", optarg, 1, (uint64_t)INT64_MAX); break;
		case OPT_KEY: key = optarg; break;
		case OPT_RATE: rate = cli_parse_u64("rate", optarg, 1, 100000000); break;
		case OPT_RETRIES: retries = cli_parse_u64("retries", optarg, 0, 100); has_retries = true; break;
		case OPT_STATES: states = optarg; break;
		case OPT_SERVICE: service = true; break;
		case OPT_CONNECT: connect = true; break;
		case OPT_ALLOW_RESERVED: reserved = true; break;
		case OPT_REPLICAS: replicas = (int)cli_parse_u64("replicas", optarg, 1, 5); break;
		case OPT_HELP: cli_usage(stdout, "submit"); return 0;
		default: fatalx(EXIT_USAGE, "submit: bad option");
		}
	}
	conn_check("submit", &co);
	if (!shards)
		fatalx(EXIT_USAGE, "submit: --shards N is required");
	if (optind >= argc)
		fatalx(EXIT_USAGE, "submit: no target given");
	check_specs(argv + optind, argc - optind, exclude, nexclude, ports, reserved);
	while (!seed) {
		if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
			fatalx(1, "submit: no random seed");
		seed &= (uint64_t)INT64_MAX;
	}
	if (make_scan_id(key, scan) < 0)
		fatalx(1, "submit: cannot make a scan id");

	/* The scan as a task of `serve` (src/serve/task.c reads it back). */
	task = json_pack("{s:[],s:I,s:b,s:b,s:b}", "targets", "seed", (json_int_t)seed, "service_scan",
			 service, "connect", connect, "allow_reserved", reserved);
	if (!task)
		fatalx(1, "submit: out of memory");
	arr = json_object_get(task, "targets");
	for (int i = optind; i < argc; i++)
		json_array_append_new(arr, json_string(argv[i]));
	if (nexclude) {
		arr = json_array();
		for (size_t i = 0; i < nexclude; i++)
			json_array_append_new(arr, json_string(exclude[i]));
		json_object_set_new(task, "exclude", arr);
	}
	if (ports)
		json_object_set_new(task, "ports", json_string(ports));
	if (rate)
		json_object_set_new(task, "rate", json_integer((json_int_t)rate));
	if (has_retries)
		json_object_set_new(task, "retries", json_integer((json_int_t)retries));
	if (states) {
		char *copy = strdup(states), *save = NULL;

		arr = json_array();
		for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
			json_array_append_new(arr, json_string(tok));
		json_object_set_new(task, "states", arr);
		free(copy);
	}

	signals();
	jsOptions_Init(&jso);
	if (fleet_connect("submit", &co, &nc, &js, &jso) < 0 || fleet_ensure_streams("submit", js, replicas) < 0)
		goto out;
	pub.js = js;
	pub.scan = scan;
	pub.task = task;
	pub.shards = (uint32_t)shards;
	switch (fleet_publish_shards(&pub, err, sizeof(err))) {
	case 0:
		break;
	case FLEET_PUB_REFUSED:
		fatalx(EXIT_USAGE, "submit: %s", err);
	case FLEET_PUB_FAILED:
		fprintf(stderr, "%s: submit: publishing shard %" PRIu32 ": %s %s\n", CLI_PROG, pub.failed,
			natsStatus_GetText(pub.status), nats_GetLastError(NULL));
		goto out;
	default:
		fatalx(1, "submit: out of memory");
	}
	if (pub.dups == shards)
		fprintf(stderr, "%s: submit: scan %s was submitted before (same --idempotency-key): "
			"nothing new published\n", CLI_PROG, scan);
	printf("%s\n", scan);
	ret = 0;
out:
	json_decref(task);
	if (js)
		jsCtx_Destroy(js);
	if (nc)
		natsConnection_Destroy(nc);
	return ret;
}

/* Messages in the stream on the scan's subjects (0 when none or no stream). */
static uint64_t scan_messages(jsCtx *js, const char *filter)
{
	jsStreamInfo *si = NULL;
	jsOptions o;
	uint64_t n = 0;

	jsOptions_Init(&o);
	o.Stream.Info.SubjectsFilter = filter;
	if (js_GetStreamInfo(&si, js, FLEET_EVENTS_STREAM, &o, NULL) != NATS_OK || !si)
		return 0;
	if (si->State.Subjects)
		for (int i = 0; i < si->State.Subjects->Count; i++)
			n += si->State.Subjects->List[i].Msgs;
	jsStreamInfo_Destroy(si);
	return n;
}

struct shard_outcome {
	uint32_t n;              /* shards, from the first status record */
	uint8_t *state;          /* per shard: 0 unknown, 1 complete, 2 failed or refused */
	uint32_t done, bad;
};

static void on_status(struct shard_outcome *so, const char *data, int len)
{
	json_t *o = json_loadb(data, (size_t)len, 0, NULL);
	json_int_t k = json_integer_value(json_object_get(o, "shard"));
	json_int_t n = json_integer_value(json_object_get(o, "shards"));
	const char *st = json_string_value(json_object_get(o, "status"));
	const char *agent = json_string_value(json_object_get(o, "agent"));
	const char *reason = json_string_value(json_object_get(o, "reason"));

	if (!o || !st || n < 1 || n > FLEET_SHARDS_MAX || k < 1 || k > n)
		goto out;
	if (!so->state) {
		so->state = calloc((size_t)n + 1, 1);
		if (!so->state)
			goto out;
		so->n = (uint32_t)n;
	}
	if ((uint32_t)n != so->n || so->state[k])
		goto out;
	so->state[k] = !strcmp(st, "complete") ? 1 : 2;
	so->done++;
	so->bad += so->state[k] == 2;
	fprintf(stderr, "%s: results: shard %lld/%lld %s (agent %s)%s%s\n", CLI_PROG, (long long)k,
		(long long)n, st, agent ? agent : "?", reason ? ": " : "", reason ? reason : "");
out:
	json_decref(o);
}

/* The MAX_DELIVERIES advisory: a shard task of this scan delivered
 * --max-deliver times, its last agent gone: the shard failed. */
static void on_advisory(struct shard_outcome *so, jsCtx *js, const char *scan, const char *data,
			int len)
{
	json_t *o = json_loadb(data, (size_t)len, 0, NULL), *t = NULL;
	json_int_t seq = json_integer_value(json_object_get(o, "stream_seq"));
	json_int_t deliveries = json_integer_value(json_object_get(o, "deliveries"));
	natsMsg *m = NULL;
	char prefix[96], why[160], *rec;

	fleet_subject(prefix, FLEET_TASK_PREFIX, scan, "");
	if (seq <= 0 || js_GetMsg(&m, js, FLEET_TASKS_STREAM, (uint64_t)seq, NULL, NULL) != NATS_OK || !m)
		goto out;
	if (strncmp(natsMsg_GetSubject(m), prefix, strlen(prefix)))
		goto out;
	t = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
	snprintf(why, sizeof(why), "delivered %lld times without a result (the agents' --max-deliver): "
		 "its last agent died", (long long)deliveries);
	rec = fleet_status_json(scan, (uint32_t)json_integer_value(json_object_get(t, "shard")),
				(uint32_t)json_integer_value(json_object_get(t, "shards")), "failed",
				"", why);
	if (rec)
		on_status(so, rec, (int)strlen(rec));
	free(rec);
out:
	json_decref(t);
	if (m)
		natsMsg_Destroy(m);
	json_decref(o);
}

int cmd_results(int argc, char **argv)
{
	struct fleet_conn_opts co = { 0 };
	struct option lopts[NRESULTS + 1];
	char shorts[3 * NRESULTS + 1], filter[96], finding_subj[96];
	const char *scan;
	bool wait = false;
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL, *adv = NULL;
	jsCtx *js = NULL;
	jsOptions jso;
	jsSubOptions so;
	jsErrCode jerr = 0;
	struct fleet_idset seen = { 0 };
	struct shard_outcome out = { 0 };
	uint64_t findings = 0, dups = 0, total;
	int c, ret = 1;

	cli_help = CLI_PROG " results --help";
	cli_opts_getopt(results_opts, NRESULTS, lopts, shorts);
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		if (conn_opt(c, &co))
			continue;
		switch (c) {
		case OPT_WAIT: wait = true; break;
		case OPT_HELP: cli_usage(stdout, "results"); return 0;
		default: fatalx(EXIT_USAGE, "results: bad option");
		}
	}
	conn_check("results", &co);
	if (optind != argc - 1)
		fatalx(EXIT_USAGE, "results: expected one SCAN_ID");
	scan = argv[optind];
	if (strlen(scan) != FLEET_SCAN_ID_LEN || strspn(scan, "0123456789abcdef") != FLEET_SCAN_ID_LEN)
		fatalx(EXIT_USAGE, "results: SCAN_ID: expected 32 lowercase hex digits, got '%s'", scan);
	signals();
	jsOptions_Init(&jso);
	if (fleet_connect("results", &co, &nc, &js, &jso) < 0)
		goto done;
	fleet_subject(filter, FLEET_EVENTS_PREFIX, scan, ">");
	fleet_subject(finding_subj, FLEET_EVENTS_PREFIX, scan, "finding");
	total = scan_messages(js, filter);
	if (!total && !wait) {
		ret = 0;
		goto summary;
	}
	/* Core NATS: advisories are not stored; only while waiting. */
	if (wait && natsConnection_SubscribeSync(&adv, nc, FLEET_MAXDELIV_ADVISORY) != NATS_OK)
		adv = NULL;
	jsSubOptions_Init(&so);
	so.Stream = FLEET_EVENTS_STREAM;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverAll;
	/* A cluster that just lost a node may be electing the stream's leader. */
	for (int tries = 0; tries < 60 && !got_signal; tries++) {
		if (js_SubscribeSync(&sub, js, filter, &jso, &so, &jerr) == NATS_OK)
			break;
		sub = NULL;
		usleep(500000);
	}
	if (!sub) {
		fprintf(stderr, "%s: results: cannot read %s: %s\n", CLI_PROG, FLEET_EVENTS_STREAM,
			nats_GetLastError(NULL));
		goto done;
	}
	while (!got_signal) {
		natsMsg *m = NULL;
		jsMsgMetaData *meta = NULL;
		uint64_t pending = 1;
		natsStatus s;

		if (adv && advisory_pending(adv) && natsSubscription_NextMsg(&m, adv, 100) == NATS_OK) {
			on_advisory(&out, js, scan, natsMsg_GetData(m), natsMsg_GetDataLength(m));
			natsMsg_Destroy(m);
			if (out.n && out.done == out.n)
				break;
			continue;
		}
		s = natsSubscription_NextMsg(&m, sub, 1000);
		if (s == NATS_TIMEOUT) {
			if (wait && out.n && out.done == out.n)
				break;
			continue;
		}
		if (s != NATS_OK)
			continue;
		if (natsMsg_GetMetaData(&meta, m) == NATS_OK && meta) {
			pending = meta->NumPending;
			jsMsgMetaData_Destroy(meta);
		}
		if (!strcmp(natsMsg_GetSubject(m), finding_subj)) {
			const char *id = NULL;
			int r = 1;

			if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id)
				r = fleet_idset_add(&seen, id);
			if (r < 0) {
				natsMsg_Destroy(m);
				fprintf(stderr, "%s: results: out of memory\n", CLI_PROG);
				goto done;
			}
			if (r) {
				fwrite(natsMsg_GetData(m), 1, (size_t)natsMsg_GetDataLength(m), stdout);
				fputc('\n', stdout);
				findings++;
			} else {
				dups++;
			}
		} else {
			on_status(&out, natsMsg_GetData(m), natsMsg_GetDataLength(m));
		}
		natsMsg_Destroy(m);
		if (!pending && (!wait || (out.n && out.done == out.n)))
			break;
	}
	fflush(stdout);
	ret = got_signal || (wait && out.bad) ? 1 : 0;
summary:
	fprintf(stderr, "%s: results: scan %s: %" PRIu64 " findings, %" PRIu64 " duplicates in the "
		"stream; shards reported %" PRIu32 " of %" PRIu32 ", %" PRIu32 " failed or refused\n",
		CLI_PROG, scan, findings, dups, out.done, out.n, out.bad);
done:
	free(seen.k);
	free(out.state);
	if (adv)
		natsSubscription_Destroy(adv);
	if (sub)
		natsSubscription_Destroy(sub);
	if (js)
		jsCtx_Destroy(js);
	if (nc)
		natsConnection_Destroy(nc);
	return ret;
}

int cmd_agents(int argc, char **argv)
{
	struct fleet_conn_opts co = { 0 };
	struct option lopts[NAGENTS + 1];
	char shorts[3 * NAGENTS + 1];
	uint64_t count = 0, seen = 0;
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	jsCtx *js = NULL;
	jsOptions jso;
	int c, ret = 1;

	cli_help = CLI_PROG " agents --help";
	cli_opts_getopt(agents_opts, NAGENTS, lopts, shorts);
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		if (conn_opt(c, &co))
			continue;
		switch (c) {
		case OPT_COUNT: count = cli_parse_u64("count", optarg, 1, UINT32_MAX); break;
		case OPT_HELP: cli_usage(stdout, "agents"); return 0;
		default: fatalx(EXIT_USAGE, "agents: bad option");
		}
	}
	conn_check("agents", &co);
	if (optind < argc)
		fatalx(EXIT_USAGE, "agents: unexpected argument '%s'", argv[optind]);
	signals();
	jsOptions_Init(&jso);
	if (fleet_connect("agents", &co, &nc, &js, &jso) < 0)
		goto out;
	if (natsConnection_SubscribeSync(&sub, nc, FLEET_TELEMETRY_PREFIX ">") != NATS_OK) {
		fprintf(stderr, "%s: agents: cannot subscribe: %s\n", CLI_PROG, nats_GetLastError(NULL));
		goto out;
	}
	while (!got_signal && (!count || seen < count)) {
		natsMsg *m = NULL;

		if (natsSubscription_NextMsg(&m, sub, 1000) != NATS_OK)
			continue;
		fwrite(natsMsg_GetData(m), 1, (size_t)natsMsg_GetDataLength(m), stdout);
		fputc('\n', stdout);
		fflush(stdout);
		natsMsg_Destroy(m);
		seen++;
	}
	ret = 0;
out:
	if (sub)
		natsSubscription_Destroy(sub);
	if (js)
		jsCtx_Destroy(js);
	if (nc)
		natsConnection_Destroy(nc);
	return ret;
}
