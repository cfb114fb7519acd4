/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the ?since= reader of `fastport serve`
 * (src/serve/since.c): any input is refused, or is a scan id of 4..128
 * lowercase hex digits, or a time written in the store's exact form,
 * which reads back as itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/since.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[32], again[32];
	enum since_kind k;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(out, 0x55, sizeof(out));
	k = since_parse(s, out);
	if (k == SINCE_SCAN) {
		CHECK(strlen(s) >= 4 && strlen(s) <= SINCE_ID_MAX);
		CHECK(strspn(s, "0123456789abcdef") == strlen(s));
	} else if (k == SINCE_TIME) {
		CHECK(strlen(out) == 27 && out[26] == 'Z' && out[19] == '.' && out[10] == 'T');
		CHECK(strspn(out, "0123456789") == 4 && strspn(out + 20, "0123456789") == 6);
		CHECK(since_parse(out, again) == SINCE_TIME && !strcmp(out, again));
	} else {
		CHECK(k == SINCE_BAD);
	}
	free(s);
	return 0;
}
