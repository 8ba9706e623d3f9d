/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Snapshot: one consistent-enough read of the BPF maps, taken without
 * touching the traced process.  Batched map reads keep it to a few system
 * calls even with a million live allocations.
 */
#ifndef MEMLEAK_SNAPSHOT_H
#define MEMLEAK_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "collect/aggregate.h"
#include "memleak.h"

/* A snapshot is sums per (process, stack): struct snap_stack (aggregate.h). */
struct snapshot {
	uint64_t now_ns;                 /* CLOCK_MONOTONIC when read */
	struct snap_stack *totals;       /* every (process, stack) with live memory */
	size_t ntotals;
	struct snap_stack *stacks;       /* those allocations passing the age filter */
	size_t nstacks;
	bool aged;                       /* stacks come from walking allocations */
	bool estimated;                  /* malloc figures are sampled estimates */
	uint64_t stats[MEMLEAK_STAT__MAX];
};

struct snapshot_source {
	int allocs_fd;
	int kallocs_fd;     /* -k: kernel records (struct kalloc_info); 0 = none */
	/* -k without a target, --sample-bytes: a kernel block of size bytes was
	 * recorded with probability min(1, size / this); 0 = every one */
	uint64_t kernel_sample_bytes;
	int totals_fd;
	int stats_fd;
	/* --sample-bytes: records are samples, scaled into estimates; 0 = exact */
	uint64_t sample_bytes;
	/* Sums the age filter in the kernel (aggregate.h); NULL = walk the records */
	struct aggregator *agg;
	/* The tracer's pid namespace: keys get its pids (procs/pidns.h); NULL = host's */
	const struct pid_view *view;
};

/*
 * What one sampled block of size bytes stands for, taken with probability
 * p = 1 - exp(-size / period): 1/p blocks and size/p bytes on average, which
 * makes the sums unbiased estimates of the true ones.
 */
double sample_weight(uint64_t size, uint64_t period);

/*
 * Read the maps.  With min_age_ms > 0 only the live allocations at least
 * that old are aggregated into stacks (in the kernel when src->agg can,
 * else by reading every record); otherwise the running totals are used as
 * they are.  Returns 0 or -errno.
 */
int snapshot_take(const struct snapshot_source *src, uint64_t min_age_ms,
		  struct snapshot *s);
void snapshot_free(struct snapshot *s);

#endif
