// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading the BPF maps into a snapshot. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "collect/map_batch.h"
#include "collect/snapshot.h"
#include "procs/pidns.h"
#include "lib/util.h"

/* Open-addressing table from stack_key to its aggregate, for the age walk. */
struct agg_table {
	struct snap_stack *slots;
	size_t cap, used;
};

static size_t key_hash(const struct stack_key *k)
{
	uint64_t h = ((uint64_t)k->tgid << 32 | (uint32_t)k->stack_id) * 0x9e3779b97f4a7c15ULL;

	h ^= ((uint64_t)k->gen << 8 | k->kind) * 0xff51afd7ed558ccdULL;
	return (size_t)(h ^ (h >> 29));
}

static bool key_eq(const struct stack_key *a, const struct stack_key *b)
{
	return a->tgid == b->tgid && a->stack_id == b->stack_id && a->kind == b->kind &&
	       a->gen == b->gen;
}

static int agg_grow(struct agg_table *t)
{
	struct agg_table nt = { .cap = t->cap ? t->cap * 2 : 1024 };
	size_t i;

	nt.slots = calloc(nt.cap, sizeof(*nt.slots));
	if (!nt.slots)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		struct snap_stack *s = &t->slots[i];
		size_t j;

		if (!s->count)
			continue;
		for (j = key_hash(&s->key) & (nt.cap - 1); nt.slots[j].count;
		     j = (j + 1) & (nt.cap - 1))
			;
		nt.slots[j] = *s;
		nt.used++;
	}
	free(t->slots);
	*t = nt;
	return 0;
}

static int agg_add(struct agg_table *t, const struct stack_key *k, uint64_t bytes,
		   uint64_t ts, struct snap_stack **slot)
{
	struct snap_stack *s;
	size_t j;

	if ((t->used + 1) * 2 > t->cap && agg_grow(t))
		return -ENOMEM;
	for (j = key_hash(k) & (t->cap - 1);; j = (j + 1) & (t->cap - 1)) {
		s = &t->slots[j];
		if (!s->count) {
			s->key = *k;
			s->oldest_ts_ns = ts;
			t->used++;
			break;
		}
		if (key_eq(&s->key, k))
			break;
	}
	s->bytes += bytes;
	s->count++;
	if (ts < s->oldest_ts_ns)
		s->oldest_ts_ns = ts;
	if (slot)
		*slot = s;
	return 0;
}

/* Compact the table's occupied slots into an array. */
static int agg_finish(struct agg_table *t, struct snap_stack **out, size_t *n)
{
	size_t i, j = 0;

	for (i = 0; i < t->cap; i++)
		if (t->slots[i].count)
			t->slots[j++] = t->slots[i];
	*out = t->slots;
	*n = j;
	t->slots = NULL;
	return 0;
}

double sample_weight(uint64_t size, uint64_t period)
{
	double x = (double)size / (double)period;

	/* -expm1(-x) = 1 - exp(-x) without cancellation for small blocks. */
	return x > 40 ? 1.0 : 1.0 / -expm1(-x);
}

/*
 * The walk over live allocations.  The age filter sums into "aged";
 * sampled mode (period > 0) also weights every record and sums all of them
 * into "all", since then the kernel's totals are samples, not the truth.
 */
struct walk_ctx {
	struct agg_table all, aged;
	uint64_t now, min_age_ns, period;
	uint64_t kperiod;	/* kernel records' sampling (kernel_sample_bytes) */
};

static int agg_add_weighted(struct agg_table *t, const struct stack_key *k,
			    uint64_t size, uint64_t ts, double w)
{
	struct snap_stack *s;
	int err;

	err = agg_add(t, k, size, ts, &s);
	if (err)
		return err;
	s->wbytes += w * (double)size;
	s->wcount += w;
	return 0;
}

static int add_one(struct walk_ctx *c, const struct stack_key *sk, uint64_t size, uint64_t ts,
		   double w)
{
	int err;

	if (c->period) {
		err = agg_add_weighted(&c->all, sk, size, ts, w);
		if (err)
			return err;
	}
	/* Allocations made after "now" was read count as young. */
	if (ts > c->now || c->now - ts < c->min_age_ns)
		return 0;
	return agg_add_weighted(&c->aged, sk, size, ts, w);
}

static int add_records(const void *k, const void *v, size_t n, void *p)
{
	const struct alloc_key *keys = k;
	const struct alloc_info *vals = v;
	struct walk_ctx *c = p;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		struct stack_key sk = {
			.tgid = keys[i].tgid, .stack_id = vals[i].stack_id,
			.kind = vals[i].kind, .gen = keys[i].gen,
		};
		double w = c->period ? sample_weight(vals[i].size, c->period) : 1.0;

		err = add_one(c, &sk, vals[i].size, vals[i].ts_ns, w);
		if (err)
			return err;
	}
	return 0;
}

/* -k's kernel records: their owner in the value; sampled only host-wide. */
static int add_kernel_records(const void *k, const void *v, size_t n, void *p)
{
	const struct kalloc_info *vals = v;
	struct walk_ctx *c = p;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		struct stack_key sk = {
			.tgid = vals[i].tgid, .stack_id = vals[i].info.stack_id,
			.kind = vals[i].info.kind, .gen = vals[i].gen,
		};

		uint64_t size = vals[i].info.size;
		double w = c->kperiod && size && size < c->kperiod
			   ? (double)c->kperiod / (double)size : 1.0;

		err = add_one(c, &sk, size, vals[i].info.ts_ns, w);
		if (err)
			return err;
	}
	return 0;
}

static int walk_kernel_records(int kfd, struct walk_ctx *c)
{
	if (kfd <= 0)
		return 0;
	return map_for_each_batch(kfd, sizeof(__u64), sizeof(struct kalloc_info),
				  add_kernel_records, c);
}

/* Replace the sampled sums by the rounded estimates. */
static void agg_estimate(struct snap_stack *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].bytes = (uint64_t)llround(v[i].wbytes);
		v[i].count = (uint64_t)llround(v[i].wcount);
		if (!v[i].count)
			v[i].count = 1;
	}
}

/*
 * Batch by batch, so that memory stays that of one batch and of the
 * aggregates (one slot per process and stack), whatever the number of
 * live allocations.
 */
static int read_records(const struct snapshot_source *src, uint64_t now, uint64_t min_age_ns,
			uint64_t period, struct snapshot *s)
{
	struct walk_ctx c = { .now = now, .min_age_ns = min_age_ns, .period = period,
			      .kperiod = src->kernel_sample_bytes };
	int err;

	err = map_for_each_batch(src->allocs_fd, sizeof(struct alloc_key),
				 sizeof(struct alloc_info), add_records, &c);
	if (!err)
		err = walk_kernel_records(src->kallocs_fd, &c);
	if (!err && c.all.slots)
		err = agg_finish(&c.all, &s->totals, &s->ntotals);
	if (!err && c.aged.slots)
		err = agg_finish(&c.aged, &s->stacks, &s->nstacks);
	free(c.all.slots);
	free(c.aged.slots);
	if (err || !period)
		return err;
	agg_estimate(s->totals, s->ntotals);
	agg_estimate(s->stacks, s->nstacks);
	return 0;
}

/*
 * The kernel's sums cover the user records only: -k's kernel records are
 * walked here and added (their kinds differ, so no key is in both).
 */
static int append_kernel_aged(int kfd, uint64_t min_age_ns, struct snapshot *s)
{
	struct walk_ctx c = { .now = s->now_ns, .min_age_ns = min_age_ns };
	struct snap_stack *more = NULL, *all;
	size_t n = 0;
	int err;

	if (kfd <= 0)
		return 0;
	err = walk_kernel_records(kfd, &c);
	if (!err && c.aged.slots)
		err = agg_finish(&c.aged, &more, &n);
	free(c.aged.slots);
	if (err || !n) {
		free(more);
		return err;
	}
	all = realloc(s->stacks, (s->nstacks + n) * sizeof(*all));
	if (!all) {
		free(more);
		return -ENOMEM;
	}
	memcpy(all + s->nstacks, more, n * sizeof(*all));
	s->stacks = all;
	s->nstacks += n;
	free(more);
	return 0;
}

/* Live records according to the per-stack totals (already read). */
static uint64_t live_records(const struct snapshot *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < s->ntotals; i++)
		n += s->totals[i].count;
	return n;
}

/*
 * The age filter's per-stack sums: in the kernel when the aggregator is
 * loaded and the records are few enough for one short system call, else by
 * copying the records out a batch at a time (each batch a short system
 * call: a report never holds a CPU for long).  The kernel's sums fall back
 * to the copy whenever they fail, so the figures are the same.
 */
static int read_aged(const struct snapshot_source *src, uint64_t min_age_ns,
		     struct snapshot *s)
{
	uint64_t live = live_records(s);
	int err;

	if (!src->agg)
		return read_records(src, s->now_ns, min_age_ns, 0, s);
	if (!aggregator_fits(src->agg, live)) {
		verbose_msg(2, "age filter summed in user space: %" PRIu64 " records", live);
		return read_records(src, s->now_ns, min_age_ns, 0, s);
	}
	err = aggregator_run(src->agg, s->now_ns, min_age_ns, &s->stacks, &s->nstacks);
	if (!err)
		return append_kernel_aged(src->kallocs_fd, min_age_ns, s);
	verbose_msg(2, "age filter summed in user space: in-kernel sums failed: %s",
		    strerror(-err));
	/* Counted by the kernel after this report's stats were read. */
	if (err == -ENOSPC)
		s->stats[MEMLEAK_STAT_AGGREGATE_FULL]++;
	return read_records(src, s->now_ns, min_age_ns, 0, s);
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct snap_stack *)a)->key,
		      &((const struct snap_stack *)b)->key, sizeof(struct stack_key));
}

/*
 * Copy the cumulative figures of cum (sorted here) into the stacks of the
 * same key: the age filter's sums and the sampled estimates come from the
 * records, which know nothing of what was allocated and freed.
 */
static void join_cumulative(struct snap_stack *cum, size_t ncum, struct snap_stack *v,
			    size_t n)
{
	const struct snap_stack *c;
	size_t i;

	qsort(cum, ncum, sizeof(*cum), key_cmp);
	for (i = 0; i < n; i++) {
		c = ncum ? bsearch(&v[i], cum, ncum, sizeof(*cum), key_cmp) : NULL;
		v[i].alloc_bytes = c ? c->alloc_bytes : 0;
		v[i].alloc_count = c ? c->alloc_count : 0;
	}
}

/*
 * Sampled mode: the kernel's cumulative totals count samples.  Each is
 * scaled like a record of the stack's mean sampled size (exact when a
 * stack allocates one size, as most do).
 */
static int read_sampled_cumulative(int fd, uint64_t period, struct snapshot *s)
{
	struct stack_key *keys;
	struct stack_total *vals;
	struct snap_stack *cum;
	size_t i, n;
	int err;

	err = map_read_all(fd, sizeof(*keys), sizeof(*vals), (void **)&keys,
			   (void **)&vals, &n);
	if (err)
		return err;
	cum = calloc(n ? n : 1, sizeof(*cum));
	if (!cum) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		double w = vals[i].alloc_count ?
			   sample_weight(vals[i].alloc_bytes / vals[i].alloc_count, period) : 0;

		cum[i].key = keys[i];
		cum[i].alloc_bytes = (uint64_t)llround(w * (double)vals[i].alloc_bytes);
		cum[i].alloc_count = (uint64_t)llround(w * (double)vals[i].alloc_count);
	}
	join_cumulative(cum, n, s->stacks, s->nstacks);
	join_cumulative(cum, n, s->totals, s->ntotals);
	free(cum);
	free(keys);
	free(vals);
	return 0;
}

static int read_totals(int fd, struct snapshot *s)
{
	struct stack_key *keys;
	struct stack_total *vals;
	size_t i, j = 0, n;
	int err;

	err = map_read_all(fd, sizeof(*keys), sizeof(*vals), (void **)&keys,
			   (void **)&vals, &n);
	if (err)
		return err;
	s->totals = calloc(n ? n : 1, sizeof(*s->totals));
	if (!s->totals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		/* Entries stay behind at zero once everything was freed. */
		if (!vals[i].count && !vals[i].bytes)
			continue;
		s->totals[j].key = keys[i];
		s->totals[j].bytes = vals[i].bytes;
		s->totals[j].count = vals[i].count;
		s->totals[j].alloc_bytes = vals[i].alloc_bytes;
		s->totals[j].alloc_count = vals[i].alloc_count;
		j++;
	}
	s->ntotals = j;
	free(keys);
	free(vals);
	return 0;
}

static int read_stats(int fd, uint64_t *stats)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *vals;
	__u32 i;
	int c;

	if (ncpus <= 0)
		return -EINVAL;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < MEMLEAK_STAT__MAX; i++) {
		stats[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (c = 0; c < ncpus; c++)
			stats[i] += vals[c];
	}
	free(vals);
	return 0;
}

/*
 * The kernel keys by host pids; the tracer's targets are the pids of its
 * own namespace.  A process it does not know gets 0: no target's.
 */
static void view_pids(const struct pid_view *view, struct snap_stack *v, size_t n)
{
	uint32_t host = 0, seen = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		/* Entries come grouped by process, mostly: one lookup each. */
		if (i == 0 || v[i].key.tgid != host) {
			host = v[i].key.tgid;
			seen = (uint32_t)pidns_view_of(view, (pid_t)host);
		}
		v[i].key.tgid = seen;
	}
}

static int take(const struct snapshot_source *src, uint64_t min_age_ms,
		struct snapshot *s);

int snapshot_take(const struct snapshot_source *src, uint64_t min_age_ms,
		  struct snapshot *s)
{
	int err = take(src, min_age_ms, s);

	if (!err && src->view) {
		view_pids(src->view, s->totals, s->ntotals);
		view_pids(src->view, s->stacks, s->nstacks);
	}
	return err;
}

static int take(const struct snapshot_source *src, uint64_t min_age_ms,
		struct snapshot *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->now_ns = mono_ns();
	err = read_stats(src->stats_fd, s->stats);
	if (!err && src->sample_bytes) {
		s->aged = min_age_ms > 0;
		s->estimated = true;
		err = read_records(src, s->now_ns,
				   min_age_ms * 1000000ULL, src->sample_bytes, s);
		if (!err && !s->stacks)
			s->stacks = calloc(1, sizeof(*s->stacks));
		if (!err && !s->totals)
			s->totals = calloc(1, sizeof(*s->totals));
		if (!err && (!s->stacks || !s->totals))
			err = -ENOMEM;
		if (!err)
			err = read_sampled_cumulative(src->totals_fd, src->sample_bytes, s);
		if (err)
			snapshot_free(s);
		return err;
	}
	if (!err)
		err = read_totals(src->totals_fd, s);
	if (!err && min_age_ms) {
		s->aged = true;
		err = read_aged(src, min_age_ms * 1000000ULL, s);
		if (!err) {
			struct snap_stack *cum = malloc((s->ntotals ? s->ntotals : 1) *
							sizeof(*cum));

			/* A copy: the totals stay in the order they were read. */
			if (!cum)
				err = -ENOMEM;
			else
				memcpy(cum, s->totals, s->ntotals * sizeof(*cum));
			if (cum)
				join_cumulative(cum, s->ntotals, s->stacks, s->nstacks);
			free(cum);
		}
	} else if (!err) {
		s->stacks = malloc((s->ntotals ? s->ntotals : 1) * sizeof(*s->stacks));
		if (!s->stacks)
			err = -ENOMEM;
		else
			memcpy(s->stacks, s->totals, s->ntotals * sizeof(*s->stacks));
		s->nstacks = s->ntotals;
	}
	if (err)
		snapshot_free(s);
	return err;
}

void snapshot_free(struct snapshot *s)
{
	free(s->totals);
	free(s->stacks);
	s->totals = s->stacks = NULL;
	s->ntotals = s->nstacks = 0;
}
