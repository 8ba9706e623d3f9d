/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-thread state of the calls in progress, one task-storage value per
 * thread (the pending map, shared.bpf.h): a probe fetches it once and
 * touches only its own concern's part.  Arguments are only known at entry
 * and results only at return, so each concern keeps here what its return
 * program needs.
 */
#ifndef MEMLEAK_PENDING_BPF_H
#define MEMLEAK_PENDING_BPF_H

#include "vmlinux.h"
#include "memleak.h"

/* A pending call older than this is treated as abandoned, not as an outer call. */
#define PENDING_STALE_NS (1000ULL * 1000 * 1000)

/*
 * The allocation function call being made, in either mode: precise mode
 * (alloc.bpf.c) keeps the outermost call's, sampled mode (sampled.bpf.c)
 * the followed call's; their return programs finish it with records.bpf.h.
 */
struct alloc_request {
	__u64 size;        /* bytes requested */
	__u64 ptr;         /* realloc: old block; posix_memalign: out-parameter */
	struct alloc_info old; /* realloc: old block's record, restored on failure */
	__u32 fn;          /* enum memleak_fn */
	__u32 gen;         /* process generation at entry */
	__u8 old_valid;
};

/*
 * Precise mode (alloc.bpf.c): the outermost allocator call the thread is
 * inside of, identified by the user stack pointer at entry, so a nested
 * call (calloc -> malloc) never clobbers it, and a lost return cannot
 * wedge the thread: the state is stale once the stack is above it.
 */
struct outer_call {
	__u64 sp;          /* user stack pointer at entry */
	__u64 ts_ns;       /* entry time */
	__u8 active;
	__u8 record;       /* the new block is within the size filter */
};

/*
 * Sampled mode (sampled.bpf.c).  Unsampled calls never reach a return
 * probe, so the outermost call is marked by its entry stack pointer and
 * the return address found there: a later call is nested in it only while
 * that frame is still live (deeper stack, return address still in place).
 */
struct sampled_call {
	__u64 sp;
	__u64 ret;
	__u64 left;        /* bytes until the next sample point */
	__u64 rng;         /* xorshift64* state; 0 = not seeded yet */
	__u8 take;         /* the outermost call's block is sampled */
};

/* The mapping call in progress (mappings.bpf.c): mmap, munmap, mremap, brk. */
struct map_call {
	__s32 nr;          /* MEMLEAK_NR_* in progress, or 0 */
	__u32 flags;       /* mmap flags */
	__s32 stack;       /* stack of the mapping call, taken where its registers are */
	__u8 backing;      /* the call is made inside an allocator call */
	__u8 wrapper;      /* nr was entered through a C library wrapper */
	__u64 args[3];
	__u64 caller;      /* word at the user stack pointer at entry */
};

/* The task-storage value: every part in one, so a probe makes one lookup. */
struct pending_call {
	struct outer_call outer;
	struct alloc_request req;
	struct map_call map;
	struct sampled_call smp;
};

/*
 * True when the thread is inside another, still running allocator call:
 * one entered higher up this stack (or at the same place: a tail call, as
 * jemalloc's sized delete makes), recently.
 */
static __always_inline bool inside_outer_call(const struct outer_call *o, __u64 sp,
					      __u64 now)
{
	return o->active && o->sp >= sp && now - o->ts_ns < PENDING_STALE_NS;
}

/* The same, reading the clock only when the stack says it may be so. */
static __always_inline bool outer_call_live(const struct outer_call *o, __u64 sp)
{
	return o->active && o->sp >= sp && bpf_ktime_get_ns() - o->ts_ns < PENDING_STALE_NS;
}

#endif /* MEMLEAK_PENDING_BPF_H */
