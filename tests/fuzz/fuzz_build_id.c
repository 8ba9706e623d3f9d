// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * NT_GNU_BUILD_ID notes of the objects a target maps (pprof's mapping
 * ids): any note sizes, any number of note sections.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "symbols/build_id.h"
#include "fuzz_elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char hex[2 * 20 + 1], *image;
	Elf *elf = fuzz_elf_begin(data, size, &image);
	size_t len;

	if (!elf)
		return 0;
	memset(hex, 0, sizeof(hex));
	if (!build_id_of_elf(elf, hex, sizeof(hex))) {
		len = strnlen(hex, sizeof(hex));
		if (!len || len == sizeof(hex) || len % 2 || strspn(hex, "0123456789abcdef") != len)
			abort();
	}
	fuzz_elf_end(elf, image);
	return 0;
}
