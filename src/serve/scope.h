/* SPDX-License-Identifier: MIT */
/*
 * What a sensor may scan: the --allow set, and the check that a task's
 * address set (targets minus exclusions) lies inside it, with the built-in
 * reserved ranges permitted only when both the sensor (--allow-reserved)
 * and the task (allow_reserved) say so. Uses the library's own target
 * parser (core/targets.h), so the check sees exactly what the scan will.
 */
#ifndef FP_SERVE_SCOPE_H
#define FP_SERVE_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

struct serve_scope;

/* Parses --allow SPEC (comma/space separated, as scan targets; may be
 * called for several --allow options: the sets add up). 0 or -1 (err). */
int scope_new(struct serve_scope **out, bool allow_reserved);
int scope_allow(struct serve_scope *sc, const char *spec, char *err, size_t errlen);
void scope_free(struct serve_scope *sc);

/*
 * Checks a task. Returns 0 when every address of targets minus exclude
 * (minus the never-scanned ranges) is allowed; 1 when the task is out of
 * scope, with err naming the first offending range and why; -1 when a
 * spec does not parse (err says which token: a 400).
 */
int scope_check(const struct serve_scope *sc, char *const *targets, size_t ntargets,
		char *const *exclude, size_t nexclude, bool task_allow_reserved, char *err,
		size_t errlen);

#endif
