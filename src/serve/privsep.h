/* SPDX-License-Identifier: MIT */
/*
 * Privilege separation of `fastport serve`, the OpenBSD way (docs/SECURITY.md,
 * "Privilege separation in serve"). Three kinds of process:
 *
 * - the privileged parent (the pid serve started as): keeps CAP_NET_RAW
 *   and nothing else, as the unprivileged user; parses only the fixed-size
 *   messages of the parent channel; forks scan children, signals them at
 *   the HTTP process's request and reports their exits;
 * - the HTTP process: the unprivileged user, no capabilities,
 *   no_new_privs, a seccomp allowlist; libmicrohttpd, the registry, the
 *   store, the followers, /metrics;
 * - one scan child per running scan: forked by the parent, reads its task
 *   from the HTTP process over its own channel, checks it again against
 *   --allow and --max-rate, opens its sockets with CAP_NET_RAW, then drops
 *   everything and installs the scan's seccomp allowlist (cli/sandbox.c)
 *   before the first probe; streams events, counters, resume states and
 *   its result back.
 */
#ifndef FP_SERVE_PRIVSEP_H
#define FP_SERVE_PRIVSEP_H

#include <stddef.h>

#include "serve/serve.h"

extern const struct serve_exec serve_exec_privsep;

/*
 * Splits serve: forks the HTTP process and turns this one into the
 * privileged parent, which never returns (it exits with the HTTP
 * process's exit status). Call it with every file, the store and the
 * listening socket opened, before any thread starts. Returns 0 in the
 * HTTP process, still with the privileges it started with (the caller
 * opens what it needs, then calls privsep_drop_http); -1 with err in the
 * original process when the split could not be made.
 */
int privsep_split(struct serve *sv, char *err, size_t errlen);

/* In the HTTP process: drops to the unprivileged user, no capabilities,
 * no_new_privs and the HTTP allowlist, then starts the parent channel's
 * reader and sets sv->exec. 0, or -1 with err (the caller exits). */
int privsep_drop_http(struct serve *sv, char *err, size_t errlen);

/* The privileged parent's pid (serve's own), 0 without privsep. */
int privsep_parent_pid(const struct serve *sv);

#endif
