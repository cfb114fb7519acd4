/* SPDX-License-Identifier: MIT */
/* STARTTLS dialogues: the commands and a bounded reader of their replies. */
#include <string.h>

#include "starttls.h"

enum starttls_proto starttls_for(const char *service)
{
	if (!strcmp(service, "smtp") || !strcmp(service, "submission"))
		return STARTTLS_SMTP;
	if (!strcmp(service, "imap"))
		return STARTTLS_IMAP;
	if (!strcmp(service, "pop3"))
		return STARTTLS_POP3;
	if (!strcmp(service, "ftp"))
		return STARTTLS_FTP;
	return STARTTLS_NONE;
}

const char *starttls_command(enum starttls_proto p, unsigned step)
{
	switch (p) {
	case STARTTLS_SMTP:
		return step == 1 ? "EHLO fastport.invalid\r\n" : step == 2 ? "STARTTLS\r\n" : NULL;
	case STARTTLS_IMAP:
		return step == 1 ? "fp1 STARTTLS\r\n" : NULL;
	case STARTTLS_POP3:
		return step == 1 ? "STLS\r\n" : NULL;
	case STARTTLS_FTP:
		return step == 1 ? "AUTH TLS\r\n" : NULL;
	default:
		return NULL;
	}
}

/* A reply of numbered lines (SMTP, FTP): "NNN-text" continues, "NNN text" ends. */
static int coded_reply(const uint8_t *b, size_t n, int want, size_t *used)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *nl = memchr(b + i, '\n', n - i);
		size_t len;
		int code;

		if (!nl)
			return STARTTLS_MORE;
		len = (size_t)(nl - (b + i));
		if (len < 3 || b[i] < '0' || b[i] > '9' || b[i + 1] < '0' || b[i + 1] > '9' ||
		    b[i + 2] < '0' || b[i + 2] > '9')
			return STARTTLS_FAIL;
		code = (b[i] - '0') * 100 + (b[i + 1] - '0') * 10 + (b[i + 2] - '0');
		if (len > 3 && b[i + 3] == '-') {
			i += len + 1;
			continue;
		}
		*used = i + len + 1;
		return code == want ? STARTTLS_OK : STARTTLS_FAIL;
	}
	return STARTTLS_MORE;
}

/* Lines until one starts with ok or bad (untagged "* " lines are skipped for IMAP). */
static int line_reply(const uint8_t *b, size_t n, const char *ok, const char *bad,
		      bool skip_untagged, size_t *used)
{
	size_t i = 0, okn = strlen(ok), badn = strlen(bad);

	while (i < n) {
		const uint8_t *nl = memchr(b + i, '\n', n - i);
		size_t len;

		if (!nl)
			return STARTTLS_MORE;
		len = (size_t)(nl - (b + i));
		if (len >= okn && !memcmp(b + i, ok, okn)) {
			*used = i + len + 1;
			return STARTTLS_OK;
		}
		if (len >= badn && !memcmp(b + i, bad, badn))
			return STARTTLS_FAIL;
		if (!(skip_untagged && len >= 2 && b[i] == '*' && b[i + 1] == ' '))
			return STARTTLS_FAIL;
		i += len + 1;
	}
	return STARTTLS_MORE;
}

int starttls_reply(enum starttls_proto p, unsigned step, const uint8_t *b, size_t n,
		   size_t *used)
{
	*used = 0;
	switch (p) {
	case STARTTLS_SMTP:
		return coded_reply(b, n, step == 0 ? 220 : step == 1 ? 250 : 220, used);
	case STARTTLS_FTP:
		return coded_reply(b, n, step == 0 ? 220 : 234, used);
	case STARTTLS_POP3:
		return line_reply(b, n, "+OK", "-ERR", false, used);
	case STARTTLS_IMAP:
		if (step == 0)
			return line_reply(b, n, "* OK", "* BYE", false, used);
		return line_reply(b, n, "fp1 OK", "fp1 ", true, used);
	default:
		return STARTTLS_FAIL;
	}
}
