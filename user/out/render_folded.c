// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Folded stacks, the input of flamegraph.pl, inferno and speedscope: one
 * line per stack, frames outermost first joined by ';', a space, then the
 * outstanding bytes.  Mappings get an innermost pseudo-frame "[mmap]" or
 * "[brk]" so they stand apart from malloc in a flame graph, and a stack the
 * unwinder could not follow to its outermost frame an outermost
 * "[truncated]", so the graph shows where its callers are missing.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "out/render.h"

/* ';' separates frames and a newline ends the record: neither may appear. */
static void put_frame_text(FILE *out, const char *s)
{
	for (; *s; s++)
		putc(*s == ';' || (unsigned char)*s < 0x20 || *s == 0x7f ? '_' : *s, out);
}

static void put_frame(FILE *out, const struct frame *f)
{
	const char *base;

	if (f->symbol) {
		put_frame_text(out, f->symbol);
		return;
	}
	if (f->module) {
		base = strrchr(f->module, '/');
		put_frame_text(out, base ? base + 1 : f->module);
		fprintf(out, "+0x%" PRIx64, f->module_offset);
		return;
	}
	fprintf(out, "0x%" PRIx64, f->addr);
}

int render_folded(FILE *out, const struct report *r)
{
	size_t i, j;

	for (i = 0; i < r->nstacks; i++) {
		const struct stack_report *s = &r->stacks[i];
		bool first = true;

		if (!s->bytes)
			continue;
		if (s->truncated && s->nframes) {
			fputs("[truncated]", out);
			first = false;
		}
		for (j = s->nframes; j-- > 0; first = false) {
			if (!first)
				putc(';', out);
			put_frame(out, &s->frames[j]);
		}
		if (s->stack_lost || !s->nframes) {
			fputs(first ? "[stack lost]" : ";[stack lost]", out);
			first = false;
		}
		if (s->kind != MEMLEAK_KIND_MALLOC)
			fprintf(out, ";[%s%s%s]", kind_name(s->kind), s->slab_cache[0] ? " " : "",
				s->slab_cache);
		fprintf(out, " %" PRIu64 "\n", s->bytes);
	}
	return fflush(out) == EOF || ferror(out) ? -(errno ? errno : EIO) : 0;
}
