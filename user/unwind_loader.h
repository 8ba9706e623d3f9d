/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Loads unwind tables into the BPF maps the unwinder reads
 * (bpf/unwind.bpf.h): one table per object, built once and shared by every
 * process mapping it, and per process the list of its mappings that have
 * one.  Everything is bounded: the rows array has a fixed capacity, an
 * object whose table does not fit is walked by frame pointers, and what did
 * not fit is counted.
 */
#ifndef MEMLEAK_UNWIND_LOADER_H
#define MEMLEAK_UNWIND_LOADER_H

#include <stdint.h>
#include <sys/types.h>
#include "memleak.h"
#include "report.h"

struct unwinder;

/*
 * rows_fd: the BPF_F_MMAPABLE array of rows_cap rows; procs_fd: the
 * per-process mapping lists.  Returns NULL with errno set.
 */
struct unwinder *unwinder_new(enum memleak_unwind_mode mode, int rows_fd, uint32_t rows_cap,
			      int procs_fd);
void unwinder_free(struct unwinder *u);

/*
 * (Re)list the table-backed executable mappings of pid from its maps,
 * building the tables of objects not seen before.  Call at attach and when
 * the maps change.  Returns 0 or -errno (-ESRCH: the process is gone).
 */
int unwinder_update_process(struct unwinder *u, pid_t pid);

/* What the tables use so far (for the report footer). */
void unwinder_usage(const struct unwinder *u, struct unwind_usage *out);

/* "fp", "dwarf", "auto" or "fp-kernel". */
const char *unwind_mode_name(enum memleak_unwind_mode mode);

#endif
