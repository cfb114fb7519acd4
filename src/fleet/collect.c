/* SPDX-License-Identifier: MIT */
/* The fleet collector of `serve --nats`: a scan's shard tasks out to JetStream, its findings and shard records back, each once. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fleet/collect.h"
#include "fleet/fleet.h"

/* Addresses of one target spec: a CIDR, a range A-B, an address; else 1. */
static uint64_t spec_addresses(const char *spec)
{
	char buf[128], *slash, *dash;
	struct in_addr a, b;
	uint64_t n = 1;

	snprintf(buf, sizeof(buf), "%s", spec);
	if ((slash = strchr(buf, '/'))) {
		long bits = strtol(slash + 1, NULL, 10);
		bool v6 = strchr(buf, ':') != NULL;
		long host = (v6 ? 128 : 32) - bits;

		if (host <= 0)
			return 1;
		return host >= 40 ? (uint64_t)1 << 40 : (uint64_t)1 << host;
	}
	if ((dash = strchr(buf, '-'))) {
		*dash = '\0';
		if (inet_pton(AF_INET, buf, &a) == 1 && inet_pton(AF_INET, dash + 1, &b) == 1 &&
		    ntohl(b.s_addr) >= ntohl(a.s_addr))
			n = (uint64_t)ntohl(b.s_addr) - ntohl(a.s_addr) + 1;
	}
	return n;
}

/* Ports of a spec: "22,80-90,U:53"; NULL (the built-in list) counts 1000. */
static uint64_t spec_ports(const char *spec)
{
	uint64_t n = 0;

	if (!spec)
		return 1000;
	for (const char *p = spec; *p;) {
		unsigned long lo, hi;
		char *end;

		while (*p && (*p < '0' || *p > '9') && *p != '-')
			p++;
		if (!*p)
			break;
		if (*p == '-') { /* "-": every port */
			n += 65535;
			p++;
			continue;
		}
		lo = strtoul(p, &end, 10);
		hi = lo;
		if (*end == '-' && end[1] >= '0' && end[1] <= '9')
			hi = strtoul(end + 1, &end, 10);
		n += hi >= lo ? hi - lo + 1 : 1;
		p = end;
	}
	return n ? n : 1;
}

uint32_t fleet_shards_for(const struct serve_task *t)
{
	uint64_t addrs = 0, probes;

	for (size_t i = 0; i < t->ntargets; i++) {
		char *copy = strdup(t->targets[i]), *save = NULL;

		for (char *tok = copy ? strtok_r(copy, ", ", &save) : NULL; tok;
		     tok = strtok_r(NULL, ", ", &save))
			addrs += spec_addresses(tok);
		free(copy);
	}
	probes = addrs * spec_ports(t->ports);
	probes = (probes + FLEET_PROBES_PER_SHARD - 1) / FLEET_PROBES_PER_SHARD;
	return probes < 1 ? 1 : probes > FLEET_AUTO_SHARDS_MAX ? FLEET_AUTO_SHARDS_MAX : (uint32_t)probes;
}

/* The task as `submit` writes it (src/fleet/submit.c): no name, key or shards. */
static json_t *task_object(const struct serve_task *t)
{
	static const char *const names[] = { "open", "closed", "filtered", "open|filtered" };
	json_t *o = json_pack("{s:[],s:I,s:b,s:b,s:b}", "targets", "seed", (json_int_t)t->seed,
			      "service_scan", t->service_scan, "connect", t->connect,
			      "allow_reserved", t->allow_reserved);
	json_t *a;

	if (!o)
		return NULL;
	a = json_object_get(o, "targets");
	for (size_t i = 0; i < t->ntargets; i++)
		json_array_append_new(a, json_string(t->targets[i]));
	if (t->nexclude) {
		a = json_array();
		for (size_t i = 0; i < t->nexclude; i++)
			json_array_append_new(a, json_string(t->exclude[i]));
		json_object_set_new(o, "exclude", a);
	}
	if (t->ports)
		json_object_set_new(o, "ports", json_string(t->ports));
	if (t->rate)
		json_object_set_new(o, "rate", json_integer((json_int_t)t->rate));
	if (t->has_retries)
		json_object_set_new(o, "retries", json_integer((json_int_t)t->retries));
	if (t->states) {
		a = json_array();
		for (unsigned k = 0; k < 4; k++)
			if (t->states & (1U << k))
				json_array_append_new(a, json_string(names[k]));
		json_object_set_new(o, "states", a);
	}
	return o;
}

struct collect {
	const struct fleet_collect *fc;
	uint32_t n, done, bad;
	uint8_t *state;          /* per shard: 0 pending, 1 complete, 2 failed or refused */
	char reason[512];        /* the first failure */
	bool stop;
};

/* A shard's first record: counted and passed on. */
static void shard_record(struct collect *c, uint32_t k, const char *status, const char *agent,
			 const char *reason)
{
	fp_event_t ev = { .kind = (fp_event_kind_t)FLEET_EVENT_SHARD };
	char *json;

	if (k < 1 || k > c->n || c->state[k])
		return;
	c->state[k] = !strcmp(status, "complete") ? 1 : 2;
	c->done++;
	if (c->state[k] == 2 && !c->bad++)
		snprintf(c->reason, sizeof(c->reason), "shard %" PRIu32 "/%" PRIu32 " %s%s%s", k, c->n,
			 status, reason ? ": " : "", reason ? reason : "");
	json = fleet_status_json(c->fc->scan_id, k, c->n, status, agent, reason);
	if (json) {
		ev.json = json;
		ev.json_len = strlen(json);
		if (c->fc->on_event(&ev, c->fc->ud))
			c->stop = true;
		free(json);
	}
}

static void on_status(struct collect *c, const char *data, int len)
{
	json_t *o = json_loadb(data, (size_t)len, 0, NULL);
	json_int_t k = json_integer_value(json_object_get(o, "shard"));
	json_int_t n = json_integer_value(json_object_get(o, "shards"));
	const char *st = json_string_value(json_object_get(o, "status"));

	if (o && st && n == (json_int_t)c->n && k >= 1 && k <= n)
		shard_record(c, (uint32_t)k, st, json_string_value(json_object_get(o, "agent")),
			     json_string_value(json_object_get(o, "reason")));
	json_decref(o);
}

/* A shard task delivered --max-deliver times: which shard of ours, if any. */
static void on_advisory(struct collect *c, jsCtx *js, const char *data, int len)
{
	json_t *o = json_loadb(data, (size_t)len, 0, NULL);
	json_int_t seq = json_integer_value(json_object_get(o, "stream_seq"));
	json_int_t deliveries = json_integer_value(json_object_get(o, "deliveries"));
	natsMsg *m = NULL;
	char prefix[96], why[128];

	fleet_subject(prefix, FLEET_TASK_PREFIX, c->fc->scan_id, "");
	if (seq > 0 && js_GetMsg(&m, js, FLEET_TASKS_STREAM, (uint64_t)seq, NULL, NULL) == NATS_OK && m) {
		const char *subj = natsMsg_GetSubject(m);

		if (!strncmp(subj, prefix, strlen(prefix))) {
			snprintf(why, sizeof(why), "delivered %lld times without a result (the agents' "
				 "--max-deliver): its last agent died", (long long)deliveries);
			shard_record(c, (uint32_t)strtoul(subj + strlen(prefix), NULL, 10), "failed",
				     NULL, why);
		}
		natsMsg_Destroy(m);
	}
	json_decref(o);
}

/* The kind member of a finding: port_state or service. */
static fp_event_kind_t finding_kind(const char *data, int len)
{
	const char *p = memmem(data, (size_t)len, "\"kind\":\"service\"", 16);

	return p ? FP_EVENT_SERVICE : FP_EVENT_PORT_STATE;
}

static void completed_event(const struct fleet_collect *fc, const struct collect *c, bool interrupted)
{
	char buf[768], now[40];
	struct timespec ts;
	struct tm tm;
	fp_event_t ev = { .kind = FP_EVENT_SCAN_COMPLETED };
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(now, 24, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(now + strlen(now), sizeof(now) - strlen(now), ".%06ldZ", ts.tv_nsec / 1000);
	n = snprintf(buf, sizeof(buf),
		     "{\"schema\":\"threat_event_v1\",\"event_id\":\"%s-fleet-completed\",\"time\":\"%s\","
		     "\"kind\":\"scan_completed\",\"scan_id\":\"%s\",\"sensor\":{\"name\":\"fastport\","
		     "\"version\":\"%s\"},\"interrupted\":%s,\"fleet\":{\"shards\":%" PRIu32
		     ",\"complete\":%" PRIu32 ",\"failed\":%" PRIu32 "}}",
		     fc->scan_id, now, fc->scan_id, fp_version(), interrupted ? "true" : "false", c->n,
		     c->done - c->bad, c->bad);
	if (n > 0 && (size_t)n < sizeof(buf)) {
		ev.json = buf;
		ev.json_len = (size_t)n;
		fc->on_event(&ev, fc->ud);
	}
}

int fleet_collect_run(const struct fleet_collect *fc, char *err, size_t errlen)
{
	struct fleet_conn_opts co = { .url = fc->url, .creds = fc->creds, .user_file = fc->user_file,
				      .tls_ca = fc->tls_ca, .name = "fastport-serve" };
	struct collect c = { .fc = fc, .n = fc->t->shards ? fc->t->shards : 1 };
	struct fleet_publish pub = { .scan = fc->scan_id, .shards = c.n, .stopped = fc->stopped,
				     .stop_ud = fc->stop_ud };
	struct fleet_idset seen = { 0 };
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL, *adv = NULL;
	jsCtx *js = NULL;
	jsOptions jso;
	jsSubOptions so;
	jsErrCode jerr = 0;
	json_t *task = NULL;
	char filter[96], finding_subj[96];
	int ret = -1;

	c.state = calloc((size_t)c.n + 1, 1);
	task = task_object(fc->t);
	if (!c.state || !task) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	jsOptions_Init(&jso);
	/* fleet_connect and fleet_ensure_streams print their reasons. */
	if (fleet_connect("serve", &co, &nc, &js, &jso) < 0) {
		snprintf(err, errlen, "cannot connect to NATS at %s", fc->url);
		goto out;
	}
	if (fleet_ensure_streams("serve", js, 1) < 0) {
		snprintf(err, errlen, "cannot create the fleet's streams on %s", fc->url);
		goto out;
	}
	/* The advisory first: a shard may fail before the last one is out. */
	if (natsConnection_SubscribeSync(&adv, nc, FLEET_MAXDELIV_ADVISORY) != NATS_OK)
		adv = NULL;
	fleet_subject(filter, FLEET_EVENTS_PREFIX, fc->scan_id, ">");
	fleet_subject(finding_subj, FLEET_EVENTS_PREFIX, fc->scan_id, "finding");
	jsSubOptions_Init(&so);
	so.Stream = FLEET_EVENTS_STREAM;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverAll;
	for (int tries = 0; tries < 60 && !fc->stopped(fc->stop_ud); tries++) {
		if (js_SubscribeSync(&sub, js, filter, &jso, &so, &jerr) == NATS_OK)
			break;
		sub = NULL;
		usleep(500000);
	}
	if (!sub) {
		snprintf(err, errlen, "cannot read %s: %s", FLEET_EVENTS_STREAM, nats_GetLastError(NULL));
		goto out;
	}
	pub.js = js;
	pub.task = task;
	switch (fleet_publish_shards(&pub, err, errlen)) {
	case 0:
		break;
	case FLEET_PUB_FAILED:
		snprintf(err, errlen, "publishing shard %" PRIu32 " to %s: %s %s", pub.failed,
			 FLEET_TASKS_STREAM, natsStatus_GetText(pub.status), nats_GetLastError(NULL));
		goto out;
	default:
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (!c.stop && c.done < c.n) {
		natsMsg *m = NULL;

		if (fc->stopped(fc->stop_ud)) {
			c.stop = true;
			break;
		}
		if (adv && advisory_pending(adv) && natsSubscription_NextMsg(&m, adv, 100) == NATS_OK) {
			on_advisory(&c, js, natsMsg_GetData(m), natsMsg_GetDataLength(m));
			natsMsg_Destroy(m);
			continue;
		}
		if (natsSubscription_NextMsg(&m, sub, 500) != NATS_OK)
			continue;
		if (!strcmp(natsMsg_GetSubject(m), finding_subj)) {
			const char *id = NULL;
			int r = 1;

			if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id)
				r = fleet_idset_add(&seen, id);
			if (r < 0) {
				natsMsg_Destroy(m);
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			if (r) {
				fp_event_t ev = { .kind = finding_kind(natsMsg_GetData(m), natsMsg_GetDataLength(m)),
						  .json = natsMsg_GetData(m),
						  .json_len = (size_t)natsMsg_GetDataLength(m) };

				if (fc->on_event(&ev, fc->ud))
					c.stop = true;
			}
		} else {
			on_status(&c, natsMsg_GetData(m), natsMsg_GetDataLength(m));
		}
		natsMsg_Destroy(m);
	}
	if (c.stop && c.done < c.n) {
		/* Stopped: the shard tasks no agent took yet go. */
		jsOptions po;
		char tasks[96];

		jsOptions_Init(&po);
		fleet_subject(tasks, FLEET_TASK_PREFIX, fc->scan_id, ">");
		po.Stream.Purge.Subject = tasks;
		js_PurgeStream(js, FLEET_TASKS_STREAM, &po, NULL);
		completed_event(fc, &c, true);
		ret = 0;
		goto out;
	}
	completed_event(fc, &c, false);
	if (c.bad) {
		snprintf(err, errlen, "%" PRIu32 " of %" PRIu32 " shards failed or refused; %s", c.bad, c.n,
			 c.reason);
		goto out;
	}
	ret = 0;
out:
	json_decref(task);
	free(seen.k);
	free(c.state);
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
