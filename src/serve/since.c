/* SPDX-License-Identifier: MIT */
/* The ?since= of GET /v1/changes, read strictly (since.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve/since.h"

static bool digits(const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static int num(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/* Days in month m (1..12) of year y, proleptic Gregorian. */
static int mdays(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

static enum since_kind parse_time(const char *s, char out[static 32])
{
	struct tm tm = { 0 };
	long usec = 0, scale = 100000;
	const char *p = s + 19;
	int y, mo, d, h, mi, sec, off = 0;
	time_t t;

	/* YYYY-MM-DDTHH:MM:SS, each field exactly as wide. */
	if (strlen(s) < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) ||
	    s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return SINCE_BAD;
	y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
	h = num(s + 11, 2), mi = num(s + 14, 2), sec = num(s + 17, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo) || h > 23 || mi > 59 || sec > 60)
		return SINCE_BAD;
	if (*p == '.') {
		if (!digits(p + 1, 1))
			return SINCE_BAD;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			usec += (*p - '0') * scale;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2) &&
		   num(p + 1, 2) <= 23 && num(p + 4, 2) <= 59) {
		off = num(p + 1, 2) * 3600 + num(p + 4, 2) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else {
		return SINCE_BAD;
	}
	if (*p)
		return SINCE_BAD;
	/* A leap second sorts as the second before the next minute's start. */
	tm = (struct tm){ .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			  .tm_min = mi, .tm_sec = sec == 60 ? 59 : sec };
	if (sec == 60)
		usec = 999999;
	t = timegm(&tm) - off;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return SINCE_BAD;
	if (strftime(out, 21, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		return SINCE_BAD;
	snprintf(out + 19, 13, ".%06ldZ", usec);
	return SINCE_TIME;
}

enum since_kind since_parse(const char *s, char out[static 32])
{
	size_t n = strlen(s);

	if (n >= 5 && s[4] == '-')
		return parse_time(s, out);
	if (n >= 4 && n <= SINCE_ID_MAX && strspn(s, "0123456789abcdef") == n)
		return SINCE_SCAN;
	return SINCE_BAD;
}
