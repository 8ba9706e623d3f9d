/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a uprobe goes inside a function.  A uprobe replaces one instruction
 * with a breakpoint; after the BPF program ran, the kernel either emulates
 * that instruction (relative jumps and calls, conditional jumps, push of a
 * register) or single-steps a copy of it out of line, which on this kind of
 * machine costs several times more.  So a probe is moved forward to the
 * first instruction the kernel emulates, when everything before it leaves
 * the argument registers, the stack pointer and memory alone: the program
 * then sees the same arguments and the same return address at [sp] as at
 * the entry, and a return probe placed there still finds it.
 */
#ifndef MEMLEAK_PROBE_PLACE_H
#define MEMLEAK_PROBE_PLACE_H

#include <stdbool.h>
#include <stdint.h>

#define PROBE_PLACE_MAX_SKIP 4   /* instructions we are willing to step over */

struct probe_place {
	uint64_t offset;          /* file offset for the probe */
	unsigned int skipped;     /* instructions stepped over (0 = entry) */
	bool emulated;            /* the probed instruction is emulated */
	char insn[32];            /* its mnemonic, for -v */
	const char *why;          /* why the entry was kept, or NULL */
};

/*
 * Choose the probe offset for the function at file_off (st_size size) in
 * the object open at fd.  Never fails: whenever in doubt (unknown size,
 * undecodable code, a branch into the skipped instructions) the entry is
 * kept and why says so.
 */
void probe_place(int fd, uint64_t file_off, uint64_t size, struct probe_place *out);

/*
 * The same decision on code already in memory (code[0] is the entry).
 * Exposed for unit tests.
 */
void probe_place_code(const uint8_t *code, uint64_t size, uint64_t file_off,
		      struct probe_place *out);

/*
 * Unload the disassembler, which the first probe_place() after loads
 * again (~10 ms).  Call when a round of attaching is over.
 */
void probe_place_unload(void);

#endif
