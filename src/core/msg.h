/* SPDX-License-Identifier: MIT */
/*
 * Messages for a caller's error buffer: the (char *err, size_t errlen)
 * pair through which the scan core explains a failure in words, and the
 * safe quoting of untrusted input inside such a message.
 */
#ifndef FP_MSG_H
#define FP_MSG_H

#include "common.h"

/* Longest piece of input quoted in a message; a longer one is cut and
 * ends in "...". */
#define MSG_QUOTE_MAX 64
/* The buffer msg_quote() needs: the quote, "..." and the NUL. */
#define MSG_QUOTE_SIZE (MSG_QUOTE_MAX + 4)

/*
 * Formats into err, truncating to errlen bytes (always NUL-terminated).
 * Does nothing when err is NULL or errlen is 0, so callers that want no
 * message pass NULL, 0.
 */
void msg_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Copies at most MSG_QUOTE_MAX of the len bytes at s into q for a message,
 * each byte other than printable ASCII shown as '?' (so hostile input
 * cannot put terminal escapes in a message), with "..." when cut.
 * Returns q, NUL-terminated.
 */
const char *msg_quote(char q[static MSG_QUOTE_SIZE], const char *s, size_t len);

#endif
