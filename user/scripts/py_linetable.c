// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The 3.11 location table is a sequence of entries, each covering a run of
 * code units.  An entry's first byte has its top bit set; bits 3-6 are its
 * form, bits 0-2 the run length minus one.  The line is kept as a delta
 * from the previous entry's line (the first from co_firstlineno):
 *
 *	form 15       no location: the line is unknown, the delta unchanged
 *	form 14       long: signed varint line delta, then three varints
 *	              (end line delta, column + 1, end column + 1)
 *	form 13       no column: signed varint line delta
 *	forms 10-12   one line: the delta is form - 10, two column bytes follow
 *	forms 0-9     short: same line, one column byte follows
 *
 * Varints are little-endian groups of 6 bits, bit 6 set when another group
 * follows; a signed varint keeps its sign in bit 0.  The table is read from
 * another process: every step is bounded by its length.
 */
#include <stdbool.h>
#include "scripts/py_linetable.h"

struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint32_t read_varint(struct cursor *c)
{
	uint32_t v = 0;
	unsigned int shift = 0;

	for (;;) {
		uint8_t b;

		if (c->p >= c->end || shift > 24) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		v |= (uint32_t)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			return v;
	}
}

static int32_t read_svarint(struct cursor *c)
{
	uint32_t v = read_varint(c);

	return v & 1 ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
}

/* Skip n bytes of columns. */
static void skip(struct cursor *c, size_t n)
{
	if ((size_t)(c->end - c->p) < n) {
		c->bad = true;
		return;
	}
	c->p += n;
}

int py_linetable_line(const uint8_t *table, size_t len, int firstlineno, uint32_t unit)
{
	struct cursor c = { .p = table, .end = table + len };
	int64_t line = firstlineno;
	uint32_t at = 0;

	while (c.p < c.end && !c.bad) {
		uint8_t first = *c.p++;
		unsigned int form = (first >> 3) & 15, run = (first & 7) + 1;
		bool known = true;

		if (!(first & 128))
			return 0; /* not the start of an entry: a bad table */
		switch (form) {
		case 15:
			known = false;
			break;
		case 14:
			line += read_svarint(&c);
			read_varint(&c);
			read_varint(&c);
			read_varint(&c);
			break;
		case 13:
			line += read_svarint(&c);
			break;
		case 10: case 11: case 12:
			line += form - 10;
			skip(&c, 2);
			break;
		default:
			skip(&c, 1);
			break;
		}
		if (c.bad)
			return 0;
		if (unit < at + run)
			return known && line > 0 && line <= INT32_MAX ? (int)line : 0;
		at += run;
	}
	return 0;
}
