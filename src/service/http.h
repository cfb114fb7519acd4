/* SPDX-License-Identifier: MIT */
/* A bounded parser of the start of an HTTP/1.x response: status, Server, Location and the HTML title. */
#ifndef FP_SVC_HTTP_H
#define FP_SVC_HTTP_H

#include "svc.h"

/*
 * Parses the first n bytes of an answer. Returns true when they begin with
 * an HTTP/1.x status line ("HTTP/1.x NNN"), and then fills h: the status,
 * the Server and Location header values (the first of each, cut to their
 * field's size, control and 8-bit bytes dropped or shown as '?'), and the
 * text of the first <title> element found in the body (entities &amp; &lt;
 * &gt; &quot; &#39; decoded, white space collapsed). Header lines are read
 * only up to the blank line that ends them or the end of the bytes; lines
 * may end in CRLF or LF. Never reads beyond n.
 */
bool http_parse(const uint8_t *p, size_t n, struct svc_http *h);

#endif
