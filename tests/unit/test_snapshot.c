// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Snapshot and analysis on real kernel maps filled with known records:
 * batched reads across many batches, the age filter, per-process totals,
 * merging, ranking and the top-N cut.  Needs root (creates BPF maps).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "analyze/analysis.h"
#include "analyze/history.h"
#include "collect/map_batch.h"
#include "collect/records.h"
#include "lib/util.h"
#include "symbols/symbolize.h"

struct maps {
	int allocs, totals, stats, stacks;
};

static int setup(void **state)
{
	struct maps *m = calloc(1, sizeof(*m));

	m->allocs = bpf_map_create(BPF_MAP_TYPE_HASH, "t_allocs", sizeof(struct alloc_key),
				   sizeof(struct alloc_info), 100000, NULL);
	m->totals = bpf_map_create(BPF_MAP_TYPE_HASH, "t_totals", sizeof(struct stack_key),
				   sizeof(struct stack_total), 1024, NULL);
	m->stats = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_stats", 4, 8,
				  MEMLEAK_STAT__MAX, NULL);
	m->stacks = bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, "t_stacks", 4,
				   MEMLEAK_MAX_STACK_DEPTH * 8, 16, NULL);
	assert_true(m->allocs >= 0 && m->totals >= 0 && m->stats >= 0 && m->stacks >= 0);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct maps *m = *state;

	close(m->allocs);
	close(m->totals);
	close(m->stats);
	close(m->stacks);
	free(m);
	return 0;
}

static void put_alloc(struct maps *m, uint32_t tgid, uint64_t addr, uint64_t size,
		      uint64_t ts, int32_t stack)
{
	struct alloc_key k = { .tgid = tgid, .addr = addr };
	struct alloc_info v = { .size = size, .ts_ns = ts, .stack_id = stack };

	assert_int_equal(bpf_map_update_elem(m->allocs, &k, &v, BPF_ANY), 0);
}

static void put_total(struct maps *m, uint32_t tgid, int32_t stack, uint64_t bytes,
		      uint64_t count)
{
	struct stack_key k = { .tgid = tgid, .stack_id = stack };
	struct stack_total v = { .bytes = bytes, .count = count };

	assert_int_equal(bpf_map_update_elem(m->totals, &k, &v, BPF_ANY), 0);
}

/* 10000 entries: several batches of the batched reader. */
static void test_map_read_all_batches(void **state)
{
	struct maps *m = *state;
	struct alloc_key *keys;
	struct alloc_info *vals;
	uint64_t sum = 0, want = 0;
	size_t n, i;

	for (i = 0; i < 10000; i++) {
		put_alloc(m, 7, 0x1000 + i * 16, i, 1, -1);
		want += i;
	}
	assert_int_equal(map_read_all(m->allocs, sizeof(*keys), sizeof(*vals),
				      (void **)&keys, (void **)&vals, &n), 0);
	assert_int_equal(n, 10000);
	for (i = 0; i < n; i++)
		sum += vals[i].size;
	assert_int_equal(sum, want);
	free(keys);
	free(vals);
}

static void test_age_filter_and_totals(void **state)
{
	struct maps *m = *state;
	struct snapshot_source src = { .allocs_fd = m->allocs, .totals_fd = m->totals, .stats_fd = m->stats };
	uint64_t now = mono_ns(), sec = 1000000000ULL;
	struct snapshot s;
	size_t i;

	/* pid 7, lost stack: 3 old blocks (1000 B) and 2 young ones. */
	put_alloc(m, 7, 0xa0, 100, now - 10 * sec, -1);
	put_alloc(m, 7, 0xb0, 400, now - 3 * sec, -1);
	put_alloc(m, 7, 0xc0, 500, now - 2 * sec, -1);
	put_alloc(m, 7, 0xd0, 9000, now - sec / 10, -1);
	put_alloc(m, 7, 0xe0, 9000, now + sec, -1);
	put_total(m, 7, -1, 19000, 5);
	put_total(m, 8, -1, 0, 0); /* emptied: must not appear */

	assert_int_equal(snapshot_take(&src, 1000, &s), 0);
	assert_true(s.aged);
	assert_int_equal(s.nstacks, 1);
	assert_int_equal(s.stacks[0].bytes, 1000);
	assert_int_equal(s.stacks[0].count, 3);
	assert_int_equal(s.stacks[0].oldest_ts_ns, now - 10 * sec);
	assert_int_equal(s.ntotals, 1);
	assert_int_equal(s.totals[0].bytes, 19000);
	for (i = 0; i < MEMLEAK_STAT__MAX; i++)
		assert_int_equal(s.stats[i], 0);
	snapshot_free(&s);

	/* Without an age filter the totals are the stacks. */
	assert_int_equal(snapshot_take(&src, 0, &s), 0);
	assert_false(s.aged);
	assert_int_equal(s.nstacks, 1);
	assert_int_equal(s.stacks[0].bytes, 19000);
	snapshot_free(&s);
}

/*
 * What each stack allocated since attach comes from the kernel's totals
 * whichever way the stacks were summed: as they are, by the age filter,
 * or as sampled estimates (scaled like a block of the mean sampled size).
 */
static void test_cumulative_totals(void **state)
{
	struct maps *m = *state;
	struct snapshot_source src = { .allocs_fd = m->allocs, .totals_fd = m->totals,
				       .stats_fd = m->stats };
	struct stack_key k = { .tgid = 7, .stack_id = -1 };
	struct stack_total v = { .bytes = 500, .count = 1, .alloc_bytes = 5000, .alloc_count = 10 };
	uint64_t now = mono_ns(), sec = 1000000000ULL;
	struct snapshot s;
	double w;

	put_alloc(m, 7, 0xa0, 500, now - 10 * sec, -1);
	assert_int_equal(bpf_map_update_elem(m->totals, &k, &v, BPF_ANY), 0);
	assert_int_equal(snapshot_take(&src, 0, &s), 0);
	assert_int_equal(s.nstacks, 1);
	assert_int_equal(s.stacks[0].alloc_bytes, 5000);
	assert_int_equal(s.stacks[0].alloc_count, 10);
	snapshot_free(&s);

	assert_int_equal(snapshot_take(&src, 1000, &s), 0);
	assert_true(s.aged);
	assert_int_equal(s.nstacks, 1);
	assert_int_equal(s.stacks[0].bytes, 500);
	assert_int_equal(s.stacks[0].alloc_bytes, 5000);
	assert_int_equal(s.stacks[0].alloc_count, 10);
	snapshot_free(&s);

	src.sample_bytes = 4096;
	w = sample_weight(500, 4096);
	assert_int_equal(snapshot_take(&src, 0, &s), 0);
	assert_int_equal(s.nstacks, 1);
	assert_int_equal(s.stacks[0].alloc_bytes, (uint64_t)llround(w * 5000));
	assert_int_equal(s.stacks[0].alloc_count, (uint64_t)llround(w * 10));
	snapshot_free(&s);
}

static void test_analysis_ranks_and_cuts(void **state)
{
	struct maps *m = *state;
	struct snapshot_source src = { .allocs_fd = m->allocs, .totals_fd = m->totals, .stats_fd = m->stats };
	struct target targets[2] = { { .pid = 7, .comm = "seven" },
				     { .pid = 9, .comm = "nine", .exited = true } };
	struct symbolizer *sym = symbolizer_new();
	struct analysis_input in = {
		.targets = targets, .ntargets = 2, .sym = sym, .stack_map_fd = m->stacks,
		.top_n = 1, .interval_s = 1,
	};
	struct snapshot s;
	struct report r;

	put_total(m, 7, -1, 300, 3);
	put_total(m, 9, -1, 700, 1);
	assert_int_equal(snapshot_take(&src, 0, &s), 0);
	in.snap = &s;
	assert_int_equal(analysis_build(&in, &r), 0);
	/* Lost stacks of both processes merge into one entry. */
	assert_int_equal(r.stacks_matched, 1);
	assert_int_equal(r.nstacks, 1);
	assert_int_equal(r.stacks[0].bytes, 1000);
	assert_int_equal(r.stacks[0].allocs, 4);
	assert_int_equal(r.stacks[0].npids, 2);
	assert_true(r.stacks[0].stack_lost);
	assert_int_equal(r.stacks[0].oldest_age_ms, -1);
	assert_int_equal(r.nprocs, 2);
	assert_int_equal(r.procs[0].outstanding_bytes, 300);
	assert_int_equal(r.procs[1].outstanding_bytes, 700);
	assert_int_equal(r.procs[1].rss_bytes, -1);
	report_free(&r);
	snapshot_free(&s);
	symbolizer_free(sym);
}

/* Dropping generations removes exactly their records, in both maps. */
static void test_records_drop(void **state)
{
	struct maps *m = *state;
	struct proc_id ids[] = { { .tgid = 7, .gen = 1 }, { .tgid = 9, .gen = 4 } };
	struct alloc_key k = { .tgid = 7, .gen = 1, .addr = 0x10 };
	struct stack_key sk = { .tgid = 7, .gen = 2, .stack_id = -1 };
	struct alloc_info v = { .size = 1 };
	struct stack_total tv = { .bytes = 1, .count = 1 };
	uint64_t bytes, allocs;

	assert_int_equal(bpf_map_update_elem(m->allocs, &k, &v, BPF_ANY), 0);
	k.gen = 2; /* same pid, a later image: kept */
	assert_int_equal(bpf_map_update_elem(m->allocs, &k, &v, BPF_ANY), 0);
	k.tgid = 9; k.gen = 4;
	assert_int_equal(bpf_map_update_elem(m->allocs, &k, &v, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(m->totals, &sk, &tv, BPF_ANY), 0);
	sk.gen = 1;
	assert_int_equal(bpf_map_update_elem(m->totals, &sk, &tv, BPF_ANY), 0);

	assert_int_equal(records_drop(m->allocs, m->totals, ids, 2), 3);
	k.tgid = 7; k.gen = 2;
	assert_int_equal(bpf_map_lookup_elem(m->allocs, &k, &v), 0);
	k.gen = 1;
	assert_int_not_equal(bpf_map_lookup_elem(m->allocs, &k, &v), 0);
	assert_int_equal(records_totals(m->totals, 7, 2, &bytes, &allocs), 0);
	assert_int_equal(bytes, 1);
	assert_int_equal(records_totals(m->totals, 7, 1, &bytes, &allocs), 0);
	assert_int_equal(bytes, 0);
}

static void test_rank_order(void **state)
{
	struct stack_report a = { .bytes = 10, .allocs = 1 }, b = { .bytes = 5, .allocs = 9 };

	assert_true(stack_rank_cmp(&a, &b, SORT_BYTES) < 0);
	/* By count: more allocations first, whatever the bytes. */
	assert_true(stack_rank_cmp(&a, &b, SORT_COUNT) > 0);
	/* By growth with no history (scores 0): as by bytes. */
	assert_true(stack_rank_cmp(&a, &b, SORT_GROWTH) < 0);
	b.bytes = 10;
	assert_true(stack_rank_cmp(&a, &b, SORT_BYTES) > 0);
	a.allocs = 9;
	a.oldest_age_ms = 100;
	b.oldest_age_ms = 50;
	assert_true(stack_rank_cmp(&a, &b, SORT_BYTES) < 0);
	assert_true(stack_rank_cmp(&a, &b, SORT_COUNT) < 0);
	assert_int_equal(stack_rank_cmp(&a, &a, SORT_BYTES), 0);
	assert_int_equal(stack_rank_cmp(&a, &a, SORT_GROWTH), 0);
}

/* By growth: score first, then bytes; the other sorts ignore the score. */
static void test_rank_by_growth(void **state)
{
	struct stack_report cache = { .bytes = 6000000, .allocs = 96, .growth_bytes_per_min = 9e6,
				      .score = 3e5 };
	struct stack_report leak = { .bytes = 600000, .allocs = 600, .growth_bytes_per_min = 2.4e6,
				     .score = 2.4e6 };

	assert_true(stack_rank_cmp(&leak, &cache, SORT_GROWTH) < 0);
	assert_true(stack_rank_cmp(&cache, &leak, SORT_GROWTH) > 0);
	assert_true(stack_rank_cmp(&cache, &leak, SORT_BYTES) < 0);
	assert_true(stack_rank_cmp(&leak, &cache, SORT_COUNT) < 0);
	/* Equal scores (none yet, or both flat): the bigger, whatever the slope. */
	leak.score = cache.score = 0;
	leak.growth_bytes_per_min = 1e9;
	assert_true(stack_rank_cmp(&cache, &leak, SORT_GROWTH) < 0);
}

/*
 * Every stack goes into the history before the top-N cut: a small steady
 * grower outside the top 1 by bytes ranks first by growth after three
 * reports.  (Lost stacks of different kinds are different stacks.)
 */
static void test_analysis_growth_before_cut(void **state)
{
	struct maps *m = *state;
	struct snapshot_source src = { .allocs_fd = m->allocs, .totals_fd = m->totals, .stats_fd = m->stats };
	struct target targets[1] = { { .pid = 7, .comm = "seven" } };
	struct symbolizer *sym = symbolizer_new();
	struct history *h = history_new(16);
	struct analysis_input in = {
		.targets = targets, .ntargets = 1, .sym = sym, .stack_map_fd = m->stacks,
		.top_n = 1, .interval_s = 1, .sort = SORT_GROWTH, .history = h,
	};
	struct stack_key grower = { .tgid = 7, .stack_id = -1, .kind = MEMLEAK_KIND_MMAP };
	struct stack_total v;
	struct snapshot s;
	struct report r;
	int i;

	put_total(m, 7, -1, 1000000, 1);
	for (i = 1; i <= 3; i++) {
		v = (struct stack_total){ .bytes = 100 * i, .count = i };
		assert_int_equal(bpf_map_update_elem(m->totals, &grower, &v, BPF_ANY), 0);
		assert_int_equal(snapshot_take(&src, 0, &s), 0);
		in.snap = &s;
		assert_int_equal(analysis_build(&in, &r), 0);
		assert_int_equal(r.stacks_matched, 2);
		assert_int_equal(r.nstacks, 1);
		assert_int_equal(r.sort, SORT_GROWTH);
		/* Until a score exists (3 reports), the biggest comes first. */
		assert_int_equal(r.stacks[0].kind, i < 3 ? MEMLEAK_KIND_MALLOC : MEMLEAK_KIND_MMAP);
		assert_int_equal(r.stacks[0].bytes, i < 3 ? 1000000 : 300);
		if (i == 3)
			assert_true(r.stacks[0].score > 0);
		report_free(&r);
		snapshot_free(&s);
		usleep(10000);
	}
	assert_int_equal(history_size(h), 2);
	history_free(h);
	symbolizer_free(sym);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_read_all_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_age_filter_and_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cumulative_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_analysis_ranks_and_cuts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_drop, setup, teardown),
		cmocka_unit_test(test_rank_order),
		cmocka_unit_test(test_rank_by_growth),
		cmocka_unit_test_setup_teardown(test_analysis_growth_before_cut, setup, teardown),
	};

	return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
