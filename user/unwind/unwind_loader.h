/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Loads unwind tables into the BPF maps the unwinder reads
 * (bpf/unwind.bpf.c): one table per object file, built once and shared by
 * every process mapping it.  Bounded: the rows array has a fixed capacity
 * and at most MEMLEAK_UNWIND_MAX_OBJECTS objects are entered; an object
 * whose table does not fit is walked by frame pointers, and counted.
 */
#ifndef MEMLEAK_UNWIND_LOADER_H
#define MEMLEAK_UNWIND_LOADER_H

#include <stdint.h>
#include <sys/types.h>
#include "memleak.h"
#include "analyze/report.h"

struct unwinder;

/*
 * rows_fd: the BPF_F_MMAPABLE array of rows_cap rows; objects_fd: the
 * object map (file -> rows).  Returns NULL with errno set.
 */
struct unwinder *unwinder_new(enum memleak_unwind_mode mode, int rows_fd, uint32_t rows_cap,
			      int objects_fd);
void unwinder_free(struct unwinder *u);

/*
 * Load the tables of the objects pid maps executable that have none yet.
 * Call at attach and when its maps change (dlopen).  Returns 0 or -errno
 * (-ESRCH: the process is gone).
 */
int unwinder_update_process(struct unwinder *u, pid_t pid);

/* Load the table of the object at path (-c: before the command runs). */
int unwinder_add_file(struct unwinder *u, const char *path);

/* What the tables use so far (for the report footer). */
void unwinder_usage(const struct unwinder *u, struct unwind_usage *out);

/* "fp", "dwarf", "auto" or "fp-kernel". */
const char *unwind_mode_name(enum memleak_unwind_mode mode);

#endif
