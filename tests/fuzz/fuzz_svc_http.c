/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the HTTP response parser of the service stage
 * (http_parse): status line, Server, Location, title. Runs on an exactly
 * sized copy; every field must come out NUL-terminated printable ASCII,
 * and a status only from a well-formed status line.
 */
#include <stdlib.h>
#include <string.h>

#include "service/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	CHECK(n < cap);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct svc_http h;
	bool ok;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	ok = http_parse(copy, size, &h);
	if (!ok) {
		CHECK(h.status == 0 && !h.server[0] && !h.title[0] && !h.location[0]);
	} else {
		CHECK(size >= 12 && !memcmp(copy, "HTTP/1.", 7));
		CHECK(h.status >= 0 && h.status <= 999);
		check_text(h.server, sizeof(h.server));
		check_text(h.title, sizeof(h.title));
		check_text(h.location, sizeof(h.location));
		CHECK(!h.title[0] || (h.title[0] != ' ' && h.title[strlen(h.title) - 1] != ' '));
	}
	free(copy);
	return 0;
}
