/* SPDX-License-Identifier: MIT */
/* The libcurl backend of `fastport mcp` (http.c): requests to serve's base URL with a bearer token. */
#ifndef FP_MCP_HTTP_H
#define FP_MCP_HTTP_H

#include "mcp/mcp.h"

struct mcp_http;

/*
 * A client of serve at url (http:// on loopback only, or https://, with
 * the CA certificates of cacert when not NULL), sending token as a bearer
 * token when not NULL. Fills be. Returns NULL with a reason in err for a
 * bad URL or no memory. curl_global_init() must have run.
 */
struct mcp_http *mcp_http_open(const char *url, const char *token, const char *cacert,
			       struct mcp_backend *be, char *err, size_t errlen);
void mcp_http_close(struct mcp_http *c);

#endif
