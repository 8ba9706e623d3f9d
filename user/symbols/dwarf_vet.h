/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An object's DWARF read once in a child process before the tracer reads
 * it: the DWARF of a target's files is the target's to craft, and libdw
 * trusts it (recursion as deep as its DIEs nest, memory and time in
 * proportion to line rows a compressed section multiplies).
 */
#ifndef MEMLEAK_DWARF_VET_H
#define MEMLEAK_DWARF_VET_H

#include <elfutils/libdwfl.h>

/* A DIE nested deeper than this is refused: libdw walks scopes recursively. */
#define DWARF_VET_MAX_DEPTH	1024

/*
 * Read mod's DWARF as the symbolizer would (dwfl_module_getdwarf: its own
 * or its debug file's), every unit's line table, every DIE, in a child
 * limited in address space (the tracer's mapping plus mem_bytes) and in
 * user CPU time (a budget that grows with file_bytes), that dies with the
 * tracer.  Returns 0 when all of it fits and no DIE nests deeper than
 * DWARF_VET_MAX_DEPTH: then the tracer's own reading costs what the
 * child's did.  Else -ELOOP (too deep), -ETIME (budget spent), -EPIPE
 * (the child died: out of memory, a crash in libdw) or another -errno;
 * *what is a short reason for the one line the caller prints.
 */
int dwarf_vet(Dwfl_Module *mod, uint64_t file_bytes, uint64_t mem_bytes, const char **what);

#endif
