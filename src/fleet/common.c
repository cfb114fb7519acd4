/* SPDX-License-Identifier: MIT */
/* What the fleet's commands share: the NATS connection, the streams, the shard task, message ids. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "fleet/fleet.h"

/* "user:password" from the first line of path into user and pass. */
static int read_user_file(const char *path, char *user, size_t ulen, char *pass, size_t plen)
{
	char line[1024], *colon;
	FILE *f = fopen(path, "r");
	int ret = -1;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))
		goto out;
	line[strcspn(line, "\r\n")] = '\0';
	colon = strchr(line, ':');
	if (!colon || colon == line || (size_t)(colon - line) >= ulen || strlen(colon + 1) >= plen)
		goto out;
	memcpy(user, line, (size_t)(colon - line));
	user[colon - line] = '\0';
	memcpy(pass, colon + 1, strlen(colon + 1) + 1);
	ret = 0;
out:
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return ret;
}

int fleet_connect(const char *cmd, const struct fleet_conn_opts *o, natsConnection **nc,
		  jsCtx **js, jsOptions *jso)
{
	natsOptions *opts = NULL;
	natsStatus s;
	char user[256], pass[768];
	const char *why;
	int ret = -1;

	*nc = NULL;
	*js = NULL;
	s = natsOptions_Create(&opts);
	if (s == NATS_OK && strchr(o->url, ',')) {
		/* A cluster: "nats://a:4222,nats://b:4222,...". */
		char *copy = strdup(o->url), *save = NULL, *tok;
		const char *servers[16];
		int n = 0;

		for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && n < 16;
		     tok = strtok_r(NULL, ",", &save))
			servers[n++] = tok;
		s = n ? natsOptions_SetServers(opts, servers, n) : NATS_INVALID_ARG;
		free(copy);
	} else if (s == NATS_OK) {
		s = natsOptions_SetURL(opts, o->url);
	}
	if (s == NATS_OK && o->name)
		s = natsOptions_SetName(opts, o->name);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(opts, 5000);
	/* Once connected, never give up: a restarted or failed-over server
	 * is found again, and what was published meanwhile is buffered. */
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(opts, 250);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectBufSize(opts, 64 * 1024 * 1024);
	if (s != NATS_OK) {
		fprintf(stderr, "%s: %s: --nats '%s': %s\n", CLI_PROG, cmd, o->url, natsStatus_GetText(s));
		goto out;
	}
	if (o->user_file) {
		if (read_user_file(o->user_file, user, sizeof(user), pass, sizeof(pass)) < 0) {
			fprintf(stderr, "%s: %s: --user-file %s: cannot read a first line 'user:password'\n",
				CLI_PROG, cmd, o->user_file);
			goto out;
		}
		s = natsOptions_SetUserInfo(opts, user, pass);
		explicit_bzero(pass, sizeof(pass));
	}
	if (s == NATS_OK && o->creds)
		s = natsOptions_SetUserCredentialsFromFiles(opts, o->creds, NULL);
	if (s == NATS_OK && o->tls_ca) {
		s = natsOptions_LoadCATrustedCertificates(opts, o->tls_ca);
		if (s == NATS_OK)
			s = natsOptions_SetSecure(opts, true);
	}
	if (s != NATS_OK) {
		why = nats_GetLastError(NULL);
		fprintf(stderr, "%s: %s: credentials or TLS options: %s\n", CLI_PROG, cmd,
			why && *why ? why : natsStatus_GetText(s));
		goto out;
	}
	s = natsConnection_Connect(nc, opts);
	if (s != NATS_OK) {
		why = nats_GetLastError(NULL);
		fprintf(stderr, "%s: %s: cannot connect to %s: %s%s%s\n", CLI_PROG, cmd, o->url,
			natsStatus_GetText(s), why && *why ? ": " : "", why && *why ? why : "");
		if (s == NATS_CONNECTION_AUTH_FAILED || (why && strstr(why, "uthoriz")))
			fprintf(stderr, "%s: %s: the server refused the credentials (--creds, --user-file)\n",
				CLI_PROG, cmd);
		goto out;
	}
	if (!jso->Wait)
		jso->Wait = 10000;
	s = natsConnection_JetStream(js, *nc, jso);
	if (s != NATS_OK) {
		fprintf(stderr, "%s: %s: JetStream: %s\n", CLI_PROG, cmd, natsStatus_GetText(s));
		goto out;
	}
	ret = 0;
out:
	natsOptions_Destroy(opts);
	if (ret < 0 && *nc) {
		natsConnection_Destroy(*nc);
		*nc = NULL;
	}
	return ret;
}

static int ensure_stream(const char *cmd, jsCtx *js, const char *name, const char *subject,
			 bool work_queue, int64_t dup_window, int replicas)
{
	jsStreamConfig cfg;
	jsErrCode jerr = 0;
	natsStatus s = NATS_ERR;
	const char *subjects[] = { subject };

	jsStreamConfig_Init(&cfg);
	cfg.Name = name;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	cfg.Retention = work_queue ? js_WorkQueuePolicy : js_LimitsPolicy;
	cfg.Duplicates = dup_window;
	cfg.Replicas = replicas;
	for (int tries = 0; tries < 60; tries++) {
		jerr = 0;
		s = js_AddStream(NULL, js, &cfg, NULL, &jerr);
		/* Made by another agent already: its configuration stands. */
		if (s == NATS_OK || jerr == JSStreamNameExistErr)
			return 0;
		if (s == NATS_NOT_PERMITTED || jerr == JSStreamSubjectOverlapErr)
			break;
		usleep(500000);
	}
	fprintf(stderr, "%s: %s: cannot create stream %s: %s (%d) %s\n", CLI_PROG, cmd, name,
		natsStatus_GetText(s), (int)jerr, nats_GetLastError(NULL));
	return -1;
}

int fleet_ensure_streams(const char *cmd, jsCtx *js, int replicas)
{
	if (ensure_stream(cmd, js, FLEET_TASKS_STREAM, FLEET_TASK_PREFIX ">", true,
			  FLEET_TASK_DUP_WINDOW, replicas) < 0 ||
	    ensure_stream(cmd, js, FLEET_EVENTS_STREAM, FLEET_EVENTS_PREFIX ">", false,
			  FLEET_EVENT_DUP_WINDOW, replicas) < 0)
		return -1;
	return 0;
}

int fleet_scan_id_for_key(const char *key, char id[static 33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(c, "fastport-fleet-scan\n", 20) &&
		 EVP_DigestUpdate(c, key, strlen(key)) && EVP_DigestFinal_ex(c, md, &mdlen);

	EVP_MD_CTX_free(c);
	if (!ok || mdlen < 16)
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	return 0;
}

void fleet_subject(char buf[static 96], const char *prefix, const char *scan, const char *tail)
{
	snprintf(buf, 96, "%s%s%s%s", prefix, scan, tail ? "." : "", tail ? tail : "");
}

void fleet_finding_id(char id[static 33], const char *scan, const char *ip, unsigned port,
		      unsigned proto, unsigned kind)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char buf[160];
	int n;

	n = snprintf(buf, sizeof(buf), "%s|%s|%u|%u|%u", scan, ip, port, proto, kind);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    !EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha256(), NULL) || mdlen < 16) {
		/* Cannot happen with the inputs we pass; an id that never
		 * collides with a hash keeps the finding rather than lose it. */
		snprintf(id, 33, "x%031x", (unsigned)n);
		return;
	}
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
}

char *fleet_status_json(const char *scan, uint32_t k, uint32_t n, const char *status,
			const char *agent, const char *reason)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:s,s:s}", "kind", "shard_status", "scan_id", scan,
			      "shard", (json_int_t)k, "shards", (json_int_t)n, "status", status,
			      "agent", agent ? agent : "");
	char *out = NULL;

	if (!o)
		return NULL;
	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

/* Whether p->stopped, asked at this point (after a failed try or before a try), says stop. */
static bool publish_stop(const struct fleet_publish *p, bool after_try)
{
	return p->stopped && p->stop_after_try == after_try && p->stopped(p->stop_ud);
}

int fleet_publish_shards(struct fleet_publish *p, char *err, size_t errlen)
{
	for (uint32_t k = 1; k <= p->shards; k++) {
		json_t *env = json_pack("{s:s,s:I,s:I,s:O}", "scan_id", p->scan, "shard", (json_int_t)k,
					"shards", (json_int_t)p->shards, "task", p->task);
		char *text = env ? json_dumps(env, JSON_COMPACT) : NULL;
		char subj[96], tail[16], id[64];
		struct fleet_task ft;
		jsPubOptions po;
		jsPubAck *pa = NULL;
		jsErrCode jerr = 0;
		natsStatus s = NATS_ERR;

		json_decref(env);
		if (!text)
			return FLEET_PUB_NOMEM;
		/* What the agents will read: refuse a task they would refuse. */
		if (p->check) {
			if (fleet_task_parse(text, strlen(text), &ft, err, errlen) < 0) {
				free(text);
				return FLEET_PUB_REFUSED;
			}
			fleet_task_free(&ft);
		}
		snprintf(tail, sizeof(tail), "%" PRIu32, k);
		fleet_subject(subj, FLEET_TASK_PREFIX, p->scan, tail);
		snprintf(id, sizeof(id), "%s.%" PRIu32, p->scan, k);
		jsPubOptions_Init(&po);
		po.MsgId = id;
		for (int tries = 0; tries < 60; tries++) {
			if (publish_stop(p, false))
				break;
			s = js_Publish(&pa, p->js, subj, text, (int)strlen(text), &po, &jerr);
			if (s == NATS_OK || publish_stop(p, true))
				break;
			usleep(500000);
		}
		free(text);
		if (s != NATS_OK) {
			p->failed = k;
			p->status = s;
			return FLEET_PUB_FAILED;
		}
		p->dups += pa->Duplicate;
		jsPubAck_Destroy(pa);
	}
	return 0;
}

static int ftask_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -1;
}

static bool is_scan_id(const char *s)
{
	if (strlen(s) != FLEET_SCAN_ID_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int fleet_task_parse(const char *buf, size_t len, struct fleet_task *ft, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *v, *inner = NULL;
	const char *key;
	char *text = NULL;
	json_int_t k = 0, n = 0;
	int ret = -1;

	memset(ft, 0, sizeof(*ft));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
		return -1;
	}
	if (!json_is_object(root)) {
		ftask_fail(err, errlen, "expected a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (!strcmp(key, "scan_id")) {
			if (!json_is_string(v) || !is_scan_id(json_string_value(v))) {
				ftask_fail(err, errlen, "scan_id: expected 32 lowercase hex digits");
				goto out;
			}
			memcpy(ft->scan_id, json_string_value(v), FLEET_SCAN_ID_LEN + 1);
		} else if (!strcmp(key, "shard") || !strcmp(key, "shards")) {
			json_int_t x = json_is_integer(v) ? json_integer_value(v) : 0;

			if (x < 1 || x > FLEET_SHARDS_MAX) {
				snprintf(err, errlen, "%s: expected an integer 1..%d", key, FLEET_SHARDS_MAX);
				goto out;
			}
			if (!strcmp(key, "shard"))
				k = x;
			else
				n = x;
		} else if (!strcmp(key, "task")) {
			if (!json_is_object(v)) {
				ftask_fail(err, errlen, "task: expected an object");
				goto out;
			}
			inner = v;
		} else {
			snprintf(err, errlen, "unknown member '%.64s'", key);
			goto out;
		}
	}
	if (!ft->scan_id[0] || !k || !n || !inner) {
		ftask_fail(err, errlen, "scan_id, shard, shards and task are required");
		goto out;
	}
	if (k > n) {
		ftask_fail(err, errlen, "shard: greater than shards");
		goto out;
	}
	ft->shard = (uint32_t)k;
	ft->shards = (uint32_t)n;
	text = json_dumps(inner, JSON_COMPACT);
	if (!text) {
		ftask_fail(err, errlen, "out of memory");
		goto out;
	}
	{
		char inner_err[256];

		if (task_parse(text, strlen(text), &ft->t, inner_err, sizeof(inner_err)) < 0) {
			snprintf(err, errlen, "task: %s", inner_err);
			goto out;
		}
	}
	if (ft->t.shards) {
		task_free(&ft->t);
		ftask_fail(err, errlen, "task: shards: a shard task's task has none (the envelope says)");
		goto out;
	}
	/* Every shard of a scan must walk one order: the seed is fixed. */
	if (!ft->t.seed) {
		task_free(&ft->t);
		ftask_fail(err, errlen, "task: seed: a shard task needs the scan's non-zero seed");
		goto out;
	}
	ret = 0;
out:
	free(text);
	json_decref(root);
	if (ret < 0)
		memset(ft, 0, sizeof(*ft));
	return ret;
}

void fleet_task_free(struct fleet_task *ft)
{
	task_free(&ft->t);
	memset(ft, 0, sizeof(*ft));
}

int fleet_idset_add(struct fleet_idset *st, const char *id)
{
	uint64_t a = 0, b = 0;

	if (strlen(id) != 32 || sscanf(id, "%16" SCNx64 "%16" SCNx64, &a, &b) != 2) {
		/* Not our id: hash the text instead. */
		a = 1469598103934665603ULL;
		for (const char *p = id; *p; p++)
			a = (a ^ (unsigned char)*p) * 1099511628211ULL;
		b = ~a;
	}
	if (!a && !b)
		b = 1;
	if (2 * (st->n + 1) > st->cap) {
		struct fleet_idset bigger = { .cap = st->cap ? 2 * st->cap : 1024 };

		bigger.k = calloc(bigger.cap, sizeof(*bigger.k));
		if (!bigger.k)
			return -1;
		for (size_t i = 0; i < st->cap; i++) {
			size_t j = st->k[i][0] & (bigger.cap - 1);

			if (!st->k[i][0] && !st->k[i][1])
				continue;
			while (bigger.k[j][0] || bigger.k[j][1])
				j = (j + 1) & (bigger.cap - 1);
			bigger.k[j][0] = st->k[i][0];
			bigger.k[j][1] = st->k[i][1];
		}
		free(st->k);
		bigger.n = st->n;
		*st = bigger;
	}
	for (size_t j = a & (st->cap - 1);; j = (j + 1) & (st->cap - 1)) {
		if (st->k[j][0] == a && st->k[j][1] == b)
			return 0;
		if (!st->k[j][0] && !st->k[j][1]) {
			st->k[j][0] = a;
			st->k[j][1] = b;
			st->n++;
			return 1;
		}
	}
}
