// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ELF symbol tables of the objects a target maps (its executable, its
 * libraries: files it may have written itself): the lookup of allocator
 * functions and of PT_INTERP that places the uprobes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "probes/elf_syms.h"
#include "fuzz_elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_func funcs[] = {
		{ .name = "malloc" }, { .name = "free" }, { .name = "calloc" },
		{ .name = "realloc" }, { .name = "_Znwm" }, { .name = "mmap" },
	};
	size_t nfuncs = sizeof(funcs) / sizeof(funcs[0]);
	struct elf_info info;
	char *image;
	Elf *elf = fuzz_elf_begin(data, size, &image);
	int found;

	if (!elf)
		return 0;
	found = elf_find_funcs_in(elf, funcs, nfuncs, &info);
	if (found > (int)nfuncs || (info.has_interp && strnlen(info.interp,
			sizeof(info.interp)) == sizeof(info.interp)))
		abort();
	fuzz_elf_end(elf, image);
	return 0;
}
