/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding functions in an ELF object, through libelf. */
#ifndef MEMLEAK_ELF_SYMS_H
#define MEMLEAK_ELF_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

struct elf_func {
	const char *name;      /* in: function to find */
	bool found;            /* out: defined in this object */
	uint64_t file_offset;  /* out: where a uprobe goes */
	uint64_t size;         /* out: st_size */
};

struct elf_info {
	bool has_interp;        /* dynamically linked executable */
	char interp[256];       /* PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2 */
	bool has_symbols;       /* a .symtab or .dynsym with functions */
};

/*
 * Look up funcs[] in the object open at fd (.symtab, then .dynsym),
 * converting each address to the file offset a uprobe needs.  IFUNC
 * resolvers are not allocation functions and are skipped.  Returns the
 * number found, or -errno if the file is not a readable ELF object.
 */
int elf_find_funcs(int fd, struct elf_func *funcs, size_t n, struct elf_info *info);

/*
 * The same on an object libelf already has (elf_memory: the fuzzer's
 * input); -ENOEXEC when elf is NULL or not an ELF object.
 */
int elf_find_funcs_in(Elf *elf, struct elf_func *funcs, size_t n, struct elf_info *info);

/*
 * Call each(file_offset, ctx) for every function symbol defined in the
 * object open at fd (.symtab and .dynsym; one address may come twice):
 * every entry point other objects may call.  Returns 0 or -errno.
 */
int elf_each_func(int fd, void (*each)(uint64_t file_offset, void *ctx), void *ctx);

/* Any defined symbol (data or code): its ELF virtual address and size. */
struct elf_symbol {
	const char *name;      /* in */
	bool found;            /* out */
	uint64_t vaddr, size;  /* out: st_value, st_size */
};

/*
 * Look up syms[] (functions and data objects) in elf's .symtab, then
 * .dynsym.  Returns the number found, or -ENOEXEC if elf is no ELF object.
 */
int elf_find_symbols_in(Elf *elf, struct elf_symbol *syms, size_t n);

/*
 * The lowest PT_LOAD address, page aligned: where the object's mapping at
 * file offset 0 is, for the load bias.  0 or -ENOEXEC.
 */
int elf_first_load(Elf *elf, uint64_t *vaddr);

#endif
