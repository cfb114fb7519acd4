/* SPDX-License-Identifier: MIT */
/*
 * One identification connection: non-blocking connect() on the stage's
 * epoll set (edge-triggered, registered once), the probe's bytes out, the
 * answer into a bounded buffer, and the TLS (memory BIOs) and STARTTLS
 * state machines on top. Every path that ends a connection goes through
 * conn_end() or conn_release(); a connection's generation number makes
 * epoll events that arrive after its end harmless.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "stage.h"
#include "../core/addr.h"

bool conn_alive(const struct conn *c, uint32_t gen)
{
	return c->gen == gen && c->state != C_FREE;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static struct job *job_of(struct svc *s, const struct conn *c)
{
	return &s->jobs[c->job];
}

static void set_wait(struct svc *s, struct conn *c, uint32_t ms)
{
	c->wait_ns = min_u64(s->now + ms_ns(ms), job_of(s, c)->deadline_ns);
	c->deadline_ns = c->wait_ns;
}

void conn_release(struct svc *s, struct conn *c, bool abort)
{
	struct job *J = job_of(s, c);
	uint32_t idx = (uint32_t)(c - s->conns);

	if (c->fd >= 0) {
		if (abort) {
			/* A RST, no TIME_WAIT: we are done with this peer. */
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(c->fd); /* also leaves the epoll set */
	}
	tls_conn_free(c->t);
	free(c->buf);
	for (uint32_t k = 0; k < SVC_JOB_CONNS; k++)
		if (J->conns[k] == idx) {
			J->conns[k] = NIL;
			J->active--;
		}
	c->t = NULL;
	c->buf = c->out = NULL;
	c->fd = -1;
	c->state = C_FREE;
	c->gen++;
	c->next_free = s->conn_free;
	s->conn_free = idx;
}

void conn_end(struct svc *s, struct conn *c, enum conn_end why)
{
	uint32_t gen = c->gen, j = c->job;

	job_conn_ended(s, c, why);
	if (conn_alive(c, gen))
		conn_release(s, c, why == END_DONE || why == END_TIMEOUT);
	if (s->jobs[j].used && !s->jobs[j].finishing)
		job_pump(s, j);
}

/* Sends what is queued (and what OpenSSL has to send); false when the
 * connection ended. */
static bool flush(struct svc *s, struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->out_off == c->out_len) {
			c->out_off = c->out_len = 0;
			if (c->t)
				c->out_len = (uint32_t)tls_conn_take_output(c->t, c->out, SVC_OUT_MAX);
			if (c->out_len == 0)
				return true;
		}
		if (c->state == C_CONNECTING)
			return true;
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (uint32_t)n;
			c->sent_any = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true; /* EPOLLOUT (edge) says when to go on */
		conn_end(s, c, END_RESET);
		return false;
	}
}

bool conn_send(struct svc *s, struct conn *c, const uint8_t *p, size_t n)
{
	if (c->t) {
		if (tls_conn_write(c->t, p, n) < 0) {
			conn_end(s, c, END_DONE);
			return false;
		}
	} else {
		if (n > SVC_OUT_MAX - c->out_len) {
			conn_end(s, c, END_DONE);
			return false;
		}
		memcpy(c->out + c->out_len, p, n);
		c->out_len += (uint32_t)n;
	}
	return flush(s, c);
}

static void host_text(const struct job *J, char *out)
{
	char a[ADDR_STRLEN];

	addr_format(J->res.addr, a);
	if (addr_is_v4(J->res.addr))
		memcpy(out, a, strlen(a) + 1);
	else {
		/* RFC 9110 7.2: an IPv6 literal in Host is bracketed. */
		size_t n = strlen(a);

		out[0] = '[';
		memcpy(out + 1, a, n);
		out[n + 1] = ']';
		out[n + 2] = '\0';
	}
}

bool conn_send_probe(struct svc *s, struct conn *c, int probe)
{
	const struct db_probe *p = &s->db.probes[probe];
	uint8_t msg[SVC_OUT_MAX];
	char host[ADDR_STRLEN + 2];
	int n;

	if (p->send_len == 0)
		return true;
	host_text(job_of(s, c), host);
	n = db_probe_render(p, host, s->version, msg, sizeof(msg));
	if (n < 0) {
		conn_end(s, c, END_DONE);
		return false;
	}
	return conn_send(s, c, msg, (size_t)n);
}

static bool tls_progress(struct svc *s, struct conn *c);

static bool on_connected(struct svc *s, struct conn *c)
{
	struct job *J = job_of(s, c);

	c->established = true;
	if (!J->phase2_ns)
		J->phase2_ns = s->now + ms_ns(SVC_PARALLEL_MS);
	if (c->tls) {
		enum tls_alpn alpn = c->h1_only ? TLS_ALPN_H1 : TLS_ALPN_HTTP;

		if (tls_conn_new(s->tls, alpn, &c->t) < 0) {
			conn_end(s, c, END_DONE);
			return false;
		}
		c->state = C_TLS_HS;
		set_wait(s, c, s->db.probes[c->probe].wait_ms);
		return tls_progress(s, c);
	}
	c->state = C_IO;
	set_wait(s, c, s->db.probes[c->probe].wait_ms);
	return conn_send_probe(s, c, c->probe);
}

static bool starttls_progress(struct svc *s, struct conn *c)
{
	for (;;) {
		size_t used = 0;
		const char *cmd;
		int r = starttls_reply(c->st_proto, c->st_step, c->buf + c->st_off,
				       c->len - c->st_off, &used);

		if (r == STARTTLS_MORE) {
			if (c->len < SVC_BUF_MAX)
				return true;
			r = STARTTLS_FAIL;
		}
		if (r == STARTTLS_FAIL) {
			/* No upgrade: the plain-text identification stands. */
			job_finish(s, c->job);
			return false;
		}
		c->st_off += (uint32_t)used;
		c->st_step++;
		set_wait(s, c, SVC_STARTTLS_WAIT_MS);
		cmd = starttls_command(c->st_proto, c->st_step);
		if (cmd) {
			if (!conn_send(s, c, (const uint8_t *)cmd, strlen(cmd)))
				return false;
			continue;
		}
		if (tls_conn_new(s->tls, TLS_ALPN_NONE, &c->t) < 0) {
			job_finish(s, c->job);
			return false;
		}
		c->tls = true;
		c->starttls = true;
		c->state = C_ST_HS;
		c->len = 0;
		return tls_progress(s, c);
	}
}

void conn_start_starttls(struct svc *s, struct conn *c, enum starttls_proto p)
{
	c->state = C_STARTTLS;
	c->st_proto = p;
	c->st_step = 0;
	c->st_off = 0;
	set_wait(s, c, SVC_STARTTLS_WAIT_MS);
	starttls_progress(s, c);
}

/* Drives the handshake, then reads decrypted bytes; false when the
 * connection ended. */
static bool tls_progress(struct svc *s, struct conn *c)
{
	uint32_t gen = c->gen;

	if (!c->hs_done) {
		int r = tls_conn_handshake(c->t);

		if (!flush(s, c))
			return false;
		if (c->state == C_TLS_HS && tls_sniff(c->buf, c->len) == TLS_SNIFF_HANDSHAKE)
			job_of(s, c)->tls_seen = true;
		if (r == TLS_WANT && tls_sniff(c->buf, c->len) != TLS_SNIFF_NOT)
			return true;
		if (r != TLS_DONE) {
			/* Not TLS (garbage, or a plain-text answer to our ClientHello),
			 * or a failed handshake: the tls probe's matches see the bytes. */
			if (c->state == C_TLS_HS)
				job_answer(s, c, true);
			if (conn_alive(c, gen))
				conn_end(s, c, END_DONE);
			return false;
		}
		c->hs_done = true;
		c->len = 0;
		job_tls_done(s, c);
		if (!conn_alive(c, gen))
			return false;
	}
	for (;;) {
		int k;

		if (c->len >= SVC_BUF_MAX) {
			conn_end(s, c, END_DONE);
			return false;
		}
		k = tls_conn_read(c->t, c->buf + c->len, SVC_BUF_MAX - c->len);
		if (k == 0)
			break;
		if (k < 0) {
			conn_end(s, c, END_CLOSED);
			return false;
		}
		c->len += (uint32_t)k;
		job_answer(s, c, false);
		if (!conn_alive(c, gen))
			return false;
		c->deadline_ns = min_u64(c->wait_ns, s->now + ms_ns(SVC_IDLE_MS));
	}
	return flush(s, c);
}

static void on_readable(struct svc *s, struct conn *c)
{
	uint32_t gen = c->gen;
	uint8_t tmp[16384];

	for (;;) {
		uint8_t *dst;
		size_t cap;
		ssize_t n;

		if (c->tls) {
			dst = tmp;
			cap = sizeof(tmp);
		} else {
			if (c->len >= SVC_BUF_MAX) {
				/* The answer filled the buffer: what we keep is in. */
				if (c->state == C_STARTTLS)
					job_finish(s, c->job);
				else
					conn_end(s, c, END_DONE);
				return;
			}
			dst = c->buf + c->len;
			cap = SVC_BUF_MAX - c->len;
		}
		n = read(c->fd, dst, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			conn_end(s, c, END_RESET);
			return;
		}
		if (n == 0) {
			if (c->t) {
				tls_conn_eof(c->t);
				if (!tls_progress(s, c))
					return;
			}
			if (c->state == C_STARTTLS) {
				job_finish(s, c->job);
				return;
			}
			conn_end(s, c, END_CLOSED);
			return;
		}
		c->raw_len += (uint32_t)n;
		if (c->tls) {
			/* Before the handshake is over, keep the raw bytes: they are
			 * the answer when it turns out not to be TLS. */
			if (!c->hs_done && c->len < SVC_BUF_MAX) {
				size_t k = (size_t)n < SVC_BUF_MAX - c->len ? (size_t)n
									    : SVC_BUF_MAX - c->len;

				memcpy(c->buf + c->len, tmp, k);
				c->len += (uint32_t)k;
			}
			if (tls_conn_feed(c->t, tmp, (size_t)n) < 0) {
				conn_end(s, c, END_DONE);
				return;
			}
			if (!tls_progress(s, c))
				return;
			continue;
		}
		c->len += (uint32_t)n;
		if (c->state == C_STARTTLS) {
			if (!starttls_progress(s, c))
				return;
			continue;
		}
		job_answer(s, c, false);
		if (!conn_alive(c, gen))
			return;
		/* An answer without a firm match: wait a little for more of it. */
		c->deadline_ns = min_u64(c->wait_ns, s->now + ms_ns(SVC_IDLE_MS));
	}
}

void conn_event(struct svc *s, uint32_t idx, uint32_t ev)
{
	struct conn *c = &s->conns[idx];
	uint32_t gen = c->gen;

	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == ECONNRESET || err == EPIPE) {
			/* Accepted, then reset before we saw the connection up. */
			c->established = true;
			conn_end(s, c, END_RESET);
			return;
		}
		if (err) {
			conn_end(s, c, END_REFUSED);
			return;
		}
		if (!on_connected(s, c))
			return;
	}
	if ((ev & EPOLLOUT) && !flush(s, c))
		return;
	if (conn_alive(c, gen) && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		on_readable(s, c);
}

uint32_t conn_launch(struct svc *s, uint32_t j, int probe, uint8_t rank, int inner,
		     bool h1_only)
{
	struct job *J = &s->jobs[j];
	struct epoll_event ev;
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;
	socklen_t salen;
	uint32_t idx = s->conn_free, gen, slot, next_free;
	struct conn *c;
	bool v4 = addr_is_v4(J->res.addr);

	for (slot = 0; slot < SVC_JOB_CONNS && J->conns[slot] != NIL; slot++)
		;
	if (idx == NIL || slot == SVC_JOB_CONNS)
		return NIL;
	c = &s->conns[idx];
	gen = c->gen;
	next_free = c->next_free;
	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->next_free = next_free;
	c->fd = -1;
	c->job = j;
	c->probe = probe;
	c->also = -1;
	c->rank = rank;
	c->tls = s->db.probes[probe].builtin_tls;
	c->inner = inner;
	c->h1_only = h1_only;
	c->buf = malloc(SVC_BUF_MAX + SVC_OUT_MAX);
	if (!c->buf)
		return NIL;
	c->out = c->buf + SVC_BUF_MAX;
	c->fd = socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		free(c->buf);
		c->buf = NULL;
		return NIL;
	}
	/* Taken: from here on conn_release() undoes it all. */
	s->conn_free = c->next_free;
	c->state = C_CONNECTING;
	J->conns[slot] = idx;
	J->active++;
	memset(&sa, 0, sizeof(sa));
	if (v4) {
		sa.v4.sin_family = AF_INET;
		sa.v4.sin_port = htons(J->res.port);
		sa.v4.sin_addr.s_addr = htonl(addr_v4(J->res.addr));
		salen = sizeof(sa.v4);
	} else {
		sa.v6.sin6_family = AF_INET6;
		sa.v6.sin6_port = htons(J->res.port);
		for (int i = 0; i < 16; i++)
			sa.v6.sin6_addr.s6_addr[i] = (uint8_t)(J->res.addr >> (8 * (15 - i)));
		salen = sizeof(sa.v6);
	}
	c->deadline_ns = c->wait_ns = J->deadline_ns;
	if (connect(c->fd, (struct sockaddr *)&sa, salen) < 0 && errno != EINPROGRESS) {
		conn_release(s, c, false);
		return LAUNCH_REFUSED;
	}
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = (uint64_t)c->gen << 32 | idx;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		conn_release(s, c, true);
		return NIL;
	}
	return idx;
}
