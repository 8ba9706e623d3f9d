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
#include "memleak.h"

struct snap_stack {
	struct stack_key key;
	uint64_t bytes;
	uint64_t count;
	uint64_t oldest_ts_ns;   /* 0 = unknown (totals only) */
	uint64_t caller;         /* mappings: return address read at the syscall */
	double wbytes, wcount;   /* sampled: the estimates being summed */
};

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

struct aggregator;

struct snapshot_source {
	int allocs_fd;
	int totals_fd;
	int stats_fd;
	/* --sample-bytes: records are samples, scaled into estimates; 0 = exact */
	uint64_t sample_bytes;
	/* Sums the age filter in the kernel (aggregate.h); NULL = walk the records */
	struct aggregator *agg;
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

/* Called with up to one batch of a map's entries; non-zero stops the walk. */
typedef int (*map_batch_fn)(const void *keys, const void *values, size_t n, void *ctx);

/*
 * Call fn on every entry of a hash map, a batch at a time, in memory of
 * one batch (batched lookups, with a one-key-at-a-time fallback).
 * Returns 0, fn's non-zero return, or -errno.
 */
int map_for_each_batch(int fd, size_t key_size, size_t value_size, map_batch_fn fn,
		       void *ctx);

/*
 * The same, deleting the entries as they are read (a hash map's batched
 * lookup-and-delete): the map is empty after a complete walk.  No fallback
 * for kernels without batch ops.
 */
int map_drain_batch(int fd, size_t key_size, size_t value_size, map_batch_fn fn, void *ctx);

/* Read every entry of a hash map into arrays the caller frees. Exposed for tests. */
int map_read_all(int fd, size_t key_size, size_t value_size, void **keys,
		 void **values, size_t *n);

#endif
