/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the configuration files and items: a target list
 * (-iL, ipset_add_file) read from a memfd, checked against the same lines
 * given as one spec, and the user UDP payloads (payload_arg.h) of
 * --udp-payload items and --udp-payload-file lines, checked by re-encoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/addr.h"
#include "cli/payload_arg.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static bool same_set(const struct ipset *a, const struct ipset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->r[i].lo != b->r[i].lo || a->r[i].hi != b->r[i].hi)
			return false;
	return true;
}

/* The file's lines with their comments cut, joined by '\n': the spec the
 * file means. NULL when the input holds a NUL (a spec string cannot). */
static char *as_spec(const uint8_t *data, size_t size, bool *tokens)
{
	char *spec = malloc(size + 1);
	size_t o = 0;
	bool comment = false;

	if (!spec || memchr(data, 0, size)) {
		free(spec);
		return NULL;
	}
	*tokens = false;
	for (size_t i = 0; i < size; i++) {
		char c = (char)data[i];

		if (c == '\n')
			comment = false;
		else if (c == '#')
			comment = true;
		if (comment)
			continue;
		spec[o++] = c;
		if (c != ',' && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' &&
		    c != '\f')
			*tokens = true;
	}
	spec[o] = '\0';
	return spec;
}

static void fuzz_target_file(const uint8_t *data, size_t size)
{
	struct ipset file, spec;
	char path[64], err[512];
	int fd, rf, rs;
	bool tokens;
	char *text;

	fd = memfd_create("targets", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ipset_init(&file);
	ipset_init(&spec);
	err[0] = '\0';
	rf = ipset_add_file(&file, path, err, sizeof(err));
	CHECK(rf == 0 || rf == FP_EINVAL || rf == FP_ENOMEM);
	CHECK(rf != FP_EINVAL || strncmp(err, path, strlen(path)) == 0);
	CHECK(rf == 0 || file.n == 0);
	text = as_spec(data, size, &tokens);
	if (text) {
		rs = ipset_add_spec(&spec, text, err, sizeof(err));
		if (!tokens) {
			/* An empty list is no error in a file, "no targets" in a spec. */
			CHECK(rf == 0 && file.n == 0 && rs == FP_EINVAL);
		} else if (rf != FP_ENOMEM && rs != FP_ENOMEM) {
			CHECK(rf == rs);
			if (!rf) {
				CHECK(ipset_finish(&file, NULL, 0) == ipset_finish(&spec, NULL, 0));
				CHECK(same_set(&file, &spec));
			}
		}
		free(text);
	}
	ipset_free(&file);
	ipset_free(&spec);
	close(fd);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One item: on success the port is its decimal prefix and the bytes are
 * its trailing hex digits. */
static void check_item(const char *item, size_t len)
{
	uint8_t *out = malloc(len / 2 + 1);
	char err[640];
	uint16_t port;
	size_t n, digits = 0;
	unsigned long p = 0;

	if (!out)
		return;
	err[0] = '\0';
	if (!payload_item_parse(item, len, &port, out, &n, err, sizeof(err))) {
		CHECK(strlen(err) > 0 && strlen(err) < sizeof(err) - 1);
		free(out);
		return;
	}
	while (digits < len && item[digits] >= '0' && item[digits] <= '9')
		p = p * 10 + (unsigned long)(item[digits++] - '0');
	CHECK(digits >= 1 && digits <= 6 && p == port);
	CHECK(2 * n <= len - digits - 1);
	for (size_t i = 0; i < n; i++) {
		const char *h = item + len - 2 * n + 2 * i;

		CHECK(hexval(h[0]) >= 0 && hexval(h[1]) >= 0);
		CHECK(out[i] == (uint8_t)(hexval(h[0]) << 4 | hexval(h[1])));
	}
	free(out);
}

static void fuzz_payloads(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t start = 0;

	/* The whole input as one --udp-payload item. */
	check_item(text, size);
	/* And as a --udp-payload-file, line by line. */
	while (start < size) {
		const char *nl = memchr(text + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - text) + 1 : size, a, b;

		if (payload_line_trim(text + start, end - start, &a, &b)) {
			CHECK(a < b && b <= end - start);
			CHECK(text[start + a] != ' ' && text[start + a] != '\t');
			CHECK(text[start + b - 1] != ' ' && text[start + b - 1] != '\t');
			CHECK(!memchr(text + start + a, '#', b - a));
			CHECK(!memchr(text + start + a, '\n', b - a));
			check_item(text + start + a, b - a);
		}
		start = end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	fuzz_target_file(data, size);
	fuzz_payloads(data, size);
	return 0;
}
