/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attaching the probes: a uprobe on each allocation function of every
 * object a process maps that defines some, the C library's mapping
 * wrappers, and the OOM, process and syscall tracepoints.  Probes are
 * attached for the traced pid alone, or for every process (system-wide,
 * filtered by the kernel's traced_pids map) when processes are followed
 * or matched.
 *
 * The attacher is opaque: what to attach is fixed at creation by struct
 * attach_opts; what it attached is read through the accessors below.
 */
#ifndef MEMLEAK_ATTACH_H
#define MEMLEAK_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct memleak_bpf;
struct alloc_table;
struct attacher;

struct attach_opts {
	/* The programs (opened; loaded before the first attach). */
	struct memleak_bpf *skel;
	/* The functions to probe (allocators.h); kept by the caller. */
	const struct alloc_table *table;
	/* --allocator-object: the one object holding the allocator (no
	 * detection; elsewhere only custom functions), or NULL. Kept. */
	const char *only_path;
	/*
	 * Probes on the objects for every process (pid -1), filtered by the
	 * kernel's traced_pids map: needed to follow forks without a race,
	 * and to pick up processes by name or cgroup.  Every process mapping
	 * the object then pays the trap, traced or not.
	 */
	bool system_wide;
	bool probe_floor;          /* attach the empty programs instead (benchmark) */
	bool probe_at_entry;       /* no probe placement (probe_place.h) */
	uint64_t sample_bytes;     /* --sample-bytes: sampled programs, 0 = precise */
	bool sessions;             /* sampled through uprobe sessions */
	/*
	 * --mode growth: no allocator probes, except on a process being
	 * escalated (attach_escalate), attached for its pid while it is.
	 */
	bool growth_only;
	/*
	 * mmap, munmap, mremap, brk and sbrk are followed at the C library's
	 * wrappers (uprobes that trap only when a traced process maps memory),
	 * unless --syscalls asks for the raw syscall tracepoints, which slow
	 * every syscall of the host.  Their links and objects are kept apart
	 * from the allocator probes': an escalation comes and goes without them.
	 */
	bool map_wrappers;
};

/*
 * An attacher for opts (copied).  NULL with errno set: ENOMEM, or why
 * opts->only_path cannot be opened.
 */
struct attacher *attacher_new(const struct attach_opts *opts);

/* Detach every probe and free st (NULL is fine). */
void attacher_free(struct attacher *st);

/* A --alloc-fn/--free-fn function found in no probed object, or NULL. */
const char *attach_missing_custom(const struct attacher *st);

/*
 * Probe every object mapped by pid that defines allocation functions and
 * was not probed yet.  Returns the number of objects newly probed (0 is
 * fine on a refresh), -ESRCH if the process is gone, -ENOENT if
 * nothing in it defines malloc and free, or another -errno on failure.
 */
int attach_process(struct attacher *st, pid_t pid);

/*
 * Probe the objects listed in paths (opened from our own mount namespace)
 * for pid, before it has mapped them: used to hold a command before exec.
 */
int attach_paths(struct attacher *st, pid_t pid, char **paths, size_t n);

/*
 * Attach the OOM and process tracepoints: BTF tracepoints, which need no
 * tracefs.  Returns 0 or -errno.
 */
int attach_tracepoints(struct attacher *st);

/*
 * Attach the raw syscall tracepoints that follow mmap/munmap/mremap/brk in
 * every process, wrappers or not (--syscalls, or a traced process without
 * C library wrappers: Go, raw syscalls).  Idempotent.  Returns 0 or -errno.
 */
int attach_syscall_tracepoints(struct attacher *st);

/*
 * -k: the kernel allocation tracepoints (bpf/kernel.bpf.c), filtered in
 * BPF by the traced processes.
 */
int attach_kernel_tracepoints(struct attacher *st);

/*
 * Mapping calls are followed at the C library's wrappers alone (the
 * syscall tracepoints are not attached): a program that maps memory
 * without them needs attach_syscall_tracepoints().
 */
bool attach_wrappers_only(const struct attacher *st);

/* Does the program at exe map memory without C library wrappers (Go, static)? */
bool attach_maps_without_wrappers(const char *exe);

/* The allocator probes of one escalation, to detach when its window ends. */
struct attach_range {
	size_t first, end;
};

/*
 * --escalate: probe pid alone (never system-wide), even in growth mode,
 * and say which probes those are in *range.  Returns attach_process()'s
 * result.
 */
int attach_escalate(struct attacher *st, pid_t pid, struct attach_range *range);

/* Detach the probes of an escalation and forget pid's objects. */
void attach_deescalate(struct attacher *st, pid_t pid, const struct attach_range *range);

/* What is attached, for -v. */
struct attach_counts {
	size_t allocator_probes;   /* uprobes and uprobe sessions on allocation functions */
	size_t mapping_probes;     /* mapping-wrapper uprobes and tracepoints */
};

void attach_counts(const struct attacher *st, struct attach_counts *c);

/* Objects probed for pid (any pid, system-wide) that define allocation functions. */
size_t attach_count_objects(const struct attacher *st, pid_t pid);

#endif
