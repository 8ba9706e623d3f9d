// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memleakbpf kernel side: uprobes on the allocation family keep an exact
 * account of live allocations per process and stack.
 *
 * Entry programs stash the arguments of the outermost allocator call of a
 * thread in task-local storage; one return program (alloc_return) finishes
 * every allocation function.  A call is identified by the user stack pointer
 * at entry, so a nested allocator call (calloc -> malloc, new -> malloc, a
 * realloc that frees internally) never clobbers the outer call's state, and a
 * return probe that was lost cannot wedge the thread: its state is stale as
 * soon as the stack has unwound above it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "memleak.h"

#define EEXIST 17 /* vmlinux.h carries no errno values */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Allocations outside [min_size, max_size] are not recorded (-z/-Z). */
const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;

/*
 * Following a service: children of traced processes are traced from fork
 * (follow_forks), and processes exec'ing into a matching command name or
 * cgroup are picked up at exec.  Uprobes are then attached system-wide and
 * traced_pids is the filter.
 */
const volatile bool follow_forks = false;
const volatile char match_comm[16] = {};
const volatile __u64 match_cgroup_id = 0;   /* kernfs id of a cgroup directory */

/*
 * Sampled mode (--sample-bytes): allocations are sampled as points of a
 * Poisson process over allocated bytes with mean gap sample_bytes, so one of
 * size s is taken with probability 1 - exp(-s / sample_bytes); user space
 * scales what was taken into unbiased estimates.  sample_seed (0 = random)
 * seeds each thread's generator, for reproducible tests.  log2_mant[j] is
 * log2(1 + (j + 0.5) / 256) in 16.16 fixed point, filled by the loader.
 */
const volatile __u64 sample_bytes = 0;
const volatile __u64 sample_seed = 0;
const volatile __u32 log2_mant[256] = {};

/* A pending call older than this is treated as abandoned, not as an outer call. */
#define PENDING_STALE_NS (1000ULL * 1000 * 1000)

/* tgid -> generation (struct proc_id) of every traced process. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMLEAK_MAX_PIDS);
	__type(key, __u32);
	__type(value, __u32);
} traced_pids SEC(".maps");

/* Next generation; user space takes numbers from it too (skeleton .bss). */
__u32 next_gen = 1;

/* max_entries of these three are set by the loader (options). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1000000);
	__type(key, struct alloc_key);
	__type(value, struct alloc_info);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct stack_key);
	__type(value, struct stack_total);
} stack_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MEMLEAK_MAX_STACK_DEPTH * sizeof(__u64));
} stack_traces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MEMLEAK_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/*
 * Per-thread state: the outermost allocator call the thread is inside of,
 * and the memory syscall it is in (args are only known at entry, the
 * result only at exit).
 */
struct pending_call {
	__u64 sp;          /* user stack pointer at entry */
	__u64 ts_ns;       /* entry time */
	__u64 size;        /* bytes requested */
	__u64 ptr;         /* realloc: old block; posix_memalign: out-parameter */
	struct alloc_info old; /* realloc: old block's record, restored on failure */
	__u32 fn;          /* enum memleak_fn */
	__u32 gen;         /* process generation at entry */
	__u8 active;
	__u8 old_valid;
	__u8 record;       /* the new block is within the size filter */
	__u8 sys_backing;  /* the syscall is made inside an allocator call */
	__u8 sys_wrapper;  /* sys_nr was entered through a C library wrapper */
	__s32 sys_nr;      /* syscall in progress, or 0 */
	__u32 sys_flags;   /* mmap flags */
	__s32 sys_stack;   /* stack of the mapping call, taken where its registers are */
	__u64 sys_args[3];
	__u64 sys_caller;  /* word at the user stack pointer at entry */
	/*
	 * Sampled mode.  Unsampled calls never reach a return probe, so the
	 * outermost call is marked by its entry stack pointer and the return
	 * address found there: a later call is nested in it only while that
	 * frame is still live (deeper stack, return address still in place).
	 */
	__u64 smp_sp;
	__u64 smp_ret;
	__u64 smp_left;    /* bytes until the next sample point */
	__u64 rng;         /* xorshift64* state; 0 = not seeded yet */
	__u8 smp_take;     /* the outermost call's block is sampled */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending_call);
} pending SEC(".maps");

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += n;
}

#include "unwind.bpf.h"

static __always_inline bool pid_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced_pids, &tgid) != NULL;
}

/* The current process, if traced. */
static __always_inline bool current_proc(struct proc_id *id)
{
	__u32 *gen;

	id->tgid = bpf_get_current_pid_tgid() >> 32;
	gen = bpf_map_lookup_elem(&traced_pids, &id->tgid);
	if (!gen)
		return false;
	id->gen = *gen;
	return true;
}

static __always_inline bool size_wanted(__u64 size)
{
	return size >= min_size && size <= max_size;
}

static __always_inline void totals_add(struct proc_id id, const struct alloc_info *info,
				       __s64 sign)
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
	totals_add(id, out, -1);
	return true;
}

static __always_inline void remember_alloc(struct pt_regs *ctx, struct proc_id id,
					   __u64 addr, __u64 size)
{
	struct alloc_key key = { .tgid = id.tgid, .gen = id.gen, .addr = addr };
	struct alloc_info info = {
		.size = size, .ts_ns = bpf_ktime_get_ns(), .kind = MEMLEAK_KIND_MALLOC,
	};
	struct alloc_info *old;

	/* At the return probe ip is the return address inside the caller. */
	info.stack_id = capture_stack(ctx, PT_REGS_IP(ctx), PT_REGS_SP(ctx), PT_REGS_FP(ctx));

	/*
	 * A record for this address means its free went by unseen (a free
	 * path we do not probe); that memory is not outstanding any more.
	 */
	old = bpf_map_lookup_elem(&allocs, &key);
	if (old) {
		struct alloc_info stale = *old;

		if (!bpf_map_delete_elem(&allocs, &key)) {
			totals_add(id, &stale, -1);
			stat_add(MEMLEAK_STAT_STALE_REPLACED, 1);
		}
	}
	if (bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST)) {
		stat_add(MEMLEAK_STAT_ALLOC_MAP_FULL, 1);
		stat_add(MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES, size);
		return;
	}
	totals_add(id, &info, 1);
	stat_add(MEMLEAK_STAT_ALLOCS, 1);
}

static __always_inline struct pending_call *pending_get(bool create)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return bpf_task_storage_get(&pending, task, 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/*
 * True when the thread is inside another, still running allocator call:
 * one entered higher up this stack (or at the same place: a tail call, as
 * jemalloc's sized delete makes), recently.
 */
static __always_inline bool inside_outer_call(struct pending_call *p, __u64 sp,
					      __u64 now)
{
	return p->active && p->sp >= sp && now - p->ts_ns < PENDING_STALE_NS;
}

/* Common entry: returns the thread's pending slot, or NULL to ignore the call. */
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
	if (inside_outer_call(p, sp, now)) {
		stat_add(MEMLEAK_STAT_NESTED_CALLS, 1);
		return NULL;
	}
	p->active = 1;
	p->gen = id.gen;
	p->sp = sp;
	p->ts_ns = now;
	p->fn = fn;
	p->size = size;
	p->ptr = 0;
	p->old_valid = 0;
	p->record = size_wanted(size);
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
	p->ptr = memptr;
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
	id.gen = p->gen;
	p->ptr = ptr;
	if (ptr && forget_alloc(id, ptr, &p->old)) {
		p->old_valid = 1;
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

static __always_inline void restore_old(struct proc_id id, struct pending_call *p)
{
	struct alloc_key key = { .tgid = id.tgid, .gen = id.gen, .addr = p->ptr };

	if (!bpf_map_update_elem(&allocs, &key, &p->old, BPF_NOEXIST)) {
		totals_add(id, &p->old, 1);
		stat_add(MEMLEAK_STAT_FREES, (__u64)-1);
	}
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret)
{
	struct pending_call *p = pending_get(false);
	struct proc_id id;
	__u64 addr = ret;

	/* After "ret" the stack pointer is one slot above its value at entry. */
	if (!p || !p->active || PT_REGS_SP(ctx) != p->sp + 8)
		return 0;
	p->active = 0;
	if (p->fn == MEMLEAK_FN_FREE)
		return 0; /* operator delete: done at entry */
	id.tgid = bpf_get_current_pid_tgid() >> 32;
	id.gen = p->gen;

	switch (p->fn) {
	case MEMLEAK_FN_POSIX_MEMALIGN:
		addr = 0;
		if ((int)ret == 0 &&
		    bpf_probe_read_user(&addr, sizeof(addr), (void *)p->ptr))
			addr = 0;
		break;
	case MEMLEAK_FN_REALLOC:
	case MEMLEAK_FN_REALLOCARRAY:
		if (!addr) {
			/* realloc(p, 0) freed p; any other NULL is a failure. */
			if (p->size && p->old_valid)
				restore_old(id, p);
			if (p->size)
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
	if (p->record)
		remember_alloc(ctx, id, addr, p->size);
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
	p->record = 0;
	if (!ptr)
		return 0;
	id.tgid = bpf_get_current_pid_tgid() >> 32;
	id.gen = p->gen;
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
	/* A free inside realloc or another allocator call is its business. */
	p = pending_get(false);
	if (p && inside_outer_call(p, PT_REGS_SP(ctx), bpf_ktime_get_ns())) {
		stat_add(MEMLEAK_STAT_NESTED_CALLS, 1);
		return 0;
	}
	if (forget_alloc(id, ptr, &info))
		stat_add(MEMLEAK_STAT_FREES, 1);
	else if (!sample_bytes) /* sampled: most blocks were never recorded */
		stat_add(MEMLEAK_STAT_UNKNOWN_FREES, 1);
	return 0;
}

/* ---- Sampled mode: uprobe sessions, the entry decides whether to return ---- */

static __always_inline __u64 rng_next(struct pending_call *p)
{
	__u64 x = p->rng;

	if (!x) {
		/* Thread's offset from its process: 0 for the main thread. */
		__u64 pid_tgid = bpf_get_current_pid_tgid();
		__u64 tid = (__u32)pid_tgid - (__u32)(pid_tgid >> 32);

		x = sample_seed ? (sample_seed + tid) * 0x9e3779b97f4a7c15ULL
				: ((__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32());
		x |= 1;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/*
 * An exponential gap with mean sample_bytes: -ln(U) * sample_bytes, with
 * -log2(U) = 32 - log2(r) for r = U * 2^32 taken as exponent plus a table
 * lookup of the mantissa's top 8 bits (no floating point in BPF).
 */
static __always_inline __u64 exp_gap(struct pending_call *p)
{
	__u32 r = rng_next(p) >> 32, v, e = 0, j;
	__u64 neg_log2, neg_ln;

	if (!r)
		r = 1;
	v = r;
	if (v >> 16) { v >>= 16; e += 16; }
	if (v >> 8) { v >>= 8; e += 8; }
	if (v >> 4) { v >>= 4; e += 4; }
	if (v >> 2) { v >>= 2; e += 2; }
	if (v >> 1) e += 1;
	j = (e >= 8 ? r >> (e - 8) : r << (8 - e)) & 0xff;
	neg_log2 = ((__u64)(32 - e) << 16) - log2_mant[j];
	neg_ln = neg_log2 * 45426 >> 16;        /* x ln 2 (45426 / 65536) */
	return (sample_bytes * neg_ln >> 16) + 1;
}

/* One allocation of size bytes: does a sample point fall inside it? */
static __always_inline bool sample_take(struct pending_call *p, __u64 size)
{
	if (!p->smp_left)
		p->smp_left = exp_gap(p);
	if (size < p->smp_left) {
		p->smp_left -= size;
		return false;
	}
	/* Memoryless: the next gap starts afresh at the end of this block. */
	p->smp_left = exp_gap(p);
	return true;
}

static __always_inline bool sampled_nested(struct pending_call *p, __u64 sp)
{
	__u64 word;

	if (!p->smp_sp || sp >= p->smp_sp)
		return false;
	if (bpf_probe_read_user(&word, sizeof(word), (void *)p->smp_sp))
		return false;
	return word == p->smp_ret;
}

/*
 * Entry of any allocation function (the BPF cookie says which).  Returns
 * true when the return must be seen: the block is sampled, or realloc
 * forgot a sampled old block it must restore if it fails.
 */
static __always_inline bool sampled_begin(struct pt_regs *ctx)
{
	__u32 fn = bpf_get_attach_cookie(ctx);
	struct pending_call *p;
	__u64 sp, size, ptr = 0;
	struct proc_id id;

	if (!current_proc(&id))
		return false;
	p = pending_get(true);
	if (!p) {
		stat_add(MEMLEAK_STAT_PENDING_LOST, 1);
		return false;
	}
	sp = PT_REGS_SP(ctx);
	if (sampled_nested(p, sp)) {
		stat_add(MEMLEAK_STAT_NESTED_CALLS, 1);
		return false;
	}
	/* The last sampled call of this thread never returned through us. */
	if (p->smp_sp && p->smp_take)
		stat_add(MEMLEAK_STAT_RETURNS_LOST, 1);
	p->smp_sp = sp;
	if (bpf_probe_read_user(&p->smp_ret, sizeof(p->smp_ret), (void *)sp))
		p->smp_ret = 0;
	switch (fn) {
	case MEMLEAK_FN_CALLOC:
		size = array_size(PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx));
		break;
	case MEMLEAK_FN_REALLOC:
		ptr = PT_REGS_PARM1(ctx);
		size = PT_REGS_PARM2(ctx);
		break;
	case MEMLEAK_FN_REALLOCARRAY:
		ptr = PT_REGS_PARM1(ctx);
		size = array_size(PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx));
		break;
	case MEMLEAK_FN_POSIX_MEMALIGN:
		ptr = PT_REGS_PARM1(ctx);
		size = PT_REGS_PARM3(ctx);
		break;
	case MEMLEAK_FN_ALIGNED_ALLOC:
	case MEMLEAK_FN_MEMALIGN:
		size = PT_REGS_PARM2(ctx);
		break;
	default:
		size = PT_REGS_PARM1(ctx);
		break;
	}
	p->fn = fn;
	p->gen = id.gen;
	p->size = size;
	p->ptr = ptr;
	p->old_valid = 0;
	if ((fn == MEMLEAK_FN_REALLOC || fn == MEMLEAK_FN_REALLOCARRAY) && ptr &&
	    forget_alloc(id, ptr, &p->old)) {
		p->old_valid = 1;
		stat_add(MEMLEAK_STAT_FREES, 1);
	}
	p->smp_take = size_wanted(size) && sample_take(p, size);
	return p->smp_take || p->old_valid;
}

static __always_inline void sampled_finish(struct pt_regs *ctx)
{
	struct pending_call *p = pending_get(false);
	__u64 addr = PT_REGS_RC(ctx);
	struct proc_id id;

	if (!p || !p->smp_sp || PT_REGS_SP(ctx) != p->smp_sp + 8)
		return;
	p->smp_sp = 0;
	id.tgid = bpf_get_current_pid_tgid() >> 32;
	id.gen = p->gen;
	if (p->fn == MEMLEAK_FN_POSIX_MEMALIGN) {
		__u64 out = 0;

		if ((int)addr == 0 && bpf_probe_read_user(&out, sizeof(out), (void *)p->ptr))
			out = 0;
		addr = (int)addr == 0 ? out : 0;
	}
	if (!addr) {
		bool realloc = p->fn == MEMLEAK_FN_REALLOC || p->fn == MEMLEAK_FN_REALLOCARRAY;

		if (realloc && p->size && p->old_valid)
			restore_old(id, p);
		if (!realloc || p->size)
			stat_add(MEMLEAK_STAT_FAILED_ALLOCS, 1);
		return;
	}
	if (p->smp_take)
		remember_alloc(ctx, id, addr, p->size);
}

/*
 * At a session's return the registers are those after "ret": ip is the
 * return address the entry found at [sp], and sp is one slot above.  An
 * entry's ip is inside the allocator, never a return address into its
 * caller, so this tells the two ends apart without the bpf_session_is_return
 * kfunc (whose extern would tie loading to the running kernel's BTF file).
 */
static __always_inline bool session_is_return(struct pt_regs *ctx)
{
	struct pending_call *p = pending_get(false);

	return p && p->smp_sp && PT_REGS_IP(ctx) == p->smp_ret &&
	       PT_REGS_SP(ctx) == p->smp_sp + 8;
}

/* Uprobe session (loader sets the attach type): one program, both ends. */
SEC("uprobe")
int sampled_alloc(struct pt_regs *ctx)
{
	if (session_is_return(ctx)) {
		sampled_finish(ctx);
		return 0;
	}
	/* 1: no return probe for this call at all. */
	return sampled_begin(ctx) ? 0 : 1;
}

/* Without sessions (kernels before 6.12): a return probe every time. */
SEC("uprobe")
int sampled_enter(struct pt_regs *ctx)
{
	sampled_begin(ctx);
	return 0;
}

SEC("uretprobe")
int sampled_return(struct pt_regs *ctx)
{
	sampled_finish(ctx);
	return 0;
}

/* ---- Memory that does not go through malloc: mmap, munmap, mremap, brk ---- */

#define MAP_ANONYMOUS 0x20
#define PAGE_SIZE_ 4096ULL
#define PAGE_UP(x) (((x) + PAGE_SIZE_ - 1) & ~(PAGE_SIZE_ - 1))
#define MAX_ERRNO 4095

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

static __always_inline bool is_mem_syscall(long id)
{
	return id == MEMLEAK_NR_MMAP || id == MEMLEAK_NR_MUNMAP || id == MEMLEAK_NR_BRK ||
	       id == MEMLEAK_NR_MREMAP;
}

/* File mappings are page cache, not leaks; fd -1 or MAP_ANONYMOUS is anon. */
static __always_inline bool anon_mapping(__u64 flags, __u64 fd)
{
	return (flags & MAP_ANONYMOUS) || (__s32)fd == -1;
}

/*
 * Entry of a mapping call, seen at a syscall or at a libc wrapper: the
 * arguments (in the syscall's order) wait in the thread's slot for the
 * result.  The old break is read from the kernel: wrappers and syscall
 * disagree on what brk returns, mm->brk is the truth for both.
 */
static __always_inline void begin_map_call(struct pending_call *p, long nr, __u64 sp,
					   __u64 addr, __u64 len, __u64 arg2, __u64 flags)
{
	p->sys_nr = nr;
	p->sys_backing = inside_outer_call(p, sp, bpf_ktime_get_ns());
	p->sys_args[0] = addr;
	p->sys_args[1] = len;
	p->sys_args[2] = arg2;
	p->sys_flags = flags;
	p->sys_stack = MEMLEAK_STACK_LOST;
	if (nr == MEMLEAK_NR_BRK) {
		struct task_struct *task = bpf_get_current_task_btf();

		p->sys_args[1] = BPF_CORE_READ(task, mm, brk); /* the break before */
	}
	/* The caller's return address, for the frame-pointer walk (analysis.c). */
	p->sys_caller = 0;
	bpf_probe_read_user(&p->sys_caller, sizeof(p->sys_caller), (void *)sp);
}

/* The thread's slot, created if need be; NULL (counted) if none can be had. */
static __always_inline struct pending_call *map_call_slot(void)
{
	struct pending_call *p = pending_get(true);

	if (!p)
		stat_add(MEMLEAK_STAT_PENDING_LOST, 1);
	return p;
}

/*
 * Raw syscall tracepoints need no tracefs, but while attached they put
 * every syscall of the host on the slow path: only --syscalls (or a target
 * without libc wrappers) uses them.  The syscall number is checked first.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct pending_call *p;

	if (!is_mem_syscall(id))
		return 0;
	if (!pid_traced(bpf_get_current_pid_tgid() >> 32))
		return 0;
	/*
	 * Inside a probed wrapper the wrapper's probes report the call: the
	 * stack is theirs (here the return address is already the uretprobe
	 * trampoline's).
	 */
	p = map_call_slot();
	if (!p || (p->sys_nr == id && p->sys_wrapper))
		return 0;
	begin_map_call(p, id, regs->sp, regs->di, regs->si,
		       id == MEMLEAK_NR_MREMAP ? regs->dx : regs->r8, /* new_len / mmap fd */
		       regs->r10);
	p->sys_wrapper = 0;
	return 0;
}

static __always_inline void send_event(void *ctx, struct pending_call *p, __u32 type,
				       __u32 tgid, __u64 addr, __u64 len, __u64 old_addr,
				       __u64 old_len)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct memleak_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(MEMLEAK_STAT_EVENTS_LOST, 1);
		return;
	}
	e->type = type;
	e->tgid = tgid;
	e->tid = (__u32)id;
	e->addr = addr;
	e->len = len;
	e->old_addr = old_addr;
	e->old_len = old_len;
	e->caller = p ? p->sys_caller : 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->flags = p ? p->sys_flags : 0;
	e->backing = p ? p->sys_backing : 0;
	e->stack_id = p ? p->sys_stack : MEMLEAK_STACK_LOST;
	{
		__u32 *gen = bpf_map_lookup_elem(&traced_pids, &tgid);

		e->gen = gen ? *gen : 0;
	}
	bpf_ringbuf_submit(e, 0);
}

/* The call succeeded with result ret (an address, or the new break). */
static __always_inline void end_map_call(void *ctx, struct pending_call *p, __u32 tgid,
					 __s32 nr, __u64 ret)
{
	switch (nr) {
	case MEMLEAK_NR_MMAP:
		if (!anon_mapping(p->sys_flags, p->sys_args[2]))
			return;
		send_event(ctx, p, MEMLEAK_EV_MMAP, tgid, ret, PAGE_UP(p->sys_args[1]), 0, 0);
		break;
	case MEMLEAK_NR_MUNMAP:
		send_event(ctx, p, MEMLEAK_EV_MUNMAP, tgid, p->sys_args[0],
			   PAGE_UP(p->sys_args[1]), 0, 0);
		break;
	case MEMLEAK_NR_MREMAP:
		send_event(ctx, p, MEMLEAK_EV_MREMAP, tgid, ret, PAGE_UP(p->sys_args[2]),
			   p->sys_args[0], PAGE_UP(p->sys_args[1]));
		break;
	case MEMLEAK_NR_BRK:
		if (ret != p->sys_args[1])
			send_event(ctx, p, MEMLEAK_EV_BRK, tgid, ret, 0, p->sys_args[1], 0);
		break;
	}
}

/* Stacks matter for what maps memory; munmap's is never used. */
static __always_inline bool map_call_has_stack(__s32 nr)
{
	return nr != MEMLEAK_NR_MUNMAP;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct pending_call *p;
	__u32 tgid;
	__s32 nr;

	/* Every syscall of the host comes here: the cheapest test first. */
	if (!is_mem_syscall(regs->orig_ax))
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	p = pending_get(false);
	if (!p || !p->sys_nr)
		return 0;
	if (p->sys_wrapper)
		return 0;
	nr = p->sys_nr;
	p->sys_nr = 0;
	if (regs->orig_ax != nr || (ret < 0 && ret >= -MAX_ERRNO))
		return 0;
	if (nr == MEMLEAK_NR_MMAP && !anon_mapping(p->sys_flags, p->sys_args[2]))
		return 0;
	/* The user registers saved at syscall entry: ip is in the wrapper. */
	if (map_call_has_stack(nr))
		p->sys_stack = capture_stack(ctx, regs->ip, regs->sp, regs->bp);
	end_map_call(ctx, p, tgid, nr, ret);
	return 0;
}

/*
 * The same calls seen at the C library's wrappers (mmap, munmap, mremap,
 * brk), whose probes trap only when a traced process maps memory.  The
 * cookie is the syscall number; arguments follow the C calling convention
 * (the fourth in rcx).  The stack is taken at the entry, where the caller's
 * return address is at [sp], as at the syscall.
 */
SEC("uprobe")
int BPF_KPROBE(map_wrapper_enter, __u64 addr, __u64 len, __u64 a2, __u64 a3, __u64 a4)
{
	__s32 nr = bpf_get_attach_cookie(ctx);
	struct pending_call *p;
	__u64 sp = PT_REGS_SP(ctx);

	if (!pid_traced(bpf_get_current_pid_tgid() >> 32))
		return 0;
	/* mmap(addr, len, prot, flags, fd): file mappings need no return probe work. */
	if (nr == MEMLEAK_NR_MMAP && !anon_mapping(a3, a4))
		return 0;
	p = map_call_slot();
	if (!p)
		return 0;
	begin_map_call(p, nr, sp, addr, len, nr == MEMLEAK_NR_MREMAP ? a2 : a4,
		       nr == MEMLEAK_NR_MMAP ? a3 : 0);
	p->sys_wrapper = 1;
	if (map_call_has_stack(nr))
		p->sys_stack = capture_stack_at_entry(ctx, PT_REGS_IP(ctx), sp, PT_REGS_FP(ctx));
	return 0;
}

/* The wrappers return -1 (MAP_FAILED) on failure and set errno. */
SEC("uretprobe")
int BPF_KRETPROBE(map_wrapper_return, long ret)
{
	struct pending_call *p;
	__u32 tgid;
	__s32 nr;

	p = pending_get(false);
	if (!p || !p->sys_nr || !p->sys_wrapper)
		return 0;
	nr = p->sys_nr;
	p->sys_nr = 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (nr == MEMLEAK_NR_BRK) {
		struct task_struct *task = bpf_get_current_task_btf();

		/* brk() returns 0 or -1, sbrk() the old break: read the new one. */
		end_map_call(ctx, p, tgid, nr, BPF_CORE_READ(task, mm, brk));
		return 0;
	}
	if (ret == -1 || (nr == MEMLEAK_NR_MUNMAP && ret != 0))
		return 0;
	end_map_call(ctx, p, tgid, nr, ret);
	return 0;
}

/* The OOM killer chose a victim: user space reports it before it is gone. */
SEC("tp_btf/mark_victim")
int BPF_PROG(oom_victim, struct task_struct *task, uid_t uid)
{
	__u32 tgid = task->tgid;
	__u64 memcg;
	long anon;

	if (!pid_traced(tgid))
		return 0;
	/* MM_ANONPAGES; the percpu counter's central value, close enough. */
	anon = BPF_CORE_READ(task, mm, rss_stat[1].count);
	/*
	 * The victim's memory cgroup, as a kernfs id: by the time user space
	 * handles the event the process may be gone with its /proc entry.
	 */
	memcg = BPF_CORE_READ(task, cgroups, subsys[memory_cgrp_id], cgroup, kn, id);
	send_event(ctx, NULL, MEMLEAK_EV_OOM_VICTIM, tgid, 0,
		   anon > 0 ? (__u64)anon * PAGE_SIZE_ : 0, memcg, 0);
	return 0;
}

/* ---- Following processes: fork, exec, exit ---- */

static __always_inline bool comm_matches(struct task_struct *task)
{
	char comm[16];
	int i;

	if (!match_comm[0])
		return false;
	bpf_probe_read_kernel(comm, sizeof(comm), task->comm);
	for (i = 0; i < 16; i++) {
		if (comm[i] != match_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* cgrp or one of its ancestors is the cgroup asked for. */
static __always_inline bool cgroup_within(struct cgroup *cgrp)
{
	int level, i;

	if (!cgrp)
		return false;
	level = BPF_CORE_READ(cgrp, level);
	for (i = 0; i < 32 && i <= level; i++) {
		struct cgroup *anc = BPF_CORE_READ(cgrp, ancestors[i]);

		if (anc && BPF_CORE_READ(anc, kn, id) == match_cgroup_id)
			return true;
	}
	return false;
}

/* In the cgroup asked for, on the v2 hierarchy or any v1 controller's. */
static __always_inline bool cgroup_matches(struct task_struct *task)
{
	struct css_set *cset;
	int i;

	if (!match_cgroup_id)
		return false;
	cset = BPF_CORE_READ(task, cgroups);
	if (cgroup_within(BPF_CORE_READ(cset, dfl_cgrp)))
		return true;
	for (i = 0; i < 12; i++) {
		struct cgroup_subsys_state *css = BPF_CORE_READ(cset, subsys[i]);

		if (css && cgroup_within(BPF_CORE_READ(css, cgroup)))
			return true;
	}
	return false;
}

/* Start (or restart, at exec) tracing tgid under a new generation. */
static __always_inline __u32 trace_pid(__u32 tgid)
{
	__u32 gen = __sync_fetch_and_add(&next_gen, 1);

	bpf_map_update_elem(&traced_pids, &tgid, &gen, BPF_ANY);
	return gen;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;

	/* A new thread shares its process's tgid: nothing to add. */
	if (ptgid == ctgid || !pid_traced(ptgid))
		return 0;
	if (!follow_forks && !match_comm[0] && !match_cgroup_id)
		return 0;
	send_event(ctx, NULL, MEMLEAK_EV_FORK, ctgid, 0, 0, ptgid, trace_pid(ctgid));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;

	__u32 *old = bpf_map_lookup_elem(&traced_pids, &tgid);

	/* A new image: its records start over under a new generation. */
	if (old) {
		__u32 was = *old;

		send_event(ctx, NULL, MEMLEAK_EV_EXEC, tgid, 0, 0, was, trace_pid(tgid));
		return 0;
	}
	if (comm_matches(p) || cgroup_matches(p))
		send_event(ctx, NULL, MEMLEAK_EV_MATCHED, tgid, 0, 0, 0, trace_pid(tgid));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	__u32 tgid = p->tgid;

	__u32 *gen;

	if (!group_dead || !(gen = bpf_map_lookup_elem(&traced_pids, &tgid)))
		return 0;
	send_event(ctx, NULL, MEMLEAK_EV_EXIT, tgid, 0, 0, *gen, 0);
	/* A later process with this pid is another one. */
	bpf_map_delete_elem(&traced_pids, &tgid);
	return 0;
}

/*
 * Empty programs for the benchmark's floor: the same probes at the same
 * places doing nothing, so their cost is the trap alone.
 */
SEC("uprobe")
int BPF_KPROBE(noop_enter)
{
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(noop_return)
{
	return 0;
}
