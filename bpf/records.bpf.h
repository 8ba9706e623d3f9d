/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The allocation records, kept by both modes of the allocator probes
 * (alloc.bpf.c: every call; sampled.bpf.c: sampled calls): one record per
 * live block in allocs, and running totals per (process, stack, kind) in
 * stack_totals, updated with every record added or removed, so a report
 * only reads the totals unless an age filter asks for the records.
 */
#ifndef MEMLEAK_RECORDS_BPF_H
#define MEMLEAK_RECORDS_BPF_H

#include "shared.bpf.h"
#include "unwind.bpf.h"

static __always_inline bool size_wanted(__u64 size)
{
	return size >= min_size && size <= max_size;
}

/* nmemb * size; an overflowing request fails, and is seen failing at return. */
static __always_inline __u64 array_size(__u64 nmemb, __u64 size)
{
	__u64 limit;

	if (!((nmemb | size) >> 32))
		return nmemb * size;
	if (!nmemb)
		return 0;
	limit = ~0ULL / nmemb;
	/* Keep clang from folding this into a 128-bit multiply BPF lacks. */
	asm volatile("" : "+r"(limit));
	return size > limit ? ~0ULL : nmemb * size;
}

/*
 * sign +1: a block recorded, -1: one forgotten.  new_alloc: the block is
 * a new allocation (not a failed realloc's old block put back), counted in
 * the cumulative totals too: in the entry the update touches anyway.
 */
static __always_inline void totals_add(struct proc_id id, const struct alloc_info *info,
				       __s64 sign, bool new_alloc)
{
	struct stack_key key = {
		.tgid = id.tgid, .stack_id = info->stack_id, .kind = info->kind,
		.gen = id.gen,
	};
	struct stack_total zero = {}, *t;

	t = bpf_map_lookup_elem(&stack_totals, &key);
	if (!t) {
		if (sign < 0)
			return; /* never added: its insert had failed */
		/* EEXIST from a racing insert is fine; the lookup finds it. */
		bpf_map_update_elem(&stack_totals, &key, &zero, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&stack_totals, &key);
		if (!t) {
			stat_add(MEMLEAK_STAT_TOTALS_FULL, 1);
			return;
		}
	}
	__sync_fetch_and_add(&t->bytes, sign * (__s64)info->size);
	__sync_fetch_and_add(&t->count, sign);
	if (new_alloc) {
		__sync_fetch_and_add(&t->alloc_bytes, info->size);
		__sync_fetch_and_add(&t->alloc_count, 1);
	}
}

/* Forget a live allocation; returns false if it was not recorded. */
static __always_inline bool forget_alloc(struct proc_id id, __u64 addr,
					 struct alloc_info *out)
{
	struct alloc_key key = { .tgid = id.tgid, .gen = id.gen, .addr = addr };
	struct alloc_info *info;

	info = bpf_map_lookup_elem(&allocs, &key);
	if (!info)
		return false;
	*out = *info;
	/* Only the thread whose delete succeeds accounts the free (double free). */
	if (bpf_map_delete_elem(&allocs, &key))
		return false;
	totals_add(id, out, -1, false);
	return true;
}

/* Record the block at addr, at an allocation function's return (ctx). */
static __always_inline void remember_alloc(struct pt_regs *ctx, struct proc_id id,
					   __u64 addr, __u64 size)
{
	struct alloc_key key = { .tgid = id.tgid, .gen = id.gen, .addr = addr };
	struct alloc_info info = {
		.size = size, .ts_ns = bpf_ktime_get_ns(), .kind = MEMLEAK_KIND_MALLOC,
	};
	struct alloc_info *old;

	/* At the return probe ip is the return address inside the caller. */
	info.stack_id = capture_stack_of(ctx, id.gen, PT_REGS_IP(ctx), PT_REGS_SP(ctx),
					 PT_REGS_FP(ctx));

	/*
	 * Inserted first, looked up only when that fails: a record for this
	 * address means its free went by unseen (a free path we do not
	 * probe); that memory is not outstanding any more.
	 */
	if (bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST)) {
		old = bpf_map_lookup_elem(&allocs, &key);
		if (old) {
			struct alloc_info stale = *old;

			if (!bpf_map_delete_elem(&allocs, &key)) {
				totals_add(id, &stale, -1, false);
				stat_add(MEMLEAK_STAT_STALE_REPLACED, 1);
			}
		}
		if (bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST)) {
			stat_add(MEMLEAK_STAT_ALLOC_MAP_FULL, 1);
			stat_add(MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES, size);
			return;
		}
	}
	totals_add(id, &info, 1, true);
	stat_add(MEMLEAK_STAT_ALLOCS, 1);
}

/*
 * A failed realloc: the old block, forgotten at entry before the allocator
 * could hand its address to another thread, is live again.
 */
static __always_inline void restore_old(struct proc_id id, const struct alloc_request *req)
{
	struct alloc_key key = { .tgid = id.tgid, .gen = id.gen, .addr = req->ptr };

	if (!bpf_map_update_elem(&allocs, &key, &req->old, BPF_NOEXIST)) {
		totals_add(id, &req->old, 1, false);
		stat_add(MEMLEAK_STAT_FREES, (__u64)-1);
	}
}

#endif /* MEMLEAK_RECORDS_BPF_H */
