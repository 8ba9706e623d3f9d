/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Dropping one process generation's records from the kernel maps: after it
 * exited or exec'd, the BPF side never touches them again (new records use
 * a new generation), so deleting them from user space is race-free.
 */
#ifndef MEMLEAK_RECORDS_H
#define MEMLEAK_RECORDS_H

#include <stdint.h>
#include <sys/types.h>

/* Delete (tgid, gen)'s allocations and totals.  Returns entries deleted or -errno. */
long records_drop(int allocs_fd, int totals_fd, uint32_t tgid, uint32_t gen);

/* Outstanding bytes and allocations of (tgid, gen), from the totals map. */
int records_totals(int totals_fd, uint32_t tgid, uint32_t gen, uint64_t *bytes,
		   uint64_t *allocs);

#endif
