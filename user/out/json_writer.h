/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small streaming JSON writer: values go straight to a FILE, commas are
 * placed automatically, strings are escaped per RFC 8259 and always come out
 * as valid UTF-8 whatever bytes they are given (symbol names are not
 * guaranteed to be UTF-8).
 *
 *	struct json_writer w;
 *
 *	json_init(&w, out);
 *	json_object_begin(&w);
 *	json_i64_field(&w, "pid", 42);
 *	json_array_begin_field(&w, "pids");
 *	json_i64(&w, 42);
 *	json_array_end(&w);
 *	json_object_end(&w);
 *	return json_finish(&w);
 */
#ifndef MEMLEAK_JSON_WRITER_H
#define MEMLEAK_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Deepest nesting of objects and arrays; the report needs 5. */
#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *out;
	unsigned int depth;
	/* Per open container: nothing written in it yet, so no comma due. */
	bool empty[JSON_MAX_DEPTH];
	/* A key was just written: the next value is its value, not an element. */
	bool after_key;
	/* Misuse (unbalanced, too deep, key outside an object): output invalid. */
	bool misuse;
};

void json_init(struct json_writer *w, FILE *out);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);

/* Member name inside an object; the next call writes its value. */
void json_key(struct json_writer *w, const char *key);

/* NULL writes null. */
void json_string(struct json_writer *w, const char *s);
/* len bytes of s, which may hold NULs (written as \u0000); NULL writes null. */
void json_string_n(struct json_writer *w, const char *s, size_t len);
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
/*
 * Fixed point with at most max_decimals digits after the point, trailing
 * zeros dropped (2.0 -> 2, 0.25 -> 0.25); NaN and infinities write null,
 * which JSON has no number for.
 */
void json_double(struct json_writer *w, double v, int max_decimals);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/*
 * Object members in one call: json_u64_field(w, "bytes", v) is
 * json_key(w, "bytes") then json_u64(w, v), and so on for each kind of value.
 */
void json_string_field(struct json_writer *w, const char *key, const char *s);
void json_string_n_field(struct json_writer *w, const char *key, const char *s, size_t len);
void json_u64_field(struct json_writer *w, const char *key, uint64_t v);
void json_i64_field(struct json_writer *w, const char *key, int64_t v);
/* A negative v writes null: how a count or size that is unknown is shown. */
void json_i64_or_null_field(struct json_writer *w, const char *key, int64_t v);
void json_double_field(struct json_writer *w, const char *key, double v, int max_decimals);
void json_bool_field(struct json_writer *w, const char *key, bool v);
void json_null_field(struct json_writer *w, const char *key);
/* "key":{ and "key":[ : close them with json_object_end and json_array_end. */
void json_object_begin_field(struct json_writer *w, const char *key);
void json_array_begin_field(struct json_writer *w, const char *key);

/*
 * End the record: newline, flush.  Returns 0, -EINVAL if the writer was
 * misused or a container is still open, or -errno from the stream.
 */
int json_finish(struct json_writer *w);

#endif
