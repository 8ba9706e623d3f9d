/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Compact unwind tables from an object's CFI (.eh_frame, else .debug_frame),
 * read through elfutils: one row per change of the rule that finds the
 * caller's frame, sorted by address, in the layout the BPF unwinder reads
 * (struct memleak_unwind_row, bpf/memleak.h).
 */
#ifndef MEMLEAK_UNWIND_TABLES_H
#define MEMLEAK_UNWIND_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <libelf.h>
#include "memleak.h"

/* An executable PT_LOAD segment: how file offsets map to ELF addresses. */
struct unwind_segment {
	uint64_t vaddr, offset, filesz;
};

struct unwind_table {
	struct memleak_unwind_row *rows;
	size_t nrows, cap;
	struct unwind_segment segs[8];
	size_t nsegs;
	uint64_t covered_bytes;  /* code covered by CFI */
	uint64_t rbp_bytes;      /* of which the CFA is found through rbp */
};

/*
 * Build the table of the ELF object open on fd (not consumed).  Returns 0,
 * -ENOENT when the object has no CFI or no executable segment, -ETIME when
 * its CFI costs more than its time budget (crafted), or -errno.
 */
int unwind_table_build(int fd, struct unwind_table *t);

/*
 * The same in a child process that may use at most mem_bytes more memory
 * than the tracer maps and is killed past the time budget: libdw's CFI
 * interpreter sizes its register file by the highest register a crafted
 * instruction names (1.3 GB zeroed for one row of a 9 KB file).  What the
 * loader calls.  -ETIME when the child ran out of time, -ENOMEM of memory.
 */
int unwind_table_build_isolated(int fd, uint64_t mem_bytes, struct unwind_table *t);

/* Time a table may take: 1 s plus 1/8 s per MiB of code, at most 10 s. */
uint64_t unwind_table_budget_ns(uint64_t code_bytes);

/* The same from an object libelf already has (the fuzzer's: elf_memory). */
int unwind_table_build_elf(Elf *elf, struct unwind_table *t);

/*
 * Whether the object's code keeps frame pointers: most of its code finds
 * the CFA through rbp.  Code built without them uses rbp-based CFA only in
 * the few functions that need a frame (alloca, variable-length arrays).
 */
bool unwind_table_has_frame_pointers(const struct unwind_table *t);

/* The row in effect at ELF address pc, or NULL (for tests and user space). */
const struct memleak_unwind_row *unwind_table_lookup(const struct unwind_table *t,
						     uint64_t pc);

/*
 * Load bias of a mapping of the object: runtime address minus ELF address,
 * for a mapping at start of file offset pgoff.  False if pgoff is in no
 * executable segment.
 */
bool unwind_table_bias(const struct unwind_table *t, uint64_t start, uint64_t pgoff,
		       uint64_t *bias);

void unwind_table_free(struct unwind_table *t);

#endif
