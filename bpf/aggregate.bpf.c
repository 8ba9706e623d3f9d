// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * In-kernel aggregation for age-filtered reports (see aggregate_types.h).
 *
 * A separate object from memleak.bpf.o, loaded after it and sharing its
 * maps by fd: if this kernel cannot load a syscall program, or the loader
 * is told not to, tracing goes on and reports walk the records from user
 * space as before.
 *
 * Cost: the walk over the allocation map is bound by cache misses, one per
 * record; what the callback does per record decides how many of them the
 * CPU overlaps.  A hash map update per record (a jhash and a bucket walk)
 * made the in-kernel walk cost as much as copying the records out (~200 ns
 * each here), so records first go to a small direct-mapped cache of
 * per-stack sums, a few instructions for a hit, and only stacks whose slot
 * is taken go to the hash map.
 *
 * A run is one non-preemptible system call, so it is bounded in records
 * and in time (aggregate_types.h): past either it stops, and the report
 * reads the records out in batches.
 */
#include "shared.bpf.h"
#include "aggregate_types.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The tracer's maps, of the shapes it defines them with (shared.bpf.h),
 * replaced by its fds before load (bpf_map__reuse_fd): never created here.
 */
struct allocs_map allocs SEC(".maps");
struct stats_map stats SEC(".maps");

/* The result, one entry per stack; max_entries set by the loader.  User
 * space empties it as it reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct stack_key);
	__type(value, struct memleak_aged);
} aged_totals SEC(".maps");

/*
 * A slot belongs to the first stack that hashes to it for the whole run
 * (no eviction), so a stack's sums are either in its slot or in
 * aged_totals, never split.  Empty (count 0) between runs.
 */
struct agg_slot {
	struct stack_key key;
	struct memleak_aged sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MEMLEAK_AGG_SLOTS);
	__type(key, __u32);
	__type(value, struct agg_slot);
} agg_cache SEC(".maps");

struct walk {
	__u64 now_ns, min_age_ns;
	__u64 max_records, deadline_ns;
	__u64 records, aged;
	bool full;
	__u32 cut;
};

/* Reading the clock costs ~20 ns: once every this many records. */
#define CLOCK_EVERY 256

/* Whether the walk must stop here to stay a short system call. */
static __always_inline bool must_stop(struct walk *w)
{
	if (w->records > w->max_records)
		w->cut = MEMLEAK_AGG_TOO_MANY;
	else if (!(w->records % CLOCK_EVERY) && bpf_ktime_get_ns() > w->deadline_ns)
		w->cut = MEMLEAK_AGG_TOO_LONG;
	return w->cut != MEMLEAK_AGG_WHOLE;
}

static __always_inline __u32 slot_of(const struct stack_key *k)
{
	__u64 h = ((__u64)k->tgid << 32 | (__u32)k->stack_id) * 0x9e3779b97f4a7c15ULL;

	h ^= ((__u64)k->gen << 8 | k->kind) * 0xff51afd7ed558ccdULL;
	return (h >> 32) & (MEMLEAK_AGG_SLOTS - 1);
}

static __always_inline bool key_eq(const struct stack_key *a, const struct stack_key *b)
{
	return a->tgid == b->tgid && a->stack_id == b->stack_id && a->kind == b->kind &&
	       a->gen == b->gen;
}

static __always_inline void sum_add(struct memleak_aged *s, const struct memleak_aged *v)
{
	s->bytes += v->bytes;
	s->count += v->count;
	if (v->oldest_ts_ns < s->oldest_ts_ns)
		s->oldest_ts_ns = v->oldest_ts_ns;
}

/* Add v to k's entry of aged_totals; false when the map is full. */
static __always_inline bool map_add(const struct stack_key *k, const struct memleak_aged *v)
{
	struct memleak_aged *s = bpf_map_lookup_elem(&aged_totals, k);

	if (s) {
		sum_add(s, v);
		return true;
	}
	/* Only this program writes the map, one run at a time: no race. */
	return !bpf_map_update_elem(&aged_totals, k, v, BPF_NOEXIST);
}

static long add_record(struct bpf_map *map, const struct alloc_key *ak,
		       const struct alloc_info *ai, struct walk *w)
{
	struct stack_key k = {
		.tgid = ak->tgid, .stack_id = ai->stack_id, .kind = ai->kind, .gen = ak->gen,
	};
	struct memleak_aged v = { .bytes = ai->size, .count = 1, .oldest_ts_ns = ai->ts_ns };
	struct agg_slot *s;
	__u32 i;

	w->records++;
	if (must_stop(w))
		return 1; /* the caller reads the records out instead */
	/* As in user space (add_records): made after "now" counts as young. */
	if (v.oldest_ts_ns > w->now_ns || w->now_ns - v.oldest_ts_ns < w->min_age_ns)
		return 0;
	w->aged++;
	i = slot_of(&k);
	s = bpf_map_lookup_elem(&agg_cache, &i);
	if (!s)
		return 0; /* cannot happen: i is in range */
	if (!s->sum.count) {
		s->key = k;
		s->sum = v;
		return 0;
	}
	if (key_eq(&s->key, &k)) {
		sum_add(&s->sum, &v);
		return 0;
	}
	if (map_add(&k, &v))
		return 0;
	w->full = true;
	return 1; /* stop: the result cannot be complete */
}

/* Move a slot's sums to aged_totals and leave it empty for the next run. */
static long flush_slot(__u32 i, struct walk *w)
{
	struct agg_slot *s = bpf_map_lookup_elem(&agg_cache, &i);

	if (!s || !s->sum.count)
		return 0;
	/* Moving thousands of stacks takes milliseconds too: same deadline. */
	if (!w->cut && bpf_ktime_get_ns() > w->deadline_ns)
		w->cut = MEMLEAK_AGG_TOO_LONG;
	/* After a cut the sums are thrown away: do not add them up. */
	if (!w->full && !w->cut && !map_add(&s->key, &s->sum))
		w->full = true;
	s->sum.count = 0;
	return 0;
}

SEC("syscall")
int aggregate(struct memleak_agg_args *args)
{
	struct walk w = {
		.now_ns = args->now_ns, .min_age_ns = args->min_age_ns,
		.max_records = args->max_records,
		.deadline_ns = bpf_ktime_get_ns() + args->budget_ns,
		/* 0, but from the context: a constant the verifier would follow
		 * through the callback record by record (too complex). */
		.records = args->records,
	};

	bpf_for_each_map_elem(&allocs, add_record, &w, 0);
	/* Even after a stop: every slot must be empty for the next run. */
	bpf_loop(MEMLEAK_AGG_SLOTS, flush_slot, &w, 0);
	if (w.full)
		stat_add(MEMLEAK_STAT_AGGREGATE_FULL, 1);
	args->records = w.records;
	args->aged = w.aged;
	args->full = w.full;
	args->cut = w.cut;
	return 0;
}
