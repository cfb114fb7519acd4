/* SPDX-License-Identifier: MIT */
/* JSON-RPC 2.0 for `fastport mcp`: one message in, its answer out, per the MCP lifecycle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastport.h"
#include "mcp/mcp.h"

/*
 * The revisions we speak, newest first. A client asking for one of them
 * gets it; any other gets our newest (the client then decides whether it
 * can go on). The differences that touch a tools-only server: 2025-11-25
 * wants bad tool arguments reported as tool errors (isError) rather than
 * as JSON-RPC errors; 2025-06-18 added titles and structuredContent, which
 * older clients ignore.
 */
static const char *const versions[] = { "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05" };

json_t *rpc_error(json_t *id, int code, const char *msg)
{
	return json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(),
			 "error", "code", code, "message", msg);
}

static json_t *rpc_result(json_t *id, json_t *result)
{
	return result ? json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", result) : NULL;
}

/* The answer as text, m->raw (if any) in place of its mark. Consumes a. */
static char *answer_text(struct mcp *m, json_t *a)
{
	char *text = a ? json_dumps(a, JSON_COMPACT) : NULL, *mark, *out = NULL;
	size_t ml = strlen("\"" MCP_RAW_MARK "\"");

	json_decref(a);
	if (!text || !m || !m->raw)
		goto out;
	mark = strstr(text, "\"" MCP_RAW_MARK "\"");
	if (!mark)
		goto out;
	if (asprintf(&out, "%.*s%s%s", (int)(mark - text), text, m->raw, mark + ml) < 0)
		out = NULL;
	free(text);
	text = out;
out:
	if (m) {
		free(m->raw);
		m->raw = NULL;
	}
	return text;
}

char *mcp_too_large(void)
{
	return answer_text(NULL, rpc_error(NULL, RPC_PARSE_ERROR, "message too large (the limit is 1 MiB)"));
}

static json_t *initialize(struct mcp *m, json_t *params)
{
	json_t *v = json_object_get(params, "protocolVersion");
	const char *want = json_string_value(v), *got = versions[0];

	for (size_t i = 0; want && i < sizeof(versions) / sizeof(versions[0]); i++)
		if (!strcmp(want, versions[i]))
			got = versions[i];
	snprintf(m->version, sizeof(m->version), "%s", got);
	m->initialized = true;
	return json_pack("{s:s,s:{s:{s:b}},s:{s:s,s:s,s:s},s:s}", "protocolVersion", got,
			 "capabilities", "tools", "listChanged", 0,
			 "serverInfo", "name", "fastport", "title", "fastport port scanner",
			 "version", fp_version(),
			 "instructions",
			 "Tools of one fastport sensor (a `fastport serve`). start_scan tasks a port "
			 "scan, which runs only within the sensor's allowed scope; get_scan reads its "
			 "state and counters (poll until complete, interrupted or failed); "
			 "get_findings reads its findings; get_changes reads exposure changes between "
			 "stored scans; list_scans lists the sensor's scans.");
}

/* A request (id given) or a notification (id NULL): its answer, or NULL. */
static json_t *dispatch(struct mcp *m, json_t *id, const char *method, json_t *params)
{
	char msg[MCP_ERR_MAX + 64];
	int code = 0;

	if (!id)
		return NULL; /* notifications/initialized, cancelled, ...: nothing to answer */
	if (params && !json_is_object(params))
		return rpc_error(id, RPC_INVALID_PARAMS, "params must be an object");
	if (!strcmp(method, "initialize")) {
		if (!json_is_string(json_object_get(params, "protocolVersion")))
			return rpc_error(id, RPC_INVALID_PARAMS, "initialize: protocolVersion (a string) is required");
		return rpc_result(id, initialize(m, params));
	}
	if (!strcmp(method, "ping"))
		return rpc_result(id, json_object());
	if (!strcmp(method, "tools/list"))
		return rpc_result(id, mcp_tools_list());
	if (!strcmp(method, "tools/call")) {
		json_t *name = json_object_get(params, "name"), *args = json_object_get(params, "arguments"), *r;

		if (!json_is_string(name))
			return rpc_error(id, RPC_INVALID_PARAMS, "tools/call: name (a string) is required");
		if (args && !json_is_object(args) && !json_is_null(args))
			return rpc_error(id, RPC_INVALID_PARAMS, "tools/call: arguments must be an object");
		msg[0] = '\0';
		r = mcp_tools_call(m, json_string_value(name), json_is_object(args) ? args : NULL,
				   &code, msg, sizeof(msg));
		if (!r && code)
			return rpc_error(id, code, msg);
		return r ? rpc_result(id, r) : rpc_error(id, RPC_INTERNAL_ERROR, "out of memory");
	}
	snprintf(msg, sizeof(msg), "method not found: %.200s", method);
	return rpc_error(id, RPC_METHOD_NOT_FOUND, msg);
}

static json_t *handle(struct mcp *m, const char *msg, size_t len)
{
	json_t *j, *id, *method, *out;
	json_error_t jerr;
	char reason[256];

	/* No duplicate members: which of two would count is left open by JSON. */
	j = json_loadb(msg, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!j) {
		snprintf(reason, sizeof(reason), "parse error: %s (at byte %d)", jerr.text, jerr.position);
		return rpc_error(NULL, RPC_PARSE_ERROR, reason);
	}
	if (json_is_array(j)) {
		/* Batches left JSON-RPC over MCP in 2025-06-18. */
		json_decref(j);
		return rpc_error(NULL, RPC_INVALID_REQUEST, "invalid request: batches are not supported");
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return rpc_error(NULL, RPC_INVALID_REQUEST, "invalid request: not an object");
	}
	/* An id is a string or an integer (MCP also rules out null). */
	id = json_object_get(j, "id");
	if (id && !json_is_string(id) && !json_is_integer(id)) {
		out = rpc_error(NULL, RPC_INVALID_REQUEST, "invalid request: id must be a string or an integer");
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(j, "jsonrpc")) ?: "", "2.0")) {
		out = rpc_error(id, RPC_INVALID_REQUEST, "invalid request: jsonrpc must be \"2.0\"");
		goto out;
	}
	method = json_object_get(j, "method");
	if (!method) {
		/* A response to a request of ours: we send none, so it is dropped. */
		out = id && (json_object_get(j, "result") || json_object_get(j, "error")) ? NULL :
			rpc_error(id, RPC_INVALID_REQUEST, "invalid request: no method");
		goto out;
	}
	if (!json_is_string(method)) {
		out = rpc_error(id, RPC_INVALID_REQUEST, "invalid request: method must be a string");
		goto out;
	}
	out = dispatch(m, id, json_string_value(method), json_object_get(j, "params"));
out:
	json_decref(j);
	return out;
}

char *mcp_handle(struct mcp *m, const char *msg, size_t len)
{
	return answer_text(m, handle(m, msg, len));
}
