/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the shard task reader of `fastport agent`
 * (src/fleet/common.c, fleet_task_parse, with serve's task reader inside):
 * any input either fails with a message or gives a task that meets the
 * reader's contract (a 32-hex-digit scan id, 1 <= shard <= shards, a
 * non-zero seed, at least one target, bounded strings).
 */
#include <stdlib.h>
#include <string.h>

#include "serve/task.c"
#include "fleet/common.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_task ft;
	char err[256];

	err[0] = '\0';
	if (fleet_task_parse((const char *)data, size, &ft, err, sizeof(err)) < 0) {
		CHECK(err[0]);
		CHECK(!ft.t.targets && !ft.scan_id[0]);
		return 0;
	}
	CHECK(strlen(ft.scan_id) == FLEET_SCAN_ID_LEN);
	CHECK(strspn(ft.scan_id, "0123456789abcdef") == FLEET_SCAN_ID_LEN);
	CHECK(ft.shard >= 1 && ft.shard <= ft.shards && ft.shards <= FLEET_SHARDS_MAX);
	CHECK(ft.t.seed != 0 && ft.t.ntargets >= 1 && ft.t.ntargets <= TASK_LIST_MAX);
	for (size_t i = 0; i < ft.t.ntargets; i++)
		CHECK(strlen(ft.t.targets[i]) >= 1 && strlen(ft.t.targets[i]) <= TASK_STR_MAX);
	CHECK(!(ft.t.states & ~FP_STATES_ALL) && ft.t.shards <= 1);
	fleet_task_free(&ft);
	return 0;
}
