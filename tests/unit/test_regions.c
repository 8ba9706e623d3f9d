// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-process mapping interval set: exact cases and a model-checked fuzz. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/regions.h"

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t align_up(uint64_t x)
{
	uint64_t pg = page_size();

	return (x + pg - 1) & ~(pg - 1);
}

/* A mapping made by stack `stack`; the other fields derive from it. */
static struct region mk(uint64_t start, uint64_t end, int32_t stack)
{
	struct region r = {
		.start = start,
		.end = end,
		.stack_id = stack,
		.caller = 0x400000 + (uint64_t)stack * 0x10,
		.kind = MEMLEAK_KIND_MMAP,
		.backing = false,
		.ts_ns = 1000 + (uint64_t)stack,
	};
	return r;
}

/* Sorted, non-empty, non-overlapping, within the bound, merged. */
static void check_invariants(const struct region_set *s)
{
	size_t i;

	assert_true(s->n <= s->cap);
	assert_true(s->n <= s->max_regions);
	for (i = 0; i < s->n; i++) {
		assert_true(s->v[i].start < s->v[i].end);
		if (i + 1 == s->n)
			continue;
		assert_true(s->v[i].end <= s->v[i + 1].start);
		/* Touching neighbours must differ, or they would be merged. */
		if (s->v[i].end == s->v[i + 1].start) {
			const struct region *a = &s->v[i], *b = &s->v[i + 1];

			assert_false(a->stack_id == b->stack_id &&
				     a->caller == b->caller &&
				     a->kind == b->kind &&
				     a->backing == b->backing &&
				     a->ts_ns == b->ts_ns);
		}
	}
}

static void assert_region(const struct region_set *s, size_t i,
			  uint64_t start, uint64_t end, int32_t stack)
{
	struct region want = mk(start, end, stack);

	assert_true(i < s->n);
	assert_int_equal(s->v[i].start, start);
	assert_int_equal(s->v[i].end, end);
	assert_int_equal(s->v[i].stack_id, stack);
	assert_int_equal(s->v[i].caller, want.caller);
	assert_int_equal(s->v[i].ts_ns, want.ts_ns);
}

struct by_stack {
	int32_t stack;
	uint64_t bytes;
	unsigned int calls;
};

static int sum_stack(const struct region *r, void *ctx)
{
	struct by_stack *b = ctx;

	b->calls++;
	if (r->stack_id == b->stack)
		b->bytes += r->end - r->start;
	return 0;
}

static uint64_t stack_bytes(const struct region_set *s, int32_t stack)
{
	struct by_stack b = { .stack = stack };

	assert_int_equal(regions_foreach(s, sum_stack, &b), 0);
	return b.bytes;
}

static uint64_t total_bytes(const struct region_set *s)
{
	return regions_bytes(s, MEMLEAK_KIND_MMAP, false) +
	       regions_bytes(s, MEMLEAK_KIND_MMAP, true) +
	       regions_bytes(s, MEMLEAK_KIND_BRK, false) +
	       regions_bytes(s, MEMLEAK_KIND_BRK, true);
}

static void test_map_full_unmap(void **state)
{
	struct region_set s;
	struct region r = mk(0x1000, 0x5000, 1);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(s.max_regions, REGIONS_DEFAULT_MAX);
	assert_int_equal(regions_map(&s, &r), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(total_bytes(&s), 0x4000);
	assert_int_equal(regions_unmap(&s, 0x1000, 0x4000), 0x4000);
	assert_int_equal(s.n, 0);
	assert_int_equal(total_bytes(&s), 0);
	/* An empty range is no mapping. */
	r.end = r.start;
	assert_int_equal(regions_map(&s, &r), 0);
	assert_int_equal(s.n, 0);
	regions_free(&s);
}

static void test_unmap_middle_splits(void **state)
{
	struct region_set s;
	struct region r = mk(0x10000, 0x20000, 7);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_map(&s, &r), 0);
	assert_int_equal(regions_unmap(&s, 0x14000, 0x3000), 0x3000);
	check_invariants(&s);
	assert_int_equal(s.n, 2);
	assert_region(&s, 0, 0x10000, 0x14000, 7);
	assert_region(&s, 1, 0x17000, 0x20000, 7);
	assert_int_equal(stack_bytes(&s, 7), 0x10000 - 0x3000);
	/* Edges: trim the head, then the tail. */
	assert_int_equal(regions_unmap(&s, 0xf000, 0x2000), 0x1000);
	assert_int_equal(regions_unmap(&s, 0x1f000, 0x5000), 0x1000);
	assert_region(&s, 0, 0x11000, 0x14000, 7);
	assert_region(&s, 1, 0x17000, 0x1f000, 7);
	assert_int_equal(stack_bytes(&s, 7), 0x3000 + 0x8000);
	regions_free(&s);
}

static void test_unmap_spans_regions_and_gap(void **state)
{
	struct region_set s;
	struct region a = mk(0x1000, 0x3000, 1), b = mk(0x4000, 0x6000, 2),
		      c = mk(0x8000, 0xa000, 3);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_map(&s, &a), 0);
	assert_int_equal(regions_map(&s, &b), 0);
	assert_int_equal(regions_map(&s, &c), 0);
	/* Tail of a, all of b, head of c; the gaps count nothing. */
	assert_int_equal(regions_unmap(&s, 0x2000, 0x7000), 0x1000 + 0x2000 + 0x1000);
	check_invariants(&s);
	assert_int_equal(s.n, 2);
	assert_region(&s, 0, 0x1000, 0x2000, 1);
	assert_region(&s, 1, 0x9000, 0xa000, 3);
	/* Everything, from below the first to past the last. */
	assert_int_equal(regions_unmap(&s, 0, 0x100000), 0x2000);
	assert_int_equal(s.n, 0);
	regions_free(&s);
}

static void test_unmap_never_seen(void **state)
{
	struct region_set s;
	struct region a = mk(0x10000, 0x12000, 1), b = mk(0x20000, 0x22000, 2);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_unmap(&s, 0x10000, 0x1000), 0);	/* empty set */
	assert_int_equal(regions_map(&s, &a), 0);
	assert_int_equal(regions_map(&s, &b), 0);
	assert_int_equal(regions_unmap(&s, 0x1000, 0xf000), 0);	/* below, touching */
	assert_int_equal(regions_unmap(&s, 0x12000, 0xe000), 0);	/* the gap exactly */
	assert_int_equal(regions_unmap(&s, 0x22000, 0x1000), 0);	/* above, touching */
	assert_int_equal(regions_unmap(&s, 0x11000, 0), 0);		/* empty range */
	/* A bogus length saturates instead of wrapping around. */
	assert_int_equal(regions_unmap(&s, 0x30000, UINT64_MAX), 0);
	assert_int_equal(s.n, 2);
	assert_region(&s, 0, 0x10000, 0x12000, 1);
	assert_region(&s, 1, 0x20000, 0x22000, 2);
	assert_int_equal(s.dropped, 0);
	regions_free(&s);
}

static void test_map_fixed_replaces(void **state)
{
	struct region_set s;
	struct region a = mk(0x10000, 0x20000, 1), b = mk(0x20000, 0x30000, 2),
		      c = mk(0x18000, 0x24000, 3), d = mk(0x18000, 0x24000, 4),
		      e = mk(0x2a000, 0x2b000, 5), f = mk(0x0, 0x100000, 6);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_map(&s, &a), 0);
	assert_int_equal(regions_map(&s, &b), 0);
	/* Over the end of a and the start of b. */
	assert_int_equal(regions_map(&s, &c), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 3);
	assert_region(&s, 0, 0x10000, 0x18000, 1);
	assert_region(&s, 1, 0x18000, 0x24000, 3);
	assert_region(&s, 2, 0x24000, 0x30000, 2);
	/* Exactly over c. */
	assert_int_equal(regions_map(&s, &d), 0);
	assert_int_equal(s.n, 3);
	assert_region(&s, 1, 0x18000, 0x24000, 4);
	/* Inside b: b is split around it. */
	assert_int_equal(regions_map(&s, &e), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 5);
	assert_region(&s, 2, 0x24000, 0x2a000, 2);
	assert_region(&s, 3, 0x2a000, 0x2b000, 5);
	assert_region(&s, 4, 0x2b000, 0x30000, 2);
	assert_int_equal(stack_bytes(&s, 2), 0xb000);
	/* Over everything. */
	assert_int_equal(regions_map(&s, &f), 0);
	assert_int_equal(s.n, 1);
	assert_region(&s, 0, 0x0, 0x100000, 6);
	regions_free(&s);
}

static void test_merge_identical_neighbours(void **state)
{
	struct region_set s;
	struct region a = mk(0x1000, 0x2000, 1), b = a, c;

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_map(&s, &a), 0);
	/* Same stack, later mmap: a different mapping, not merged. */
	b.start = 0x2000;
	b.end = 0x3000;
	b.ts_ns++;
	assert_int_equal(regions_map(&s, &b), 0);
	assert_int_equal(s.n, 2);
	/* Identical and touching on either side: extended. */
	c = b;
	c.start = 0x3000;
	c.end = 0x4000;
	assert_int_equal(regions_map(&s, &c), 0);
	c = a;
	c.start = 0x0;
	c.end = 0x1000;
	assert_int_equal(regions_map(&s, &c), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 2);
	assert_region(&s, 0, 0x0, 0x2000, 1);
	assert_int_equal(s.v[1].start, 0x2000);
	assert_int_equal(s.v[1].end, 0x4000);
	/* A split re-joined (the hole moved away and back): one region again. */
	assert_int_equal(regions_remap(&s, 0x1000, 0x1000, 0x100000, 0x1000, NULL), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(regions_remap(&s, 0x100000, 0x1000, 0x1000, 0x1000, NULL), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 2);
	assert_region(&s, 0, 0x0, 0x2000, 1);
	regions_free(&s);
}

static void test_remap_grow_in_place(void **state)
{
	struct region_set s;
	struct region a = mk(0x10000, 0x12000, 1), g = mk(0, 0, 9);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_map(&s, &a), 0);
	assert_int_equal(regions_remap(&s, 0x10000, 0x2000, 0x10000, 0x5000, &g), 0);
	check_invariants(&s);
	/* The growth is the same mapping: one region, a's attribution. */
	assert_int_equal(s.n, 1);
	assert_region(&s, 0, 0x10000, 0x15000, 1);
	assert_int_equal(stack_bytes(&s, 9), 0);
	regions_free(&s);
}

static void test_remap_grow_move(void **state)
{
	struct region_set s;
	struct region a = mk(0x10000, 0x12000, 1), stale = mk(0x43000, 0x50000, 2),
		      g = mk(0, 0, 9);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_map(&s, &a), 0);
	/* A missed munmap left something at the destination: replaced. */
	assert_int_equal(regions_map(&s, &stale), 0);
	assert_int_equal(regions_remap(&s, 0x10000, 0x2000, 0x40000, 0x4000, &g), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 2);
	assert_region(&s, 0, 0x40000, 0x44000, 1);
	assert_region(&s, 1, 0x44000, 0x50000, 2);
	assert_int_equal(stack_bytes(&s, 1), 0x4000);
	regions_free(&s);
}

static void test_remap_shrink(void **state)
{
	struct region_set s;
	struct region a = mk(0x10000, 0x18000, 1), b = mk(0x20000, 0x28000, 2);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_map(&s, &a), 0);
	assert_int_equal(regions_map(&s, &b), 0);
	/* In place: the tail goes. */
	assert_int_equal(regions_remap(&s, 0x10000, 0x8000, 0x10000, 0x3000, NULL), 0);
	/* Shrink and move: the head moves, the rest goes. */
	assert_int_equal(regions_remap(&s, 0x20000, 0x8000, 0x60000, 0x2000, NULL), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 2);
	assert_region(&s, 0, 0x10000, 0x13000, 1);
	assert_region(&s, 1, 0x60000, 0x62000, 2);
	assert_int_equal(total_bytes(&s), 0x5000);
	regions_free(&s);
}

static void test_remap_partially_tracked(void **state)
{
	struct region_set s;
	struct region p = mk(0x10000, 0x12000, 1), q = mk(0x14000, 0x15000, 2),
		      g = mk(0, 0, 9);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_map(&s, &p), 0);
	assert_int_equal(regions_map(&s, &q), 0);
	/* Old [0x11000, 0x16000): half of p, a gap, q, a gap. */
	assert_int_equal(regions_remap(&s, 0x11000, 0x5000, 0x80000, 0x7000, &g), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 4);
	assert_region(&s, 0, 0x10000, 0x11000, 1);	/* left behind */
	assert_region(&s, 1, 0x80000, 0x81000, 1);	/* p's piece, same offset */
	assert_region(&s, 2, 0x83000, 0x84000, 2);	/* q, same offset */
	assert_region(&s, 3, 0x85000, 0x87000, 2);	/* growth: the last piece's */
	assert_int_equal(stack_bytes(&s, 1), 0x2000);
	assert_int_equal(stack_bytes(&s, 2), 0x3000);
	assert_int_equal(stack_bytes(&s, 9), 0);
	regions_free(&s);
}

static void test_remap_untracked_old(void **state)
{
	struct region_set s;
	struct region g = mk(0, 0, 9), a = mk(0x10000, 0x11000, 1);

	(void)state;
	regions_init(&s, 0);
	assert_int_equal(regions_map(&s, &a), 0);
	/* Old range never seen: only the growth is known, from grow_attr. */
	assert_int_equal(regions_remap(&s, 0x50000, 0x2000, 0x60000, 0x6000, &g), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 2);
	assert_region(&s, 1, 0x62000, 0x66000, 9);
	/* Without grow_attr the growth stays untracked. */
	assert_int_equal(regions_remap(&s, 0x70000, 0x1000, 0x70000, 0x3000, NULL), 0);
	assert_int_equal(s.n, 2);
	/* old_len 0 (duplicate of a shared mapping): the old stays. */
	assert_int_equal(regions_remap(&s, 0x10000, 0, 0x90000, 0x1000, &g), 0);
	assert_int_equal(s.n, 3);
	assert_region(&s, 0, 0x10000, 0x11000, 1);
	assert_region(&s, 2, 0x90000, 0x91000, 9);
	regions_free(&s);
}

static void test_brk_unaligned(void **state)
{
	const uint64_t base = 0x555500001234, top = 0x555500025000,
		       low = 0x555500010000;
	struct region_set s;
	struct region attr = mk(0, 0, 3);

	(void)state;
	regions_init(&s, 0);
	attr.kind = MEMLEAK_KIND_MMAP;	/* brk forces its own kind */
	assert_int_equal(regions_brk(&s, base, top, &attr), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].start, align_up(base));
	assert_int_equal(s.v[0].end, align_up(top));
	assert_int_equal(s.v[0].kind, MEMLEAK_KIND_BRK);
	assert_int_equal(s.v[0].stack_id, 3);
	assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_BRK, false),
			 align_up(top) - align_up(base));
	if (page_size() == 4096)
		assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_BRK, false), 0x23000);

	/* Within the same page: nothing moves. */
	assert_int_equal(regions_brk(&s, top, top - 0x10, &attr), 0);
	assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_BRK, false),
			 align_up(top) - align_up(base));

	assert_int_equal(regions_brk(&s, top - 0x10, low, &attr), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].start, align_up(base));
	assert_int_equal(s.v[0].end, align_up(low));
	assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_BRK, false),
			 align_up(low) - align_up(base));
	if (page_size() == 4096)
		assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_BRK, false), 0xe000);

	/* Grow again to an unaligned break: a second region, new attribution. */
	attr = mk(0, 0, 4);
	assert_int_equal(regions_brk(&s, low, low + 0x3001, &attr), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 2);
	assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_BRK, false),
			 align_up(low + 0x3001) - align_up(base));
	assert_int_equal(stack_bytes(&s, 4), align_up(low + 0x3001) - low);
	/* Unaligned shrink: the page holding the new break stays. */
	assert_int_equal(regions_brk(&s, low + 0x3001, low + 0x10, &attr), 0);
	assert_int_equal(stack_bytes(&s, 4), align_up(low + 0x10) - low);
	/* Back to the start: all gone. */
	assert_int_equal(regions_brk(&s, low + 0x10, base, &attr), 0);
	assert_int_equal(s.n, 0);
	regions_free(&s);
}

static void test_bound_and_dropped(void **state)
{
	struct region_set s;
	struct region r;
	int i;

	(void)state;
	regions_init(&s, 3);
	for (i = 0; i < 3; i++) {
		r = mk(0x10000 * (i + 1), 0x10000 * (i + 1) + 0x4000, i + 1);
		assert_int_equal(regions_map(&s, &r), 0);
	}
	/* Full: a new region is dropped and counted, not an error. */
	r = mk(0x80000, 0x82000, 9);
	assert_int_equal(regions_map(&s, &r), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.dropped, 1);
	assert_int_equal(s.dropped_bytes, 0x2000);
	/* Touching an identical neighbour costs no slot: stored. */
	r = mk(0x14000, 0x16000, 1);
	assert_int_equal(regions_map(&s, &r), 0);
	assert_int_equal(s.dropped, 1);
	assert_region(&s, 0, 0x10000, 0x16000, 1);
	/* A split needs a slot: the tail is dropped, the hole still counts. */
	assert_int_equal(regions_unmap(&s, 0x21000, 0x1000), 0x1000);
	check_invariants(&s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.dropped, 2);
	assert_int_equal(s.dropped_bytes, 0x2000 + 0x2000);
	assert_region(&s, 1, 0x20000, 0x21000, 2);
	/* Replacing in place needs no new slot. */
	r = mk(0x30000, 0x34000, 5);
	assert_int_equal(regions_map(&s, &r), 0);
	assert_int_equal(s.dropped, 2);
	assert_region(&s, 2, 0x30000, 0x34000, 5);
	assert_true(s.cap <= 3);
	/* Free empties but keeps the bound and counters. */
	regions_free(&s);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.max_regions, 3);
	assert_int_equal(s.dropped, 2);
	r = mk(0x1000, 0x2000, 1);
	assert_int_equal(regions_map(&s, &r), 0);
	assert_int_equal(s.n, 1);
	regions_free(&s);
}

static void test_bytes_by_kind_backing(void **state)
{
	struct region_set s;
	struct region r;

	(void)state;
	regions_init(&s, 0);
	r = mk(0x10000, 0x11000, 1);
	assert_int_equal(regions_map(&s, &r), 0);
	r = mk(0x20000, 0x22000, 2);
	r.backing = true;
	assert_int_equal(regions_map(&s, &r), 0);
	r = mk(0x30000, 0x34000, 3);
	r.kind = MEMLEAK_KIND_BRK;
	assert_int_equal(regions_map(&s, &r), 0);
	r = mk(0x40000, 0x48000, 4);
	r.kind = MEMLEAK_KIND_BRK;
	r.backing = true;
	assert_int_equal(regions_map(&s, &r), 0);
	assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_MMAP, false), 0x1000);
	assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_MMAP, true), 0x2000);
	assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_BRK, false), 0x4000);
	assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_BRK, true), 0x8000);
	assert_int_equal(regions_bytes(&s, MEMLEAK_KIND_MALLOC, false), 0);
	regions_free(&s);
}

static int stop_at_second(const struct region *r, void *ctx)
{
	unsigned int *calls = ctx;

	(void)r;
	return ++*calls == 2 ? 42 : 0;
}

static void test_foreach(void **state)
{
	struct region_set s;
	struct region r;
	unsigned int calls = 0;
	int i;

	(void)state;
	regions_init(&s, 0);
	for (i = 0; i < 4; i++) {
		r = mk(0x10000 * (i + 1), 0x10000 * (i + 1) + 0x1000 * (i + 1), i % 2);
		assert_int_equal(regions_map(&s, &r), 0);
	}
	assert_int_equal(stack_bytes(&s, 0), 0x1000 + 0x3000);
	assert_int_equal(stack_bytes(&s, 1), 0x2000 + 0x4000);
	assert_int_equal(regions_foreach(&s, stop_at_second, &calls), 42);
	assert_int_equal(calls, 2);
	regions_free(&s);
}

/*
 * Randomized operations against a page-granular reference model: owner[p]
 * is the attribution id of page p (0 = untracked).  The model is the plain
 * definition of each call; the set must agree page for page.
 */
#define FUZZ_PAGES 512		/* mmap area */
#define FUZZ_BRK_PAGES 64	/* heap area right above it */
#define FUZZ_TOTAL (FUZZ_PAGES + FUZZ_BRK_PAGES)
#define FUZZ_ATTRS 12
#define FUZZ_BASE 0x7f0000000000ULL

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t below(uint64_t n)
{
	return next() % n;
}

/*
 * Attribution id -> region fields.  Ids 2 to 6 each differ from id 1 in one
 * field only, so merging must compare every field.  Ids 5, 8, 9, 11 are brk.
 */
static const struct region fuzz_attrs[FUZZ_ATTRS + 1] = {
	[1] = { .stack_id = 1, .caller = 0x10, .kind = MEMLEAK_KIND_MMAP, .ts_ns = 100 },
	[2] = { .stack_id = 1, .caller = 0x10, .kind = MEMLEAK_KIND_MMAP, .ts_ns = 200 },
	[3] = { .stack_id = 1, .caller = 0x10, .kind = MEMLEAK_KIND_MMAP, .ts_ns = 100,
		.backing = true },
	[4] = { .stack_id = 1, .caller = 0x20, .kind = MEMLEAK_KIND_MMAP, .ts_ns = 100 },
	[5] = { .stack_id = 1, .caller = 0x10, .kind = MEMLEAK_KIND_BRK, .ts_ns = 100 },
	[6] = { .stack_id = 2, .caller = 0x10, .kind = MEMLEAK_KIND_MMAP, .ts_ns = 100 },
	[7] = { .stack_id = -1, .caller = 0, .kind = MEMLEAK_KIND_MMAP, .ts_ns = 300 },
	[8] = { .stack_id = 3, .caller = 0, .kind = MEMLEAK_KIND_BRK, .ts_ns = 400,
		.backing = true },
	[9] = { .stack_id = 4, .caller = 0x30, .kind = MEMLEAK_KIND_BRK, .ts_ns = 500 },
	[10] = { .stack_id = 5, .caller = 0x40, .kind = MEMLEAK_KIND_MMAP, .ts_ns = 600,
		 .backing = true },
	[11] = { .stack_id = 6, .caller = 0, .kind = MEMLEAK_KIND_BRK, .ts_ns = 700 },
	[12] = { .stack_id = 7, .caller = 0x50, .kind = MEMLEAK_KIND_MMAP, .ts_ns = 800 },
};

static struct region attr_of(int id)
{
	return fuzz_attrs[id];
}

static int id_of(const struct region *r)
{
	struct region a;
	int id;

	for (id = 1; id <= FUZZ_ATTRS; id++) {
		a = attr_of(id);
		if (a.stack_id == r->stack_id && a.caller == r->caller &&
		    a.kind == r->kind && a.backing == r->backing &&
		    a.ts_ns == r->ts_ns)
			return id;
	}
	return 0;
}

static uint64_t addr_of(uint64_t page)
{
	return FUZZ_BASE + page * page_size();
}

static void check_model(const struct region_set *s, const uint8_t *owner)
{
	uint64_t pg = page_size(), model_bytes[FUZZ_ATTRS + 1] = { 0 },
		 set_bytes[FUZZ_ATTRS + 1] = { 0 }, by_kb[2][2] = { { 0 } };
	uint8_t got[FUZZ_TOTAL] = { 0 };
	uint64_t p, first, last;
	struct region a;
	size_t i;
	int id;

	check_invariants(s);
	for (i = 0; i < s->n; i++) {
		id = id_of(&s->v[i]);
		assert_true(id > 0);
		assert_true(s->v[i].start >= FUZZ_BASE);
		assert_true((s->v[i].start - FUZZ_BASE) % pg == 0);
		assert_true((s->v[i].end - FUZZ_BASE) % pg == 0);
		first = (s->v[i].start - FUZZ_BASE) / pg;
		last = (s->v[i].end - FUZZ_BASE) / pg;
		assert_true(last <= FUZZ_TOTAL);
		for (p = first; p < last; p++)
			got[p] = id;
		set_bytes[id] += s->v[i].end - s->v[i].start;
	}
	for (p = 0; p < FUZZ_TOTAL; p++) {
		model_bytes[owner[p]] += pg;
		if (owner[p]) {
			a = attr_of(owner[p]);
			by_kb[a.kind == MEMLEAK_KIND_BRK][a.backing] += pg;
		}
	}
	for (id = 1; id <= FUZZ_ATTRS; id++)
		assert_int_equal(set_bytes[id], model_bytes[id]);
	assert_memory_equal(got, owner, FUZZ_TOTAL);
	assert_int_equal(regions_bytes(s, MEMLEAK_KIND_MMAP, false), by_kb[0][0]);
	assert_int_equal(regions_bytes(s, MEMLEAK_KIND_MMAP, true), by_kb[0][1]);
	assert_int_equal(regions_bytes(s, MEMLEAK_KIND_BRK, false), by_kb[1][0]);
	assert_int_equal(regions_bytes(s, MEMLEAK_KIND_BRK, true), by_kb[1][1]);
}

/* A page range [*start, *start + *len) inside the whole area. */
static void pick_range(uint64_t *start, uint64_t *len, uint64_t min_len,
		       uint64_t max_len)
{
	*start = below(FUZZ_TOTAL);
	*len = min_len + below(max_len - min_len + 1);
	if (*start + *len > FUZZ_TOTAL)
		*len = FUZZ_TOTAL - *start;
}

/* One random operation on both the set and the model. */
static void fuzz_step(struct region_set *s, uint8_t *owner, uint64_t *brk,
		      bool exact)
{
	uint64_t pg = page_size(), op = below(100), start, len, old, old_len,
		 new, new_len, nbrk, a, b, p, bytes;
	uint8_t copy[FUZZ_TOTAL], last = 0;
	struct region r;
	int id = 1 + below(FUZZ_ATTRS), grow_id;

	if (op < 35) {
		pick_range(&start, &len, 1, 32);
		r = attr_of(id);
		r.start = addr_of(start);
		r.end = addr_of(start + len);
		assert_int_equal(regions_map(s, &r), 0);
		memset(owner + start, id, len);
	} else if (op < 60) {
		pick_range(&start, &len, 0, 48);
		bytes = 0;
		for (p = start; p < start + len; p++)
			bytes += owner[p] ? pg : 0;
		if (exact)
			assert_int_equal(regions_unmap(s, addr_of(start), len * pg), bytes);
		else
			assert_true(regions_unmap(s, addr_of(start), len * pg) <= bytes);
		memset(owner + start, 0, len);
	} else if (op < 90) {
		pick_range(&old, &old_len, 0, 24);
		if (below(2)) {
			new = old;
			new_len = 1 + below(24);
			if (new + new_len > FUZZ_TOTAL)
				new_len = FUZZ_TOTAL - new;
		} else {
			pick_range(&new, &new_len, 1, 24);
		}
		grow_id = below(4) ? 1 + (int)below(FUZZ_ATTRS) : 0;
		r = attr_of(grow_id);
		assert_int_equal(regions_remap(s, addr_of(old), old_len * pg,
					       addr_of(new), new_len * pg,
					       grow_id ? &r : NULL), 0);
		memcpy(copy, owner + old, old_len);
		for (p = 0; p < old_len; p++)
			if (copy[p])
				last = copy[p];
		memset(owner + old, 0, old_len);
		memset(owner + new, 0, new_len);
		for (p = 0; p < new_len; p++)
			owner[new + p] = p < old_len ? copy[p] :
					 last ? last : grow_id;
	} else {
		/* The break moves anywhere in the heap area, unaligned. */
		nbrk = addr_of(FUZZ_PAGES) + below(FUZZ_BRK_PAGES * pg);
		do
			id = 1 + below(FUZZ_ATTRS);
		while (attr_of(id).kind != MEMLEAK_KIND_BRK);
		r = attr_of(id);
		r.kind = MEMLEAK_KIND_MMAP;	/* forced to BRK by the call */
		assert_int_equal(regions_brk(s, *brk, nbrk, &r), 0);
		a = (align_up(*brk) - FUZZ_BASE) / pg;
		b = (align_up(nbrk) - FUZZ_BASE) / pg;
		if (b > a)
			memset(owner + a, id, b - a);
		else
			memset(owner + b, 0, a - b);
		*brk = nbrk;
	}
}

static void test_random_vs_model(void **state)
{
	static const uint64_t seeds[] = { 1, 0x9e3779b97f4a7c15ULL, 20240601 };
	uint8_t owner[FUZZ_TOTAL];
	struct region_set s;
	uint64_t brk;
	size_t k, maxn;
	int i;

	(void)state;
	for (k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		rng = seeds[k];
		regions_init(&s, 0);
		memset(owner, 0, sizeof(owner));
		brk = addr_of(FUZZ_PAGES) + 0x234;
		maxn = 0;
		for (i = 0; i < 10000; i++) {
			fuzz_step(&s, owner, &brk, true);
			check_model(&s, owner);
			if (s.n > maxn)
				maxn = s.n;
		}
		assert_int_equal(s.dropped, 0);
		/* The ops must have built up some fragmentation to mean much. */
		assert_true(maxn >= 20);
		regions_free(&s);
	}
}

/* A tiny bound under the same load: loss is counted, never exceeded. */
static void test_random_bounded(void **state)
{
	uint8_t owner[FUZZ_TOTAL] = { 0 };
	struct region_set s;
	uint64_t brk = addr_of(FUZZ_PAGES) + 0x234, p;
	size_t j;
	int i;

	(void)state;
	rng = 7;
	regions_init(&s, 6);
	for (i = 0; i < 10000; i++) {
		fuzz_step(&s, owner, &brk, false);
		check_invariants(&s);
		assert_true(s.n <= 6);
		assert_true(s.cap <= 6);
		/*
		 * Attribution may differ once pieces are lost (a remap of a
		 * dropped range takes grow_attr), but nothing is invented:
		 * every tracked page is mapped in the model.
		 */
		for (j = 0; j < s.n; j++)
			for (p = s.v[j].start; p < s.v[j].end; p += page_size())
				assert_true(owner[(p - FUZZ_BASE) / page_size()]);
	}
	assert_true(s.dropped > 0);
	assert_true(s.dropped_bytes >= s.dropped * page_size());
	regions_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_full_unmap),
		cmocka_unit_test(test_unmap_middle_splits),
		cmocka_unit_test(test_unmap_spans_regions_and_gap),
		cmocka_unit_test(test_unmap_never_seen),
		cmocka_unit_test(test_map_fixed_replaces),
		cmocka_unit_test(test_merge_identical_neighbours),
		cmocka_unit_test(test_remap_grow_in_place),
		cmocka_unit_test(test_remap_grow_move),
		cmocka_unit_test(test_remap_shrink),
		cmocka_unit_test(test_remap_partially_tracked),
		cmocka_unit_test(test_remap_untracked_old),
		cmocka_unit_test(test_brk_unaligned),
		cmocka_unit_test(test_bound_and_dropped),
		cmocka_unit_test(test_bytes_by_kind_backing),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_random_vs_model),
		cmocka_unit_test(test_random_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
