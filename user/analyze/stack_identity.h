/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The identity of a stack across reports and processes: a 64-bit hash of
 * its kind, whether it was lost or truncated, and each frame's module and
 * module-relative address (the absolute address where the module is not
 * known).  The same code in two processes, or in one process after ASLR,
 * has one identity.  The history (analysis.c) keys growth by it and the
 * --html and --live views follow stacks from report to report by it.
 *
 * Analysis hashes frames as it normalizes them, before symbolization:
 *
 *	uint64_t h = stack_identity_begin(kind, lost, truncated);
 *
 *	for (i = 0; i < n; i++)
 *		h = stack_identity_frame(h, modules[i], rels[i]);
 *	id = stack_identity_end(h);
 *
 * stack_identity() gives the same value from a symbolized stack_report.
 */
#ifndef MEMLEAK_STACK_IDENTITY_H
#define MEMLEAK_STACK_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>
#include "analyze/report.h"

uint64_t stack_identity_begin(unsigned int kind, bool lost, bool truncated);
/* module NULL: offset is the absolute address. */
uint64_t stack_identity_frame(uint64_t h, const char *module, uint64_t offset);
/* Never 0, which stays free to mean "none". */
uint64_t stack_identity_end(uint64_t h);

/*
 * What a script frame (report.h) counts as in place of a module-relative
 * address, with its file as the module: its function and line.
 */
uint64_t stack_identity_script(const char *symbol, int line);

/*
 * The identity of a report's stack.  Frames of functions inlined into the
 * next one share its address and are skipped: they were added by
 * symbolization, the stack analysis merged did not have them.
 */
uint64_t stack_identity(const struct stack_report *s);

#endif
