/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Dropping one process generation's records from the kernel maps: after it
 * exited or exec'd, the BPF side never touches them again (new records use
 * a new generation), so deleting them from user space is race-free.
 */
#ifndef MEMLEAK_RECORDS_H
#define MEMLEAK_RECORDS_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "memleak.h"

/*
 * Delete the allocations and totals of every process generation in ids[n]
 * in one pass over each map (workers may exit by the hundred per second).
 * Returns the entries deleted or -errno.
 */
long records_drop(int allocs_fd, int totals_fd, const struct proc_id *ids, size_t n);

/* Outstanding bytes and allocations of (tgid, gen), from the totals map. */
int records_totals(int totals_fd, uint32_t tgid, uint32_t gen, uint64_t *bytes,
		   uint64_t *allocs);

#endif
