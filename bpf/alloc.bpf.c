// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Allocator probes, precise mode: uprobes on the allocation family (malloc,
 * calloc, realloc, reallocarray, posix_memalign, aligned_alloc, memalign,
 * C++ operator new and delete, --alloc-fn/--free-fn) and free record every
 * block the traced processes allocate and free (records.bpf.h).
 *
 * Entry programs stash the arguments of the outermost allocator call of a
 * thread in its pending state (pending.bpf.h); one return program
 * (alloc_return) finishes every allocation function.  A call is identified
 * by the user stack pointer at entry, so a nested allocator call (calloc ->
 * malloc, new -> malloc, a realloc that frees internally) never clobbers
 * the outer call's state, and a return probe that was lost cannot wedge
 * the thread: its state is stale as soon as the stack has unwound above it.
 *
 * Sampled mode (sampled.bpf.c) takes over the allocating functions; every
 * freeing one (free, delete, --free-fn) then goes to free_enter.
 */
#include "shared.bpf.h"
#include "records.bpf.h"

/* Common entry: returns the thread's pending state, or NULL to ignore the call. */
static __always_inline struct pending_call *begin_call(struct pt_regs *ctx,
						       __u32 fn, __u64 size)
{
	struct pending_call *p;
	struct proc_id id;
	__u64 sp, now;

	if (!current_proc(&id))
		return NULL;
	p = pending_get(true);
	if (!p) {
		stat_add(MEMLEAK_STAT_PENDING_LOST, 1);
		return NULL;
	}
	sp = PT_REGS_SP(ctx);
	now = bpf_ktime_get_ns();
	if (inside_outer_call(&p->outer, sp, now)) {
		stat_add(MEMLEAK_STAT_NESTED_CALLS, 1);
		return NULL;
	}
	p->outer.active = 1;
	p->req.gen = id.gen;
	p->outer.sp = sp;
	p->outer.ts_ns = now;
	p->req.fn = fn;
	p->req.size = size;
	p->req.ptr = 0;
	p->req.old_valid = 0;
	p->outer.record = size_wanted(size);
	return p;
}

/*
 * A call outside the size filter stays pending (record = 0): it is still an
 * allocator call, so the mmap/brk it makes is the allocator's backing
 * memory, and nested calls inside it are still its own.
 */
static __always_inline int begin_plain(struct pt_regs *ctx, __u32 fn, __u64 size)
{
	begin_call(ctx, fn, size);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(malloc_enter, __u64 size)
{
	return begin_plain(ctx, MEMLEAK_FN_MALLOC, size);
}

/* aligned_alloc(alignment, size) and memalign(alignment, size). */
SEC("uprobe")
int BPF_KPROBE(aligned_enter, __u64 alignment, __u64 size)
{
	return begin_plain(ctx, MEMLEAK_FN_ALIGNED_ALLOC, size);
}

SEC("uprobe")
int BPF_KPROBE(calloc_enter, __u64 nmemb, __u64 size)
{
	return begin_plain(ctx, MEMLEAK_FN_CALLOC, array_size(nmemb, size));
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, __u64 memptr, __u64 alignment, __u64 size)
{
	struct pending_call *p = begin_call(ctx, MEMLEAK_FN_POSIX_MEMALIGN, size);

	if (!p)
		return 0;
	p->req.ptr = memptr;
	return 0;
}

/*
 * realloc: the old block is forgotten at entry, before the allocator can
 * hand its address to another thread, and restored if realloc fails.
 */
static __always_inline int begin_realloc(struct pt_regs *ctx, __u32 fn,
					 __u64 ptr, __u64 size)
{
	struct pending_call *p = begin_call(ctx, fn, size);
	struct proc_id id;

	if (!p)
		return 0;
	id.tgid = bpf_get_current_pid_tgid() >> 32;
	id.gen = p->req.gen;
	p->req.ptr = ptr;
	if (ptr && forget_alloc(id, ptr, &p->req.old)) {
		p->req.old_valid = 1;
		stat_add(MEMLEAK_STAT_FREES, 1);
	}
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(realloc_enter, __u64 ptr, __u64 size)
{
	return begin_realloc(ctx, MEMLEAK_FN_REALLOC, ptr, size);
}

SEC("uprobe")
int BPF_KPROBE(reallocarray_enter, __u64 ptr, __u64 nmemb, __u64 size)
{
	return begin_realloc(ctx, MEMLEAK_FN_REALLOCARRAY, ptr, array_size(nmemb, size));
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret)
{
	struct pending_call *p = pending_get(false);
	struct alloc_request *req;
	struct proc_id id;
	__u64 addr = ret;

	/* After "ret" the stack pointer is one slot above its value at entry. */
	if (!p || !p->outer.active || PT_REGS_SP(ctx) != p->outer.sp + 8)
		return 0;
	p->outer.active = 0;
	req = &p->req;
	if (req->fn == MEMLEAK_FN_FREE)
		return 0; /* operator delete: done at entry */
	id.tgid = bpf_get_current_pid_tgid() >> 32;
	id.gen = req->gen;

	switch (req->fn) {
	case MEMLEAK_FN_POSIX_MEMALIGN:
		addr = 0;
		if ((int)ret == 0 &&
		    bpf_probe_read_user(&addr, sizeof(addr), (void *)req->ptr))
			addr = 0;
		break;
	case MEMLEAK_FN_REALLOC:
	case MEMLEAK_FN_REALLOCARRAY:
		if (!addr) {
			/* realloc(p, 0) freed p; any other NULL is a failure. */
			if (req->size && req->old_valid)
				restore_old(id, req);
			if (req->size)
				stat_add(MEMLEAK_STAT_FAILED_ALLOCS, 1);
			return 0;
		}
		break;
	default:
		break;
	}
	if (!addr) {
		stat_add(MEMLEAK_STAT_FAILED_ALLOCS, 1);
		return 0;
	}
	if (p->outer.record)
		remember_alloc(ctx, id, addr, req->size);
	return 0;
}

/*
 * C++ operator delete in an allocator that implements it itself (jemalloc
 * inlines its fast path there).  It is a pending call like an allocation,
 * so the free it may make inside is its own and is not counted twice.
 */
static __always_inline int begin_delete(struct pt_regs *ctx, __u64 ptr)
{
	struct pending_call *p = begin_call(ctx, MEMLEAK_FN_FREE, 0);
	struct alloc_info info;
	struct proc_id id;

	if (!p)
		return 0;
	p->outer.record = 0;
	if (!ptr)
		return 0;
	id.tgid = bpf_get_current_pid_tgid() >> 32;
	id.gen = p->req.gen;
	if (forget_alloc(id, ptr, &info))
		stat_add(MEMLEAK_STAT_FREES, 1);
	else
		stat_add(MEMLEAK_STAT_UNKNOWN_FREES, 1);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(delete_enter, __u64 ptr)
{
	return begin_delete(ctx, ptr);
}

/*
 * Custom allocators (--alloc-fn NAME:ARG, --free-fn NAME:ARG): one program
 * for every such function, the argument's position (1 to 6, the x86-64
 * register arguments) in the probe's cookie.
 */
static __always_inline __u64 arg_by_cookie(struct pt_regs *ctx)
{
	/* Loaded at fixed offsets: the verifier refuses a computed ctx offset. */
	__u64 args[6] = {
		PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx),
		PT_REGS_PARM4(ctx), PT_REGS_PARM5(ctx),
		ctx->r9, /* libbpf 1.1 has no PT_REGS_PARM6 */
	};
	__u64 n = bpf_get_attach_cookie(ctx);

	return n >= 1 && n <= 6 ? args[n - 1] : 0;
}

/* Like malloc; the malloc it makes inside is nested and counted once. */
SEC("uprobe")
int BPF_KPROBE(custom_alloc_enter)
{
	return begin_plain(ctx, MEMLEAK_FN_MALLOC, arg_by_cookie(ctx));
}

/* Like operator delete: a pending call, so the free it makes is its own. */
SEC("uprobe")
int BPF_KPROBE(custom_free_enter)
{
	return begin_delete(ctx, arg_by_cookie(ctx));
}

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr)
{
	struct alloc_info info;
	struct pending_call *p;
	struct proc_id id;

	if (!ptr || !current_proc(&id))
		return 0;
	/*
	 * A free inside realloc or another allocator call is its business.
	 * Sampled mode probes no outer call on the freeing side (its entries
	 * keep their own state), so there a free costs the record's lookup.
	 */
	p = sample_bytes ? NULL : pending_get(false);
	if (p && outer_call_live(&p->outer, PT_REGS_SP(ctx))) {
		stat_add(MEMLEAK_STAT_NESTED_CALLS, 1);
		return 0;
	}
	if (forget_alloc(id, ptr, &info))
		stat_add(MEMLEAK_STAT_FREES, 1);
	else if (!sample_bytes) /* sampled: most blocks were never recorded */
		stat_add(MEMLEAK_STAT_UNKNOWN_FREES, 1);
	return 0;
}
