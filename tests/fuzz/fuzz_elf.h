/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the ELF harnesses: the input as an ELF image in memory
 * (elf_memory), in a buffer of exactly its size so that AddressSanitizer
 * sees libelf's or our reads past the end.
 */
#ifndef FUZZ_ELF_H
#define FUZZ_ELF_H

#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* NULL when libelf refuses the image; else fuzz_elf_end frees both. */
static inline Elf *fuzz_elf_begin(const uint8_t *data, size_t size, char **image)
{
	Elf *elf;

	elf_version(EV_CURRENT);
	*image = malloc(size ? size : 1);
	if (!*image)
		abort();
	memcpy(*image, data, size);
	elf = elf_memory(*image, size);
	if (!elf)
		free(*image);
	return elf;
}

static inline void fuzz_elf_end(Elf *elf, char *image)
{
	elf_end(elf);
	free(image);
}

#endif
