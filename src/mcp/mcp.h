/* SPDX-License-Identifier: MIT */
/*
 * `fastport mcp`: a Model Context Protocol server on stdio whose tools task
 * and read a running `fastport serve` over its HTTP API.
 *
 * Layers, each testable alone: rpc.c reads newline-delimited JSON-RPC 2.0
 * messages (bounded) and answers them; tools.c is the table of tools, their
 * input schemas and annotations, and turns a tools/call into requests to
 * serve through a `struct mcp_backend`; http.c is that backend over libcurl.
 * The fuzz harness (tests/fuzz/fuzz_mcp.c) puts a fake backend under rpc.c
 * and tools.c. Nothing here writes to standard output but cmd_mcp.c's one
 * writer of JSON-RPC messages; diagnostics go to standard error.
 */
#ifndef FP_MCP_MCP_H
#define FP_MCP_MCP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define MCP_MSG_MAX (1u << 20)        /* one JSON-RPC message: bytes before its newline */
#define MCP_JSON_BODY_MAX (8u << 20)  /* a JSON answer of serve */
#define MCP_EVENT_LINE_MAX (64u << 10) /* one NDJSON event of serve */
#define MCP_EVENTS_MAX 10000          /* events one tool call returns at most */
#define MCP_ERR_MAX 512               /* a reason taken from serve's error body */
#define MCP_EVENTS_TEXT_MAX (4u << 20) /* the events one tool call returns, as JSON text */

/* JSON-RPC 2.0 error codes. */
enum {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL_ERROR = -32603,
};

/*
 * Receives the answer's body in pieces of any size; returns false to stop
 * the transfer (enough read, or a bound reached).
 */
typedef bool mcp_body_fn(void *arg, const char *p, size_t n);

/*
 * How tools reach serve. request() sends METHOD (GET, POST) to PATH (from
 * "/", query included, already escaped) with BODY (a JSON document, or
 * NULL for none), hands every byte of the answer's body to body(arg, ...)
 * until it returns false, and sets *status to the HTTP status. Returns 0
 * when an answer came (whatever its status, also when body() stopped it
 * early) or -1 when none did, with a one-line reason in err.
 */
struct mcp_backend {
	int (*request)(void *ctx, const char *method, const char *path, const char *body,
		       mcp_body_fn *body_fn, void *arg, long *status, char *err, size_t errlen);
	void *ctx;
	const char *url;    /* serve's base URL, for messages */
};

/*
 * The server's state across messages. raw carries, from a tool to
 * mcp_handle, a tool result's structuredContent as JSON text: serve's
 * events are passed on as serve wrote them, since jansson cannot hold
 * every JSON number they may carry (scan_started's 64-bit seed).
 */
struct mcp {
	const struct mcp_backend *be;
	bool initialized;   /* an initialize request was answered */
	char version[16];   /* the protocol revision agreed on */
	char *raw;
};

/*
 * The stand-in for m->raw in a tool result: a string no answer can hold
 * otherwise (parsed strings never contain NUL), replaced by the text when
 * the answer is written out.
 */
#define MCP_RAW_MARK "\\u0000fastport-raw"    /* as written out */
#define MCP_RAW_VALUE "\0fastport-raw"         /* the string's value (json_stringn) */
#define MCP_RAW_VALUE_LEN 13

/*
 * Answers one message (the bytes of one line, without its newline; any
 * bytes at all). Returns the JSON-RPC answer to write as one line of JSON
 * text without its newline (malloc'd), or NULL when the message needs none
 * (a notification, a response). An answer that cannot be built for lack of
 * memory is NULL too.
 */
char *mcp_handle(struct mcp *m, const char *msg, size_t len);

/* The answer to a line longer than MCP_MSG_MAX, whose bytes were skipped (malloc'd text). */
char *mcp_too_large(void);

/* A JSON-RPC error answer; id NULL for null. */
json_t *rpc_error(json_t *id, int code, const char *msg);

/* tools.c: the result of tools/list. */
json_t *mcp_tools_list(void);

/*
 * tools.c: runs a tool. Returns the CallToolResult (isError true for a
 * failure of the tool: bad arguments on revisions that want those as tool
 * errors, serve's refusals, serve out of reach), or NULL with *code and
 * msg set for a protocol error (unknown tool; bad arguments on revisions
 * before 2025-11-25).
 */
json_t *mcp_tools_call(struct mcp *m, const char *name, json_t *args, int *code, char *msg,
		       size_t msglen);

/*
 * A bounded line splitter for NDJSON bodies: feed() takes pieces of any
 * size and calls line() with each complete line (without "\n" or "\r\n");
 * a line longer than max is passed to line() as NULL (its bytes skipped).
 * line() returns false to stop; feed() then returns false too. finish()
 * passes a last line without a newline. The first bytes of the body are
 * kept in head (for an error answer, which is JSON, not NDJSON).
 */
struct ndjson {
	char *buf;
	size_t len, max;
	bool skipping;      /* inside a line that was too long */
	bool stopped;
	bool (*line)(void *arg, const char *s, size_t n);
	void *arg;
	char head[MCP_ERR_MAX * 2];
	size_t head_len;
};

int ndjson_init(struct ndjson *nd, size_t max, bool (*line)(void *, const char *, size_t), void *arg);
bool ndjson_feed(void *nd, const char *p, size_t n);
void ndjson_finish(struct ndjson *nd);
void ndjson_free(struct ndjson *nd);

#endif
