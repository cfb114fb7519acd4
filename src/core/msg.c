/* SPDX-License-Identifier: MIT */
/* Writing and quoting the messages that explain a failure to the caller. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"

void msg_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *msg_quote(char q[static MSG_QUOTE_SIZE], const char *s, size_t len)
{
	size_t n = len < MSG_QUOTE_MAX ? len : MSG_QUOTE_MAX;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		q[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < len) {
		memcpy(q + n, "...", 3);
		n += 3;
	}
	q[n] = '\0';
	return q;
}
