// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The in-kernel sums of the age filter (user/collect/aggregate.c,
 * bpf/aggregate.bpf.c) against the user-space walk, on real maps filled
 * with known records: more stacks than the program's cache has slots, the
 * age boundaries, repeated runs, and a result map too small (the report
 * falls back to the walk and counts it); the bounds on one run (records,
 * time) that keep it a short system call.  Needs root (BPF maps, programs).
 */
#include <errno.h>
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
#include "collect/aggregate.h"
#include "collect/snapshot.h"
#include "lib/util.h"
#include "aggregate_types.h"

#define SEC_NS 1000000000ULL
/* More (process, stack) keys than MEMLEAK_AGG_SLOTS: both paths are used. */
#define NKEYS 9000
#define PER_KEY 4

struct maps {
	int allocs, totals, stats;
};

static int setup(void **state)
{
	struct maps *m = calloc(1, sizeof(*m));
	LIBBPF_OPTS(bpf_map_create_opts, noprealloc, .map_flags = BPF_F_NO_PREALLOC);

	/* As the tracer makes them (bpf/records.bpf.h). */
	m->allocs = bpf_map_create(BPF_MAP_TYPE_HASH, "t_allocs", sizeof(struct alloc_key),
				   sizeof(struct alloc_info), 100000, &noprealloc);
	m->totals = bpf_map_create(BPF_MAP_TYPE_HASH, "t_totals", sizeof(struct stack_key),
				   sizeof(struct stack_total), 1024, NULL);
	m->stats = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_stats", 4, 8,
				  MEMLEAK_STAT__MAX, NULL);
	assert_true(m->allocs >= 0 && m->totals >= 0 && m->stats >= 0);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct maps *m = *state;

	close(m->allocs);
	close(m->totals);
	close(m->stats);
	free(m);
	return 0;
}

/* Key j: distinct processes, generations, kinds; a few lost stacks (-1). */
static struct stack_key key_of(int j)
{
	struct stack_key k = {
		.tgid = 100 + j % 7, .stack_id = j, .kind = j % 3, .gen = j % 5,
	};

	if (j < 5) {
		k.tgid = 1000 + j;
		k.stack_id = MEMLEAK_STACK_LOST;
	}
	return k;
}

static int index_of(const struct stack_key *k)
{
	return k->stack_id == MEMLEAK_STACK_LOST ? (int)k->tgid - 1000 : k->stack_id;
}

static void put(struct maps *m, const struct stack_key *k, uint64_t addr, uint64_t size,
		uint64_t ts)
{
	struct alloc_key ak = { .tgid = k->tgid, .gen = k->gen, .addr = addr };
	struct alloc_info v = { .size = size, .ts_ns = ts, .stack_id = k->stack_id,
				.kind = k->kind };

	assert_int_equal(bpf_map_update_elem(m->allocs, &ak, &v, BPF_ANY), 0);
}

struct expect {
	uint64_t bytes[NKEYS], count[NKEYS], oldest[NKEYS];
};

/*
 * PER_KEY records per key, their ages far from min_age (1 s): 10 s, 2 s,
 * 0.1 s, and 1 s in the future.  Every other key has only young ones.
 */
static void fill(struct maps *m, uint64_t now, struct expect *e)
{
	static const int64_t age_ms[PER_KEY] = { 10000, 2000, 100, -1000 };
	uint64_t addr = 0x10000;
	int j, i;

	memset(e, 0, sizeof(*e));
	for (j = 0; j < NKEYS; j++) {
		struct stack_key k = key_of(j);

		for (i = (j % 2) * 2; i < PER_KEY; i++) {
			uint64_t size = 16 + j % 100 + i, ts = now - age_ms[i] * 1000000LL;

			put(m, &k, addr, size, ts);
			addr += 64;
			if (age_ms[i] < 1000)
				continue;
			e->bytes[j] += size;
			e->count[j]++;
			if (!e->oldest[j] || ts < e->oldest[j])
				e->oldest[j] = ts;
		}
	}
}

static void check(const struct snap_stack *v, size_t n, const struct expect *e)
{
	struct stack_key k;
	size_t i, want = 0;
	int j;

	for (j = 0; j < NKEYS; j++)
		want += e->count[j] > 0;
	assert_int_equal(n, want);
	for (i = 0; i < n; i++) {
		j = index_of(&v[i].key);
		assert_true(j >= 0 && j < NKEYS);
		k = key_of(j);
		assert_memory_equal(&v[i].key, &k, sizeof(k));
		assert_int_equal(v[i].bytes, e->bytes[j]);
		assert_int_equal(v[i].count, e->count[j]);
		assert_int_equal(v[i].oldest_ts_ns, e->oldest[j]);
	}
}

/*
 * An aggregator for more records than one report may sum in the kernel:
 * these tests check the sums over many stacks, not the bounds.
 */
static struct aggregator *unbounded(struct maps *m, uint32_t max_stacks)
{
	struct aggregator *a = aggregator_new(m->allocs, m->stats, max_stacks);

	if (a)
		aggregator_set_limits(a, UINT64_MAX, 60 * SEC_NS);
	return a;
}

static uint64_t stat_of(int fd, uint32_t idx)
{
	int ncpus = libbpf_num_possible_cpus(), c;
	uint64_t *vals = calloc(ncpus, sizeof(*vals)), sum = 0;

	assert_int_equal(bpf_map_lookup_elem(fd, &idx, vals), 0);
	for (c = 0; c < ncpus; c++)
		sum += vals[c];
	free(vals);
	return sum;
}

/* The kernel's sums are exactly the expected ones, run after run. */
static void test_sums_exact(void **state)
{
	struct maps *m = *state;
	struct aggregator *a = unbounded(m, 4 * NKEYS);
	static struct expect e;
	struct snap_stack *v;
	uint64_t now = mono_ns();
	size_t n;
	int run;

	assert_non_null(a);
	fill(m, now, &e);
	for (run = 0; run < 3; run++) {
		assert_int_equal(aggregator_run(a, now, SEC_NS, &v, &n), 0);
		check(v, n, &e);
		free(v);
	}
	assert_int_equal(stat_of(m->stats, MEMLEAK_STAT_AGGREGATE_FULL), 0);
	aggregator_free(a);
}

/* Same predicate as the walk: made after now, or younger than min_age, is out. */
static void test_age_boundaries(void **state)
{
	struct maps *m = *state;
	struct aggregator *a = aggregator_new(m->allocs, m->stats, 16);
	struct stack_key k = key_of(42);
	uint64_t now = 50 * SEC_NS, min_age = SEC_NS;
	struct snap_stack *v;
	size_t n;

	assert_non_null(a);
	/* A preempted run may pass the 2 ms budget: that cut is not tested here. */
	aggregator_set_limits(a, UINT64_MAX, 60 * SEC_NS);
	put(m, &k, 0x10, 1, now - min_age);      /* exactly min_age old: in */
	put(m, &k, 0x20, 10, now - min_age + 1); /* a nanosecond younger: out */
	put(m, &k, 0x30, 100, now + 1);          /* after now: out */
	put(m, &k, 0x40, 1000, 1);               /* oldest: in */
	assert_int_equal(aggregator_run(a, now, min_age, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].bytes, 1001);
	assert_int_equal(v[0].count, 2);
	assert_int_equal(v[0].oldest_ts_ns, 1);
	free(v);
	/* Nothing old enough: no entry at all. */
	assert_int_equal(aggregator_run(a, now, 60 * SEC_NS, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	aggregator_free(a);
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct snap_stack *a = pa, *b = pb;

	return memcmp(&a->key, &b->key, sizeof(a->key));
}

/*
 * A report with and without the kernel's sums: the same stacks.  With a
 * result map too small the report still has the exact figures (walked in
 * user space) and counts the fallback; a later run that fits is exact.
 */
static void test_snapshot_same_either_way(void **state)
{
	struct maps *m = *state;
	struct snapshot_source src = { .allocs_fd = m->allocs, .totals_fd = m->totals,
				       .stats_fd = m->stats };
	struct aggregator *big = unbounded(m, 4 * NKEYS);
	struct aggregator *small = unbounded(m, 8);
	struct snapshot walked, summed, fell_back;
	static struct expect e;
	struct snap_stack *v;
	size_t n, i;

	assert_non_null(big);
	assert_non_null(small);
	fill(m, mono_ns(), &e);
	assert_int_equal(snapshot_take(&src, 1000, &walked), 0);
	src.agg = big;
	assert_int_equal(snapshot_take(&src, 1000, &summed), 0);
	src.agg = small;
	assert_int_equal(snapshot_take(&src, 1000, &fell_back), 0);
	check(walked.stacks, walked.nstacks, &e);
	check(summed.stacks, summed.nstacks, &e);
	check(fell_back.stacks, fell_back.nstacks, &e);
	qsort(walked.stacks, walked.nstacks, sizeof(*walked.stacks), key_cmp);
	qsort(summed.stacks, summed.nstacks, sizeof(*summed.stacks), key_cmp);
	for (i = 0; i < walked.nstacks; i++) {
		/* (wbytes and wcount only mean something in sampled mode.) */
		assert_memory_equal(&walked.stacks[i].key, &summed.stacks[i].key,
				    sizeof(struct stack_key));
		assert_int_equal(walked.stacks[i].bytes, summed.stacks[i].bytes);
		assert_int_equal(walked.stacks[i].count, summed.stacks[i].count);
		assert_int_equal(walked.stacks[i].oldest_ts_ns, summed.stacks[i].oldest_ts_ns);
		assert_int_equal(walked.stacks[i].caller, summed.stacks[i].caller);
	}
	assert_int_equal(walked.stats[MEMLEAK_STAT_AGGREGATE_FULL], 0);
	assert_int_equal(summed.stats[MEMLEAK_STAT_AGGREGATE_FULL], 0);
	assert_int_equal(fell_back.stats[MEMLEAK_STAT_AGGREGATE_FULL], 1);
	assert_int_equal(stat_of(m->stats, MEMLEAK_STAT_AGGREGATE_FULL), 1);
	snapshot_free(&walked);
	snapshot_free(&summed);
	snapshot_free(&fell_back);

	/* Full again: counted again, and nothing returned. */
	assert_int_equal(aggregator_run(small, mono_ns(), SEC_NS, &v, &n), -ENOSPC);
	assert_null(v);
	assert_int_equal(stat_of(m->stats, MEMLEAK_STAT_AGGREGATE_FULL), 2);
	/* Few stacks left: the partial sums of the full runs are gone. */
	{
		struct alloc_key none = { 0 };

		while (!bpf_map_get_next_key(m->allocs, NULL, &none))
			bpf_map_delete_elem(m->allocs, &none);
	}
	{
		struct stack_key k = key_of(7);

		put(m, &k, 0x10, 5, 1);
		put(m, &k, 0x20, 6, 2);
	}
	assert_int_equal(aggregator_run(small, mono_ns(), SEC_NS, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].bytes, 11);
	assert_int_equal(v[0].count, 2);
	assert_int_equal(v[0].oldest_ts_ns, 1);
	free(v);
	aggregator_free(big);
	aggregator_free(small);
}

/*
 * A run stops past its records or its time (it is one non-preemptible
 * system call); the report then reads the records out, exact, and does not
 * count it as aggregate_full.  Within the bounds the run sums everything.
 */
static void test_run_bounded(void **state)
{
	struct maps *m = *state;
	struct snapshot_source src = { .allocs_fd = m->allocs, .totals_fd = m->totals,
				       .stats_fd = m->stats };
	struct aggregator *a = aggregator_new(m->allocs, m->stats, 4 * NKEYS);
	struct snapshot s;
	static struct expect e;
	struct snap_stack *v;
	uint64_t records;
	size_t n;

	assert_non_null(a);
	assert_true(aggregator_fits(a, MEMLEAK_AGG_MAX_RECORDS));
	assert_false(aggregator_fits(a, MEMLEAK_AGG_MAX_RECORDS + 1));
	fill(m, mono_ns(), &e);
	records = NKEYS / 2 * PER_KEY + (NKEYS - NKEYS / 2) * (PER_KEY - 2);
	assert_true(records > MEMLEAK_AGG_MAX_RECORDS);
	/* Too many records (time enough: 9000 stacks may take longer). */
	aggregator_set_limits(a, MEMLEAK_AGG_MAX_RECORDS, 60 * SEC_NS);
	assert_int_equal(aggregator_run(a, mono_ns(), SEC_NS, &v, &n), -E2BIG);
	assert_null(v);
	assert_int_equal(n, 0);
	/* One record short of the map. */
	aggregator_set_limits(a, records - 1, 60 * SEC_NS);
	assert_int_equal(aggregator_run(a, mono_ns(), SEC_NS, &v, &n), -E2BIG);
	/* No time at all: stops at the first clock reading. */
	aggregator_set_limits(a, UINT64_MAX, 0);
	assert_int_equal(aggregator_run(a, mono_ns(), SEC_NS, &v, &n), -ETIME);
	src.agg = a;
	assert_int_equal(snapshot_take(&src, 1000, &s), 0);
	check(s.stacks, s.nstacks, &e);
	assert_int_equal(s.stats[MEMLEAK_STAT_AGGREGATE_FULL], 0);
	snapshot_free(&s);
	/* Exactly the map: summed, and nothing of the cut runs left over. */
	aggregator_set_limits(a, records, 60 * SEC_NS);
	assert_int_equal(aggregator_run(a, mono_ns(), SEC_NS, &v, &n), 0);
	check(v, n, &e);
	free(v);
	assert_int_equal(stat_of(m->stats, MEMLEAK_STAT_AGGREGATE_FULL), 0);
	aggregator_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sums_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_age_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_same_either_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
