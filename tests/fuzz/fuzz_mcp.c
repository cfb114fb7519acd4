/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for `fastport mcp` (src/mcp: rpc.c, tools.c, ndjson.c)
 * with a fake serve. Input: one byte choosing serve's HTTP status and how
 * its answer is cut into pieces, then a JSON-RPC message up to the first
 * newline, then serve's answer body. The message is answered once alone
 * (any answer must be one JSON-RPC object on one line), and the whole input
 * is also read as standard input would be, through the bounded line
 * splitter with a small limit, every line answered.
 */
#include <stdlib.h>
#include <string.h>

#include "mcp/rpc.c"
#include "mcp/tools.c"
#include "mcp/ndjson.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct fake {
	long status;
	size_t piece;
	const char *body;
	size_t len;
};

static int fake_request(void *ctx, const char *method, const char *path, const char *body,
			mcp_body_fn *fn, void *arg, long *status, char *err, size_t errlen)
{
	struct fake *f = ctx;

	CHECK(!strcmp(method, "GET") || !strcmp(method, "POST"));
	CHECK(path[0] == '/');
	for (const char *p = path; *p; p++)
		CHECK((unsigned char)*p > ' ' && *p != 0x7f);
	if (body) {
		json_t *j = json_loads(body, 0, NULL);

		CHECK(json_is_object(j));
		json_decref(j);
	}
	if (f->status < 0) {
		snprintf(err, errlen, "connection refused");
		return -1;
	}
	*status = f->status;
	for (size_t off = 0; off < f->len; off += f->piece) {
		size_t n = f->len - off < f->piece ? f->len - off : f->piece;

		if (!fn(arg, f->body + off, n))
			break;
	}
	return 0;
}

static json_t *load(const char *s, size_t n)
{
	json_error_t e;
	json_t *j = json_loadb(s, n, 0, &e);

	return j || strncmp(e.text, "too big ", 8) ? j : json_loadb(s, n, JSON_DECODE_INT_AS_REAL, NULL);
}

/*
 * Any answer: one JSON-RPC 2.0 object on one line, a result or an error;
 * a tool result's text is its structured content.
 */
static void answer_ok(char *s)
{
	json_t *a, *err, *res, *sc;

	if (!s)
		return;
	CHECK(!strchr(s, '\n'));
	a = load(s, strlen(s));
	CHECK(json_is_object(a));
	CHECK(!strcmp(json_string_value(json_object_get(a, "jsonrpc")), "2.0"));
	CHECK(!json_object_get(a, "result") != !json_object_get(a, "error"));
	err = json_object_get(a, "error");
	if (err) {
		CHECK(json_is_integer(json_object_get(err, "code")));
		CHECK(json_is_string(json_object_get(err, "message")));
	}
	res = json_object_get(a, "result");
	sc = json_object_get(res, "structuredContent");
	if (sc) {
		const char *t = json_string_value(json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
		json_t *tj;

		CHECK(json_is_object(sc) && t);
		tj = load(t, strlen(t));
		CHECK(json_equal(tj, sc));
		json_decref(tj);
	}
	json_decref(a);
	free(s);
}

static bool on_line(void *arg, const char *s, size_t n)
{
	struct mcp *m = arg;

	answer_ok(s ? mcp_handle(m, s, n) : mcp_too_large());
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[8] = { 200, 201, 400, 401, 403, 404, 500, -1 };
	struct fake f;
	struct mcp_backend be = { .request = fake_request, .ctx = &f, .url = "http://127.0.0.1:8700" };
	struct mcp m = { .be = &be };
	struct ndjson nd;
	const char *msg, *nl;
	size_t mlen;

	if (size < 1)
		return 0;
	f.status = statuses[data[0] & 7];
	f.piece = (size_t)(data[0] >> 3) + 1;
	msg = (const char *)data + 1;
	nl = memchr(msg, '\n', size - 1);
	mlen = nl ? (size_t)(nl - msg) : size - 1;
	f.body = nl ? nl + 1 : msg + mlen;
	f.len = size - 1 - mlen - (nl ? 1 : 0);
	/* Half the time as if initialized on a revision before 2025-11-25. */
	if (data[0] & 0x80)
		snprintf(m.version, sizeof(m.version), "2025-06-18");
	answer_ok(mcp_handle(&m, msg, mlen));

	if (ndjson_init(&nd, 256, on_line, &m) < 0)
		return 0;
	for (size_t off = 0; off < size; off += f.piece)
		if (!ndjson_feed(&nd, (const char *)data + off, size - off < f.piece ? size - off : f.piece))
			break;
	ndjson_finish(&nd);
	CHECK(nd.head_len < sizeof(nd.head));
	ndjson_free(&nd);
	return 0;
}
