/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Age-filtered sums computed in the kernel (bpf/aggregate.bpf.c): one run
 * of a syscall program walks the live allocation records where they are
 * and sums those old enough per (process, stack); user space reads back
 * one entry per stack instead of copying every record (~250 ns each).
 * Only for maps small enough that the run stays short (a few ms).
 */
#ifndef MEMLEAK_AGGREGATE_USER_H
#define MEMLEAK_AGGREGATE_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "memleak.h"

/*
 * The live memory of one (process, stack, kind, generation): what the
 * kernel's sums, the user-space walk and the region sets all produce, and
 * what a snapshot (snapshot.h) is made of.
 */
struct snap_stack {
	struct stack_key key;
	uint64_t bytes;
	uint64_t count;
	uint64_t oldest_ts_ns;   /* 0 = unknown (totals only) */
	uint64_t caller;         /* mappings: return address read at the syscall */
	double wbytes, wcount;   /* sampled: the estimates being summed */
	/* Allocated since attach, freed or not (malloc kind; estimates when
	 * sampled): the pprof alloc_space/alloc_objects view. */
	uint64_t alloc_bytes, alloc_count;
};

struct aggregator;

/*
 * Load the program over the tracer's allocs and stats maps (their fds),
 * with room for max_stacks sums.  NULL with errno set when this kernel
 * cannot load or run it: reports then copy the records (same figures).
 */
struct aggregator *aggregator_new(int allocs_fd, int stats_fd, uint32_t max_stacks);

/*
 * Sum the records at least min_age_ns old at now_ns (CLOCK_MONOTONIC) per
 * (process, stack, kind, generation), exactly as the user-space walk does,
 * into a new array *stacks of *n entries (key, bytes, count, oldest_ts_ns;
 * NULL when none).  Returns 0; -ENOSPC when the sums did not fit (counted
 * in the stats map as MEMLEAK_STAT_AGGREGATE_FULL); -E2BIG when the map
 * holds more records than one run may visit, -ETIME when the run took
 * longer than it may (it is one non-preemptible system call: see
 * aggregate_types.h); or -errno.  On error nothing is returned and the
 * caller should walk the records itself.
 */
int aggregator_run(struct aggregator *a, uint64_t now_ns, uint64_t min_age_ns,
		   struct snap_stack **stacks, size_t *n);

/*
 * Whether a run over this many records may succeed: a report over more
 * reads them out in batches without trying (-E2BIG would waste a run).
 */
bool aggregator_fits(const struct aggregator *a, uint64_t records);

/*
 * Records one run may visit and time it may take (defaults
 * MEMLEAK_AGG_MAX_RECORDS, MEMLEAK_AGG_BUDGET_NS): for tests and benchmarks.
 */
void aggregator_set_limits(struct aggregator *a, uint64_t max_records, uint64_t budget_ns);

void aggregator_free(struct aggregator *a);

#endif
