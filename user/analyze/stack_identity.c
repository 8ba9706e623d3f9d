// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One stack identity for the history and the views; see stack_identity.h. */
#include <string.h>
#include "analyze/stack_identity.h"
#include "lib/util.h"

uint64_t stack_identity_begin(unsigned int kind, bool lost, bool truncated)
{
	uint64_t h = fnv1a_word(FNV1A_INIT, kind);

	return fnv1a_word(h, (uint64_t)lost | (uint64_t)truncated << 1);
}

uint64_t stack_identity_frame(uint64_t h, const char *module, uint64_t offset)
{
	/* The NUL ends the name: "ab" + x is not "a" + y. */
	if (module)
		h = fnv1a_bytes(h, module, strlen(module) + 1);
	else
		h = fnv1a_word(h, 0);
	return fnv1a_word(h, offset);
}

uint64_t stack_identity_end(uint64_t h)
{
	return h ? h : 1;
}

uint64_t stack_identity_script(const char *symbol, int line)
{
	const char *name = symbol ? symbol : "?";

	return fnv1a_word(fnv1a_bytes(FNV1A_INIT, name, strlen(name) + 1), (uint64_t)line);
}

uint64_t stack_identity(const struct stack_report *s)
{
	uint64_t h = stack_identity_begin(s->kind, s->stack_lost, s->truncated);
	size_t i;

	for (i = 0; i < s->nframes; i++) {
		const struct frame *f = &s->frames[i];

		if (f->inlined)
			continue;
		if (f->runtime != MEMLEAK_RUNTIME_NATIVE) {
			h = stack_identity_frame(h, f->file ? f->file : "?",
						 stack_identity_script(f->symbol, f->line));
			continue;
		}
		h = stack_identity_frame(h, f->module, f->module ? f->module_offset : f->addr);
	}
	return stack_identity_end(h);
}
