/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attaching the allocation probes: which objects of a process define the
 * allocation functions, and a uprobe on each of them, for that pid only.
 */
#ifndef MEMLEAK_ATTACH_H
#define MEMLEAK_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct memleak_bpf;
struct bpf_link;
struct alloc_table;

/* An object (by device and inode) already probed for a pid. */
struct attached_object {
	pid_t pid;
	uint64_t inode;
	char path[256];
	int nfuncs;
};

struct attach_state {
	struct memleak_bpf *skel;
	bool probe_floor;          /* attach the empty programs instead */
	bool probe_at_entry;       /* no probe placement (probe_place.h) */
	uint64_t sample_bytes;     /* --sample-bytes: sampled programs, 0 = precise */
	bool sessions;             /* sampled through uprobe sessions */
	/*
	 * --mode growth: no allocator probes, except on the one process being
	 * escalated (escalating), attached per pid while it is.
	 */
	bool growth_only;
	pid_t escalating;
	int *fds;                  /* session links (uprobe_session.h) */
	size_t nfds, cap_fds;
	/*
	 * Probes on the objects for every process (pid -1), filtered by the
	 * kernel's traced_pids map: needed to follow forks without a race,
	 * and to pick up processes by name or cgroup.  Every process mapping
	 * the object then pays the trap, traced or not.
	 */
	bool system_wide;
	/*
	 * mmap, munmap, mremap, brk and sbrk are followed at the C library's
	 * wrappers (uprobes that trap only when a traced process maps memory),
	 * unless --syscalls asks for the raw syscall tracepoints, which slow
	 * every syscall of the host.  Their links and objects are kept apart
	 * from the allocator probes': an escalation comes and goes without them.
	 */
	bool map_wrappers;
	bool syscall_tracepoints;  /* attached (idempotent attach) */
	struct bpf_link **wlinks;
	size_t nwlinks, cap_wlinks;
	struct attached_object *wobjs;
	size_t nwobjs, cap_wobjs;
	struct bpf_link **links;
	size_t nlinks, cap_links;
	struct attached_object *objs;
	size_t nobjs, cap_objs;
	/* The functions to probe (allocators.h) and how often each custom one was found. */
	const struct alloc_table *table;
	size_t first_custom;       /* table index of the first --alloc-fn/--free-fn */
	unsigned int *custom_hits;
	/* --allocator-object: the one object holding the allocator, or NULL. */
	const char *only_path;
	uint64_t only_dev, only_ino;
};

/*
 * Set what to probe: table (kept by the caller), and with only_path the
 * one allocator object (no detection).  Returns 0, or -errno if only_path
 * cannot be opened.
 */
int attach_init(struct attach_state *st, const struct alloc_table *table,
		const char *only_path);

/* A --alloc-fn/--free-fn function found in no probed object, or NULL. */
const char *attach_missing_custom(const struct attach_state *st);

/*
 * Probe every object mapped by pid that defines allocation functions and
 * was not probed yet.  Returns the number of objects newly probed (0 is
 * fine on a refresh), -ESRCH if the process is gone, -ENOENT if
 * nothing in it defines malloc and free, or another -errno on failure.
 */
int attach_process(struct attach_state *st, pid_t pid);

/*
 * Probe the objects listed in paths (opened from our own mount namespace)
 * for pid, before it has mapped them: used to hold a command before exec.
 */
int attach_paths(struct attach_state *st, pid_t pid, char **paths, size_t n);

/*
 * Attach the OOM and process tracepoints: BTF tracepoints, which need no
 * tracefs.  Returns 0 or -errno.
 */
int attach_tracepoints(struct attach_state *st);

/*
 * Attach the raw syscall tracepoints that follow mmap/munmap/mremap/brk in
 * every process, wrappers or not (--syscalls, or a traced process without
 * C library wrappers: Go, raw syscalls).  Idempotent.  Returns 0 or -errno.
 */
int attach_syscall_tracepoints(struct attach_state *st);

/* Does the program at exe map memory without C library wrappers (Go, static)? */
bool attach_maps_without_wrappers(const char *exe);

/*
 * --escalate: probe pid alone (never system-wide), even in growth mode.
 * Its links are st->links[*first, *end).  Returns attach_process()'s result.
 */
int attach_escalate(struct attach_state *st, pid_t pid, size_t *first, size_t *end);

/* Detach the links [first, end) of an escalation and forget pid's objects. */
void attach_deescalate(struct attach_state *st, pid_t pid, size_t first, size_t end);

/* Objects probed for pid (for -v and for tests). */
size_t attach_count_objects(const struct attach_state *st, pid_t pid);

/* Detach every probe. Safe to call more than once. */
void attach_destroy(struct attach_state *st);

#endif
