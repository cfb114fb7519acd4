/* SPDX-License-Identifier: MIT */
/*
 * One port's identification: which probes, in which order and how many at
 * once, and the result. The probes that hint the port (or the null probe
 * when none does) go first; the others follow on their own connections,
 * at most SVC_JOB_CONNS at once, once the first connection has been up
 * SVC_PARALLEL_MS or the first probes are over. The first firm match ends
 * the port (after a STARTTLS upgrade for mail and FTP); a soft match names
 * it and leaves only the probes that can say more about that service.
 */
#include <stdio.h>
#include <string.h>

#include "stage.h"
#include "http.h"

int job_null_probe(const struct svc *s)
{
	for (uint32_t i = 0; i < s->db.nprobes; i++) {
		const struct db_probe *p = &s->db.probes[i];

		if (!p->udp && !p->builtin_tls && p->send_len == 0)
			return (int)i;
	}
	return -1;
}

void job_start(struct svc *s, uint32_t j, u128 addr, uint16_t port)
{
	struct job *J = &s->jobs[j];
	const struct db_probe *tp = &s->db.probes[s->tls_probe];
	bool in[DB_PROBES_MAX] = { false };

	memset(J, 0, sizeof(*J));
	J->used = true;
	J->res.addr = addr;
	J->res.port = port;
	J->banner_rank = -1;
	J->h2_inner = -1;
	J->start_ns = s->now;
	J->deadline_ns = s->now + s->timeout_ns;
	for (uint32_t k = 0; k < SVC_JOB_CONNS; k++)
		J->conns[k] = NIL;
	/*
	 * First: the TLS handshake alone when the port is a TLS port (a plain
	 * probe would only draw an error, maybe a matching one); else the
	 * probes hinting the port, else the null probe. Then the TLS
	 * handshake, then everything else in file order.
	 */
	if (db_probe_hints(tp, port)) {
		J->order[J->norder++] = (uint8_t)s->tls_probe;
		in[s->tls_probe] = true;
	} else {
		for (uint32_t i = 0; i < s->db.nprobes; i++) {
			const struct db_probe *p = &s->db.probes[i];

			if (!p->udp && !p->builtin_tls && db_probe_hints(p, port)) {
				J->order[J->norder++] = (uint8_t)i;
				in[i] = true;
			}
		}
		if (J->norder == 0 && s->null_probe >= 0) {
			J->order[J->norder++] = (uint8_t)s->null_probe;
			in[s->null_probe] = true;
		}
	}
	J->p1 = J->norder;
	if (!in[s->tls_probe]) {
		J->order[J->norder++] = (uint8_t)s->tls_probe;
		in[s->tls_probe] = true;
	}
	for (uint32_t i = 0; i < s->db.nprobes; i++)
		if (!s->db.probes[i].udp && !in[i] && db_probe_hints(&s->db.probes[i], port)) {
			J->order[J->norder++] = (uint8_t)i;
			in[i] = true;
		}
	for (uint32_t i = 0; i < s->db.nprobes; i++)
		if (!s->db.probes[i].udp && !in[i])
			J->order[J->norder++] = (uint8_t)i;
	job_pump(s, j);
}

/* Whether probe p has a match for service (after a soft match). */
static bool probe_knows(const struct svc *s, int p, const char *service)
{
	const struct db_probe *pr = &s->db.probes[p];

	for (uint32_t k = 0; k < pr->nmatches; k++)
		if (!strcmp(s->db.matches[pr->matches[k]].service, service))
			return true;
	return false;
}

/* A handshake of this job is under way (not yet over, not failed). */
static bool tls_pending(const struct svc *s, const struct job *J)
{
	for (uint32_t k = 0; k < SVC_JOB_CONNS; k++) {
		uint32_t o = J->conns[k];

		if (o != NIL && s->conns[o].tls && !s->conns[o].hs_done)
			return true;
	}
	return false;
}

void job_pump(struct svc *s, uint32_t j)
{
	struct job *J = &s->jobs[j];

	if (!J->used || J->finishing)
		return;
	if (J->firm) {
		/* Only a STARTTLS dialogue may still run. */
		if (J->active == 0)
			job_finish(s, j);
		return;
	}
	for (;;) {
		while (J->active < SVC_JOB_CONNS) {
			uint32_t r;
			int p;

			if (J->h2_retry) {
				J->h2_retry = false;
				r = conn_launch(s, j, s->tls_probe, 0, J->h2_inner, true);
			} else {
				if (J->next >= J->norder || (J->next >= J->p1 && !J->phase2))
					break;
				p = J->order[J->next];
				/* Plain probes wait for a handshake started in phase 2 to
				 * show whether the port speaks TLS. */
				if (!J->tunnel && !s->db.probes[p].builtin_tls && J->gate_ns &&
				    s->now < J->gate_ns && tls_pending(s, J))
					break;
				J->next++;
				if (J->soft && !probe_knows(s, p, J->res.name))
					continue;
				if (J->tunnel)
					r = conn_launch(s, j, s->tls_probe, (uint8_t)J->next, p, J->alpn_h1);
				else
					r = conn_launch(s, j, p, (uint8_t)(J->next - 1), -1, false);
				if (r < LAUNCH_REFUSED && !J->tunnel && s->db.probes[p].builtin_tls &&
				    J->next > J->p1)
					J->gate_ns = s->now + ms_ns(SVC_PARALLEL_MS);
			}
			if (r == LAUNCH_REFUSED) {
				/* The port is not open (any more): nothing to identify. */
				job_finish(s, j);
				return;
			}
			if (r == NIL)
				break;
		}
		if (J->active > 0)
			return;
		if (!J->phase2 && J->next < J->norder) {
			J->phase2 = true;
			continue;
		}
		if (J->gate_ns && J->next < J->norder) {
			J->gate_ns = 0;
			continue;
		}
		job_finish(s, j);
		return;
	}
}

static void set_banner(struct job *J, const struct conn *c)
{
	uint32_t n = c->len < SVC_BANNER_MAX ? c->len : SVC_BANNER_MAX;

	memcpy(J->res.banner, c->buf, n);
	J->res.banner_len = n;
	J->banner_rank = c->rank;
	J->res.has_http = http_parse(c->buf, c->len, &J->res.http);
}

/* Takes a match's fields (already substituted into m) for the job. */
static void apply(struct svc *s, struct job *J, const struct conn *c, const struct svc_result *m,
		  int mi)
{
	struct svc_result *R = &J->res;
	const struct db_match *dm = &s->db.matches[mi];
	int probe = ((dm->probes >> c->probe) & 1) || c->also < 0 ? c->probe : c->also;

	memcpy(R->name, m->name, sizeof(R->name));
	memcpy(R->product, m->product, sizeof(R->product));
	memcpy(R->version, m->version, sizeof(R->version));
	memcpy(R->info, m->info, sizeof(R->info));
	memcpy(R->cpe, m->cpe, sizeof(R->cpe));
	R->ncpe = m->ncpe;
	R->method = m->method;
	snprintf(R->probe, sizeof(R->probe), "%s", s->db.probes[probe].name);
	snprintf(R->tunnel, sizeof(R->tunnel), "%s", c->tls && c->hs_done ? "ssl" : "");
	set_banner(J, c);
}

void job_answer(struct svc *s, struct conn *c, bool final)
{
	struct job *J = &s->jobs[c->job];
	struct svc_result m;
	enum starttls_proto st;
	int mi;

	(void)final;
	if (J->firm || c->len == 0)
		return;
	J->any_data = true;
	/* The port answered a ClientHello in TLS: a plain answer is only an error. */
	if (!c->tls && (J->tls_seen || J->tunnel))
		return;
	memset(m.name, 0, sizeof(m.name));
	mi = match_run(s->mt, &s->db, c->probe, c->also, NULL, c->buf, c->len, &m);
	if (mi < 0)
		return;
	if (!s->db.matches[mi].firm) {
		if (!J->soft) {
			apply(s, J, c, &m, mi);
			J->soft = true;
		}
		return;
	}
	apply(s, J, c, &m, mi);
	J->firm = true;
	/* A plain-text identification: TLS seen on another connection is not this service's. */
	if (!c->tls) {
		J->res.has_tls = false;
		J->tls_ok = false;
	}
	for (uint32_t k = 0; k < SVC_JOB_CONNS; k++) {
		uint32_t o = J->conns[k];

		if (o != NIL && &s->conns[o] != c)
			conn_release(s, &s->conns[o], true);
	}
	st = c->tls ? STARTTLS_NONE : starttls_for(J->res.name);
	if (st != STARTTLS_NONE && s->tls) {
		conn_start_starttls(s, c, st);
		return;
	}
	job_finish(s, c->job);
}

void job_conn_ended(struct svc *s, struct conn *c, enum conn_end why)
{
	struct job *J = &s->jobs[c->job];

	if (J->finishing)
		return;
	if (c->raw_len)
		J->any_data = true;
	if (why == END_REFUSED) {
		/* The port is not open (any more): nothing to identify. */
		job_finish(s, c->job);
		return;
	}
	if (J->firm) {
		/* The STARTTLS connection: the result is complete either way. */
		job_finish(s, c->job);
		return;
	}
	/* Without a match the earliest probe's answer is the banner. */
	if (!J->soft && c->len && c->state != C_TLS_HS &&
	    (J->banner_rank < 0 || c->rank < J->banner_rank))
		set_banner(J, c);
	else if (!J->soft && c->len && c->state == C_TLS_HS && J->banner_rank < 0)
		set_banner(J, c);
	if (c->established && c->raw_len == 0) {
		if (why == END_CLOSED || why == END_RESET) {
			J->closed_empty++;
			/* Closed on us before we said a word: tcpwrapped, no need to go on. */
			if (!c->sent_any && !c->tls && c->rank < J->p1 && !J->any_data &&
			    !J->tls_ok) {
				job_finish(s, c->job);
				return;
			}
		} else if (why == END_TIMEOUT) {
			J->silent++;
		}
	}
}

/*
 * The handshake worked: from now on the job's order lists the probes to
 * send inside TLS (those with `tls = yes` hinting the port, then the null
 * probe, then the others with `tls = yes`; without any such probe, null
 * and http-get), each on its own TLS connection, and plain connections are
 * dropped. c takes the first of them unless it has one.
 */
static void tunnel_enter(struct svc *s, struct job *J, struct conn *c)
{
	uint8_t list[DB_PROBES_MAX];
	uint32_t n = 0;
	bool in[DB_PROBES_MAX] = { false }, any = false;

	for (uint32_t i = 0; i < s->db.nprobes; i++)
		any |= s->db.probes[i].tls_ok && !s->db.probes[i].udp;
	for (int pass = 0; pass < 3; pass++)
		for (uint32_t i = 0; i < s->db.nprobes; i++) {
			const struct db_probe *p = &s->db.probes[i];
			bool ok = any ? p->tls_ok : ((int)i == s->null_probe || !strcmp(p->name, "http-get"));

			if (in[i] || p->udp || p->builtin_tls || !ok)
				continue;
			if ((pass == 0 && !db_probe_hints(p, J->res.port)) ||
			    (pass == 1 && (int)i != s->null_probe))
				continue;
			list[n++] = (uint8_t)i;
			in[i] = true;
		}
	J->tunnel = true;
	for (uint32_t k = 0; k < SVC_JOB_CONNS; k++) {
		uint32_t o = J->conns[k];

		if (o != NIL && !s->conns[o].tls)
			conn_release(s, &s->conns[o], true);
	}
	J->next = 0;
	if (c->inner < 0 && n > 0)
		c->inner = list[J->next++];
	memcpy(J->order, list, n);
	J->norder = n;
	J->p1 = 0;
	J->phase2 = false;
	J->phase2_ns = s->now + ms_ns(SVC_PARALLEL_MS);
	J->gate_ns = 0;
}

void job_tls_done(struct svc *s, struct conn *c)
{
	struct job *J = &s->jobs[c->job];
	int inner;

	if (c->starttls) {
		tls_conn_info(c->t, &J->res.tls);
		J->res.tls.starttls = true;
		J->res.has_tls = true;
		job_finish(s, c->job);
		return;
	}
	/* The first handshake's facts stand (after h2, the others only change ALPN). */
	if (!J->tls_ok) {
		tls_conn_info(c->t, &J->res.tls);
		J->tls_ok = true;
		J->res.has_tls = true;
	}
	if (!J->tunnel)
		tunnel_enter(s, J, c);
	if (!c->h1_only && tls_conn_alpn_h2(c->t)) {
		/* HTTP/2 does not answer HTTP/1.x: the ALPN names the service;
		 * this probe goes again offering http/1.1 alone, and so do the
		 * next ones. */
		if (!J->soft && !J->firm) {
			snprintf(J->res.name, sizeof(J->res.name), "http");
			snprintf(J->res.tunnel, sizeof(J->res.tunnel), "ssl");
			snprintf(J->res.probe, sizeof(J->res.probe), "%s", s->db.probes[c->probe].name);
			J->res.method = SVC_METHOD_SOFT;
			J->soft = true;
		}
		if (!J->alpn_h1 && c->inner >= 0) {
			J->h2_retry = true;
			J->h2_inner = c->inner;
		}
		J->alpn_h1 = true;
		conn_end(s, c, END_DONE);
		return;
	}
	if (c->inner < 0) {
		/* Nothing to send inside: wait for a greeting. */
		c->state = C_IO;
		c->wait_ns = c->deadline_ns = J->deadline_ns;
		return;
	}
	inner = c->inner;
	c->probe = inner;
	c->also = inner != s->null_probe ? s->null_probe : -1;
	c->state = C_IO;
	c->wait_ns = s->now + ms_ns(s->db.probes[inner].wait_ms);
	if (c->wait_ns > J->deadline_ns)
		c->wait_ns = J->deadline_ns;
	c->deadline_ns = c->wait_ns;
	conn_send_probe(s, c, inner);
}

void job_finish(struct svc *s, uint32_t j)
{
	struct job *J = &s->jobs[j];
	struct svc_result *R = &J->res;

	if (!J->used || J->finishing)
		return;
	J->finishing = true;
	for (uint32_t k = 0; k < SVC_JOB_CONNS; k++)
		if (J->conns[k] != NIL)
			conn_release(s, &s->conns[J->conns[k]], true);
	if (!J->firm && !J->soft) {
		R->method = SVC_METHOD_NONE;
		R->probe[0] = '\0';
		if (J->tls_ok) {
			snprintf(R->name, sizeof(R->name), "unknown");
			snprintf(R->tunnel, sizeof(R->tunnel), "ssl");
		} else if (J->closed_empty && !J->any_data && !J->silent) {
			snprintf(R->name, sizeof(R->name), "tcpwrapped");
		} else {
			snprintf(R->name, sizeof(R->name), "unknown");
		}
	}
	R->elapsed_ms = (uint32_t)((s->now - J->start_ns) / 1000000u);
	s->fn(s->arg, R);
	J->used = false;
	s->njobs--;
	s->job_free[s->njob_free++] = j;
}

void job_sweep(struct svc *s, uint32_t j)
{
	struct job *J = &s->jobs[j];

	if (s->now >= J->deadline_ns) {
		job_finish(s, j);
		return;
	}
	for (uint32_t k = 0; k < SVC_JOB_CONNS && J->used; k++) {
		uint32_t o = J->conns[k];

		if (o != NIL && s->now >= s->conns[o].deadline_ns) {
			if (s->conns[o].state == C_STARTTLS || s->conns[o].state == C_ST_HS)
				job_finish(s, j);
			else
				conn_end(s, &s->conns[o], END_TIMEOUT);
		}
	}
	if (J->used && !J->finishing && !J->phase2 && J->phase2_ns && s->now >= J->phase2_ns) {
		J->phase2 = true;
		job_pump(s, j);
	}
	if (J->used && !J->finishing && J->gate_ns && s->now >= J->gate_ns) {
		J->gate_ns = 0;
		job_pump(s, j);
	}
}
