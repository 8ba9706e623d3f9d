/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Address -> function+offset, module, file:line, through elfutils libdwfl.
 *
 * Modules are opened through /proc/PID/map_files (or /proc/PID/root) when a
 * process is added, so a process in another mount namespace, a deleted or
 * replaced library, and a process that exits during the run all resolve.
 */
#ifndef MEMLEAK_SYMBOLIZE_H
#define MEMLEAK_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "analyze/report.h"

struct symbolizer;

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);

/*
 * Also read source lines and inlined functions from separate debug files
 * (/usr/lib/debug, found by build id or .gnu_debuglink), not only from
 * objects that carry their DWARF.  Off by default: a distribution's debug
 * file is inflated whole and kept (libc's: ~15 MiB).  Symbol names come
 * from a debug file's symbol table either way.
 */
void symbolizer_use_debug_files(struct symbolizer *s, bool on);

/*
 * Read the modules of pid from /proc/PID/maps and open them.  Called at
 * attach; calling it again refreshes (dlopen).  Returns 0 or -errno.
 */
int symbolizer_add_process(struct symbolizer *s, pid_t pid);

/*
 * Make pid's one module the object in fd (consumed), named path and mapped
 * at base (where its file offset 0 is), in place of what /proc/PID/maps
 * shows: the fuzz harness's way in (tests/fuzz/fuzz_symbolize.c), so that
 * it drives the lookups production makes.  Returns 0 or -errno.
 */
int symbolizer_add_object(struct symbolizer *s, pid_t pid, int fd, const char *path,
			  uint64_t base);

/*
 * Drop what is kept for pid: its modules and resolved frames.  Called when
 * the process exited and no report will show its stacks again, so the
 * memory held follows the live processes, not the run's history.
 */
void symbolizer_forget(struct symbolizer *s, pid_t pid);

/*
 * Cheap identity of an address, stable across processes mapping the same
 * object: the module's path and the address relative to its load bias.
 * Returns false when the address is in no known module (after one refresh
 * if the process still exists).
 */
bool symbolizer_locate(struct symbolizer *s, pid_t pid, uint64_t addr,
		       const char **module, uint64_t *rel_addr);

/*
 * Fill f for a return address: symbol and offset, module, file and line of
 * the call (looked up at addr - 1).  Unknown fields are NULL / 0: file and
 * line for an object without DWARF of its own, unless debug files are used.
 * Strings stay valid until symbolizer_free().
 */
void symbolizer_resolve(struct symbolizer *s, pid_t pid, uint64_t addr,
			struct frame *f);

/* Functions inlined into one another at one address, at most. */
#define SYMBOLIZER_MAX_INLINE 8

/*
 * Like symbolizer_resolve, with the functions inlined at addr as frames of
 * their own before it (innermost first, inlined = true, file:line inside
 * each; the function's own frame then has the line of the inlined call).
 * Writes at most max frames; returns how many (>= 1 when max >= 1).
 */
size_t symbolizer_resolve_inline(struct symbolizer *s, pid_t pid, uint64_t addr,
				 struct frame *out, size_t max);

/* How a frame's function finds its caller, from the object's CFI. */
enum frame_rule {
	FRAME_UNKNOWN = 0, /* no CFI for it (JIT code, no .eh_frame) */
	FRAME_FP,          /* its CFA is rbp-based: it keeps a frame pointer */
	FRAME_NO_FP,       /* rsp-based or another rule: no frame pointer */
	FRAME_OUTERMOST,   /* the return address is undefined: nothing called it */
};

/* The rule at the return address addr (looked up at addr - 1). */
enum frame_rule symbolizer_frame_rule(struct symbolizer *s, pid_t pid, uint64_t addr);

#endif
