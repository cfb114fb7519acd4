/* SPDX-License-Identifier: MIT */
/* threat_event_v1 events as OCSF 1.1 events. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ocsf.h"

#define OCSF_VERSION "1.1.0"

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* RFC 3339 UTC ("2026-11-21T23:46:26.189123Z") as OCSF's timestamp_t:
 * milliseconds since the epoch; 0 when it does not parse. */
static json_int_t epoch_ms(const char *t)
{
	struct tm tm = { 0 };
	int us = 0, n = 0;

	if (!t || sscanf(t, "%d-%d-%dT%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return 0;
	if (t[n] == '.') {
		int digits = 0;

		for (const char *p = t + n + 1; *p >= '0' && *p <= '9'; p++)
			if (digits < 6) {
				us = us * 10 + (*p - '0');
				digits++;
			}
		for (; digits < 6; digits++)
			us *= 10;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (json_int_t)timegm(&tm) * 1000 + us / 1000;
}

/* The members every OCSF event has. */
static json_t *base(json_t *ev, int category, int class_uid, int activity, const char *activity_name,
		    const char *class_name, const char *uid_suffix)
{
	json_t *sensor = json_object_get(ev, "sensor");
	char uid[600];

	snprintf(uid, sizeof(uid), "%s%s", str(ev, "event_id") ? str(ev, "event_id") : "",
		 uid_suffix ? uid_suffix : "");
	return json_pack("{s:i, s:s, s:i, s:s, s:i, s:s, s:I, s:I, s:i, s:s, s:I, s:{s:s, s:s, s:s, "
			 "s:{s:s, s:s, s:s?}}}",
			 "category_uid", category, "category_name",
			 category == 2 ? "Findings" : category == 4 ? "Network Activity"
			 : category == 5 ? "Discovery" : "Application Activity",
			 "class_uid", class_uid, "class_name", class_name,
			 "activity_id", activity, "activity_name", activity_name,
			 "type_uid", (json_int_t)class_uid * 100 + activity,
			 "time", epoch_ms(str(ev, "time")),
			 "severity_id", 1, "severity", "Informational",
			 "start_time", epoch_ms(str(ev, "time")),
			 "metadata", "version", OCSF_VERSION, "uid", uid,
			 "correlation_uid", str(ev, "scan_id") ? str(ev, "scan_id") : "",
			 "product", "name", "fastport", "vendor_name", "fastport",
			 "version", str(sensor, "version"));
}

static json_t *endpoint(json_t *target, const char *svc_name)
{
	json_t *port = json_object_get(target, "port");
	json_t *e = json_pack("{s:s?}", "ip", str(target, "ip"));

	if (e && json_is_number(port))
		json_object_set_new(e, "port", json_integer((json_int_t)json_number_value(port)));
	if (e && svc_name)
		json_object_set_new(e, "svc_name", json_string(svc_name));
	return e;
}

static json_t *connection(json_t *target)
{
	const char *p = str(target, "protocol");
	bool tcp = p && !strcmp(p, "tcp");

	return json_pack("{s:s, s:i, s:i, s:s}", "protocol_name", tcp ? "tcp" : "udp",
			 "protocol_num", tcp ? 6 : 17, "direction_id", 2, "direction", "Outbound");
}

static int emit(json_t *o, FILE *f)
{
	char *s;
	int ret = -1;

	if (!o)
		return -1;
	s = json_dumps(o, JSON_COMPACT);
	if (s && fputs(s, f) >= 0 && fputc('\n', f) != EOF)
		ret = 0;
	free(s);
	json_decref(o);
	return ret;
}

static void set_src(json_t *o, const struct ocsf_ctx *c)
{
	json_object_set_new(o, "src_endpoint", c->source_ip[0]
			    ? json_pack("{s:s}", "ip", c->source_ip)
			    : json_pack("{s:s}", "name", "fastport"));
}

static int scan_activity(struct ocsf_ctx *c, json_t *ev, FILE *f, bool started)
{
	json_t *scan = json_object_get(ev, "scan"), *counters = json_object_get(ev, "counters");
	bool interrupted = json_is_true(json_object_get(ev, "interrupted"));
	int act = started ? 1 : interrupted ? 3 : 2;
	json_t *o;

	if (started && str(scan, "source_ip"))
		snprintf(c->source_ip, sizeof(c->source_ip), "%s", str(scan, "source_ip"));
	o = base(ev, 6, 6007, act, act == 1 ? "Started" : act == 2 ? "Completed" : "Cancelled",
		 "Scan Activity", NULL);
	if (!o)
		return -1;
	json_object_set_new(o, "scan", json_pack("{s:s, s:s, s:i, s:s}", "uid",
						 str(ev, "scan_id") ? str(ev, "scan_id") : "",
						 "name", "port scan", "type_id", 99, "type", "Port scan"));
	if (!started) {
		json_object_set_new(o, "end_time", json_integer(epoch_ms(str(ev, "time"))));
		json_object_del(o, "start_time");
		if (json_is_object(counters)) {
			json_t *sent = json_object_get(counters, "sent");
			json_t *open = json_object_get(counters, "open");

			if (json_is_number(sent))
				json_object_set_new(o, "total", json_integer((json_int_t)json_number_value(sent)));
			if (json_is_number(open))
				json_object_set_new(o, "num_detections",
						    json_integer((json_int_t)json_number_value(open)));
			json_object_set_new(o, "unmapped", json_pack("{s:O}", "counters", counters));
		}
	} else if (json_is_object(scan)) {
		json_t *copy = json_deep_copy(scan);
		const char *seed = strstr(c->line, "\"seed\":");

		/* The seed as text: a 64-bit number JSON readers may round. */
		if (copy && seed) {
			seed += 7;
			json_object_set_new(copy, "seed", json_stringn(seed, strspn(seed, "0123456789")));
		}
		json_object_set_new(o, "unmapped", json_pack("{s:o?}", "scan", copy));
	}
	return emit(o, f);
}

/* Software Inventory Info (5020) for a product identified on the scanned
 * device: by a service event, or by a UDP reply fastport parsed (a
 * port_state whose result names the product). Nothing without a product. */
static int software(json_t *ev, json_t *t, const char *product, const char *version, json_t *cpe,
		    FILE *f)
{
	json_t *o;

	if (!product || !*product)
		return 0;
	o = base(ev, 5, 5020, 2, "Collect", "Software Inventory Info", ":software");
	if (!o)
		return -1;
	json_object_set_new(o, "device", json_pack("{s:s?, s:i, s:s}", "ip", str(t, "ip"), "type_id",
						   0, "type", "Unknown"));
	json_object_set_new(o, "package", json_pack("{s:s, s:s}", "name", product, "version",
						    version ? version : ""));
	if (json_array_size(cpe) && json_is_string(json_array_get(cpe, 0)))
		json_object_set(json_object_get(o, "package"), "cpe_name", json_array_get(cpe, 0));
	return emit(o, f);
}

static int port_state(struct ocsf_ctx *c, json_t *ev, FILE *f)
{
	json_t *t = json_object_get(ev, "target"), *r = json_object_get(ev, "result"), *o, *um;
	const char *state = str(r, "state");
	int act = !state ? 99 : !strcmp(state, "open") ? 1 : !strcmp(state, "closed") ? 5 : 4;

	o = base(ev, 4, 4001, act, act == 1 ? "Open" : act == 5 ? "Refuse" : act == 4 ? "Fail" : "Other",
		 "Network Activity", NULL);
	if (!o)
		return -1;
	json_object_set_new(o, "dst_endpoint", endpoint(t, str(r, "service")));
	set_src(o, c);
	json_object_set_new(o, "connection_info", connection(t));
	json_object_set_new(o, "observation_point_id", json_integer(1));
	if (str(r, "reason"))
		json_object_set_new(o, "status_detail", json_string(str(r, "reason")));
	um = json_pack("{s:s*, s:O*, s:O*, s:O*, s:s*, s:s*}", "state", state, "ttl",
		       json_object_get(r, "ttl"), "rtt_us", json_object_get(r, "rtt_us"),
		       "quic_versions", json_object_get(r, "quic_versions"), "product",
		       str(r, "product"), "version", str(r, "version"));
	if (str(t, "protocol") && !strcmp(str(t, "protocol"), "quic"))
		json_object_set_new(um, "protocol", json_string("quic"));
	json_object_set_new(o, "unmapped", um);
	if (emit(o, f) < 0)
		return -1;
	/* A UDP reply parsed as its protocol may name the server's software
	 * (result.product, result.version): the same inventory record as a
	 * service event's. */
	return software(ev, t, str(r, "product"), str(r, "version"), NULL, f);
}

/* OCSF's certificate object from the service's tls member. */
static json_t *tls_object(json_t *tls)
{
	json_t *o = json_object(), *cert = json_object(), *sans = json_array(), *v;
	size_t i;

	if (!o || !cert || !sans) {
		json_decref(o);
		json_decref(cert);
		json_decref(sans);
		return NULL;
	}
	if (str(tls, "version"))
		json_object_set_new(o, "version", json_string(str(tls, "version")));
	if (str(tls, "cipher"))
		json_object_set_new(o, "cipher", json_string(str(tls, "cipher")));
	if (str(tls, "ja3s"))
		json_object_set_new(o, "ja3s_fingerprint",
				    json_pack("{s:i, s:s, s:s}", "algorithm_id", 1, "algorithm", "MD5",
					      "value", str(tls, "ja3s")));
	json_array_foreach(json_object_get(tls, "san"), i, v)
		if (json_is_string(v))
			json_array_append_new(sans, json_pack("{s:s, s:s}", "name", json_string_value(v),
							      "type", "SAN"));
	json_object_set_new(o, "sans", sans);
	json_object_set_new(cert, "subject", json_string(str(tls, "subject") ? str(tls, "subject") : ""));
	json_object_set_new(cert, "issuer", json_string(str(tls, "issuer") ? str(tls, "issuer") : ""));
	json_object_set_new(cert, "serial_number", json_string(str(tls, "serial") ? str(tls, "serial") : ""));
	json_object_set_new(cert, "version", json_string("3"));
	if (str(tls, "not_before"))
		json_object_set_new(cert, "created_time", json_integer(epoch_ms(str(tls, "not_before"))));
	if (str(tls, "not_after"))
		json_object_set_new(cert, "expiration_time", json_integer(epoch_ms(str(tls, "not_after"))));
	if (str(tls, "sha256"))
		json_object_set_new(cert, "fingerprints",
				    json_pack("[{s:i, s:s, s:s}]", "algorithm_id", 3, "algorithm",
					      "SHA-256", "value", str(tls, "sha256")));
	json_object_set_new(o, "certificate", cert);
	return o;
}

static int service(struct ocsf_ctx *c, json_t *ev, FILE *f)
{
	json_t *t = json_object_get(ev, "target"), *s = json_object_get(ev, "service"), *o, *um;
	const char *name = str(s, "name"), *product = str(s, "product");

	o = base(ev, 4, 4001, 1, "Open", "Network Activity", NULL);
	if (!o)
		return -1;
	json_object_set_new(o, "dst_endpoint", endpoint(t, name));
	set_src(o, c);
	json_object_set_new(o, "connection_info", connection(t));
	if (json_is_object(json_object_get(s, "tls")))
		json_object_set_new(o, "tls", tls_object(json_object_get(s, "tls")));
	um = json_pack("{s:O}", "service", s);
	json_object_set_new(o, "unmapped", um);
	if (emit(o, f) < 0)
		return -1;
	/* The product is software on the scanned device. */
	return software(ev, t, product, str(s, "version"), json_object_get(s, "cpe"), f);
}

static int exposure_change(struct ocsf_ctx *c, json_t *ev, FILE *f)
{
	json_t *t = json_object_get(ev, "target"), *o;
	const char *change = str(ev, "change");
	char title[160], type[64];

	(void)c;
	snprintf(title, sizeof(title), "Port %s: %s %s/%lld", change ? change : "changed",
		 str(t, "ip") ? str(t, "ip") : "?", str(t, "protocol") ? str(t, "protocol") : "?",
		 (long long)json_number_value(json_object_get(t, "port")));
	snprintf(type, sizeof(type), "exposure_change/%s", change ? change : "unknown");
	o = base(ev, 2, 2004, 1, "Create", "Detection Finding", NULL);
	if (!o)
		return -1;
	json_object_set_new(o, "finding_info",
			    json_pack("{s:s, s:s, s:[s]}", "uid", str(ev, "event_id"), "title", title,
				      "types", type));
	json_object_set_new(o, "is_alert", json_boolean(change && !strcmp(change, "opened")));
	json_object_set_new(o, "resources", json_pack("[{s:s?, s:s}]", "uid", str(t, "ip"), "type",
						      "Network Endpoint"));
	json_object_set_new(o, "evidences",
			    json_pack("[{s:o, s:{s:O?, s:O?}}]", "dst_endpoint", endpoint(t, NULL),
				      "data", "before", json_object_get(ev, "before"), "after",
				      json_object_get(ev, "after")));
	json_object_set_new(o, "unmapped", json_pack("{s:s?, s:s?}", "from_scan_id",
						     str(ev, "from_scan_id"), "to_scan_id",
						     str(ev, "to_scan_id")));
	if (json_object_get(ev, "changed"))
		json_object_set(json_object_get(o, "unmapped"), "changed", json_object_get(ev, "changed"));
	return emit(o, f);
}

int ocsf_write(struct ocsf_ctx *c, const char *json, size_t n, FILE *f)
{
	json_t *ev = json_loadb(json, n, 0, NULL);
	const char *kind, *schema;
	int ret = -1;

	/* A seed above INT64_MAX: the numbers as reals (the seed is taken
	 * from the text itself). */
	if (!ev)
		ev = json_loadb(json, n, JSON_DECODE_INT_AS_REAL, NULL);
	kind = str(ev, "kind");
	schema = str(ev, "schema");
	c->line = json;

	if (!kind || !schema || strcmp(schema, "threat_event_v1"))
		goto out;
	if (!strcmp(kind, "scan_started"))
		ret = scan_activity(c, ev, f, true);
	else if (!strcmp(kind, "scan_completed"))
		ret = scan_activity(c, ev, f, false);
	else if (!strcmp(kind, "port_state"))
		ret = port_state(c, ev, f);
	else if (!strcmp(kind, "service"))
		ret = service(c, ev, f);
	else if (!strcmp(kind, "exposure_change"))
		ret = exposure_change(c, ev, f);
	else
		ret = 0;
out:
	json_decref(ev);
	return ret;
}
