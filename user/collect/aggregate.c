// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Loading and running the in-kernel aggregation (bpf/aggregate.bpf.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect/aggregate.h"
#include "collect/map_batch.h"
#include "lib/util.h"
#include "aggregate_types.h"
#include "aggregate.skel.h"

struct aggregator {
	struct aggregate_bpf *skel;
	uint64_t max_records, budget_ns;
	/* aged_totals may hold sums of an earlier run (stopped, or not read
	 * to the end): they would add to the next run's. */
	bool dirty;
};

struct aggregator *aggregator_new(int allocs_fd, int stats_fd, uint32_t max_stacks)
{
	struct aggregator *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return NULL;
	a->max_records = MEMLEAK_AGG_MAX_RECORDS;
	a->budget_ns = MEMLEAK_AGG_BUDGET_NS;
	a->skel = aggregate_bpf__open();
	if (!a->skel) {
		err = -errno;
		goto fail;
	}
	/* The tracer's maps themselves, not copies (libbpf dups the fds). */
	err = bpf_map__reuse_fd(a->skel->maps.allocs, allocs_fd);
	if (!err)
		err = bpf_map__reuse_fd(a->skel->maps.stats, stats_fd);
	if (!err)
		err = bpf_map__set_max_entries(a->skel->maps.aged_totals, max_stacks);
	if (!err)
		err = aggregate_bpf__load(a->skel);
	if (err)
		goto fail;
	return a;
fail:
	aggregator_free(a);
	errno = -err;
	return NULL;
}

void aggregator_set_limits(struct aggregator *a, uint64_t max_records, uint64_t budget_ns)
{
	a->max_records = max_records;
	a->budget_ns = budget_ns;
}

bool aggregator_fits(const struct aggregator *a, uint64_t records)
{
	return records <= a->max_records;
}

void aggregator_free(struct aggregator *a)
{
	if (!a)
		return;
	aggregate_bpf__destroy(a->skel);
	free(a);
}

/* One run over every record; the kernel writes args back in place. */
static int run_program(struct aggregator *a, struct memleak_agg_args *args)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(*args));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(a->skel->progs.aggregate), &opts);
	if (err)
		return err;
	return opts.retval ? -EIO : 0;
}

/* The sums read so far, as snapshot entries. */
struct sums {
	struct snap_stack *v;
	size_t n, cap;
};

static int add_sums(const void *keys, const void *values, size_t n, void *p)
{
	const struct stack_key *k = keys;
	const struct memleak_aged *v = values;
	struct sums *s = p;
	size_t i;

	if (array_reserve((void **)&s->v, &s->cap, s->n + n, sizeof(*s->v)))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		s->v[s->n++] = (struct snap_stack){
			.key = k[i], .bytes = v[i].bytes, .count = v[i].count,
			.oldest_ts_ns = v[i].oldest_ts_ns,
		};
	}
	return 0;
}

static int discard(const void *keys, const void *values, size_t n, void *p)
{
	return 0;
}

static int drain(struct aggregator *a, map_batch_fn fn, void *ctx)
{
	return map_drain_batch(bpf_map__fd(a->skel->maps.aged_totals), sizeof(struct stack_key),
			       sizeof(struct memleak_aged), fn, ctx);
}

int aggregator_run(struct aggregator *a, uint64_t now_ns, uint64_t min_age_ns,
		   struct snap_stack **stacks, size_t *n)
{
	struct memleak_agg_args args = {
		.now_ns = now_ns, .min_age_ns = min_age_ns,
		.max_records = a->max_records, .budget_ns = a->budget_ns,
	};
	struct sums s = { 0 };
	int err;

	*stacks = NULL;
	*n = 0;
	if (a->dirty) {
		err = drain(a, discard, NULL);
		if (err)
			return err;
		a->dirty = false;
	}
	a->dirty = true;
	err = run_program(a, &args);
	if (!err && args.cut)
		err = args.cut == MEMLEAK_AGG_TOO_MANY ? -E2BIG : -ETIME;
	if (!err && args.full)
		err = -ENOSPC;
	if (!err)
		err = drain(a, add_sums, &s);
	if (err) {
		free(s.v);
		return err;
	}
	a->dirty = false;
	*stacks = s.v;
	*n = s.n;
	return 0;
}
