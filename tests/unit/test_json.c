/* SPDX-License-Identifier: MIT */
/* Unit tests of the JSON text writers (src/event/json.c). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "event/json.h"

/* The buffer holds exactly want, NUL-terminated. */
static void check_buf(const struct jbuf *b, const char *want)
{
	assert_false(b->oom);
	assert_non_null(b->p);
	assert_int_equal(b->len, strlen(want));
	assert_true(b->cap > b->len);
	assert_int_equal(b->p[b->len], '\0');
	assert_string_equal(b->p, want);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A tiny JSON string reader: s[0..len) must be exactly one string literal
 * (no raw control characters, only valid escapes, \u escapes below 0x100).
 * Writes the decoded bytes to out (room for len bytes) and returns their
 * count, or -1 when the text is not such a literal.
 */
static long json_unquote(const char *s, size_t len, char *out)
{
	size_t i = 1;
	long o = 0;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return -1;
	while (i < len - 1) {
		unsigned char c = (unsigned char)s[i++];

		if (c < 0x20 || c == '"')
			return -1;
		if (c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		if (i >= len - 1)
			return -1;
		c = (unsigned char)s[i++];
		switch (c) {
		case '"': case '\\': case '/':
			out[o++] = (char)c;
			break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u': {
			int v = 0;

			if (i + 4 > len - 1)
				return -1;
			for (int k = 0; k < 4; k++) {
				int h = hexval(s[i + (size_t)k]);

				if (h < 0)
					return -1;
				v = v << 4 | h;
			}
			if (v > 0xff)
				return -1;
			out[o++] = (char)v;
			i += 4;
			break;
		}
		default:
			return -1;
		}
	}
	return o;
}

/* jbuf_str(in) gives exactly want and reads back as in. */
static void check_str(const char *in, const char *want)
{
	struct jbuf b;
	char *dec;
	long n;

	jbuf_init(&b);
	jbuf_str(&b, in);
	check_buf(&b, want);
	dec = malloc(b.len + 1);
	assert_non_null(dec);
	n = json_unquote(b.p, b.len, dec);
	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(in));
	assert_memory_equal(dec, in, (size_t)n);
	free(dec);
	jbuf_free(&b);
}

static void test_init_free(void **state)
{
	struct jbuf b;

	(void)state;
	jbuf_init(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_false(b.oom);
	jbuf_free(&b);
	assert_null(b.p);
	/* An empty append still leaves a terminated, empty buffer. */
	jbuf_raw(&b, "", 0);
	check_buf(&b, "");
	jbuf_lit(&b, "abc");
	jbuf_char(&b, 'd');
	check_buf(&b, "abcd");
	jbuf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_non_null(b.p);
	jbuf_lit(&b, "x");
	check_buf(&b, "x");
	jbuf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.cap, 0);
	jbuf_free(&b); /* twice is harmless */
}

static void test_growth(void **state)
{
	struct jbuf b;
	char *want;
	size_t total = 0, last_cap = 0;
	const size_t rounds = 5000;

	(void)state;
	want = malloc(rounds * 8 + 1);
	assert_non_null(want);
	jbuf_init(&b);
	for (size_t i = 0; i < rounds; i++) {
		/* lengths 1..7 so appends straddle every capacity boundary */
		size_t n = i % 7 + 1;
		char piece[8];

		for (size_t k = 0; k < n; k++)
			piece[k] = (char)('a' + (i + k) % 26);
		jbuf_raw(&b, piece, n);
		memcpy(want + total, piece, n);
		total += n;
		assert_int_equal(b.len, total);
		assert_true(b.cap > b.len);
		assert_int_equal(b.p[b.len], '\0');
		if (b.cap != last_cap) {
			/* starts at 512, then doubles */
			assert_true(last_cap ? b.cap == 2 * last_cap : b.cap == 512);
			last_cap = b.cap;
		}
	}
	want[total] = '\0';
	check_buf(&b, want);

	/* reserve: afterwards more than n bytes are free (room for the NUL). */
	for (size_t n = 0; n < 3000; n += 211) {
		assert_true(jbuf_reserve(&b, n));
		assert_true(b.cap - b.len > n);
	}
	assert_true(jbuf_reserve(&b, b.cap * 3));
	assert_true(b.cap - b.len > last_cap * 3);
	check_buf(&b, want);

	/* A big single append. */
	jbuf_reset(&b);
	memset(want, 'z', rounds * 8);
	want[rounds * 8] = '\0';
	jbuf_lit(&b, want);
	check_buf(&b, want);
	free(want);
	jbuf_free(&b);
}

static void test_oom(void **state)
{
	struct jbuf b;

	(void)state;
	jbuf_init(&b);
	jbuf_lit(&b, "keep");
	/* A size that cannot be reached sets oom without allocating. */
	assert_false(jbuf_reserve(&b, SIZE_MAX - 16));
	assert_true(b.oom);
	assert_string_equal(b.p, "keep");
	/* Once oom, writers do nothing. */
	jbuf_lit(&b, "more");
	jbuf_str(&b, "s");
	jbuf_u64(&b, 1);
	jbuf_i64(&b, -1);
	jbuf_fixed(&b, 1.5, 1);
	jbuf_char(&b, 'c');
	assert_int_equal(b.len, 4);
	assert_false(jbuf_reserve(&b, 1));
	/* reset clears the flag */
	jbuf_reset(&b);
	assert_false(b.oom);
	jbuf_lit(&b, "ok");
	check_buf(&b, "ok");
	jbuf_free(&b);
}

static void test_str_escapes(void **state)
{
	(void)state;
	check_str("", "\"\"");
	check_str("plain text", "\"plain text\"");
	check_str("a\"b", "\"a\\\"b\"");
	check_str("a\\b", "\"a\\\\b\"");
	check_str("\"\\\"", "\"\\\"\\\\\\\"\"");
	check_str("/", "\"/\"");
	check_str("\n", "\"\\u000a\"");
	check_str("\t\r", "\"\\u0009\\u000d\"");
	check_str("\x01", "\"\\u0001\"");
	check_str("\x1f", "\"\\u001f\"");
	check_str(" ", "\" \"");
	check_str("~\x7f", "\"~\\u007f\"");
	/* UTF-8 passes through unchanged (é, €, 😀), as do other high bytes. */
	check_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	check_str("\x80\xff", "\"\x80\xff\"");
	/* Every byte 1..255 in one string. */
	{
		char in[256], want[2048];
		size_t o = 0;

		want[o++] = '"';
		for (int i = 1; i < 256; i++) {
			in[i - 1] = (char)i;
			if (i == '"' || i == '\\') {
				want[o++] = '\\';
				want[o++] = (char)i;
			} else if (i < 0x20 || i == 0x7f) {
				o += (size_t)snprintf(want + o, 7, "\\u%04x", i);
			} else {
				want[o++] = (char)i;
			}
		}
		in[255] = '\0';
		want[o++] = '"';
		want[o] = '\0';
		/* bytes 1..31 and DEL as 6 bytes, " and \ as 2, the rest as 1 */
		assert_int_equal(o, 32 * 6 + 2 * 2 + (255 - 34) + 2);
		check_str(in, want);
	}
}

/* A long string of worst-case bytes after existing content. */
static void test_str_worst_case(void **state)
{
	struct jbuf b;
	char *in;
	const size_t n = 3000;

	(void)state;
	in = malloc(n + 1);
	assert_non_null(in);
	memset(in, '\x01', n);
	in[n] = '\0';
	jbuf_init(&b);
	jbuf_lit(&b, "prefix:");
	jbuf_str(&b, in);
	assert_false(b.oom);
	assert_int_equal(b.len, 7 + 2 + 6 * n);
	assert_int_equal(b.p[b.len], '\0');
	assert_memory_equal(b.p, "prefix:\"\\u0001", 14);
	assert_memory_equal(b.p + b.len - 7, "\\u0001\"", 7);
	free(in);
	jbuf_free(&b);
}

static void test_u64(void **state)
{
	struct jbuf b;

	(void)state;
	jbuf_init(&b);
	jbuf_u64(&b, 0);
	check_buf(&b, "0");
	jbuf_reset(&b);
	jbuf_u64(&b, 7);
	jbuf_char(&b, ',');
	jbuf_u64(&b, 10);
	jbuf_char(&b, ',');
	jbuf_u64(&b, 1234567890);
	check_buf(&b, "7,10,1234567890");
	jbuf_reset(&b);
	jbuf_u64(&b, UINT64_MAX);
	check_buf(&b, "18446744073709551615");
	jbuf_reset(&b);
	jbuf_u64(&b, 10000000000000000000ULL);
	check_buf(&b, "10000000000000000000");
	jbuf_free(&b);
}

static void test_i64(void **state)
{
	struct jbuf b;

	(void)state;
	jbuf_init(&b);
	jbuf_i64(&b, 0);
	check_buf(&b, "0");
	jbuf_reset(&b);
	jbuf_i64(&b, -1);
	check_buf(&b, "-1");
	jbuf_reset(&b);
	jbuf_i64(&b, 42);
	check_buf(&b, "42");
	jbuf_reset(&b);
	jbuf_i64(&b, INT64_MAX);
	check_buf(&b, "9223372036854775807");
	jbuf_reset(&b);
	jbuf_i64(&b, INT64_MIN);
	check_buf(&b, "-9223372036854775808");
	jbuf_reset(&b);
	jbuf_i64(&b, INT64_MIN + 1);
	check_buf(&b, "-9223372036854775807");
	jbuf_free(&b);
}

static void check_fixed(double v, int decimals, const char *want)
{
	struct jbuf b;

	jbuf_init(&b);
	jbuf_fixed(&b, v, decimals);
	check_buf(&b, want);
	jbuf_free(&b);
}

static void test_fixed(void **state)
{
	(void)state;
	check_fixed(0, 1, "0.0");
	check_fixed(0, 4, "0.0000");
	check_fixed(1, 0, "1");
	check_fixed(1.25, 1, "1.2"); /* binary 1.25, round half to even */
	check_fixed(0.5, 4, "0.5000");
	check_fixed(12345.6789, 1, "12345.7");
	check_fixed(1.0 / 3, 4, "0.3333");
	check_fixed(0.99995, 3, "1.000");
	check_fixed(123.456, 3, "123.456");
	check_fixed(999999999999999872.0, 1, "999999999999999872.0");
	/* Out of range values (negative, huge, NaN, infinity) become 0. */
	check_fixed(-1, 1, "0.0");
	check_fixed(1e18, 2, "0.00");
	check_fixed(1e300, 1, "0.0");
	check_fixed(__builtin_nan(""), 4, "0.0000");
	check_fixed(__builtin_inf(), 1, "0.0");
	check_fixed(-__builtin_inf(), 1, "0.0");
}

/* An object put together from the writers reads as expected. */
static void test_object(void **state)
{
	struct jbuf b;

	(void)state;
	jbuf_init(&b);
	jbuf_char(&b, '{');
	jbuf_str(&b, "k\"ey");
	jbuf_char(&b, ':');
	jbuf_str(&b, "v\n");
	jbuf_lit(&b, ",\"n\":");
	jbuf_i64(&b, -5);
	jbuf_lit(&b, ",\"u\":");
	jbuf_u64(&b, 5);
	jbuf_lit(&b, ",\"f\":");
	jbuf_fixed(&b, 2.5, 2);
	jbuf_char(&b, '}');
	check_buf(&b, "{\"k\\\"ey\":\"v\\u000a\",\"n\":-5,\"u\":5,\"f\":2.50}");
	jbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_free),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_str_escapes),
		cmocka_unit_test(test_str_worst_case),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_i64),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
