/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel addresses -> function+offset and module, from /proc/kallsyms
 * (-k: the kernel half of a kernel allocation's stack).  The file is the
 * kernel's, not a traced process's: read as it is, once, at start.
 */
#ifndef MEMLEAK_KALLSYMS_H
#define MEMLEAK_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kallsyms;

/*
 * Read the text symbols of /proc/kallsyms (path: another file, for
 * tests).  NULL with a one-line reason in err when it cannot be read or
 * its addresses are hidden (kernel.kptr_restrict).
 */
struct kallsyms *kallsyms_load(const char *path, char *err, size_t len);
void kallsyms_free(struct kallsyms *k);

/*
 * The function holding addr: its name, addr's offset in it, and its
 * module ("[kernel]" or "[name]").  False when no symbol covers addr.
 */
bool kallsyms_resolve(const struct kallsyms *k, uint64_t addr, const char **name,
		      uint64_t *offset, const char **module);

/* The address of the symbol name; false if unknown. */
bool kallsyms_addr(const struct kallsyms *k, const char *name, uint64_t *addr);

/*
 * The address range of the function name: from its address up to the
 * next higher symbol address.  False if unknown.
 */
bool kallsyms_range(const struct kallsyms *k, const char *name, uint64_t *start,
		    uint64_t *end);

#endif
