/* SPDX-License-Identifier: MIT */
/*
 * The scan's results store (--store URL, --confirm N, --scan-id ID): every
 * event of the scan goes to src/store's sink; at the end the ports open in
 * the baseline and unanswered now are re-probed by a helper process, and
 * the exposure changes are written after the scan's events.
 *
 * Order (cmd_scan.c): scan_store_open before the scanner exists (it
 * decides the scan id), scan_store_fork_helper once the scanner is set up
 * and before any thread runs, scan_store_start in the on_ready hook after
 * the sandbox (the writer thread is born dropped), scan_store_event from
 * the event callback, scan_store_finish after the scan. Built only with
 * the store (FP_STORE); messages go to standard error as "fastport: ...".
 */
#ifndef FP_CLI_SCAN_STORE_H
#define FP_CLI_SCAN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store.h"

struct nmap_xml;

/* The scanner's own list when no -p is given (src/engine/api.c). */
#define SCAN_DEFAULT_PORTS "21,22,23,25,53,80,110,111,135,139,143,443,445,993,995,1723,3306,3389,5900,8080"

struct scan_store_opts {
	const char *url;
	const char *const *targets;       /* the operands (specs) */
	size_t ntargets;
	const char *const *target_files;  /* -iL */
	size_t ntarget_files;
	const char *const *excludes;      /* --exclude */
	size_t nexcludes;
	const char *const *exclude_files; /* --excludefile */
	size_t nexclude_files;
	const char *ports;                /* -p; NULL: the scanner's default list */
	bool allow_reserved;
	unsigned confirm;                 /* re-probe passes; 0: none */
	const char *scan_id;              /* --scan-id, or NULL */
	int resume_fd;                    /* the --resume file, or -1 */
	unsigned shard, shard_count;
	int out_fd;                       /* where the scan's events go */
	bool list;                        /* ... in the list format (else NDJSON) */
	bool quiet_out;                   /* the scan's events go elsewhere (nmap XML only) */
	struct nmap_xml *xml;             /* nmap XML being written (--format nmap-xml, -oX), or NULL */
};

struct scan_store;

/*
 * Parses the URL (a bad one: exit 2 with the reason), computes the scope,
 * opens the store (exit 1 when it cannot be), and decides the scan id:
 * --scan-id, or with --resume the stored scan that the resume file
 * continues (same scope, seed and shard; none: exit 1). *scan_id is that
 * id or NULL (a new scan). Exits on failure.
 */
struct scan_store *scan_store_open(const struct scan_store_opts *o, const char **scan_id);

/*
 * The re-probing helper: when confirmations are wanted and the scope has a
 * complete scan (a baseline), forks a process now (no thread may run yet)
 * that waits for the close candidates, calls probe on them in its own
 * process (a small scan that sets each port's confirmed state) and sends
 * the results back. Returns its pid (0 when none was needed) or exits 1.
 */
pid_t scan_store_fork_helper(struct scan_store *ss,
			     int (*probe)(void *ctx, struct store_port *c, size_t n), void *ctx);

/* Starts the writer thread (call after the sandbox). 0, or -1 with a message printed. */
int scan_store_start(struct scan_store *ss);

/* Queues one event line; -1 once the store failed (stop the scan). */
int scan_store_event(struct scan_store *ss, const char *json, size_t n);

/*
 * Ends the stored scan: failed when the scan failed, else complete or
 * interrupted from its events. For a complete scan: re-probes the close
 * candidates (helper), then computes the changes and writes each as an
 * exposure_change event (or a list line) to the scan's output; with nmap
 * XML each also goes into the document as a comment, and when the XML is
 * the scan's output (quiet_out) as a list line to standard error. Returns the
 * exit status: 0, or 1 after printing why the store failed.
 */
int scan_store_finish(struct scan_store *ss, bool failed);

/* Closes everything and reaps the helper. */
void scan_store_free(struct scan_store *ss);

#endif
