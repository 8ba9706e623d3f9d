/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Taking a user stack, for any program: our walk (unwind.bpf.c, a global
 * function the linker resolves) or the kernel's frame-pointer walker
 * (--unwind fp-kernel), as unwind_mode says.
 */
#ifndef MEMLEAK_UNWIND_BPF_H
#define MEMLEAK_UNWIND_BPF_H

#include "shared.bpf.h"

#define EEXIST 17 /* vmlinux.h carries no errno values */

/*
 * Walk the user stack whose innermost frame is at ip (sp, bp: the user
 * registers there; at_entry: ip is a function's first instruction) and
 * store it in unwound_stacks: its id, -EEXIST when no id was free for it,
 * or another negative error.  gen: the current process's generation, or
 * GEN_LOOK_UP when the caller has not looked it up already.
 */
#define GEN_LOOK_UP (-1LL)
long unwind_user_stack(__u64 ip, __u64 sp, __u64 bp, bool at_entry, __s64 gen);

/* Kernel frames taken for -k (and a slab's cache word before them). */
#define MEMLEAK_KFRAMES_WORDS 64 /* >= MEMLEAK_MAX_KERNEL_DEPTH + 1, a power of 2 */
struct memleak_kframes {
	__u64 ip, sp, bp;   /* the user registers; ip 0: no user part */
	__u32 nk;           /* words of ips used */
	__u32 pad;
	__u64 ips[MEMLEAK_KFRAMES_WORDS];
};

/*
 * The same with the nk words of kf first (kernel frames, -k), then the
 * user stack at kf's registers.
 */
long unwind_kernel_user_stack(const struct memleak_kframes *kf, __s64 gen);

/*
 * The id of the current user stack, whose innermost frame is at ip (with
 * sp and bp the user registers there), or MEMLEAK_STACK_LOST after
 * counting why.  ctx is the program's context (for the kernel's walker).
 */
static __always_inline __s32 capture_stack_from(void *ctx, __u64 ip, __u64 sp, __u64 bp,
						 bool at_entry, __s64 gen)
{
	long sid;

	if (unwind_mode == MEMLEAK_UNWIND_FP_KERNEL)
		sid = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
	else
		sid = unwind_user_stack(ip, sp, bp, at_entry, gen);
	if (sid < 0) {
		stat_add(sid == -EEXIST ? MEMLEAK_STAT_STACK_COLLISION
					: MEMLEAK_STAT_STACK_MAP_FULL, 1);
		return MEMLEAK_STACK_LOST;
	}
	return (__s32)sid;
}

/* ip: a return address, or the point a syscall returns to. */
static __always_inline __s32 capture_stack(void *ctx, __u64 ip, __u64 sp, __u64 bp)
{
	return capture_stack_from(ctx, ip, sp, bp, false, GEN_LOOK_UP);
}

/* The same, for a process whose generation gen the caller knows. */
static __always_inline __s32 capture_stack_of(void *ctx, __u32 gen, __u64 ip, __u64 sp,
					      __u64 bp)
{
	return capture_stack_from(ctx, ip, sp, bp, false, gen);
}

/* ip: the first instruction of a function (an entry uprobe). */
static __always_inline __s32 capture_stack_at_entry(void *ctx, __u64 ip, __u64 sp, __u64 bp)
{
	return capture_stack_from(ctx, ip, sp, bp, true, GEN_LOOK_UP);
}

#endif /* MEMLEAK_UNWIND_BPF_H */
