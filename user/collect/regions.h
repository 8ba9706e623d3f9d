/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-process set of tracked address ranges: anonymous mappings and heap
 * (brk) growth, each attributed to the call stack that created it.  Fed from
 * mmap, munmap, mremap and brk events in the order the kernel delivers them,
 * so that a report can say "these stacks hold N bytes of mappings".
 *
 * Ranges are kept as a sorted, non-overlapping array searched by bisection:
 * processes have hundreds to a few thousand mappings, and an array is both
 * compact and fast to walk for the per-stack aggregation.  Neighbours with
 * identical attribution (all fields but start and end) are merged, so a
 * mapping split by munmap and re-joined, or grown in place, stays one entry.
 */
#ifndef MEMLEAK_REGIONS_H
#define MEMLEAK_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "memleak.h"

/* Bound on regions per process when none is given. */
#define REGIONS_DEFAULT_MAX 65536

struct region {
	uint64_t start, end;	/* [start, end), page aligned by the caller */
	int32_t stack_id;	/* kernel stack id, or MEMLEAK_STACK_LOST (-1) */
	uint64_t caller;	/* extra return address read at the syscall (0 = none) */
	uint32_t kind;		/* MEMLEAK_KIND_MMAP or MEMLEAK_KIND_BRK */
	bool backing;		/* made by the allocator inside a malloc call */
	uint64_t ts_ns;		/* when created (CLOCK_MONOTONIC ns) */
};

struct region_set {		/* one per process; sorted, non-overlapping */
	struct region *v;
	size_t n, cap;
	size_t max_regions;	/* bound; 0 = REGIONS_DEFAULT_MAX */
	/*
	 * Counted loss: regions (and their bytes) not stored because the
	 * bound was hit, or memory ran out where no error can be returned
	 * (the tail of a region split by munmap).  Cumulative.
	 */
	uint64_t dropped;
	uint64_t dropped_bytes;
};

/* Empty set holding at most max_regions regions (0 = default). */
void regions_init(struct region_set *s, size_t max_regions);

/*
 * Free the storage.  The set stays usable and empty, keeping its bound and
 * loss counters, so it doubles as "clear" when a process execs.
 */
void regions_free(struct region_set *s);

/*
 * mmap: store r.  Whatever r overlaps is removed first, as MAP_FIXED does
 * in the kernel (and as stale entries must be, if an unmap was missed).
 * An empty range is ignored.  Returns 0, or -ENOMEM with the set unchanged.
 * A region refused by the bound is counted in dropped, not an error.
 */
int regions_map(struct region_set *s, const struct region *r);

/*
 * munmap(start, len): remove [start, start + len), splitting regions that
 * straddle its edges; ranges never seen are ignored.  Returns the bytes
 * that were tracked and are now removed.  Cannot fail: a split piece that
 * cannot be stored is counted in dropped.
 */
uint64_t regions_unmap(struct region_set *s, uint64_t start, uint64_t len);

/*
 * mremap(old, old_len) -> (new_addr, new_len).  The tracked pieces of
 * [old, old + old_len) move to new_addr at the same offsets, keeping their
 * attribution; a shrink drops what lies past new_len.  A grow's new bytes
 * [new_addr + old_len, new_addr + new_len) belong to the same kernel mapping
 * as the last tracked piece of the old range, so they take its attribution
 * (timestamp included: the mapping's age is that of its creation); if no
 * byte of the old range was tracked, they take grow_attr's (NULL: leave
 * them untracked).  The destination is cleared first (MREMAP_FIXED).
 * new_addr may equal old (in-place grow or shrink).  old_len == 0 (the
 * kernel's duplicate-a-shared-mapping case) leaves the old range in place.
 * Returns 0, or -ENOMEM with the set unchanged.
 */
int regions_remap(struct region_set *s, uint64_t old, uint64_t old_len,
		  uint64_t new_addr, uint64_t new_len,
		  const struct region *grow_attr);

/*
 * The program break moved from old_brk to new_brk (raw values, before and
 * after the call).  The kernel maps the heap in whole pages up to
 * PAGE_ALIGN(brk), so growth stores [PAGE_ALIGN(old_brk),
 * PAGE_ALIGN(new_brk)) with attr's attribution and kind MEMLEAK_KIND_BRK,
 * and a shrink removes [PAGE_ALIGN(new_brk), PAGE_ALIGN(old_brk)).
 * Returns 0, or -ENOMEM with the set unchanged.
 */
int regions_brk(struct region_set *s, uint64_t old_brk, uint64_t new_brk,
		const struct region *attr);

/* Bytes held by regions of this kind and backing flag. */
uint64_t regions_bytes(const struct region_set *s, uint32_t kind, bool backing);

/*
 * Call cb for each region in address order (for aggregation by stack).
 * Stops at the first non-zero return of cb and returns it; else 0.
 * cb must not modify the set.
 */
int regions_foreach(const struct region_set *s,
		    int (*cb)(const struct region *r, void *ctx), void *ctx);

#endif
