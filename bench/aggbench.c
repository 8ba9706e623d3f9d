// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPU time per record of the age filter's sums: in the kernel (the
 * aggregate program, user/collect/aggregate.c, in one run whatever the
 * number of records) against the user-space walk (every record copied out
 * in batches), and a report as the tracer makes it (in the kernel up to
 * MEMLEAK_AGG_MAX_RECORDS records, else the walk), on an allocation map
 * like the tracer's filled with N records of 32 bytes spread evenly over S
 * stacks, all old enough.
 *   aggbench N S [ROUNDS]     (root; make build/bench/aggbench)
 * Prints the median and the minimum over ROUNDS (default 5) of each, in
 * ns per record: report CPU is what a report over N live allocations adds.
 * The one-run column is what a report cost before runs were bounded: one
 * system call holding its CPU for all of it (bench/stall.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect/aggregate.h"
#include "collect/snapshot.h"
#include "lib/util.h"

#define SEC_NS 1000000000ULL
#define FILL_BATCH 4096

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The per-stack totals the records add up to (the report's count of them). */
static int fill_totals(int fd, long n, long nstacks)
{
	long j;

	for (j = 0; j < nstacks && j < n; j++) {
		struct stack_key k = { .tgid = 1234, .gen = 1, .stack_id = (int)j };
		long count = n / nstacks + (j < n % nstacks);
		struct stack_total t = { .bytes = 32 * count, .count = count };

		if (bpf_map_update_elem(fd, &k, &t, BPF_ANY))
			return -1;
	}
	return 0;
}

/* n records, 2 s old, of stacks 0..nstacks-1 in turn. */
static int fill(int fd, long n, long nstacks)
{
	static struct alloc_key keys[FILL_BATCH];
	static struct alloc_info vals[FILL_BATCH];
	uint64_t old = mono_ns() - 2 * SEC_NS;
	long i = 0;

	while (i < n) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 c;

		for (c = 0; c < FILL_BATCH && i < n; c++, i++) {
			keys[c] = (struct alloc_key){ .tgid = 1234, .gen = 1, .addr = 0x10000 + i * 48 };
			vals[c] = (struct alloc_info){ .size = 32, .ts_ns = old,
						       .stack_id = (int)(i % nstacks) };
		}
		if (bpf_map_update_batch(fd, keys, vals, &c, &opts))
			return -1;
	}
	return 0;
}

/* ns per record of one report's sums; -1 on error or wrong figures. */
static double one_round(const struct snapshot_source *src, long n, long nstacks)
{
	struct snapshot s;
	uint64_t count = 0;
	double t0 = cpu_s(), t1;
	size_t i;

	if (snapshot_take(src, 500, &s))
		return -1;
	t1 = cpu_s();
	for (i = 0; i < s.nstacks; i++)
		count += s.stacks[i].count;
	snapshot_free(&s);
	if (count != (uint64_t)n || i != (size_t)(nstacks < n ? nstacks : n))
		return -1;
	return (t1 - t0) * 1e9 / n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[1]) : 0, nstacks = argc > 2 ? atol(argv[2]) : 0;
	int rounds = argc > 3 ? atoi(argv[3]) : 5, r;
	LIBBPF_OPTS(bpf_map_create_opts, noprealloc, .map_flags = BPF_F_NO_PREALLOC);
	struct snapshot_source walk = { 0 }, kernel, bounded;
	double *tk, *tw, *tb;

	if (n <= 0 || nstacks <= 0 || rounds <= 0) {
		fprintf(stderr, "usage: aggbench RECORDS STACKS [ROUNDS]\n");
		return 64;
	}
	/* As the tracer makes them: room for a quarter more records. */
	walk.allocs_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ab_allocs", sizeof(struct alloc_key),
					sizeof(struct alloc_info), n + n / 4 + 1024, &noprealloc);
	walk.totals_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ab_totals", sizeof(struct stack_key),
					sizeof(struct stack_total), nstacks + 16, NULL);
	walk.stats_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "ab_stats", 4, 8,
				       MEMLEAK_STAT__MAX, NULL);
	if (walk.allocs_fd < 0 || walk.totals_fd < 0 || walk.stats_fd < 0 ||
	    fill(walk.allocs_fd, n, nstacks) || fill_totals(walk.totals_fd, n, nstacks)) {
		perror("aggbench: maps (root?)");
		return 1;
	}
	kernel = bounded = walk;
	kernel.agg = aggregator_new(walk.allocs_fd, walk.stats_fd, 65536);
	bounded.agg = aggregator_new(walk.allocs_fd, walk.stats_fd, 65536);
	if (!kernel.agg || !bounded.agg) {
		perror("aggbench: aggregate program");
		return 1;
	}
	aggregator_set_limits(kernel.agg, UINT64_MAX, 600 * SEC_NS);
	tk = calloc(rounds, sizeof(*tk));
	tw = calloc(rounds, sizeof(*tw));
	tb = calloc(rounds, sizeof(*tb));
	if (!tk || !tw || !tb)
		return 1;
	/* Interleaved, so that load from other work hits both alike. */
	for (r = 0; r < rounds; r++) {
		tk[r] = one_round(&kernel, n, nstacks);
		tw[r] = one_round(&walk, n, nstacks);
		tb[r] = one_round(&bounded, n, nstacks);
		if (tk[r] < 0 || tw[r] < 0 || tb[r] < 0) {
			fprintf(stderr, "aggbench: a report failed or had wrong figures\n");
			return 1;
		}
	}
	qsort(tk, rounds, sizeof(*tk), cmp_double);
	qsort(tw, rounds, sizeof(*tw), cmp_double);
	qsort(tb, rounds, sizeof(*tb), cmp_double);
	printf("%ld records, %ld stacks: in the kernel in one run %.0f ns/record (min %.0f), "
	       "user-space walk %.0f ns/record (min %.0f), tracer's report %.0f ns/record "
	       "(min %.0f, %s)\n", n, nstacks, tk[rounds / 2], tk[0], tw[rounds / 2], tw[0],
	       tb[rounds / 2], tb[0],
	       aggregator_fits(bounded.agg, n) ? "in the kernel" : "walked");
	aggregator_free(kernel.agg);
	aggregator_free(bounded.agg);
	return 0;
}
