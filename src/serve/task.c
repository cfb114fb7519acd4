/* SPDX-License-Identifier: MIT */
/* The task JSON of `POST /v1/scans`, read and checked member by member (jansson). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fastport.h"
#include "serve/task.h"

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A string of 1..max printable bytes without control characters. */
static int get_str(json_t *v, const char *what, size_t max, char **out, char *err, size_t errlen)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return fail(err, errlen, "%s: expected a string", what);
	s = json_string_value(v);
	n = json_string_length(v);
	if (!n || n > max)
		return fail(err, errlen, "%s: length %zu not within 1..%zu", what, n, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(err, errlen, "%s: control character", what);
	*out = strdup(s);
	if (!*out)
		return fail(err, errlen, "out of memory");
	return 0;
}

static int get_list(json_t *v, const char *what, char ***out, size_t *n, char *err, size_t errlen)
{
	size_t i, len;

	if (!json_is_array(v))
		return fail(err, errlen, "%s: expected an array of strings", what);
	len = json_array_size(v);
	if (len > TASK_LIST_MAX)
		return fail(err, errlen, "%s: more than %d items", what, TASK_LIST_MAX);
	*out = calloc(len ? len : 1, sizeof(**out));
	if (!*out)
		return fail(err, errlen, "out of memory");
	for (i = 0; i < len; i++) {
		char w[64];

		snprintf(w, sizeof(w), "%s[%zu]", what, i);
		if (get_str(json_array_get(v, i), w, TASK_STR_MAX, &(*out)[i], err, errlen) < 0)
			return -1; /* the items so far are freed with the task (n counts them) */
		*n = i + 1;
	}
	return 0;
}

static int get_uint(json_t *v, const char *what, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t errlen)
{
	json_int_t x;

	if (!json_is_integer(v))
		return fail(err, errlen, "%s: expected an integer", what);
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x < min || (uint64_t)x > max)
		return fail(err, errlen, "%s: %lld not within %llu..%llu", what, (long long)x,
			    (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)x;
	return 0;
}

static int get_bool(json_t *v, const char *what, bool *out, char *err, size_t errlen)
{
	if (!json_is_boolean(v))
		return fail(err, errlen, "%s: expected true or false", what);
	*out = json_is_true(v);
	return 0;
}

static const struct {
	const char *name;
	uint32_t bits;
} state_names[] = {
	{ "open", 1U << FP_STATE_OPEN }, { "closed", 1U << FP_STATE_CLOSED },
	{ "filtered", 1U << FP_STATE_FILTERED }, { "open|filtered", 1U << FP_STATE_OPEN_FILTERED },
	{ "all", FP_STATES_ALL },
};

static int get_states(json_t *v, uint32_t *out, char *err, size_t errlen)
{
	size_t i, k;

	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > 8)
		return fail(err, errlen, "states: expected an array of 1..8 states");
	for (i = 0; i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		uint32_t b = 0;

		for (k = 0; s && k < sizeof(state_names) / sizeof(state_names[0]); k++)
			if (!strcmp(s, state_names[k].name))
				b = state_names[k].bits;
		if (!b)
			return fail(err, errlen, "states[%zu]: expected open, closed, filtered, "
				    "open|filtered or all", i);
		*out |= b;
	}
	return 0;
}

void task_states_format(uint32_t states, char buf[static 64])
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < 4; k++)
		if (states & state_names[k].bits)
			n += (size_t)snprintf(buf + n, 64 - n, "%s%s", n ? "," : "", state_names[k].name);
}

int task_parse(const char *buf, size_t len, struct serve_task *t, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *v;
	const char *key;
	uint64_t u = 0;
	int ret = -1;

	memset(t, 0, sizeof(*t));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		fail(err, errlen, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
		return -1;
	}
	if (!json_is_object(root)) {
		fail(err, errlen, "expected a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		int r;

		if (!strcmp(key, "targets"))
			r = get_list(v, key, &t->targets, &t->ntargets, err, errlen);
		else if (!strcmp(key, "exclude"))
			r = get_list(v, key, &t->exclude, &t->nexclude, err, errlen);
		else if (!strcmp(key, "ports"))
			r = get_str(v, key, TASK_STR_MAX, &t->ports, err, errlen);
		else if (!strcmp(key, "rate"))
			r = get_uint(v, key, 1, 100000000, &t->rate, err, errlen);
		else if (!strcmp(key, "retries")) {
			r = get_uint(v, key, 0, 100, &u, err, errlen);
			t->retries = (uint32_t)u;
			t->has_retries = true;
		} else if (!strcmp(key, "seed"))
			r = get_uint(v, key, 0, (uint64_t)INT64_MAX, &t->seed, err, errlen);
		else if (!strcmp(key, "states"))
			r = get_states(v, &t->states, err, errlen);
		else if (!strcmp(key, "shards")) {
			/* More than one: only for the fleet (serve --nats). */
			r = get_uint(v, key, 1, TASK_SHARDS_MAX, &u, err, errlen);
			t->shards = (uint32_t)u;
		} else if (!strcmp(key, "service_scan"))
			r = get_bool(v, key, &t->service_scan, err, errlen);
		else if (!strcmp(key, "connect"))
			r = get_bool(v, key, &t->connect, err, errlen);
		else if (!strcmp(key, "allow_reserved"))
			r = get_bool(v, key, &t->allow_reserved, err, errlen);
		else if (!strcmp(key, "name"))
			r = get_str(v, key, TASK_NAME_MAX, &t->name, err, errlen);
		else if (!strcmp(key, "idempotency_key"))
			r = get_str(v, key, TASK_KEY_MAX, &t->idempotency_key, err, errlen);
		else
			r = fail(err, errlen, "unknown member '%.64s'", key);
		if (r < 0)
			goto out;
	}
	if (!t->ntargets) {
		fail(err, errlen, "targets: at least one target is needed");
		goto out;
	}
	ret = 0;
out:
	json_decref(root);
	if (ret < 0)
		task_free(t);
	return ret;
}

void task_free(struct serve_task *t)
{
	for (size_t i = 0; i < t->ntargets; i++)
		free(t->targets[i]);
	for (size_t i = 0; i < t->nexclude; i++)
		free(t->exclude[i]);
	free(t->targets);
	free(t->exclude);
	free(t->ports);
	free(t->name);
	free(t->idempotency_key);
	memset(t, 0, sizeof(*t));
}
