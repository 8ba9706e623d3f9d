// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CFI (.eh_frame, .debug_frame) of the objects a target maps, turned into
 * the unwind rows the BPF walker reads: rows sorted by address, lookups
 * and load biases on whatever the table holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "unwind/unwind_tables.h"
#include "fuzz_elf.h"

static void check_table(const struct unwind_table *t)
{
	uint64_t bias;
	size_t i;

	for (i = 1; i < t->nrows; i++)
		if (t->rows[i].pc <= t->rows[i - 1].pc)
			abort();
	if (t->rbp_bytes > t->covered_bytes)
		abort();
	unwind_table_has_frame_pointers(t);
	for (i = 0; i < t->nsegs; i++) {
		unwind_table_lookup(t, t->segs[i].vaddr);
		unwind_table_lookup(t, t->segs[i].vaddr + t->segs[i].filesz / 2);
		unwind_table_bias(t, 0x7f0000000000ull, t->segs[i].offset & ~4095ull, &bias);
	}
}

/*
 * The tracer reads CFI in a child whose address space is limited
 * (user/unwind/unwind_isolate.c): there, libdw's register file for a
 * crafted register number fails to allocate rather than zeroing gigabytes.
 * The same limit here, so the harness looks for what the child would
 * still suffer, not for what its limit already bounds.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "max_allocation_size_mb=256:allocator_may_return_null=1";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unwind_table t;
	char *image;
	Elf *elf = fuzz_elf_begin(data, size, &image);

	if (!elf)
		return 0;
	if (!unwind_table_build_elf(elf, &t)) {
		check_table(&t);
		unwind_table_free(&t);
	}
	fuzz_elf_end(elf, image);
	return 0;
}
