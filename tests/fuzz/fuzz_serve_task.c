/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the task reader of `fastport serve`
 * (src/serve/task.c): any input either fails with a message or gives a
 * task that meets the reader's contract (at least one target, bounded
 * lists and strings, no control characters, states within FP_STATES_ALL).
 */
#include <stdlib.h>
#include <string.h>

#include "serve/task.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void str_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	CHECK(n >= 1 && n <= max);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_task t;
	char err[256], states[64];

	err[0] = '\0';
	if (task_parse((const char *)data, size, &t, err, sizeof(err)) < 0) {
		CHECK(err[0]);
		return 0;
	}
	CHECK(t.ntargets >= 1 && t.ntargets <= TASK_LIST_MAX && t.nexclude <= TASK_LIST_MAX);
	for (size_t i = 0; i < t.ntargets; i++)
		str_ok(t.targets[i], TASK_STR_MAX);
	for (size_t i = 0; i < t.nexclude; i++)
		str_ok(t.exclude[i], TASK_STR_MAX);
	if (t.ports)
		str_ok(t.ports, TASK_STR_MAX);
	if (t.name)
		str_ok(t.name, TASK_NAME_MAX);
	if (t.idempotency_key)
		str_ok(t.idempotency_key, TASK_KEY_MAX);
	CHECK(!(t.states & ~FP_STATES_ALL));
	CHECK(t.rate <= 100000000 && t.retries <= 100 && t.shards <= TASK_SHARDS_MAX);
	task_states_format(t.states, states);
	task_free(&t);
	return 0;
}
