/* SPDX-License-Identifier: MIT */
/* The loader of the service probe database: a bounded line parser of the INI-like text format. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "db.h"
#include "match.h"

struct parser {
	struct db *db;
	const char *name;
	uint32_t line;
	char *err;
	size_t errlen;
	enum { SEC_NONE, SEC_PROBE, SEC_MATCH } sec;
	uint32_t seen;            /* keys given in this block (1U << key) */
	uint32_t sec_line;
	char *probe_list;         /* the current match's `probe` value, resolved at its end */
	char **match_probes;      /* per match: its probe list (freed after resolution) */
	uint32_t probes_cap, matches_cap;
};

enum key {
	K_PROTO, K_SEND, K_WAIT, K_PORTS, K_TLS, K_SOURCE,
	K_PROBE, K_SERVICE, K_PATTERN, K_PRODUCT, K_VERSION, K_INFO, K_CPE, K_FIRM,
	K_COUNT
};

static const struct {
	const char *name;
	unsigned sec; /* 1: probe blocks, 2: match blocks */
} keys[K_COUNT] = {
	[K_PROTO] = { "proto", 1 },     [K_SEND] = { "send", 1 },
	[K_WAIT] = { "wait", 1 },       [K_PORTS] = { "ports", 1 },
	[K_TLS] = { "tls", 1 },         [K_SOURCE] = { "source", 3 },
	[K_PROBE] = { "probe", 2 },     [K_SERVICE] = { "service", 2 },
	[K_PATTERN] = { "pattern", 2 }, [K_PRODUCT] = { "product", 2 },
	[K_VERSION] = { "version", 2 }, [K_INFO] = { "info", 2 },
	[K_CPE] = { "cpe", 2 },         [K_FIRM] = { "firm", 2 },
};

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->errlen) {
		n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, (unsigned)p->line);
		if (n >= 0 && (size_t)n < p->errlen) {
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return FP_EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool valid_name(const char *s, size_t n, bool service)
{
	if (n == 0 || n >= DB_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      (service && (c == '_' || c == '.'))))
			return false;
	}
	return true;
}

/* Cuts an inline comment: a '#' that follows white space. */
static size_t cut_comment(const char *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[i] == '#' && is_space(v[i - 1]))
			n = i;
	while (n && is_space(v[n - 1]))
		n--;
	return n;
}

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a double-quoted string with C escapes into a new buffer. */
static int parse_send(struct parser *p, const char *v, size_t n, struct db_probe *pr)
{
	uint8_t *out;
	size_t i = 1, o = 0, rest;

	if (n < 2 || v[0] != '"')
		return perr(p, "send: expected a double-quoted string");
	out = malloc(DB_SEND_MAX);
	if (!out)
		return FP_ENOMEM;
	for (;;) {
		char c;

		if (i >= n) {
			free(out);
			return perr(p, "send: missing closing quote");
		}
		c = v[i++];
		if (c == '"')
			break;
		if (o >= DB_SEND_MAX) {
			free(out);
			return perr(p, "send: longer than %u bytes", DB_SEND_MAX);
		}
		if (c != '\\') {
			out[o++] = (uint8_t)c;
			continue;
		}
		if (i >= n) {
			free(out);
			return perr(p, "send: missing closing quote");
		}
		c = v[i++];
		switch (c) {
		case 'r': out[o++] = '\r'; break;
		case 'n': out[o++] = '\n'; break;
		case 't': out[o++] = '\t'; break;
		case '0': out[o++] = '\0'; break;
		case '\\': out[o++] = '\\'; break;
		case '"': out[o++] = '"'; break;
		case 'x': {
			int h = i < n ? hexdig(v[i]) : -1;
			int l = i + 1 < n ? hexdig(v[i + 1]) : -1;

			if (h < 0 || l < 0) {
				free(out);
				return perr(p, "send: \\x needs two hex digits");
			}
			out[o++] = (uint8_t)(h << 4 | l);
			i += 2;
			break;
		}
		default:
			free(out);
			return perr(p, "send: unknown escape '\\%c'", c);
		}
	}
	rest = cut_comment(v + i - 1, n - i + 1);
	if (rest > 1) {
		free(out);
		return perr(p, "send: text after the closing quote");
	}
	pr->send = out;
	pr->send_len = (uint32_t)o;
	return 0;
}

static int parse_uint(const char *v, size_t n, uint32_t max, uint32_t *out)
{
	uint32_t x = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint32_t)(v[i] - '0');
		if (x > max)
			return -1;
	}
	*out = x;
	return 0;
}

static int parse_ports(struct parser *p, const char *v, size_t n, struct db_probe *pr)
{
	struct db_range *r = NULL;
	uint32_t nr = 0, cap = 0;
	size_t i = 0;

	while (i < n) {
		size_t j = i, dash = SIZE_MAX;
		uint32_t lo, hi;

		while (j < n && v[j] != ',') {
			if (v[j] == '-' && dash == SIZE_MAX)
				dash = j;
			j++;
		}
		/* Spaces around items are allowed. */
		size_t a = i, b = j;
		while (a < b && is_space(v[a]))
			a++;
		while (b > a && is_space(v[b - 1]))
			b--;
		if (dash == SIZE_MAX) {
			if (parse_uint(v + a, b - a, 65535, &lo) < 0 || lo == 0)
				goto bad;
			hi = lo;
		} else {
			size_t d1 = dash, d2 = dash + 1;

			while (d1 > a && is_space(v[d1 - 1]))
				d1--;
			while (d2 < b && is_space(v[d2]))
				d2++;
			if (parse_uint(v + a, d1 - a, 65535, &lo) < 0 || lo == 0 ||
			    parse_uint(v + d2, b - d2, 65535, &hi) < 0 || hi < lo)
				goto bad;
		}
		if (nr >= DB_PORT_ITEMS_MAX) {
			free(r);
			return perr(p, "ports: more than %u items", DB_PORT_ITEMS_MAX);
		}
		if (nr == cap) {
			struct db_range *nrr = realloc(r, sizeof(*r) * (cap ? cap * 2 : 8));

			if (!nrr) {
				free(r);
				return FP_ENOMEM;
			}
			r = nrr;
			cap = cap ? cap * 2 : 8;
		}
		r[nr].lo = (uint16_t)lo;
		r[nr].hi = (uint16_t)hi;
		nr++;
		i = j + 1;
		if (j == n - 1 && v[j] == ',')
			goto bad;
	}
	if (nr == 0)
		goto bad;
	pr->ports = r;
	pr->nports = nr;
	return 0;
bad:
	free(r);
	return perr(p, "ports: expected a comma list of ports and ranges a-b (1-65535)");
}

static int parse_bool(struct parser *p, const char *key, const char *v, size_t n, bool *out)
{
	if (n == 3 && !memcmp(v, "yes", 3))
		*out = true;
	else if (n == 2 && !memcmp(v, "no", 2))
		*out = false;
	else
		return perr(p, "%s: expected yes or no", key);
	return 0;
}

/* Checks a template: '$' before a digit must name group 1..9. */
static int check_template(struct parser *p, const char *key, const char *v, size_t n)
{
	if (n >= DB_FIELD_MAX)
		return perr(p, "%s: longer than %u bytes", key, DB_FIELD_MAX - 1);
	for (size_t i = 0; i + 1 < n; i++)
		if (v[i] == '$' && v[i + 1] == '0')
			return perr(p, "%s: $0 is not a capture group (use $1 to $9)", key);
	return 0;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int block_end(struct parser *p)
{
	uint32_t saved = p->line;
	int ret = 0;

	p->line = p->sec_line;
	if (p->sec == SEC_PROBE) {
		struct db_probe *pr = &p->db->probes[p->db->nprobes - 1];

		if (!(p->seen & (1U << K_SOURCE)))
			ret = perr(p, "probe %s: source is required", pr->name);
		else if (!pr->builtin_tls && !(p->seen & (1U << K_SEND)))
			ret = perr(p, "probe %s: send is required", pr->name);
	} else if (p->sec == SEC_MATCH) {
		static const enum key need[] = { K_PROBE, K_SERVICE, K_PATTERN, K_SOURCE };

		for (size_t i = 0; i < ARRAY_SIZE(need) && !ret; i++)
			if (!(p->seen & (1U << need[i])))
				ret = perr(p, "match: %s is required", keys[need[i]].name);
	}
	p->line = saved;
	p->sec = SEC_NONE;
	p->seen = 0;
	return ret;
}

static int section(struct parser *p, const char *s, size_t n)
{
	const char *end = memchr(s, ']', n);
	size_t inner, rest;
	int ret;

	if (!end)
		return perr(p, "section header without ']'");
	inner = (size_t)(end - s) - 1;
	rest = cut_comment(end, n - (size_t)(end - s));
	if (rest > 1)
		return perr(p, "text after the section header");
	if ((ret = block_end(p)) < 0)
		return ret;
	p->sec_line = p->line;
	p->seen = 0;
	s++;
	if (inner == 5 && !memcmp(s, "match", 5)) {
		struct db_match *m;

		if (p->db->nmatches >= DB_MATCHES_MAX)
			return perr(p, "more than %u matches", DB_MATCHES_MAX);
		if (p->db->nmatches == p->matches_cap) {
			uint32_t cap = p->matches_cap ? p->matches_cap * 2 : 64;
			struct db_match *nm = realloc(p->db->matches, sizeof(*nm) * cap);
			char **nl;

			if (!nm)
				return FP_ENOMEM;
			p->db->matches = nm;
			nl = realloc(p->match_probes, sizeof(*nl) * cap);
			if (!nl)
				return FP_ENOMEM;
			p->match_probes = nl;
			p->matches_cap = cap;
		}
		m = &p->db->matches[p->db->nmatches];
		memset(m, 0, sizeof(*m));
		p->match_probes[p->db->nmatches] = NULL;
		p->db->nmatches++;
		m->firm = true;
		m->line = p->line;
		p->sec = SEC_MATCH;
		return 0;
	}
	if (inner > 6 && !memcmp(s, "probe", 5) && is_space(s[5])) {
		const char *nm = s + 6;
		size_t nn = inner - 6;
		struct db_probe *pr;

		while (nn && is_space(*nm)) {
			nm++;
			nn--;
		}
		while (nn && is_space(nm[nn - 1]))
			nn--;
		if (!valid_name(nm, nn, false))
			return perr(p, "probe name must be [a-z0-9-]+, at most %u characters",
				    DB_NAME_MAX - 1);
		for (uint32_t i = 0; i < p->db->nprobes; i++)
			if (strlen(p->db->probes[i].name) == nn &&
			    !memcmp(p->db->probes[i].name, nm, nn))
				return perr(p, "probe %.*s defined twice", (int)nn, nm);
		if (p->db->nprobes >= DB_PROBES_MAX)
			return perr(p, "more than %u probes", DB_PROBES_MAX);
		if (p->db->nprobes == p->probes_cap) {
			uint32_t cap = p->probes_cap ? p->probes_cap * 2 : 8;
			struct db_probe *np = realloc(p->db->probes, sizeof(*np) * cap);

			if (!np)
				return FP_ENOMEM;
			p->db->probes = np;
			p->probes_cap = cap;
		}
		pr = &p->db->probes[p->db->nprobes++];
		memset(pr, 0, sizeof(*pr));
		memcpy(pr->name, nm, nn);
		pr->wait_ms = DB_WAIT_DEFAULT;
		pr->line = p->line;
		pr->builtin_tls = !strcmp(pr->name, DB_PROBE_TLS);
		p->sec = SEC_PROBE;
		return 0;
	}
	return perr(p, "unknown section (expected [probe NAME] or [match])");
}

static int keyval(struct parser *p, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n), *v;
	size_t kn, vn;
	int k;

	if (!eq)
		return perr(p, "expected 'key = value'");
	kn = (size_t)(eq - s);
	while (kn && is_space(s[kn - 1]))
		kn--;
	for (k = 0; k < K_COUNT; k++)
		if (strlen(keys[k].name) == kn && !memcmp(keys[k].name, s, kn))
			break;
	if (k == K_COUNT)
		return perr(p, "unknown key '%.*s'", (int)(kn > 40 ? 40 : kn), s);
	if (p->sec == SEC_NONE)
		return perr(p, "key '%s' outside a [probe] or [match] block", keys[k].name);
	if (!(keys[k].sec & (p->sec == SEC_PROBE ? 1 : 2)))
		return perr(p, "key '%s' is not valid in a %s block", keys[k].name,
			    p->sec == SEC_PROBE ? "probe" : "match");
	if ((p->seen & (1U << k)) && k != K_CPE)
		return perr(p, "key '%s' given twice", keys[k].name);
	p->seen |= 1U << k;
	v = eq + 1;
	vn = n - (size_t)(v - s);
	while (vn && is_space(*v)) {
		v++;
		vn--;
	}
	/* A pattern runs to the end of the line; send has its own quoting. */
	if (k != K_PATTERN && k != K_SEND)
		vn = cut_comment(v, vn);

	if (p->sec == SEC_PROBE) {
		struct db_probe *pr = &p->db->probes[p->db->nprobes - 1];

		switch (k) {
		case K_PROTO:
			if (vn == 3 && !memcmp(v, "tcp", 3))
				pr->udp = false;
			else if (vn == 3 && !memcmp(v, "udp", 3))
				pr->udp = true;
			else
				return perr(p, "proto: expected tcp or udp");
			return 0;
		case K_SEND:
			if (pr->builtin_tls)
				return perr(p, "the tls probe is a handshake: it takes no send");
			return parse_send(p, v, vn, pr);
		case K_WAIT:
			if (parse_uint(v, vn, DB_WAIT_MAX, &pr->wait_ms) < 0 || pr->wait_ms == 0)
				return perr(p, "wait: expected milliseconds, 1 to %u", DB_WAIT_MAX);
			return 0;
		case K_PORTS:
			return parse_ports(p, v, vn, pr);
		case K_TLS:
			return parse_bool(p, "tls", v, vn, &pr->tls_ok);
		default: /* K_SOURCE */
			if (vn == 0)
				return perr(p, "source: empty");
			return 0;
		}
	} else {
		struct db_match *m = &p->db->matches[p->db->nmatches - 1];
		char **field = NULL;
		int ret;

		switch (k) {
		case K_PROBE:
			if (vn == 0 || vn >= DB_LINE_MAX)
				return perr(p, "probe: empty");
			if (!(p->match_probes[p->db->nmatches - 1] = dupn(v, vn)))
				return FP_ENOMEM;
			return 0;
		case K_SERVICE:
			if (!valid_name(v, vn, true))
				return perr(p, "service: must be [a-z0-9._-]+, at most %u characters",
					    DB_NAME_MAX - 1);
			memcpy(m->service, v, vn);
			m->service[vn] = '\0';
			return 0;
		case K_PATTERN:
			if (vn == 0)
				return perr(p, "pattern: empty");
			if (!(m->pattern = dupn(v, vn)))
				return FP_ENOMEM;
			return 0;
		case K_FIRM:
			return parse_bool(p, "firm", v, vn, &m->firm);
		case K_SOURCE:
			if (vn == 0)
				return perr(p, "source: empty");
			return 0;
		case K_PRODUCT: field = &m->product; break;
		case K_VERSION: field = &m->version; break;
		case K_INFO: field = &m->info; break;
		default: /* K_CPE */
			if (m->ncpe >= DB_CPE_MAX)
				return perr(p, "more than %u cpe lines", DB_CPE_MAX);
			field = &m->cpe[m->ncpe];
			break;
		}
		if ((ret = check_template(p, keys[k].name, v, vn)) < 0)
			return ret;
		if (!(*field = dupn(v, vn)))
			return FP_ENOMEM;
		if (k == K_CPE)
			m->ncpe++;
		return 0;
	}
}

/*
 * TLS ports of the IANA registry (https, smtps/submissions, nntps, ldaps,
 * domain-s, ftps, telnets, imaps, ircs, pop3s, ldaps GC, sip-tls, wsmans,
 * kube, and the common alternates): the hints of the built-in tls probe
 * when the database has no [probe tls] block.
 */
static const struct db_range tls_ports[] = {
	{ 261, 261 }, { 443, 443 }, { 465, 465 }, { 563, 563 }, { 636, 636 },
	{ 853, 853 }, { 989, 990 }, { 992, 995 }, { 3269, 3269 }, { 4443, 4443 },
	{ 5061, 5061 }, { 5986, 5986 }, { 6443, 6443 }, { 6697, 6697 },
	{ 8443, 8443 }, { 9443, 9443 },
};

/* The tls probe is handled in code: a database need not declare it. */
static int add_tls_probe(struct parser *p)
{
	struct db *db = p->db;
	struct db_probe *pr, *np;

	if (db_probe_find(db, DB_PROBE_TLS) >= 0)
		return 0;
	if (db->nprobes >= DB_PROBES_MAX) {
		p->line = 0;
		return perr(p, "more than %u probes with the built-in tls probe", DB_PROBES_MAX);
	}
	np = realloc(db->probes, sizeof(*np) * (db->nprobes + 1));
	if (!np)
		return FP_ENOMEM;
	db->probes = np;
	pr = &db->probes[db->nprobes];
	memset(pr, 0, sizeof(*pr));
	pr->ports = malloc(sizeof(tls_ports));
	if (!pr->ports)
		return FP_ENOMEM;
	db->nprobes++;
	memcpy(pr->ports, tls_ports, sizeof(tls_ports));
	pr->nports = ARRAY_SIZE(tls_ports);
	snprintf(pr->name, sizeof(pr->name), "%s", DB_PROBE_TLS);
	pr->builtin_tls = true;
	pr->wait_ms = 3000;
	return 0;
}

/* Resolves each match's probe list and builds each probe's match list. */
static int resolve(struct parser *p)
{
	struct db *db = p->db;

	for (uint32_t i = 0; i < db->nmatches; i++) {
		const char *s = p->match_probes[i];
		size_t n = strlen(s), a = 0;

		p->line = db->matches[i].line;
		while (a <= n) {
			size_t b = a, x, y;
			char nm[DB_NAME_MAX];
			int idx;

			while (b < n && s[b] != ',')
				b++;
			x = a;
			y = b;
			while (x < y && is_space(s[x]))
				x++;
			while (y > x && is_space(s[y - 1]))
				y--;
			if (!valid_name(s + x, y - x, false))
				return perr(p, "probe: expected probe names separated by commas");
			memcpy(nm, s + x, y - x);
			nm[y - x] = '\0';
			idx = db_probe_find(db, nm);
			if (idx < 0)
				return perr(p, "probe: no probe is called '%s'", nm);
			db->matches[i].probes |= 1ULL << idx;
			a = b + 1;
		}
	}
	for (uint32_t j = 0; j < db->nprobes; j++) {
		struct db_probe *pr = &db->probes[j];
		uint32_t cnt = 0;

		for (uint32_t i = 0; i < db->nmatches; i++)
			cnt += (db->matches[i].probes >> j) & 1;
		if (!cnt)
			continue;
		pr->matches = malloc(sizeof(uint32_t) * cnt);
		if (!pr->matches)
			return FP_ENOMEM;
		for (uint32_t i = 0; i < db->nmatches; i++)
			if ((db->matches[i].probes >> j) & 1)
				pr->matches[pr->nmatches++] = i;
	}
	return 0;
}

int db_parse(struct db *db, const char *text, size_t len, const char *name,
	     char *err, size_t errlen)
{
	struct parser p = { .db = db, .name = name ? name : "db", .err = err, .errlen = errlen };
	size_t off = 0;
	int ret = 0;

	memset(db, 0, sizeof(*db));
	if (errlen)
		err[0] = '\0';
	if (len > DB_FILE_MAX) {
		ret = perr(&p, "larger than %u bytes", DB_FILE_MAX);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		p.line = 0;
		ret = perr(&p, "holds a NUL byte");
		goto out;
	}
	while (off < len) {
		const char *s = text + off, *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;

		off += n + 1;
		p.line++;
		if (n > DB_LINE_MAX) {
			ret = perr(&p, "line longer than %u bytes", DB_LINE_MAX);
			goto out;
		}
		if (n && s[n - 1] == '\r')
			n--;
		while (n && is_space(*s)) {
			s++;
			n--;
		}
		while (n && is_space(s[n - 1]))
			n--;
		if (n == 0 || s[0] == '#')
			continue;
		ret = s[0] == '[' ? section(&p, s, n) : keyval(&p, s, n);
		if (ret < 0)
			goto out;
	}
	p.line++;
	if ((ret = block_end(&p)) < 0 || (ret = add_tls_probe(&p)) < 0)
		goto out;
	ret = resolve(&p);
out:
	if (p.match_probes) {
		for (uint32_t i = 0; i < db->nmatches; i++)
			free(p.match_probes[i]);
		free(p.match_probes);
	}
	if (ret == FP_ENOMEM && errlen)
		snprintf(err, errlen, "%s: out of memory", p.name);
	if (ret < 0)
		db_free(db);
	return ret;
}

int db_load_file(struct db *db, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, ret;

	memset(db, 0, sizeof(*db));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return FP_EIO;
	}
	buf = malloc(DB_FILE_MAX + 1);
	if (!buf) {
		ret = FP_ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, DB_FILE_MAX + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			ret = FP_EIO;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > DB_FILE_MAX)
			break;
	}
	ret = db_parse(db, buf, len, path, err, errlen);
out:
	free(buf);
	close(fd);
	return ret;
}

int db_load_embedded(struct db *db, char *err, size_t errlen)
{
	return db_parse(db, svc__db_start, (size_t)(svc__db_end - svc__db_start),
			"service-probes.db (built in)", err, errlen);
}

void db_free(struct db *db)
{
	for (uint32_t i = 0; i < db->nprobes; i++) {
		free(db->probes[i].send);
		free(db->probes[i].ports);
		free(db->probes[i].matches);
	}
	for (uint32_t i = 0; i < db->nmatches; i++) {
		struct db_match *m = &db->matches[i];

		match_code_free(m);
		free(m->pattern);
		free(m->product);
		free(m->version);
		free(m->info);
		for (uint32_t c = 0; c < m->ncpe; c++)
			free(m->cpe[c]);
	}
	free(db->probes);
	free(db->matches);
	memset(db, 0, sizeof(*db));
}

int db_probe_find(const struct db *db, const char *name)
{
	for (uint32_t i = 0; i < db->nprobes; i++)
		if (!strcmp(db->probes[i].name, name))
			return (int)i;
	return -1;
}

bool db_probe_hints(const struct db_probe *p, uint16_t port)
{
	for (uint32_t i = 0; i < p->nports; i++)
		if (port >= p->ports[i].lo && port <= p->ports[i].hi)
			return true;
	return false;
}

int db_probe_render(const struct db_probe *p, const char *host, const char *version,
		    uint8_t *out, size_t cap)
{
	size_t o = 0, hl = strlen(host), vl = strlen(version);

	for (uint32_t i = 0; i < p->send_len; i++) {
		const uint8_t *s = p->send + i;
		size_t rest = p->send_len - i;
		const char *sub = NULL;
		size_t subn = 0, skip = 0;

		if (rest >= 6 && !memcmp(s, "{host}", 6)) {
			sub = host;
			subn = hl;
			skip = 6;
		} else if (rest >= 9 && !memcmp(s, "{version}", 9)) {
			sub = version;
			subn = vl;
			skip = 9;
		}
		if (sub) {
			if (cap - o < subn)
				return -1;
			memcpy(out + o, sub, subn);
			o += subn;
			i += (uint32_t)skip - 1;
			continue;
		}
		if (o >= cap)
			return -1;
		out[o++] = *s;
	}
	return (int)o;
}
