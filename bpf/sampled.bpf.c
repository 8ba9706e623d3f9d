// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Allocator probes, sampled mode (--sample-bytes): allocations are sampled
 * as points of a Poisson process over allocated bytes with mean gap
 * sample_bytes, so one of size s is taken with probability
 * 1 - exp(-s / sample_bytes); user space scales what was taken into
 * unbiased estimates.  Taken blocks are recorded as in precise mode
 * (records.bpf.h); frees still go to free_enter (alloc.bpf.c).
 *
 * With uprobe sessions the entry decides whether the return is seen at
 * all, so an unsampled call costs one trap instead of two.
 */
#include "shared.bpf.h"
#include "records.bpf.h"

/*
 * sample_seed (0 = random) seeds each thread's generator, for reproducible
 * tests.  log2_mant[j] is log2(1 + (j + 0.5) / 256) in 16.16 fixed point,
 * filled by the loader.
 */
const volatile __u64 sample_seed = 0;
const volatile __u32 log2_mant[256] = {};

static __always_inline __u64 rng_next(struct sampled_call *s)
{
	__u64 x = s->rng;

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
	s->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/*
 * An exponential gap with mean sample_bytes: -ln(U) * sample_bytes, with
 * -log2(U) = 32 - log2(r) for r = U * 2^32 taken as exponent plus a table
 * lookup of the mantissa's top 8 bits (no floating point in BPF).
 */
static __always_inline __u64 exp_gap(struct sampled_call *s)
{
	__u32 r = rng_next(s) >> 32, v, e = 0, j;
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
static __always_inline bool sample_take(struct sampled_call *s, __u64 size)
{
	if (!s->left)
		s->left = exp_gap(s);
	if (size < s->left) {
		s->left -= size;
		return false;
	}
	/* Memoryless: the next gap starts afresh at the end of this block. */
	s->left = exp_gap(s);
	return true;
}

static __always_inline bool sampled_nested(const struct sampled_call *s, __u64 sp)
{
	__u64 word;

	if (!s->sp || sp >= s->sp)
		return false;
	if (bpf_probe_read_user(&word, sizeof(word), (void *)s->sp))
		return false;
	return word == s->ret;
}

/*
 * Entry of any allocation function (the BPF cookie says which).  Returns
 * true when the return must be seen: the block is sampled, or realloc
 * forgot a sampled old block it must restore if it fails.
 */
static __always_inline bool sampled_begin(struct pt_regs *ctx, struct pending_call *p)
{
	__u32 fn = bpf_get_attach_cookie(ctx);
	struct alloc_request *req;
	struct sampled_call *s;
	__u64 sp, size, ptr = 0;
	struct proc_id id;

	if (!current_proc(&id))
		return false;
	if (!p)
		p = pending_get(true);
	if (!p) {
		stat_add(MEMLEAK_STAT_PENDING_LOST, 1);
		return false;
	}
	req = &p->req;
	s = &p->smp;
	sp = PT_REGS_SP(ctx);
	if (sampled_nested(s, sp)) {
		stat_add(MEMLEAK_STAT_NESTED_CALLS, 1);
		return false;
	}
	/* The last sampled call of this thread never returned through us. */
	if (s->sp && s->take)
		stat_add(MEMLEAK_STAT_RETURNS_LOST, 1);
	s->sp = sp;
	if (bpf_probe_read_user(&s->ret, sizeof(s->ret), (void *)sp))
		s->ret = 0;
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
	req->fn = fn;
	req->gen = id.gen;
	req->size = size;
	req->ptr = ptr;
	req->old_valid = 0;
	if ((fn == MEMLEAK_FN_REALLOC || fn == MEMLEAK_FN_REALLOCARRAY) && ptr &&
	    forget_alloc(id, ptr, &req->old)) {
		req->old_valid = 1;
		stat_add(MEMLEAK_STAT_FREES, 1);
	}
	s->take = size_wanted(size) && sample_take(s, size);
	return s->take || req->old_valid;
}

static __always_inline void sampled_finish(struct pt_regs *ctx, struct pending_call *p)
{
	__u64 addr = PT_REGS_RC(ctx);
	struct alloc_request *req;
	struct proc_id id;

	if (!p || !p->smp.sp || PT_REGS_SP(ctx) != p->smp.sp + 8)
		return;
	p->smp.sp = 0;
	req = &p->req;
	id.tgid = bpf_get_current_pid_tgid() >> 32;
	id.gen = req->gen;
	if (req->fn == MEMLEAK_FN_POSIX_MEMALIGN) {
		__u64 out = 0;

		if ((int)addr == 0 && bpf_probe_read_user(&out, sizeof(out), (void *)req->ptr))
			out = 0;
		addr = (int)addr == 0 ? out : 0;
	}
	if (!addr) {
		bool realloc = req->fn == MEMLEAK_FN_REALLOC || req->fn == MEMLEAK_FN_REALLOCARRAY;

		if (realloc && req->size && req->old_valid)
			restore_old(id, req);
		if (!realloc || req->size)
			stat_add(MEMLEAK_STAT_FAILED_ALLOCS, 1);
		return;
	}
	if (p->smp.take)
		remember_alloc(ctx, id, addr, req->size);
}

/*
 * At a session's return the registers are those after "ret": ip is the
 * return address the entry found at [sp], and sp is one slot above.  An
 * entry's ip is inside the allocator, never a return address into its
 * caller, so this tells the two ends apart without the bpf_session_is_return
 * kfunc (whose extern would tie loading to the running kernel's BTF file).
 */
static __always_inline bool session_is_return(struct pt_regs *ctx,
					      const struct pending_call *p)
{
	return p && p->smp.sp && PT_REGS_IP(ctx) == p->smp.ret &&
	       PT_REGS_SP(ctx) == p->smp.sp + 8;
}

/*
 * Uprobe session (loader sets the attach type): one program, both ends,
 * one lookup of the thread's state for either.
 */
SEC("uprobe")
int sampled_alloc(struct pt_regs *ctx)
{
	struct pending_call *p = pending_get(false);

	if (session_is_return(ctx, p)) {
		sampled_finish(ctx, p);
		return 0;
	}
	/* 1: no return probe for this call at all. */
	return sampled_begin(ctx, p) ? 0 : 1;
}

/* Without sessions (kernels before 6.12): a return probe every time. */
SEC("uprobe")
int sampled_enter(struct pt_regs *ctx)
{
	sampled_begin(ctx, NULL);
	return 0;
}

/* An unsampled call left smp.sp clear at entry: one lookup and out. */
SEC("uretprobe")
int sampled_return(struct pt_regs *ctx)
{
	sampled_finish(ctx, pending_get(false));
	return 0;
}
