/* SPDX-License-Identifier: MIT */
/* PCRE2 compilation (JIT) and bounded matching of answers, with $N substitution into the result. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

struct matcher {
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	pcre2_jit_stack *js;
};

void match_code_free(struct db_match *m)
{
	if (m->code)
		pcre2_code_free(m->code);
	m->code = NULL;
}

/* The highest $N in a template, 0 when none. */
static uint32_t max_ref(const char *t)
{
	uint32_t mx = 0;

	for (; t && *t; t++)
		if (t[0] == '$' && t[1] >= '1' && t[1] <= '9' && (uint32_t)(t[1] - '0') > mx)
			mx = (uint32_t)(t[1] - '0');
	return mx;
}

int match_compile(struct db *db, bool jit, const char *name, char *err, size_t errlen)
{
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	int ret = 0;

	if (!cc)
		return FP_ENOMEM;
	/* Bound the compiler too: a hostile --sv-db is parsed as any other input. */
	pcre2_set_parens_nest_limit(cc, 64);
	for (uint32_t i = 0; i < db->nmatches; i++) {
		struct db_match *m = &db->matches[i];
		uint32_t opts = PCRE2_NEVER_UTF | PCRE2_NEVER_BACKSLASH_C, groups = 0, mx;
		PCRE2_SIZE off;
		int ec;

		if (strncmp(m->pattern, "(?-s)", 5) != 0)
			opts |= PCRE2_DOTALL;
		match_code_free(m);
		m->code = pcre2_compile((PCRE2_SPTR)m->pattern, PCRE2_ZERO_TERMINATED, opts, &ec,
					&off, cc);
		if (!m->code) {
			PCRE2_UCHAR msg[160];

			if (ec == PCRE2_ERROR_NOMEMORY) {
				ret = FP_ENOMEM;
				goto out;
			}
			pcre2_get_error_message(ec, msg, sizeof(msg));
			snprintf(err, errlen, "%s:%u: pattern: %s at offset %zu", name,
				 (unsigned)m->line, (const char *)msg, (size_t)off);
			ret = FP_EINVAL;
			goto out;
		}
		pcre2_pattern_info(m->code, PCRE2_INFO_CAPTURECOUNT, &groups);
		if (groups >= MATCH_GROUPS) {
			snprintf(err, errlen, "%s:%u: pattern: more than %u capture groups", name,
				 (unsigned)m->line, MATCH_GROUPS - 1);
			ret = FP_EINVAL;
			goto out;
		}
		mx = max_ref(m->product);
		if (max_ref(m->version) > mx)
			mx = max_ref(m->version);
		if (max_ref(m->info) > mx)
			mx = max_ref(m->info);
		for (uint32_t c = 0; c < m->ncpe; c++)
			if (max_ref(m->cpe[c]) > mx)
				mx = max_ref(m->cpe[c]);
		if (mx > groups) {
			snprintf(err, errlen, "%s:%u: $%u but the pattern has %u capture group%s",
				 name, (unsigned)m->line, mx, groups, groups == 1 ? "" : "s");
			ret = FP_EINVAL;
			goto out;
		}
		/* Without JIT support (or when it fails) the interpreter runs it. */
		if (jit)
			(void)pcre2_jit_compile(m->code, PCRE2_JIT_COMPLETE);
	}
out:
	pcre2_compile_context_free(cc);
	return ret;
}

int matcher_new(struct matcher **out)
{
	struct matcher *mt = calloc(1, sizeof(*mt));
	int ret = FP_ENOMEM;

	*out = NULL;
	if (!mt)
		return FP_ENOMEM;
	mt->mctx = pcre2_match_context_create(NULL);
	mt->md = pcre2_match_data_create(MATCH_GROUPS, NULL);
	if (!mt->mctx || !mt->md)
		goto out;
	pcre2_set_match_limit(mt->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(mt->mctx, MATCH_DEPTH_LIMIT);
	pcre2_set_heap_limit(mt->mctx, MATCH_HEAP_KIB);
	/* A missing JIT stack only means the default 32 KiB one. */
	mt->js = pcre2_jit_stack_create(32u << 10, MATCH_JIT_STACK, NULL);
	if (mt->js)
		pcre2_jit_stack_assign(mt->mctx, NULL, mt->js);
	*out = mt;
	mt = NULL;
	ret = 0;
out:
	matcher_free(mt);
	return ret;
}

void matcher_free(struct matcher *mt)
{
	if (!mt)
		return;
	if (mt->js)
		pcre2_jit_stack_free(mt->js);
	if (mt->md)
		pcre2_match_data_free(mt->md);
	if (mt->mctx)
		pcre2_match_context_free(mt->mctx);
	free(mt);
}

uint32_t match_subst(const char *t, size_t tn, const uint8_t *subj, const size_t *ovec,
		     uint32_t ngroups, char *out, size_t cap, uint32_t *empty_refs)
{
	size_t o = 0;
	uint32_t refs = 0, empty = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < tn; i++) {
		if (t[i] == '$' && i + 1 < tn && t[i + 1] >= '1' && t[i + 1] <= '9') {
			uint32_t g = (uint32_t)(t[i + 1] - '0');
			size_t a = 0, b = 0;

			i++;
			refs++;
			if (g < ngroups && ovec[2 * g] != PCRE2_UNSET && ovec[2 * g + 1] >= ovec[2 * g]) {
				a = ovec[2 * g];
				b = ovec[2 * g + 1];
			}
			if (a == b)
				empty++;
			for (size_t k = a; k < b && o + 1 < cap; k++) {
				uint8_t c = subj[k];

				if (c >= 0x80)
					out[o++] = '?';
				else if (c >= 0x20 && c < 0x7f)
					out[o++] = (char)c;
			}
			continue;
		}
		if (o + 1 < cap)
			out[o++] = t[i];
	}
	out[o] = '\0';
	if (empty_refs)
		*empty_refs = empty;
	return refs;
}

static void trim(char *s)
{
	size_t n = strlen(s), a = 0;

	while (a < n && s[a] == ' ')
		a++;
	while (n > a && s[n - 1] == ' ')
		n--;
	memmove(s, s + a, n - a);
	s[n - a] = '\0';
}

static void fill_simple(const char *t, const uint8_t *subj, const size_t *ovec, uint32_t ng,
			char *out, size_t cap)
{
	out[0] = '\0';
	if (!t)
		return;
	match_subst(t, strlen(t), subj, ovec, ng, out, cap, NULL);
	trim(out);
}

/* info: parts separated by ';'; a part that is empty, or whose every $N was
 * empty, is dropped; the rest are joined with "; ". */
static void fill_info(const char *t, const uint8_t *subj, const size_t *ovec, uint32_t ng,
		      char *out, size_t cap)
{
	size_t o = 0, a = 0, tn;

	out[0] = '\0';
	if (!t)
		return;
	tn = strlen(t);
	while (a <= tn) {
		const char *semi = memchr(t + a, ';', tn - a);
		size_t b = semi ? (size_t)(semi - t) : tn;
		char part[SVC_INFO_LEN];
		uint32_t refs, empty = 0;
		size_t pn;

		refs = match_subst(t + a, b - a, subj, ovec, ng, part, sizeof(part), &empty);
		trim(part);
		pn = strlen(part);
		a = b + 1;
		if (pn == 0 || (refs && empty == refs))
			continue;
		if (o && o + 2 < cap) {
			memcpy(out + o, "; ", 2);
			o += 2;
		}
		if (pn > cap - 1 - o)
			pn = cap - 1 - o;
		memcpy(out + o, part, pn);
		o += pn;
		out[o] = '\0';
	}
}

static void fill_result(const struct db *db, uint32_t mi, const uint8_t *subj,
			const size_t *ovec, uint32_t ng, struct svc_result *r)
{
	const struct db_match *m = &db->matches[mi];

	snprintf(r->name, sizeof(r->name), "%s", m->service);
	fill_simple(m->product, subj, ovec, ng, r->product, sizeof(r->product));
	fill_simple(m->version, subj, ovec, ng, r->version, sizeof(r->version));
	fill_info(m->info, subj, ovec, ng, r->info, sizeof(r->info));
	r->ncpe = 0;
	for (uint32_t c = 0; c < m->ncpe && c < SVC_CPE_MAX; c++) {
		char *cpe = r->cpe[r->ncpe];
		size_t n;

		fill_simple(m->cpe[c], subj, ovec, ng, cpe, SVC_CPE_LEN);
		/* A version part that came out empty leaves no trailing ':'. */
		n = strlen(cpe);
		while (n && cpe[n - 1] == ':')
			cpe[--n] = '\0';
		if (n)
			r->ncpe++;
	}
	r->method = m->firm ? SVC_METHOD_PROBE : SVC_METHOD_SOFT;
}

/* Runs one match; 1 on a match, 0 on none or a limit hit. */
static int try_one(struct matcher *mt, const struct db_match *m, const uint8_t *p, size_t n)
{
	int rc;

	if (!m->code)
		return 0;
	rc = pcre2_match(m->code, p, n, 0, 0, mt->md, mt->mctx);
	/* PCRE2_ERROR_MATCHLIMIT, _DEPTHLIMIT, _HEAPLIMIT, _JIT_STACKLIMIT: no match. */
	return rc > 0 || rc == 0;
}

int match_run(struct matcher *mt, const struct db *db, int probe, int also_probe,
	      const char *only_service, const uint8_t *p, size_t n, struct svc_result *fill)
{
	int soft = -1, found = -1;
	int list[2] = { probe, also_probe };

	for (int l = 0; l < 2 && found < 0; l++) {
		const struct db_probe *pr;

		if (list[l] < 0 || (uint32_t)list[l] >= db->nprobes)
			continue;
		pr = &db->probes[list[l]];
		for (uint32_t k = 0; k < pr->nmatches; k++) {
			const struct db_match *m = &db->matches[pr->matches[k]];

			if (only_service && strcmp(m->service, only_service))
				continue;
			if (m->firm && !try_one(mt, m, p, n))
				continue;
			if (!m->firm) {
				if (soft >= 0 || !try_one(mt, m, p, n))
					continue;
				soft = (int)pr->matches[k];
				if (fill)
					fill_result(db, (uint32_t)soft, p,
						    pcre2_get_ovector_pointer(mt->md),
						    pcre2_get_ovector_count(mt->md), fill);
				continue;
			}
			found = (int)pr->matches[k];
			break;
		}
	}
	if (found >= 0) {
		if (fill)
			fill_result(db, (uint32_t)found, p, pcre2_get_ovector_pointer(mt->md),
				    pcre2_get_ovector_count(mt->md), fill);
		return found;
	}
	return soft;
}
