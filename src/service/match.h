/* SPDX-License-Identifier: MIT */
/* Matching answers against the database's patterns (PCRE2) and filling in the result's fields. */
#ifndef FP_SVC_MATCH_H
#define FP_SVC_MATCH_H

#include "db.h"
#include "svc.h"

/* Bounds of one pcre2_match() call (interpreter and JIT alike). */
#define MATCH_LIMIT 200000u      /* backtracking steps */
#define MATCH_DEPTH_LIMIT 2000u  /* nested backtracking frames (interpreter) */
#define MATCH_HEAP_KIB 2048u     /* heap for backtracking frames (interpreter) */
#define MATCH_JIT_STACK (512u << 10)
#define MATCH_GROUPS 32u         /* capture groups a pattern may have, at most */

/*
 * Compiles every pattern of db: PCRE2_DOTALL unless the pattern starts with
 * "(?-s)", never UTF (answers are raw bytes), JIT when jit is set and the
 * platform has it (a pattern the JIT rejects runs in the interpreter). Also
 * checks that each template's $N names an existing group. On error writes
 * "NAME:LINE: pattern: reason at offset N" into err. Returns 0, FP_EINVAL
 * or FP_ENOMEM.
 */
int match_compile(struct db *db, bool jit, const char *name, char *err, size_t errlen);

/* Frees one match's compiled pattern (db_free calls it). */
void match_code_free(struct db_match *m);

/* The per-thread state of matching: match context with its limits, match
 * data, JIT stack. One per thread that matches. */
struct matcher;

int matcher_new(struct matcher **out);
void matcher_free(struct matcher *m);

/*
 * Tries the matches of probe index probe (in file order) against n bytes.
 * also_probe, when >= 0, is a second probe whose matches are tried after
 * (the null probe's inside a TLS tunnel). The first firm match wins; when
 * none is firm, the first soft one. When only_service is not NULL, only
 * matches of that service count. Returns the match index, or -1.
 * When fill is not NULL, the winner's fields (name, product, version,
 * info, cpe, method) are written into it.
 */
int match_run(struct matcher *mt, const struct db *db, int probe, int also_probe,
	      const char *only_service, const uint8_t *p, size_t n, struct svc_result *fill);

/*
 * Substitutes $1..$9 of template t with the groups of the last match
 * (ovector pairs, ngroups of them including group 0): bytes outside
 * printable ASCII are dropped (controls) or shown as '?' (8-bit). Writes at
 * most cap - 1 bytes and a NUL into out; returns the number of $N
 * references and sets *empty_refs to those that were unset or empty.
 */
uint32_t match_subst(const char *t, size_t tn, const uint8_t *subj, const size_t *ovec,
		     uint32_t ngroups, char *out, size_t cap, uint32_t *empty_refs);

#endif
