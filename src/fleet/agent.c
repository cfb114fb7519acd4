/* SPDX-License-Identifier: MIT */
/* `fastport agent`: pulls shard tasks from JetStream, scans each within its --allow, publishes the findings. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fastport.h"
#include "cli/opts.h"
#include "fleet/fleet.h"
#include "serve/scope.h"

enum opt_id {
	OPT_HELP = 'h',
	OPT_NATS = 256, OPT_CREDS, OPT_USER_FILE, OPT_TLS_CA, OPT_NAME, OPT_ALLOW,
	OPT_ALLOW_RESERVED, OPT_MAX_RATE, OPT_ACK_WAIT, OPT_MAX_DELIVER, OPT_HEARTBEAT, OPT_CHECKPOINT, OPT_REPLICAS,
};

static const struct cli_opt agent_opts[] = {
	{ "nats", OPT_NATS, "URL", "the NATS server(s), e.g. nats://10.0.0.5:4222 (comma separated; required)" },
	{ "creds", OPT_CREDS, "FILE", "NATS credentials file (JWT and nkey seed)" },
	{ "user-file", OPT_USER_FILE, "FILE", "user and password: first line 'user:password'" },
	{ "tls-ca", OPT_TLS_CA, "FILE", "require TLS, trusting this PEM CA bundle" },
	{ "name", OPT_NAME, "NAME", "this agent's name: letters, digits, '-', '_' (default HOST-PID)" },
	{ "allow", OPT_ALLOW, "SPEC", "what this agent may scan: addresses, CIDRs, ranges (required, repeatable)" },
	{ "allow-reserved", OPT_ALLOW_RESERVED, NULL, "permit tasks in the benchmark, documentation and reserved ranges" },
	{ "max-rate", OPT_MAX_RATE, "PPS", "highest rate of a shard here (default 100000; higher tasks are slowed)" },
	{ "ack-wait", OPT_ACK_WAIT, "SEC", "consumer ack wait when this agent creates or updates it (default 30)" },
	{ "max-deliver", OPT_MAX_DELIVER, "N", "deliveries of a shard before it is reported failed (default 5)" },
	{ "heartbeat", OPT_HEARTBEAT, "SEC", "period of the heartbeat on fastport.telemetry.NAME (default 3)" },
	{ "checkpoint", OPT_CHECKPOINT, "SEC", "period of a running shard's checkpoint (default 1)" },
	{ "replicas", OPT_REPLICAS, "N", "copies of the streams and bucket this agent creates (default 1; 3 in a cluster)" },
	{ "help", OPT_HELP, NULL, "print this help" },
};

#define NOPTS (sizeof(agent_opts) / sizeof(agent_opts[0]))

void cmd_agent_usage(FILE *f)
{
	fprintf(f, "Run as one sensor of a fleet: pull shard tasks (fastport submit) from the\n"
		"JetStream work queue FASTPORT_TASKS one at a time, scan each one within --allow,\n"
		"publish its findings to FASTPORT_EVENTS and its resume state to the key-value\n"
		"bucket FASTPORT_CKPT. docs/SCALING.md describes the fleet.\n\nOptions:\n");
	cli_opts_usage(f, agent_opts, NOPTS);
	fprintf(f, "\nA shard whose agent dies is given to another one after the ack wait and\n"
		"resumes from its last checkpoint; its last delivery (--max-deliver) only\n"
		"reports it failed. Raw SYN scans need CAP_NET_RAW; without it every shard\n"
		"is a connect() scan.\n"
		"Exit status: 0 stopped by SIGINT/SIGTERM (a running shard is handed back),\n"
		"1 runtime failure (no server, refused credentials), 2 usage error.\n");
}

/*
 * The signal handler's view: it sets the flag and stops the scan. Only
 * the main thread takes SIGTERM and SIGINT (agent_sigs): the NATS
 * client's and the scan's threads are made with them blocked, so the
 * handler never runs while the main thread frees the scanner it names.
 */
static volatile sig_atomic_t agent_stop;
static fp_scanner_t *volatile agent_scanner;
static sigset_t agent_sigs;

static void on_signal(int sig)
{
	fp_scanner_t *s = agent_scanner;

	(void)sig;
	agent_stop = 1;
	if (s)
		fp_scanner_stop(s);
}

/* A finding to publish again: its publication failed or was never acknowledged. */
struct retry {
	struct retry *next;
	char subj[96];
	char id[48];
	int len;
	char data[];
};

struct agent {
	struct fleet_conn_opts co;
	const char *name;
	char host[256];
	struct serve_scope *scope;
	bool allow_reserved;
	bool raw_ok;               /* raw sockets permitted: else connect() scans */
	uint64_t max_rate;
	int64_t ack_wait_ns;
	int64_t max_deliver;
	bool ack_wait_set, max_deliver_set;
	unsigned heartbeat_s;
	unsigned checkpoint_s;
	int replicas;
	natsConnection *nc;
	jsCtx *js;
	jsOptions jso;
	natsSubscription *sub;
	kvStore *kv;
	pthread_mutex_t lock;      /* the retry list and the current shard's text */
	struct retry *retry;
	char shard_desc[160];      /* the heartbeat's "shard" object, "" when idle */
	natsMsg *lease;            /* the running shard's task, kept in progress */
	uint64_t shards_done;
};

/* What one shard's run shares with its scan thread and callback. */
struct shard_run {
	struct agent *a;
	struct fleet_task ft;
	fp_scanner_t *s;
	char subj[96];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int ret;
	uint64_t published;
	uint64_t ckpts;            /* checkpoints kept in the bucket */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void retry_add(struct agent *a, const char *subj, const char *id, const void *data, int len)
{
	struct retry *r = malloc(sizeof(*r) + (size_t)len);

	if (!r) {
		/* The shard then cannot be acknowledged as complete. */
		fprintf(stderr, "%s: agent: out of memory keeping a finding to publish again\n", CLI_PROG);
		abort();
	}
	snprintf(r->subj, sizeof(r->subj), "%s", subj);
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->len = len;
	memcpy(r->data, data, (size_t)len);
	pthread_mutex_lock(&a->lock);
	r->next = a->retry;
	a->retry = r;
	pthread_mutex_unlock(&a->lock);
}

/* Publishes asynchronously with a message id; a failure keeps it for the next flush. */
static void publish(struct agent *a, const char *subj, const char *id, const void *data, int len)
{
	natsMsg *m = NULL;
	natsStatus s;

	s = natsMsg_Create(&m, subj, NULL, data, len);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
	if (s == NATS_OK)
		s = js_PublishMsgAsync(a->js, &m, NULL);
	if (m)
		natsMsg_Destroy(m);
	if (s != NATS_OK)
		retry_add(a, subj, id, data, len);
}

/* JetStream refused or lost an asynchronous publication: keep it. */
static void on_pub_err(jsCtx *js, jsPubAckErr *pae, void *closure)
{
	struct agent *a = closure;
	const char *id = NULL;

	(void)js;
	if (!pae->Msg)
		return;
	if (natsMsgHeader_Get(pae->Msg, "Nats-Msg-Id", &id) != NATS_OK || !id)
		id = "";
	retry_add(a, natsMsg_GetSubject(pae->Msg), id, natsMsg_GetData(pae->Msg),
		  natsMsg_GetDataLength(pae->Msg));
}

/*
 * Waits until JetStream has acknowledged every finding published so far.
 * final: keep trying (publishing again what was lost, e.g. while the
 * server restarted) until it has, or a signal came; else one try of about
 * a second. Returns 0 when everything is acknowledged.
 */
static int flush(struct agent *a, bool final)
{
	for (;;) {
		struct retry *r, *next;
		jsPubOptions po;
		natsStatus s;
		bool empty;

		pthread_mutex_lock(&a->lock);
		r = a->retry;
		a->retry = NULL;
		pthread_mutex_unlock(&a->lock);
		for (; r; r = next) {
			next = r->next;
			publish(a, r->subj, r->id, r->data, r->len);
			free(r);
		}
		jsPubOptions_Init(&po);
		po.MaxWait = 1000;
		s = js_PublishAsyncComplete(a->js, &po);
		pthread_mutex_lock(&a->lock);
		empty = !a->retry;
		pthread_mutex_unlock(&a->lock);
		if (s == NATS_OK && empty)
			return 0;
		if (!final || agent_stop)
			return -1;
		/* Waiting out a server restart must not lose the task's lease. */
		if (a->lease)
			natsMsg_InProgress(a->lease, NULL);
		if (s == NATS_TIMEOUT &&
		    natsConnection_Status(a->nc) == NATS_CONN_STATUS_CONNECTED) {
			/* Connected, yet unacknowledged for a second: the
			 * acknowledgements were lost with the old connection.
			 * Publishing again is safe: the ids de-duplicate. */
			natsMsgList pl = { 0 };

			if (js_PublishAsyncGetPendingList(&pl, a->js) == NATS_OK) {
				for (int i = 0; i < pl.Count; i++)
					if (pl.Msgs[i] && js_PublishMsgAsync(a->js, &pl.Msgs[i], NULL) != NATS_OK)
						on_pub_err(a->js, &(jsPubAckErr){ .Msg = pl.Msgs[i] }, a);
				natsMsgList_Destroy(&pl);
			}
		}
		usleep(100000);
	}
}

static int on_event(const fp_event_t *ev, void *ud)
{
	struct shard_run *r = ud;
	char id[33];

	if (ev->kind != FP_EVENT_PORT_STATE && ev->kind != FP_EVENT_SERVICE)
		return 0;
	fleet_finding_id(id, r->ft.scan_id, ev->ip, ev->port, ev->protocol, (unsigned)ev->kind);
	publish(r->a, r->subj, id, ev->json, (int)ev->json_len);
	__atomic_add_fetch(&r->published, 1, __ATOMIC_RELAXED);
	return agent_stop;
}

static void *scan_thread(void *arg)
{
	struct shard_run *r = arg;
	int ret = fp_scanner_run(r->s);

	pthread_mutex_lock(&r->lock);
	r->ret = ret;
	r->done = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void heartbeat(struct agent *a)
{
	char subj[160], shard[160];
	char *text;
	json_t *o, *sh = NULL;

	pthread_mutex_lock(&a->lock);
	snprintf(shard, sizeof(shard), "%s", a->shard_desc);
	pthread_mutex_unlock(&a->lock);
	if (shard[0])
		sh = json_loads(shard, 0, NULL);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:o}", "kind", "agent_heartbeat",
		      "agent", a->name, "host", a->host, "build_id", fp_build_id(), "mode",
		      fp_build_mode(), "version", fp_version(), "method", a->raw_ok ? "raw" : "connect",
		      "state", sh ? "running" : "idle",
		      "time", (json_int_t)time(NULL), "shards_done", (json_int_t)a->shards_done,
		      "shard", sh ? sh : json_null());
	if (!o)
		return;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return;
	snprintf(subj, sizeof(subj), "%s%s", FLEET_TELEMETRY_PREFIX, a->name);
	natsConnection_PublishString(a->nc, subj, text);
	free(text);
}

static void set_shard_desc(struct agent *a, const struct fleet_task *ft, uint64_t delivery)
{
	pthread_mutex_lock(&a->lock);
	if (ft)
		snprintf(a->shard_desc, sizeof(a->shard_desc),
			 "{\"scan_id\":\"%s\",\"shard\":%" PRIu32 ",\"shards\":%" PRIu32 ",\"delivery\":%" PRIu64 "}",
			 ft->scan_id, ft->shard, ft->shards, delivery);
	else
		a->shard_desc[0] = '\0';
	pthread_mutex_unlock(&a->lock);
}

/* A shard status record, published synchronously with a message id that
 * makes a second report of the same outcome a duplicate. */
static int publish_status(struct agent *a, const char *scan, uint32_t k, uint32_t n,
			  const char *status, const char *reason)
{
	char subj[96], id[96];
	char *text = fleet_status_json(scan, k, n, status, a->name, reason);
	jsPubOptions po;
	jsErrCode jerr = 0;
	natsStatus s = NATS_NO_MEMORY;

	fleet_subject(subj, FLEET_EVENTS_PREFIX, scan, "shard");
	snprintf(id, sizeof(id), "%s.%" PRIu32 ".status", scan, k);
	jsPubOptions_Init(&po);
	po.MsgId = id;
	for (int tries = 0; text && tries < 600 && !agent_stop; tries++) {
		s = js_Publish(NULL, a->js, subj, text, (int)strlen(text), &po, &jerr);
		if (s == NATS_OK)
			break;
		usleep(100000);
	}
	free(text);
	fprintf(stderr, "%s: agent %s: scan %s shard %" PRIu32 "/%" PRIu32 " %s%s%s\n", CLI_PROG,
		a->name, scan, k, n, status, reason ? ": " : "", reason ? reason : "");
	return s == NATS_OK ? 0 : -1;
}

static void ckpt_key(char key[static 64], const struct fleet_task *ft)
{
	snprintf(key, 64, "%s.%" PRIu32, ft->scan_id, ft->shard);
}

/*
 * The scanner's resume state (written by save) into the bucket. The
 * events it counts as reported must be acknowledged by JetStream first:
 * the caller flushed before taking the state.
 */
static int ckpt_put(struct agent *a, const struct fleet_task *ft, int fd)
{
	struct stat st;
	char key[64];
	void *buf = NULL;
	int ret = -1;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > 64 * 1024 * 1024)
		goto out;
	buf = malloc((size_t)st.st_size);
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		goto out;
	ckpt_key(key, ft);
	if (kvStore_Put(NULL, a->kv, key, buf, (int)st.st_size) == NATS_OK)
		ret = 0;
out:
	free(buf);
	return ret;
}

/* The last checkpoint of this shard, if any, loaded into the scanner. */
static void ckpt_resume(struct agent *a, struct shard_run *r)
{
	kvEntry *e = NULL;
	char key[64];
	int fd = -1, err;

	ckpt_key(key, &r->ft);
	if (kvStore_Get(&e, a->kv, key) != NATS_OK || !e)
		return;
	fd = memfd_create("fastport-ckpt", MFD_CLOEXEC);
	if (fd < 0 || write(fd, kvEntry_Value(e), (size_t)kvEntry_ValueLen(e)) != kvEntry_ValueLen(e) ||
	    lseek(fd, 0, SEEK_SET) < 0)
		goto out;
	err = fp_scanner_load_state(r->s, fd);
	if (err < 0 && err != FP_EEMPTY)
		fprintf(stderr, "%s: agent %s: checkpoint of shard %s ignored: %s\n", CLI_PROG, a->name,
			key, fp_scanner_error(r->s));
	else if (!err)
		fprintf(stderr, "%s: agent %s: shard %s resumes from its checkpoint\n", CLI_PROG,
			a->name, key);
out:
	if (fd >= 0)
		close(fd);
	kvEntry_Destroy(e);
}

static void ckpt_delete(struct agent *a, const struct fleet_task *ft)
{
	char key[64];

	ckpt_key(key, ft);
	kvStore_Purge(a->kv, key, NULL);
}

/* The stopped scan's state, after its events are acknowledged, into the bucket. */
static void ckpt_stopped(struct agent *a, struct shard_run *r)
{
	int fd;

	if (flush(a, false) < 0)
		return;
	fd = memfd_create("fastport-ckpt", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (fp_scanner_save_state(r->s, fd) == 0)
		ckpt_put(a, &r->ft, fd);
	close(fd);
}

/* A running scan's state into the bucket (about every second). */
static void ckpt_running(struct agent *a, struct shard_run *r)
{
	int fd = memfd_create("fastport-ckpt", MFD_CLOEXEC);

	if (fd < 0)
		return;
	/* Every probe the state marks answered had its events handed to
	 * on_event, which published them: once they are acknowledged, the
	 * state may be kept. */
	if (fp_scanner_checkpoint(r->s, fd) == 0 && flush(a, false) == 0 &&
	    ckpt_put(a, &r->ft, fd) == 0 && !r->ckpts++)
		fprintf(stderr, "%s: agent %s: scan %s shard %" PRIu32 "/%" PRIu32 " first checkpoint kept\n",
			CLI_PROG, a->name, r->ft.scan_id, r->ft.shard, r->ft.shards);
	close(fd);
}

static void config_for(const struct agent *a, const struct fleet_task *ft, fp_config_t *cfg)
{
	const struct serve_task *t = &ft->t;

	fp_config_init(cfg);
	cfg->out_fd = -1;
	cfg->rate = t->rate ? t->rate : cfg->rate;
	if (cfg->rate > a->max_rate)
		cfg->rate = a->max_rate;
	if (t->has_retries)
		cfg->retries = t->retries;
	cfg->seed = t->seed;
	if (t->states)
		cfg->states = t->states;
	cfg->service_scan = t->service_scan;
	cfg->connect = t->connect || !a->raw_ok;
	cfg->allow_reserved = t->allow_reserved && a->allow_reserved;
	cfg->shard = ft->shard;
	cfg->shard_count = ft->shards;
	cfg->scan_id = ft->scan_id;
	cfg->telemetry_ms = 0;
}

static int scanner_for(struct shard_run *r, fp_config_t *cfg, char *err, size_t errlen)
{
	const struct serve_task *t = &r->ft.t;

	if (fp_scanner_new(cfg, &r->s, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < t->ntargets; i++)
		if (fp_scanner_add_targets(r->s, t->targets[i]) < 0)
			goto bad;
	for (size_t i = 0; i < t->nexclude; i++)
		if (fp_scanner_add_exclude(r->s, t->exclude[i]) < 0)
			goto bad;
	if (t->ports && fp_scanner_set_ports(r->s, t->ports) < 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "%s", fp_scanner_error(r->s));
	fp_scanner_free(r->s);
	r->s = NULL;
	return -1;
}

/*
 * Runs one shard while the main thread keeps the task's lease (in-progress
 * acknowledgements), the heartbeat and the checkpoints going.
 */
static void run_shard(struct agent *a, natsMsg *msg, struct shard_run *r, uint64_t delivery)
{
	fp_config_t cfg;
	pthread_t th;
	sigset_t oldmask;
	char err[512];
	uint64_t t_prog, t_hb, t_ckpt, prog_ms;
	int rc;
	const char *key = r->ft.scan_id;
	uint32_t k = r->ft.shard, n = r->ft.shards;

	config_for(a, &r->ft, &cfg);
	cfg.on_event = on_event;
	cfg.userdata = r;
	if (scanner_for(r, &cfg, err, sizeof(err)) < 0) {
		natsMsg_Term(msg, NULL);
		publish_status(a, key, k, n, "failed", err);
		return;
	}
	fleet_subject(r->subj, FLEET_EVENTS_PREFIX, key, "finding");
	ckpt_resume(a, r);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	set_shard_desc(a, &r->ft, delivery);
	fprintf(stderr, "%s: agent %s: scan %s shard %" PRIu32 "/%" PRIu32 " started (delivery %" PRIu64 ")\n",
		CLI_PROG, a->name, key, k, n, delivery);
	agent_scanner = r->s;
	a->lease = msg;
	if (agent_stop)
		fp_scanner_stop(r->s);
	/* The scan's threads leave the signals to the main thread. */
	pthread_sigmask(SIG_BLOCK, &agent_sigs, &oldmask);
	rc = pthread_create(&th, NULL, scan_thread, r);
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	if (rc != 0) {
		agent_scanner = NULL;
		natsMsg_Nak(msg, NULL);
		fprintf(stderr, "%s: agent %s: cannot start a scan thread\n", CLI_PROG, a->name);
		goto out;
	}
	prog_ms = (uint64_t)(a->ack_wait_ns / 1000000 / 3);
	if (prog_ms < 200)
		prog_ms = 200;
	t_prog = t_hb = t_ckpt = now_ms();
	pthread_mutex_lock(&r->lock);
	while (!r->done) {
		struct timespec ts;
		uint64_t now;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->cond, &r->lock, &ts);
		if (r->done)
			break;
		pthread_mutex_unlock(&r->lock);
		now = now_ms();
		if (now - t_prog >= prog_ms) {
			natsMsg_InProgress(msg, NULL);
			t_prog = now;
		}
		if (now - t_hb >= a->heartbeat_s * 1000ULL) {
			heartbeat(a);
			t_hb = now;
		}
		if (now - t_ckpt >= a->checkpoint_s * 1000ULL) {
			ckpt_running(a, r);
			t_ckpt = now_ms();
		}
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	pthread_join(th, NULL);
	agent_scanner = NULL;
	if (agent_stop) {
		/* Handed back: another agent continues from here. */
		ckpt_stopped(a, r);
		natsMsg_Nak(msg, NULL);
		fprintf(stderr, "%s: agent %s: scan %s shard %" PRIu32 "/%" PRIu32 " handed back\n",
			CLI_PROG, a->name, key, k, n);
		goto out;
	}
	if (r->ret < 0) {
		/* Maybe this host's trouble (no route, no permission): let
		 * another agent try; the last delivery reports it failed. */
		fprintf(stderr, "%s: agent %s: scan %s shard %" PRIu32 "/%" PRIu32 ": %s (handed back)\n",
			CLI_PROG, a->name, key, k, n, fp_scanner_error(r->s));
		natsMsg_NakWithDelay(msg, 1000, NULL);
		goto out;
	}
	/* Complete: the findings first, then the record, then the task. */
	if (flush(a, true) < 0) {
		natsMsg_Nak(msg, NULL);
		goto out;
	}
	if (publish_status(a, key, k, n, "complete", NULL) < 0) {
		natsMsg_Nak(msg, NULL);
		goto out;
	}
	if (natsMsg_AckSync(msg, NULL, NULL) != NATS_OK)
		fprintf(stderr, "%s: agent %s: acknowledging shard %" PRIu32 "/%" PRIu32 " failed: "
			"it will run again, its findings de-duplicated\n", CLI_PROG, a->name, k, n);
	ckpt_delete(a, &r->ft);
	a->shards_done++;
out:
	a->lease = NULL;
	set_shard_desc(a, NULL, 0);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

/* One task message: checked, then run, terminated or handed back. */
static void handle_task(struct agent *a, natsMsg *msg)
{
	struct shard_run r = { .a = a };
	jsMsgMetaData *meta = NULL;
	uint64_t delivery = 1;
	char err[512];
	int rc;

	if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta) {
		delivery = meta->NumDelivered;
		jsMsgMetaData_Destroy(meta);
	}
	if (fleet_task_parse(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), &r.ft, err,
			     sizeof(err)) < 0) {
		/* Nothing to report it under: no valid scan id. */
		fprintf(stderr, "%s: agent %s: malformed task on %s terminated: %s\n", CLI_PROG,
			a->name, natsMsg_GetSubject(msg), err);
		natsMsg_Term(msg, NULL);
		return;
	}
	if (a->max_deliver > 0 && delivery >= (uint64_t)a->max_deliver) {
		snprintf(err, sizeof(err), "given up after %" PRIu64 " deliveries", delivery - 1);
		natsMsg_Term(msg, NULL);
		publish_status(a, r.ft.scan_id, r.ft.shard, r.ft.shards, "failed", err);
		goto out;
	}
	rc = scope_check(a->scope, r.ft.t.targets, r.ft.t.ntargets, r.ft.t.exclude, r.ft.t.nexclude,
			 r.ft.t.allow_reserved, err, sizeof(err));
	if (rc != 0) {
		char why[600];

		snprintf(why, sizeof(why), "refused by agent %s: %s", a->name, err);
		natsMsg_Term(msg, NULL);
		publish_status(a, r.ft.scan_id, r.ft.shard, r.ft.shards, "refused", why);
		goto out;
	}
	run_shard(a, msg, &r, delivery);
out:
	if (r.s)
		fp_scanner_free(r.s);
	fleet_task_free(&r.ft);
}

static int ensure_consumer_once(struct agent *a, bool last);

/* Agents starting together race to make or update the one consumer: a
 * failure is tried again (a cluster may also be electing leaders). */
static int ensure_consumer(struct agent *a)
{
	for (int tries = 0; tries < 10; tries++) {
		if (ensure_consumer_once(a, tries == 9) == 0)
			return 0;
		usleep(300000);
	}
	return -1;
}

static int ensure_consumer_once(struct agent *a, bool last)
{
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsErrCode jerr = 0;
	natsStatus s;

	/* A cluster may still be electing the stream's leader. */
	for (int tries = 0; tries < 60; tries++) {
		jerr = 0;
		s = js_GetConsumerInfo(&ci, a->js, FLEET_TASKS_STREAM, FLEET_CONSUMER, NULL, &jerr);
		if (s == NATS_OK || jerr == JSConsumerNotFoundErr)
			break;
		usleep(500000);
	}
	if (s == NATS_OK && ci &&
	    ((a->ack_wait_set && ci->Config->AckWait != a->ack_wait_ns) ||
	     (a->max_deliver_set && ci->Config->MaxDeliver != a->max_deliver))) {
		jsConsumerInfo *old = ci;

		/* cc points into old's strings: old goes after the update. */
		cc = *old->Config;
		if (a->ack_wait_set)
			cc.AckWait = a->ack_wait_ns;
		if (a->max_deliver_set)
			cc.MaxDeliver = a->max_deliver;
		ci = NULL;
		s = js_UpdateConsumer(&ci, a->js, FLEET_TASKS_STREAM, &cc, NULL, &jerr);
		jsConsumerInfo_Destroy(old);
	} else if (s != NATS_OK) {
		jsConsumerConfig_Init(&cc);
		cc.Durable = FLEET_CONSUMER;
		cc.AckPolicy = js_AckExplicit;
		cc.AckWait = a->ack_wait_ns;
		cc.MaxDeliver = a->max_deliver;
		cc.FilterSubject = FLEET_TASK_PREFIX ">";
		s = js_AddConsumer(&ci, a->js, FLEET_TASKS_STREAM, &cc, NULL, &jerr);
		if (s != NATS_OK && jerr == JSConsumerNameExistErr)
			s = js_GetConsumerInfo(&ci, a->js, FLEET_TASKS_STREAM, FLEET_CONSUMER, NULL, &jerr);
	}
	if (s != NATS_OK || !ci) {
		if (last)
			fprintf(stderr, "%s: agent: consumer %s of %s: %s (%d) %s\n", CLI_PROG,
				FLEET_CONSUMER, FLEET_TASKS_STREAM, natsStatus_GetText(s), (int)jerr,
				nats_GetLastError(NULL));
		jsConsumerInfo_Destroy(ci);
		return -1;
	}
	/* The consumer's own settings rule the lease and the last delivery. */
	a->ack_wait_ns = ci->Config->AckWait;
	a->max_deliver = ci->Config->MaxDeliver;
	jsConsumerInfo_Destroy(ci);
	return 0;
}

static int ensure_bucket(struct agent *a)
{
	kvConfig kc;
	natsStatus s;

	s = js_KeyValue(&a->kv, a->js, FLEET_CKPT_BUCKET);
	if (s == NATS_OK)
		return 0;
	kvConfig_Init(&kc);
	kc.Bucket = FLEET_CKPT_BUCKET;
	kc.History = 1;
	kc.StorageType = js_FileStorage;
	kc.Replicas = a->replicas;
	for (int tries = 0; tries < 60; tries++) {
		s = js_CreateKeyValue(&a->kv, a->js, &kc);
		if (s != NATS_OK)
			s = js_KeyValue(&a->kv, a->js, FLEET_CKPT_BUCKET);
		if (s == NATS_OK)
			break;
		usleep(500000);
	}
	if (s != NATS_OK) {
		fprintf(stderr, "%s: agent: key-value bucket %s: %s %s\n", CLI_PROG, FLEET_CKPT_BUCKET,
			natsStatus_GetText(s), nats_GetLastError(NULL));
		return -1;
	}
	return 0;
}

/* Whether this process may open raw sockets (CAP_NET_RAW), as serve checks. */
static bool raw_permitted(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		return errno != EPERM && errno != EACCES;
	close(fd);
	return true;
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return false;
	return true;
}

int cmd_agent(int argc, char **argv)
{
	struct agent a = { .max_rate = 100000, .ack_wait_ns = 30LL * 1000000000, .max_deliver = 5,
			   .heartbeat_s = 3, .checkpoint_s = 1, .replicas = 1 };
	struct option lopts[NOPTS + 1];
	char shorts[3 * NOPTS + 1], err[512], default_name[72];
	const char *allow[64];
	size_t nallow = 0;
	struct sigaction sa;
	jsSubOptions so;
	jsErrCode jerr = 0;
	uint64_t t_hb = 0;
	int c, ret = 1;

	cli_help = CLI_PROG " agent --help";
	cli_opts_getopt(agent_opts, NOPTS, lopts, shorts);
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		switch (c) {
		case OPT_NATS: a.co.url = optarg; break;
		case OPT_CREDS: a.co.creds = optarg; break;
		case OPT_USER_FILE: a.co.user_file = optarg; break;
		case OPT_TLS_CA: a.co.tls_ca = optarg; break;
		case OPT_NAME:
			if (!name_ok(optarg))
				fatalx(EXIT_USAGE, "--name: 1..64 letters, digits, '-' or '_', got '%s'", optarg);
			a.name = optarg;
			break;
		case OPT_ALLOW:
			if (nallow == sizeof(allow) / sizeof(allow[0]))
				fatalx(EXIT_USAGE, "--allow: at most 64 options (each takes a list)");
			allow[nallow++] = optarg;
			break;
		case OPT_ALLOW_RESERVED: a.allow_reserved = true; break;
		case OPT_MAX_RATE: a.max_rate = cli_parse_u64("max-rate", optarg, 1, 100000000); break;
		case OPT_ACK_WAIT:
			a.ack_wait_ns = (int64_t)cli_parse_u64("ack-wait", optarg, 1, 86400) * 1000000000;
			a.ack_wait_set = true;
			break;
		case OPT_MAX_DELIVER:
			a.max_deliver = (int64_t)cli_parse_u64("max-deliver", optarg, 2, 1000);
			a.max_deliver_set = true;
			break;
		case OPT_HEARTBEAT: a.heartbeat_s = (unsigned)cli_parse_u64("heartbeat", optarg, 1, 3600); break;
		case OPT_REPLICAS: a.replicas = (int)cli_parse_u64("replicas", optarg, 1, 5); break;
		case OPT_CHECKPOINT: a.checkpoint_s = (unsigned)cli_parse_u64("checkpoint", optarg, 1, 3600); break;
		case OPT_HELP: cli_usage(stdout, "agent"); return 0;
		default: fatalx(EXIT_USAGE, "agent: bad option");
		}
	}
	if (optind < argc)
		fatalx(EXIT_USAGE, "agent: unexpected argument '%s'", argv[optind]);
	if (!a.co.url)
		fatalx(EXIT_USAGE, "agent: --nats URL is required");
	if (!nallow)
		fatalx(EXIT_USAGE, "agent: --allow SPEC is required (what this agent may scan)");
	if (a.co.creds && a.co.user_file)
		fatalx(EXIT_USAGE, "agent: --creds and --user-file exclude each other");
	if (scope_new(&a.scope, a.allow_reserved) < 0)
		fatalx(1, "agent: out of memory");
	for (size_t i = 0; i < nallow; i++)
		if (scope_allow(a.scope, allow[i], err, sizeof(err)) < 0)
			fatalx(EXIT_USAGE, "--allow: %s", err);
	if (gethostname(a.host, sizeof(a.host) - 1) < 0)
		snprintf(a.host, sizeof(a.host), "unknown");
	if (!a.name) {
		/* HOST-PID, made a subject token: unique on one host too. */
		size_t i;

		snprintf(default_name, sizeof(default_name), "%.48s-%ld", a.host, (long)getpid());
		for (i = 0; default_name[i]; i++)
			if (!name_ok((char[]){ default_name[i], '\0' }))
				default_name[i] = '-';
		a.name = default_name;
	}
	pthread_mutex_init(&a.lock, NULL);
	a.raw_ok = raw_permitted();
	if (!a.raw_ok)
		fprintf(stderr, "%s: agent: raw sockets are not permitted: every shard is a connect() scan\n",
			CLI_PROG);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&agent_sigs);
	sigaddset(&agent_sigs, SIGTERM);
	sigaddset(&agent_sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &agent_sigs, NULL);

	a.co.name = a.name;
	/* The context's asynchronous publications report their failures here. */
	jsOptions_Init(&a.jso);
	a.jso.PublishAsync.ErrHandler = on_pub_err;
	a.jso.PublishAsync.ErrHandlerClosure = &a;
	a.jso.PublishAsync.MaxPending = 65536;
	if (fleet_connect("agent", &a.co, &a.nc, &a.js, &a.jso) < 0)
		goto out;
	if (fleet_ensure_streams("agent", a.js, a.replicas) < 0 || ensure_consumer(&a) < 0 ||
	    ensure_bucket(&a) < 0)
		goto out;
	jsSubOptions_Init(&so);
	so.Stream = FLEET_TASKS_STREAM;
	so.Consumer = FLEET_CONSUMER;
	if (js_PullSubscribe(&a.sub, a.js, FLEET_TASK_PREFIX ">", FLEET_CONSUMER, &a.jso, &so, &jerr) != NATS_OK) {
		fprintf(stderr, "%s: agent: cannot bind to consumer %s: %s\n", CLI_PROG, FLEET_CONSUMER,
			nats_GetLastError(NULL));
		goto out;
	}
	fprintf(stderr, "%s: agent %s: connected to %s (ack wait %" PRId64 " s, %" PRId64 " deliveries)\n",
		CLI_PROG, a.name, a.co.url, a.ack_wait_ns / 1000000000, a.max_deliver);
	/* Every thread of the NATS client exists now, with the signals
	 * blocked; threads it makes later come from those. */
	pthread_sigmask(SIG_UNBLOCK, &agent_sigs, NULL);
	while (!agent_stop) {
		natsMsgList list = { 0 };
		natsStatus s;

		if (now_ms() - t_hb >= a.heartbeat_s * 1000ULL) {
			heartbeat(&a);
			t_hb = now_ms();
		}
		s = natsSubscription_Fetch(&list, a.sub, 1, 1000, &jerr);
		if (s == NATS_OK) {
			for (int i = 0; i < list.Count; i++)
				if (agent_stop)
					natsMsg_Nak(list.Msgs[i], NULL);
				else
					handle_task(&a, list.Msgs[i]);
			natsMsgList_Destroy(&list);
			heartbeat(&a);
		} else if (s != NATS_TIMEOUT) {
			/* Reconnecting, or the server restarting: try again. */
			usleep(250000);
		}
	}
	fprintf(stderr, "%s: agent %s: stopping\n", CLI_PROG, a.name);
	ret = 0;
out:
	if (a.sub)
		natsSubscription_Destroy(a.sub);
	if (a.kv)
		kvStore_Destroy(a.kv);
	if (a.js)
		jsCtx_Destroy(a.js);
	if (a.nc) {
		natsConnection_FlushTimeout(a.nc, 2000);
		natsConnection_Destroy(a.nc);
	}
	for (struct retry *r = a.retry, *next; r; r = next) {
		next = r->next;
		free(r);
	}
	scope_free(a.scope);
	pthread_mutex_destroy(&a.lock);
	return ret;
}
