/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What more than one file of memleak.bpf.o uses: the maps, the settings
 * and the few accessors every concern needs.
 *
 * The files are compiled one by one and linked into one object by libbpf's
 * static linker (bpftool gen object, Makefile).  A map or global used by
 * several files is defined once, in shared.bpf.c, and declared extern here;
 * the linker resolves each extern to that definition.  An extern map must
 * repeat its definition exactly (type, key, value, size, flags), so each
 * map's shape is a named type written once, here, used by both.
 *
 * Nothing is __hidden: libbpf takes a hidden global function for a static
 * one (verified in its caller's context, not once on its own) and leaves
 * a hidden variable out of the skeleton (skel->rodata, skel->data).
 */
#ifndef MEMLEAK_SHARED_BPF_H
#define MEMLEAK_SHARED_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "memleak.h"
#include "pending.bpf.h"

/* The page size of x86-64 (vmlinux.h has no macros). */
#define PAGE_SIZE_ 4096ULL

/* ---- Settings, written by the loader before load (skel->rodata) ---- */

/* Allocations outside [min_size, max_size] are not recorded (-z/-Z). */
extern const volatile __u64 min_size;
extern const volatile __u64 max_size;

/* Sampled mode's mean gap in bytes (--sample-bytes); 0: precise mode. */
extern const volatile __u64 sample_bytes;

/* --no-script-frames: native frames only, even in an interpreter. */
extern const volatile __u32 no_script_frames;

/* How stacks are taken: enum memleak_unwind_mode (--unwind). */
extern const volatile __u32 unwind_mode;

/* ---- Maps ---- */

/* tgid -> generation (struct proc_id) of every traced process. */
struct traced_pids_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMLEAK_MAX_PIDS);
	__type(key, __u32);
	__type(value, __u32);
};

/*
 * Every live allocation, and its bytes and count summed per stack (user
 * space reads the sums for a report).  max_entries of both are set by the
 * loader (options).  aggregate.bpf.c reads allocs too (by fd).
 */
struct allocs_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1000000);
	__type(key, struct alloc_key);
	__type(value, struct alloc_info);
};

struct stack_totals_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct stack_key);
	__type(value, struct stack_total);
};

/* Stacks the kernel's walker takes (--unwind fp-kernel); minimal otherwise. */
struct stack_traces_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MEMLEAK_MAX_STACK_DEPTH * sizeof(__u64));
};

/* enum memleak_stat counters; aggregate.bpf.c adds to them too (by fd). */
struct stats_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MEMLEAK_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
};

/* Each thread's calls in progress (pending.bpf.h). */
struct pending_map {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending_call);
};

/* Mapping changes and process events for user space (events.bpf.h). */
struct events_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
};

/*
 * Script frames of the stack being walked (memleak.h): script.bpf.c
 * reads them, unwind.bpf.c stores them with the native frames.
 */
struct script_words {
	__u64 w[MEMLEAK_SCRIPT_MAX_FRAMES];
};

struct script_scratch_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct script_words);
};

extern struct traced_pids_map traced_pids SEC(".maps");
extern struct script_scratch_map script_scratch SEC(".maps");
extern struct allocs_map allocs SEC(".maps");
extern struct stack_totals_map stack_totals SEC(".maps");
extern struct stack_traces_map stack_traces SEC(".maps");
extern struct stats_map stats SEC(".maps");
extern struct pending_map pending SEC(".maps");
extern struct events_map events SEC(".maps");

/* ---- Accessors ---- */

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += n;
}

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

/* The current thread's calls in progress; create: make them if none yet. */
static __always_inline struct pending_call *pending_get(bool create)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return bpf_task_storage_get(&pending, task, 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

#endif /* MEMLEAK_SHARED_BPF_H */
