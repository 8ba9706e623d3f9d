// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Streaming JSON writer; see json_writer.h. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include "out/json_writer.h"

void json_init(struct json_writer *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/* Write the comma due before a new value or key, if any. */
static void json_separate(struct json_writer *w)
{
	bool *empty;

	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0 || w->depth > JSON_MAX_DEPTH)
		return;
	empty = &w->empty[w->depth - 1];
	if (!*empty)
		putc(',', w->out);
	*empty = false;
}

static void json_open(struct json_writer *w, char c)
{
	json_separate(w);
	putc(c, w->out);
	/* Beyond the stack the depth is still counted so that ends balance. */
	if (w->depth < JSON_MAX_DEPTH)
		w->empty[w->depth] = true;
	else
		w->misuse = true;
	w->depth++;
}

static void json_close(struct json_writer *w, char c)
{
	if (w->depth == 0 || w->after_key) {
		w->misuse = true;
		w->after_key = false;
	}
	if (w->depth > 0)
		w->depth--;
	putc(c, w->out);
}

void json_object_begin(struct json_writer *w)
{
	json_open(w, '{');
}

void json_object_end(struct json_writer *w)
{
	json_close(w, '}');
}

void json_array_begin(struct json_writer *w)
{
	json_open(w, '[');
}

void json_array_end(struct json_writer *w)
{
	json_close(w, ']');
}

/*
 * Length of the well-formed UTF-8 sequence at s (Unicode table 3-7), or 0
 * if s[0] does not start one: stray continuation bytes, overlong forms,
 * surrogates, code points above U+10FFFF and truncated sequences.
 */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf; /* range allowed for s[1] */
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2)
		return 0;
	if (s[0] < 0xe0) {
		len = 2;
	} else if (s[0] < 0xf0) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] < 0xf5) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* One ASCII byte, escaped if JSON requires it (or, for DEL, if a terminal would). */
static void json_put_ascii(FILE *out, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", out);
		return;
	case '\\':
		fputs("\\\\", out);
		return;
	case '\n':
		fputs("\\n", out);
		return;
	case '\t':
		fputs("\\t", out);
		return;
	case '\r':
		fputs("\\r", out);
		return;
	case '\b':
		fputs("\\b", out);
		return;
	case '\f':
		fputs("\\f", out);
		return;
	}
	if (c < 0x20 || c == 0x7f)
		fprintf(out, "\\u%04x", c);
	else
		putc(c, out);
}

static void json_put_escaped(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	putc('"', out);
	while (i < len) {
		n = utf8_valid_len(s + i, len - i);
		if (n == 1) {
			json_put_ascii(out, s[i]);
		} else if (n > 1) {
			fwrite(s + i, 1, n, out);
		} else {
			/* Replace only this byte: the next one may start a valid sequence. */
			fputs("\\ufffd", out);
			n = 1;
		}
		i += n;
	}
	putc('"', out);
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->after_key || w->depth == 0 || w->depth > JSON_MAX_DEPTH)
		w->misuse = true;
	json_separate(w);
	json_put_escaped(w->out, key ? key : "", key ? strlen(key) : 0);
	putc(':', w->out);
	w->after_key = true;
}

void json_string_n(struct json_writer *w, const char *s, size_t len)
{
	if (!s) {
		json_null(w);
		return;
	}
	json_separate(w);
	json_put_escaped(w->out, s, len);
}

void json_string(struct json_writer *w, const char *s)
{
	json_string_n(w, s, s ? strlen(s) : 0);
}

void json_u64(struct json_writer *w, uint64_t v)
{
	json_separate(w);
	fprintf(w->out, "%" PRIu64, v);
}

void json_i64(struct json_writer *w, int64_t v)
{
	json_separate(w);
	fprintf(w->out, "%" PRId64, v);
}

void json_double(struct json_writer *w, double v, int max_decimals)
{
	/* DBL_MAX in %f is 309 digits; the decimals are capped below. */
	char buf[352];
	char *end;

	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	if (max_decimals < 0)
		max_decimals = 0;
	if (max_decimals > 9)
		max_decimals = 9;
	snprintf(buf, sizeof(buf), "%.*f", max_decimals, v);
	if (strchr(buf, '.')) {
		end = buf + strlen(buf) - 1;
		while (*end == '0')
			*end-- = '\0';
		if (*end == '.')
			*end = '\0';
	}
	json_separate(w);
	/* A tiny negative value rounds to "-0": same number, less surprising. */
	fputs(strcmp(buf, "-0") ? buf : "0", w->out);
}

void json_bool(struct json_writer *w, bool v)
{
	json_separate(w);
	fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	json_separate(w);
	fputs("null", w->out);
}

void json_string_field(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_string_n_field(struct json_writer *w, const char *key, const char *s, size_t len)
{
	json_key(w, key);
	json_string_n(w, s, len);
}

void json_u64_field(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

void json_i64_field(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_i64(w, v);
}

void json_i64_or_null_field(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	if (v < 0)
		json_null(w);
	else
		json_i64(w, v);
}

void json_double_field(struct json_writer *w, const char *key, double v, int max_decimals)
{
	json_key(w, key);
	json_double(w, v, max_decimals);
}

void json_bool_field(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_null_field(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_null(w);
}

void json_object_begin_field(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_object_begin(w);
}

void json_array_begin_field(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_array_begin(w);
}

int json_finish(struct json_writer *w)
{
	putc('\n', w->out);
	/* Consumers read records as they come (jq, log shippers): flush each one. */
	if (fflush(w->out) == EOF)
		return errno ? -errno : -EIO;
	if (ferror(w->out))
		return -EIO;
	if (w->misuse || w->depth != 0 || w->after_key)
		return -EINVAL;
	return 0;
}
