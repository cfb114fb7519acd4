/* SPDX-License-Identifier: MIT */
/* nmap's XML output from threat_event_v1 events. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "nmap_xml.h"
#include "core/addr.h"
#include "core/ports.h"

struct xport {
	u128 addr;
	uint8_t proto;         /* FP_PROTO_TCP, or UDP (QUIC folded in) */
	uint16_t port;
	bool quic;
	json_t *state_ev;      /* the port_state event, or NULL */
	json_t *svc_ev;        /* the service event, or NULL */
};

struct nmap_xml {
	char *args, *ports;
	char *buf;             /* queued lines, '\n'-terminated */
	size_t len, cap;
	char *chg;             /* exposure_change lines, '\n'-terminated */
	size_t chg_len, chg_cap;
	bool oom, loaded;
	/* while writing */
	struct xport *v;
	size_t n, vcap;
	json_t *started, *completed;
};

struct nmap_xml *nmap_xml_new(const char *args, const char *ports)
{
	struct nmap_xml *x = calloc(1, sizeof(*x));

	/* jansson seeds its hash tables from /dev/urandom on first use: now,
	 * before a sandbox forbids opening it. */
	json_object_seed(0);
	if (!x)
		return NULL;
	if ((args && !(x->args = strdup(args))) || (ports && !(x->ports = strdup(ports)))) {
		nmap_xml_free(x);
		return NULL;
	}
	return x;
}

int nmap_xml_event(struct nmap_xml *x, const char *json, size_t n)
{
	const char *nl = memchr(json, '\n', n);

	if (nl)
		n = (size_t)(nl - json);
	if (x->oom)
		return -1;
	if (x->cap - x->len < n + 1) {
		size_t cap = x->cap ? x->cap : 1 << 16;
		char *p;

		while (cap - x->len < n + 1)
			cap *= 2;
		p = realloc(x->buf, cap);
		if (!p) {
			x->oom = true;
			return -1;
		}
		x->buf = p;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, json, n);
	x->buf[x->len + n] = '\n';
	x->len += n + 1;
	return 0;
}

void nmap_xml_free(struct nmap_xml *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++) {
		json_decref(x->v[i].state_ev);
		json_decref(x->v[i].svc_ev);
	}
	json_decref(x->started);
	json_decref(x->completed);
	free(x->v);
	free(x->buf);
	free(x->chg);
	free(x->args);
	free(x->ports);
	free(x);
}

/* ---- reading the events ---- */

static const char *str(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);

	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static int add_finding(struct nmap_xml *x, json_t *ev, bool service)
{
	json_t *t = json_object_get(ev, "target");
	const char *ip = str(t, "ip", NULL), *proto = str(t, "protocol", NULL);
	json_t *port = json_object_get(t, "port");
	struct xport *p;
	u128 a;

	if (!ip || !proto || addr_parse(ip, strlen(ip), &a) < 0 || !json_is_number(port))
		return 0;
	if (x->n == x->vcap) {
		size_t cap = x->vcap ? 2 * x->vcap : 256;
		struct xport *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return -1;
		x->v = v;
		x->vcap = cap;
	}
	p = &x->v[x->n++];
	memset(p, 0, sizeof(*p));
	p->addr = a;
	p->proto = strcmp(proto, "tcp") ? FP_PROTO_UDP : FP_PROTO_TCP;
	p->quic = !strcmp(proto, "quic");
	p->port = (uint16_t)json_number_value(port);
	json_incref(ev);
	if (service)
		p->svc_ev = ev;
	else
		p->state_ev = ev;
	return 0;
}

static int load(struct nmap_xml *x)
{
	size_t off = 0;

	while (off < x->len) {
		char *nl = memchr(x->buf + off, '\n', x->len - off);
		size_t n = (size_t)(nl - (x->buf + off));
		json_t *ev = json_loadb(x->buf + off, n, JSON_DECODE_INT_AS_REAL, NULL);
		const char *kind = str(ev, "kind", NULL);
		int r = 0;

		off += n + 1;
		if (!kind || !str(ev, "schema", NULL) || strcmp(str(ev, "schema", NULL), "threat_event_v1")) {
			json_decref(ev);
			continue;
		}
		if (!strcmp(kind, "scan_started") && !x->started) {
			json_incref(ev);
			x->started = ev;
		} else if (!strcmp(kind, "scan_completed")) {
			json_decref(x->completed);
			json_incref(ev);
			x->completed = ev;
		} else if (!strcmp(kind, "port_state")) {
			r = add_finding(x, ev, false);
		} else if (!strcmp(kind, "service")) {
			r = add_finding(x, ev, true);
		}
		json_decref(ev);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int port_cmp(const void *a, const void *b)
{
	const struct xport *p = a, *q = b;

	if (p->addr != q->addr)
		return p->addr < q->addr ? -1 : 1;
	if (p->proto != q->proto)
		return p->proto < q->proto ? -1 : 1;
	return p->port < q->port ? -1 : p->port > q->port;
}

static int state_rank(const struct xport *p)
{
	const char *s = p->state_ev ? str(p->state_ev, "result", "state") : NULL;

	if (p->svc_ev || (s && !strcmp(s, "open")))
		return 3;
	if (s && !strcmp(s, "closed"))
		return 2;
	return s ? 1 : 0;
}

/* Sorts and merges: a service event joins its port's port_state; of a
 * udp and a quic finding of one port the more open one stays. */
static void merge(struct nmap_xml *x)
{
	size_t w = 0;

	qsort(x->v, x->n, sizeof(*x->v), port_cmp);
	for (size_t i = 0; i < x->n; i++) {
		struct xport *p = &x->v[i];

		if (w && !port_cmp(&x->v[w - 1], p)) {
			struct xport *q = &x->v[w - 1];

			if (p->quic != q->quic && state_rank(p) > state_rank(q)) {
				struct xport t = *q;

				*q = *p;
				*p = t;
			}
			if (!q->state_ev && p->state_ev && q->quic == p->quic) {
				q->state_ev = p->state_ev;
				p->state_ev = NULL;
			}
			if (!q->svc_ev && p->svc_ev && q->quic == p->quic) {
				q->svc_ev = p->svc_ev;
				p->svc_ev = NULL;
			}
			json_decref(p->state_ev);
			json_decref(p->svc_ev);
			continue;
		}
		x->v[w++] = *p;
	}
	x->n = w;
}

/* ---- writing ---- */

/* Text for an attribute (attr) or element content: XML-escaped; control
 * characters, which XML 1.0 cannot carry, as \xNN; in attributes a line
 * break as &#xa; (nmap's way). */
static void esc(FILE *f, const char *s, bool attr)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs(attr ? "&quot;" : "\"", f); break;
		case '\n': fputs(attr ? "&#xa;" : "\n", f); break;
		case '\t': fputs(attr ? "&#x9;" : "\t", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\x%02x", c);
			else
				fputc(c, f);
		}
	}
}

static void attr(FILE *f, const char *name, const char *v)
{
	if (!v)
		return;
	fprintf(f, " %s=\"", name);
	esc(f, v, true);
	fputc('"', f);
}

/* Seconds since the epoch of an RFC 3339 UTC time ("...Z"), 0 if none. */
static long long epoch(const char *t)
{
	struct tm tm = { 0 };

	if (!t || sscanf(t, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

/* "Thu Dec  5 01:00:48 2026", as nmap's startstr and timestr. */
static void timestr(long long t, char buf[static 32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	buf[0] = '\0';
	if (gmtime_r(&tt, &tm))
		strftime(buf, 32, "%a %b %e %H:%M:%S %Y", &tm);
}

/* fastport's reasons in nmap's words. */
static const char *nmap_reason(const char *r)
{
	static const char *const map[][2] = {
		{ "syn-ack", "syn-ack" }, { "connect", "syn-ack" }, { "rst", "reset" },
		{ "refused", "conn-refused" }, { "icmp-port-unreachable", "port-unreach" },
		{ "icmp-admin-prohibited", "admin-prohibited" }, { "udp-reply", "udp-response" },
		{ "quic-version-negotiation", "udp-response" }, { "no-response", "no-response" },
	};

	if (!r)
		return "unknown";
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(r, map[i][0]))
			return map[i][1];
	return r;
}

/* <scaninfo> for each protocol: the ports scanned, from the spec given or
 * from the findings. */
static void scaninfo(struct nmap_xml *x, FILE *f, const char *method)
{
	struct portset ps;
	char err[128];
	bool have = false;

	portset_init(&ps);
	if (x->ports) {
		char *spec = strdup(x->ports);

		for (char *c = spec; c && *c; c++)
			if (*c == ' ')
				*c = ',';
		have = spec && portset_add_spec(&ps, spec, err, sizeof(err)) == 0;
		free(spec);
	}
	for (int proto = FP_PROTO_TCP; proto <= FP_PROTO_UDP; proto++) {
		uint32_t count = 0;
		bool first = true;

		if (have) {
			for (uint32_t i = 0; i < ps.n; i++)
				count += portset_proto(ps.list[i]) == proto ||
					 (proto == FP_PROTO_UDP && portset_proto(ps.list[i]) == FP_PROTO_QUIC);
		} else {
			for (size_t i = 0; i < x->n; i++)
				count += x->v[i].proto == proto;
		}
		if (!count)
			continue;
		fprintf(f, "<scaninfo type=\"%s\" protocol=\"%s\"",
			proto == FP_PROTO_UDP ? "udp" : !strcmp(method, "connect") ? "connect" : "syn",
			proto == FP_PROTO_UDP ? "udp" : "tcp");
		if (have) {
			/* nmap's form: ranges, ascending. */
			uint32_t lo = 0, hi = 0, nports = 0;
			bool any = false;

			for (uint32_t pass = 0; pass < 2; pass++) {
				if (pass == 1)
					fputs(" services=\"", f);
				any = false;
				first = true;
				for (uint32_t p = 0; p <= 65536; p++) {
					bool in = p < 65536 &&
						  (portset_find(&ps, (uint8_t)proto, (uint16_t)p) >= 0 ||
						   (proto == FP_PROTO_UDP &&
						    portset_find(&ps, FP_PROTO_QUIC, (uint16_t)p) >= 0));

					if (in && !any) {
						lo = p;
						any = true;
					}
					if (in) {
						hi = p;
						continue;
					}
					if (!any)
						continue;
					any = false;
					if (pass == 0) {
						nports += hi - lo + 1;
						continue;
					}
					fprintf(f, first ? "%u" : ",%u", lo);
					if (hi != lo)
						fprintf(f, "-%u", hi);
					first = false;
				}
				if (pass == 0)
					fprintf(f, " numservices=\"%u\"", nports);
			}
			fputs("\"/>\n", f);
		} else {
			fprintf(f, " numservices=\"%u\" services=\"", count);
			for (size_t i = 0; i < x->n; i++)
				if (x->v[i].proto == proto) {
					fprintf(f, first ? "%u" : ",%u", x->v[i].port);
					first = false;
				}
			fputs("\"/>\n", f);
		}
	}
	portset_free(&ps);
}

/* "CN=a, O=b" (or "/CN=a/O=b") as nmap's ssl-cert table of names. */
static void dn_table(FILE *f, const char *key, const char *dn)
{
	static const char *const names[][2] = {
		{ "CN", "commonName" }, { "O", "organizationName" },
		{ "OU", "organizationalUnitName" }, { "C", "countryName" },
		{ "ST", "stateOrProvinceName" }, { "L", "localityName" },
		{ "emailAddress", "emailAddress" },
	};
	char *copy = dn ? strdup(dn) : NULL, *save = NULL;

	fprintf(f, "<table key=\"%s\">\n", key);
	for (char *part = copy ? strtok_r(copy, ",/", &save) : NULL; part;
	     part = strtok_r(NULL, ",/", &save)) {
		char *eq = strchr(part, '=');
		const char *name;

		while (*part == ' ')
			part++;
		if (!eq)
			continue;
		*eq = '\0';
		name = part;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(part, names[i][0]))
				name = names[i][1];
		fputs("<elem", f);
		attr(f, "key", name);
		fputc('>', f);
		esc(f, eq + 1, false);
		fputs("</elem>\n", f);
	}
	fputs("</table>\n", f);
	free(copy);
}

static void elem(FILE *f, const char *key, const char *v)
{
	if (!v)
		return;
	fputs("<elem", f);
	attr(f, "key", key);
	fputc('>', f);
	esc(f, v, false);
	fputs("</elem>\n", f);
}

/* The certificate as nmap's ssl-cert script prints it. */
static void ssl_cert(FILE *f, json_t *tls)
{
	const char *subj = str(tls, "subject", NULL), *iss = str(tls, "issuer", NULL);
	const char *nb = str(tls, "not_before", NULL), *na = str(tls, "not_after", NULL);
	const char *sha = str(tls, "sha256", NULL), *kt = str(tls, "key_type", NULL);
	json_t *san = json_object_get(tls, "san"), *bits = json_object_get(tls, "key_bits");
	char kb[24] = "", out[2048], sans[1024] = "";
	size_t i;
	json_t *v;

	if (json_is_number(bits))
		snprintf(kb, sizeof(kb), "%.0f", json_number_value(bits));
	json_array_foreach(san, i, v)
		if (json_is_string(v))
			snprintf(sans + strlen(sans), sizeof(sans) - strlen(sans), "%s%s",
				 i ? ", " : "", json_string_value(v));
	snprintf(out, sizeof(out), "Subject: %s\n%s%s%sIssuer: %s\nPublic Key type: %s\n"
		 "Public Key bits: %s\nNot valid before: %s\nNot valid after:  %s\nSHA-256: %s",
		 subj ? subj : "", *sans ? "Subject Alternative Name: " : "", sans,
		 *sans ? "\n" : "", iss ? iss : "", kt ? kt : "", kb, nb ? nb : "",
		 na ? na : "", sha ? sha : "");
	fputs("<script id=\"ssl-cert\"", f);
	attr(f, "output", out);
	fputs(">", f);
	dn_table(f, "subject", subj);
	dn_table(f, "issuer", iss);
	fputs("<table key=\"pubkey\">\n", f);
	elem(f, "type", kt);
	elem(f, "bits", *kb ? kb : NULL);
	fputs("</table>\n", f);
	if (*sans) {
		fputs("<table key=\"extensions\">\n<table>\n", f);
		elem(f, "name", "X509v3 Subject Alternative Name");
		elem(f, "value", sans);
		fputs("</table>\n</table>\n", f);
	}
	fputs("<table key=\"validity\">\n", f);
	elem(f, "notBefore", nb);
	elem(f, "notAfter", na);
	fputs("</table>\n", f);
	elem(f, "serial", str(tls, "serial", NULL));
	elem(f, "sha256", sha);
	fputs("</script>\n", f);
}

static void script1(FILE *f, const char *id, const char *out)
{
	if (!out)
		return;
	fputs("<script", f);
	attr(f, "id", id);
	attr(f, "output", out);
	fputs("/>\n", f);
}

static void port_out(FILE *f, const struct xport *p)
{
	json_t *r = json_object_get(p->state_ev, "result");
	json_t *svc = json_object_get(p->svc_ev, "service");
	const char *state = str(r, "state", NULL), *name = str(svc, "name", NULL);
	json_t *ttl = json_object_get(r, "ttl"), *cpe = json_object_get(svc, "cpe"), *v;
	char ttlbuf[24];
	size_t i;

	snprintf(ttlbuf, sizeof(ttlbuf), "%.0f", json_is_number(ttl) ? json_number_value(ttl) : 0.0);
	fprintf(f, "<port protocol=\"%s\" portid=\"%u\"><state", p->proto == FP_PROTO_TCP ? "tcp" : "udp",
		p->port);
	attr(f, "state", state ? state : "open");
	attr(f, "reason", state ? nmap_reason(str(r, "reason", NULL)) : "syn-ack");
	attr(f, "reason_ttl", ttlbuf);
	fputs("/>", f);
	if (name && strcmp(name, "unknown")) {
		const char *method = str(svc, "method", NULL);
		bool probed = method && strcmp(method, "port");

		fputs("<service", f);
		attr(f, "name", name);
		attr(f, "product", str(svc, "product", NULL));
		attr(f, "version", str(svc, "version", NULL));
		attr(f, "extrainfo", str(svc, "extrainfo", NULL));
		attr(f, "tunnel", str(svc, "tunnel", NULL) && !strcmp(str(svc, "tunnel", NULL), "ssl")
					  ? "ssl" : NULL);
		attr(f, "method", probed ? "probed" : "table");
		attr(f, "conf", probed ? "10" : "3");
		if (json_array_size(cpe)) {
			fputc('>', f);
			json_array_foreach(cpe, i, v)
				if (json_is_string(v)) {
					fputs("<cpe>", f);
					esc(f, json_string_value(v), false);
					fputs("</cpe>", f);
				}
			fputs("</service>", f);
		} else {
			fputs("/>", f);
		}
	} else if (!name && str(r, "service", NULL)) {
		/* A UDP reply that parsed as the protocol of its payload. */
		fputs("<service", f);
		attr(f, "name", str(r, "service", NULL));
		attr(f, "method", "table");
		attr(f, "conf", "3");
		fputs("/>", f);
	}
	/* One script per port: nmap 7.93's ndiff sorts a port's scripts with
	 * Python 2's __cmp__ and fails on two. The certificate first, then the
	 * page title, then the banner. */
	if (svc) {
		fputc('\n', f);
		if (json_is_object(json_object_get(svc, "tls")))
			ssl_cert(f, json_object_get(svc, "tls"));
		else if (str(svc, "http", "title"))
			script1(f, "http-title", str(svc, "http", "title"));
		else
			script1(f, "banner", str(svc, "banner", NULL));
	}
	fputs("</port>\n", f);
}

int nmap_xml_change(struct nmap_xml *x, const char *json, size_t n)
{
	if (x->chg_cap - x->chg_len < n + 1) {
		size_t cap = x->chg_cap ? x->chg_cap : 4096;
		char *p;

		while (cap - x->chg_len < n + 1)
			cap *= 2;
		p = realloc(x->chg, cap);
		if (!p) {
			x->oom = true;
			return -1;
		}
		x->chg = p;
		x->chg_cap = cap;
	}
	memcpy(x->chg + x->chg_len, json, n);
	for (size_t i = 0; i < n; i++)
		if (x->chg[x->chg_len + i] == '\n')
			x->chg[x->chg_len + i] = ' ';
	x->chg_len += n;
	x->chg[x->chg_len++] = '\n';
	return 0;
}

/*
 * The exposure changes as comments, one per change: "<!-- fastport
 * exposure_change: EVENT -->", EVENT the threat_event_v1 line. A comment
 * may not hold "--": a '-' followed by another inside the event's strings
 * is written as the JSON escape \u002d, so the text stays the same event
 * for a JSON reader (JSON has '-' outside strings only before a number,
 * never twice). Comments are no elements: the document stays valid under
 * nmap's DTD, and its readers skip them.
 */
static void changes_out(const struct nmap_xml *x, FILE *f)
{
	size_t i = 0;

	if (!x->chg_len)
		return;
	fputs("<!-- fastport: the exposure changes since the last complete scan of the same scope,"
	      " one threat_event_v1 exposure_change event per comment -->\n", f);
	while (i < x->chg_len) {
		fputs("<!-- fastport exposure_change: ", f);
		for (; i < x->chg_len && x->chg[i] != '\n'; i++) {
			if (x->chg[i] == '-' && i + 1 < x->chg_len && x->chg[i + 1] == '-')
				fputs("\\u002d", f);
			else
				fputc(x->chg[i], f);
		}
		fputs(" -->\n", f);
		i++;
	}
}

int nmap_xml_write(struct nmap_xml *x, FILE *f)
{
	const char *method, *version;
	long long start, end;
	json_t *el;
	bool interrupted;
	size_t hosts = 0;
	char ts[32], el_s[32];

	if (x->oom || (!x->loaded && load(x) < 0)) {
		errno = ENOMEM;
		return -1;
	}
	if (!x->loaded)
		merge(x);
	x->loaded = true;
	method = str(x->started, "scan", "method");
	version = str(x->started, "sensor", "version");
	start = epoch(str(x->started, "time", NULL));
	end = epoch(str(x->completed, "time", NULL));
	el = json_object_get(json_object_get(x->completed, "counters"), "elapsed_s");
	interrupted = !x->completed || json_is_true(json_object_get(x->completed, "interrupted"));
	if (!end)
		end = start;
	timestr(start, ts);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n", f);
	fputs("<!-- fastport (threat_event_v1 as nmap XML) -->\n<nmaprun scanner=\"nmap\"", f);
	attr(f, "args", x->args);
	fprintf(f, " start=\"%lld\"", start);
	attr(f, "startstr", ts);
	attr(f, "version", version ? version : "0");
	fputs(" profile_name=\"fastport\" xmloutputversion=\"1.05\">\n", f);
	scaninfo(x, f, method ? method : "syn");
	fputs("<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n", f);
	for (size_t i = 0; i < x->n;) {
		char ip[ADDR_STRLEN];
		size_t j = i;
		long long hs = 0, he = 0;

		for (; j < x->n && x->v[j].addr == x->v[i].addr; j++) {
			long long t = epoch(str(x->v[j].state_ev ? x->v[j].state_ev : x->v[j].svc_ev,
						"time", NULL));

			if (t && (!hs || t < hs))
				hs = t;
			if (t > he)
				he = t;
		}
		addr_format(x->v[i].addr, ip);
		fprintf(f, "<host starttime=\"%lld\" endtime=\"%lld\"><status state=\"up\" "
			"reason=\"user-set\" reason_ttl=\"0\"/>\n<address", hs ? hs : start,
			he ? he : end);
		attr(f, "addr", ip);
		attr(f, "addrtype", strchr(ip, ':') ? "ipv6" : "ipv4");
		fputs("/>\n<hostnames>\n</hostnames>\n<ports>", f);
		for (; i < j; i++)
			port_out(f, &x->v[i]);
		fputs("</ports>\n</host>\n", f);
		hosts++;
	}
	changes_out(x, f);
	timestr(end, ts);
	snprintf(el_s, sizeof(el_s), "%.2f", json_is_number(el) ? json_number_value(el)
								 : (double)(end - start));
	fprintf(f, "<runstats><finished time=\"%lld\"", end);
	attr(f, "timestr", ts);
	attr(f, "elapsed", el_s);
	fprintf(f, " summary=\"fastport done at %s; %zu IP address%s (%zu host%s up) scanned in %s "
		"seconds\" exit=\"%s\"", ts, hosts, hosts == 1 ? "" : "es", hosts,
		hosts == 1 ? "" : "s", el_s, interrupted ? "error" : "success");
	if (interrupted)
		attr(f, "errormsg", x->completed ? "interrupted" : "the scan did not complete");
	fprintf(f, "/><hosts up=\"%zu\" down=\"0\" total=\"%zu\"/>\n</runstats>\n</nmaprun>\n",
		hosts, hosts);
	fflush(f);
	return ferror(f) ? -1 : 0;
}
