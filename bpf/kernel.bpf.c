// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel allocations (-k): the kmalloc family, slab caches, pages and
 * percpu memory the kernel allocates on behalf of the traced processes,
 * at their BTF tracepoints (tp_btf: no tracefs needed).
 *
 * These tracepoints fire for the whole machine, hundreds of thousands of
 * times a second, so each program decides with as little as it can:
 *   - an allocation is recorded only when the current task belongs to a
 *     traced process (one lookup in traced_pids) and the kernel is not
 *     in an interrupt that borrowed it, checked before any map write;
 *   - a free is one lookup of its address in kallocs, which misses at
 *     once for every object that is not ours.
 * The free is matched by address whatever context frees the object (an
 * RCU callback, a kworker): the owner is in the record.
 *
 * The stack is both halves: the kernel frames (bpf_get_stack), then the
 * user stack of the thread that entered the kernel, from the registers it
 * saved at the entry (bpf_task_pt_regs), walked by the same unwinder as
 * every user stack (unwind.bpf.c).  A slab's stack starts with its cache,
 * so the cache is part of the key; the cache's name goes in kcache_names.
 *
 * Feedback: the tracer's own process is never recorded (tracer_tgid),
 * and records live in maps without preallocation whose
 * refills run from irq_work, in interrupt context, which is filtered out
 * here (from_interrupt) before any map write: the programs' own
 * allocations are never recorded.
 */
#include "shared.bpf.h"
#include "records.bpf.h"
#include "unwind.bpf.h"

/* bpf_get_stack: kernel frames only. */
#define KSTACK_BYTES (MEMLEAK_MAX_KERNEL_DEPTH * sizeof(__u64))

/* Live kernel allocations by address; max_entries set by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1000000);
	__type(key, __u64);
	__type(value, struct kalloc_info);
} kallocs SEC(".maps");

/* struct kmem_cache * -> its name, for the report. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMLEAK_MAX_SLAB_CACHES);
	__type(key, __u64);
	__type(value, char[MEMLEAK_SLAB_NAME_LEN]);
} kcache_names SEC(".maps");

/* The kernel frames being taken: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct memleak_kframes);
} kframes_scratch SEC(".maps");

/*
 * -k without a target: every task of the host but the tracer's own
 * process, under generation 0; --sample-bytes then records a block of
 * size bytes with probability min(1, size / sample_bytes).
 */
const volatile bool kernel_host = false;
const volatile __u32 tracer_tgid = 0;

/*
 * Interrupt context, where the kernel allocates for whoever and not for the
 * task that was interrupted: a hard interrupt's entry code (the irqentry
 * text section) or softirq processing (handle_softirqs, also when run at
 * local_bh_enable in a task) in the kernel stack.  The stack is what
 * tells: the BPF program runs on a private stack of its own, and the
 * preempt count is a percpu variable without a symbol here.  User space
 * sets the ranges from /proc/kallsyms.
 */
const volatile __u64 irq_text_start = 0, irq_text_end = 0;
const volatile __u64 softirq_text_start = 0, softirq_text_end = 0;

static __always_inline bool from_interrupt(const struct memleak_kframes *kf, __u32 first,
					   __u32 n)
{
	__u32 i;

	for (i = 0; i < MEMLEAK_MAX_KERNEL_DEPTH; i++) {
		__u64 a;

		if (first + i >= n)
			break;
		a = kf->ips[(first + i) & (MEMLEAK_KFRAMES_WORDS - 1)];
		if ((a >= irq_text_start && a < irq_text_end) ||
		    (a >= softirq_text_start && a < softirq_text_end))
			return true;
	}
	return false;
}

/*
 * Pages that are counted already as what they back: a slab's pages
 * (allocate_slab: its objects are the kmalloc and slab records), a large
 * kmalloc's (___kmalloc_large_node: its kmalloc record), a percpu chunk's
 * (pcpu_populate_chunk: the percpu records).  And pages faulted in
 * (handle_mm_fault): the process's own memory, anonymous or mapped, which
 * its RSS counts; recording them would take a record per page it touches.
 * A page allocation with one of these text ranges in its kernel stack is
 * not recorded.
 */
#define PAGE_SKIP_RANGES 4
const volatile __u64 page_skip_start[PAGE_SKIP_RANGES] = {};
const volatile __u64 page_skip_end[PAGE_SKIP_RANGES] = {};

static __always_inline bool backs_counted_memory(const struct memleak_kframes *kf, __u32 n)
{
	__u32 i, r;

	for (i = 0; i < MEMLEAK_MAX_KERNEL_DEPTH; i++) {
		__u64 a;

		if (i >= n)
			break;
		a = kf->ips[i & (MEMLEAK_KFRAMES_WORDS - 1)];
		for (r = 0; r < PAGE_SKIP_RANGES; r++)
			if (a >= page_skip_start[r] && a < page_skip_end[r])
				return true;
	}
	return false;
}

/* The name of cache, entered once per cache. */
static __always_inline void name_cache(__u64 cache)
{
	char name[MEMLEAK_SLAB_NAME_LEN] = {};
	const char *p;

	if (bpf_map_lookup_elem(&kcache_names, &cache))
		return;
	p = BPF_CORE_READ((struct kmem_cache *)cache, name);
	bpf_probe_read_kernel_str(name, sizeof(name), p);
	bpf_map_update_elem(&kcache_names, &cache, name, BPF_NOEXIST);
}

/*
 * Kernel frames (after the cache word of a slab) into kf; false in
 * interrupt context.
 */
static __always_inline bool take_kernel_frames(void *ctx, struct memleak_kframes *kf,
					       __u64 cache)
{
	__u32 first = cache ? 1 : 0;
	long got;

	kf->ips[0] = cache;
	got = bpf_get_stack(ctx, &kf->ips[first], KSTACK_BYTES, 0);
	kf->nk = first + (got > 0 ? got / sizeof(__u64) : 0);
	return !from_interrupt(kf, first, kf->nk);
}

/* Then the user stack, from the registers saved when the thread entered. */
static __always_inline __s32 capture_both(struct memleak_kframes *kf,
					  struct task_struct *task, __u32 gen)
{
	struct pt_regs *regs;
	long sid;

	kf->ip = kf->sp = kf->bp = 0;
	if (!(BPF_CORE_READ(task, flags) & 0x00200000 /* PF_KTHREAD */)) {
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		if (regs && (BPF_CORE_READ(regs, cs) & 3) == 3) {
			kf->ip = BPF_CORE_READ(regs, ip);
			kf->sp = BPF_CORE_READ(regs, sp);
			kf->bp = BPF_CORE_READ(regs, bp);
		}
	}
	sid = unwind_kernel_user_stack(kf, gen);
	if (sid < 0) {
		stat_add(sid == -EEXIST ? MEMLEAK_STAT_STACK_COLLISION
					: MEMLEAK_STAT_STACK_MAP_FULL, 1);
		return MEMLEAK_STACK_LOST;
	}
	return (__s32)sid;
}

static __always_inline void kernel_alloc(void *ctx, __u64 addr, __u64 size, __u32 kind,
					 __u64 cache)
{
	struct kalloc_info rec = {}, *old;
	struct memleak_kframes *kf;
	__u32 zero = 0;
	struct proc_id id;

	if (!addr || !size_wanted(size))
		return;
	if (kernel_host) {
		id.tgid = bpf_get_current_pid_tgid() >> 32;
		id.gen = 0;
		if (id.tgid == tracer_tgid)
			return;
		if (sample_bytes && size < sample_bytes &&
		    (((__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32()) %
		     sample_bytes) >= size)
			return;
	} else if (!current_proc(&id) || id.tgid == tracer_tgid) {
		return;	/* the tracer in a traced cgroup: its own are never recorded */
	}
	kf = bpf_map_lookup_elem(&kframes_scratch, &zero);
	if (!kf || !take_kernel_frames(ctx, kf, cache))
		return;
	if (kind == MEMLEAK_KIND_PAGE && backs_counted_memory(kf, kf->nk))
		return;
	if (cache)
		name_cache(cache);
	rec.info.size = size;
	rec.info.ts_ns = bpf_ktime_get_ns();
	rec.info.kind = kind;
	rec.info.stack_id = capture_both(kf, bpf_get_current_task_btf(), id.gen);
	rec.tgid = id.tgid;
	rec.gen = id.gen;
	/*
	 * An address still recorded was freed by a path without a
	 * tracepoint (bulk frees): not outstanding any more.
	 */
	if (bpf_map_update_elem(&kallocs, &addr, &rec, BPF_NOEXIST)) {
		old = bpf_map_lookup_elem(&kallocs, &addr);
		if (old) {
			struct kalloc_info stale = *old;

			if (!bpf_map_delete_elem(&kallocs, &addr)) {
				totals_add((struct proc_id){ stale.tgid, stale.gen },
					   &stale.info, -1, false);
				stat_add(MEMLEAK_STAT_STALE_REPLACED, 1);
			}
		}
		if (bpf_map_update_elem(&kallocs, &addr, &rec, BPF_NOEXIST)) {
			stat_add(MEMLEAK_STAT_ALLOC_MAP_FULL, 1);
			stat_add(MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES, size);
			return;
		}
	}
	totals_add(id, &rec.info, 1, true);
	stat_add(MEMLEAK_STAT_ALLOCS, 1);
}

/* The hot path of the whole machine: one lookup that misses. */
static __always_inline void kernel_free(__u64 addr)
{
	struct kalloc_info *rec = bpf_map_lookup_elem(&kallocs, &addr);
	struct kalloc_info gone;

	if (!rec)
		return;
	gone = *rec;
	/* Only the context whose delete succeeds accounts the free. */
	if (bpf_map_delete_elem(&kallocs, &addr))
		return;
	totals_add((struct proc_id){ gone.tgid, gone.gen }, &gone.info, -1, false);
	stat_add(MEMLEAK_STAT_FREES, 1);
}

/* kmalloc, kmalloc_node, krealloc, kvmalloc's slab half (6.x: one tracepoint). */
SEC("tp_btf/kmalloc")
int BPF_PROG(k_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req,
	     size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	kernel_alloc(ctx, (__u64)ptr, bytes_alloc, MEMLEAK_KIND_KMALLOC, 0);
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(k_kfree, unsigned long call_site, const void *ptr)
{
	kernel_free((__u64)ptr);
	return 0;
}

/* kmem_cache_alloc and its _node, _lru variants. */
SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(k_cache_alloc, unsigned long call_site, const void *ptr, struct kmem_cache *s,
	     gfp_t gfp_flags, int node)
{
	kernel_alloc(ctx, (__u64)ptr, BPF_CORE_READ(s, size), MEMLEAK_KIND_SLAB, (__u64)s);
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(k_cache_free, unsigned long call_site, const void *ptr,
	     const struct kmem_cache *s)
{
	kernel_free((__u64)ptr);
	return 0;
}

/* Pages are keyed by their struct page: mm_page_free gives nothing else. */
SEC("tp_btf/mm_page_alloc")
int BPF_PROG(k_page_alloc, struct page *page, unsigned int order, gfp_t gfp_flags,
	     int migratetype)
{
	kernel_alloc(ctx, (__u64)page, PAGE_SIZE_ << (order & 31), MEMLEAK_KIND_PAGE, 0);
	return 0;
}

SEC("tp_btf/mm_page_free")
int BPF_PROG(k_page_free, struct page *page, unsigned int order)
{
	kernel_free((__u64)page);
	return 0;
}

SEC("tp_btf/mm_page_free_batched")
int BPF_PROG(k_page_free_batched, struct page *page)
{
	kernel_free((__u64)page);
	return 0;
}

/* bytes_alloc: the size times every possible CPU. */
SEC("tp_btf/percpu_alloc_percpu")
int BPF_PROG(k_percpu_alloc, unsigned long call_site, bool reserved, bool is_atomic,
	     size_t size, size_t align, void *base_addr, int off, void *ptr,
	     size_t bytes_alloc, gfp_t gfp_flags)
{
	kernel_alloc(ctx, (__u64)ptr, bytes_alloc, MEMLEAK_KIND_PERCPU, 0);
	return 0;
}

SEC("tp_btf/percpu_free_percpu")
int BPF_PROG(k_percpu_free, void *base_addr, int off, void *ptr)
{
	kernel_free((__u64)ptr);
	return 0;
}
