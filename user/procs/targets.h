/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The traced processes: added at start, at fork (--follow), when a process
 * exec's into a --comm/--cgroup match or is found matching; renewed at
 * exec; reported and dropped at exit.  Kernel events arrive through the
 * ring buffer; they are queued during the drain and handled after it.
 */
#ifndef MEMLEAK_TARGETS_H
#define MEMLEAK_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "analyze/report.h"
#include "probes/attach.h"

struct tracer;
struct memleak_event;

/* A traced process as the tracer knows it. */
struct target {
	pid_t pid;             /* as the tracer's pid namespace sees it */
	pid_t host_pid;        /* as the host's (BPF's) sees it (procs/pidns.h) */
	uint32_t gen;          /* generation of its records (bpf/memleak.h) */
	pid_t ppid;            /* traced parent it was forked from, or 0 */
	pid_t ns_pid;          /* pid in its own pid namespace, or 0 if the same */
	char comm[17];
	bool exited;
	bool gone;             /* exited and its records dropped (--follow) */
	bool respawn;          /* replaces an exited child of the same parent */
	unsigned int exited_children;
	int pidfd;
	uint64_t maps_sig;     /* procfs_maps_signature() when last updated */
	bool exe_checked;      /* its program was checked for mapping wrappers */
	int64_t rss_at_attach; /* RSS when tracing began, -1 = unknown */
	int64_t prev_bytes;    /* outstanding at the previous report, -1 = none */
	/* --escalate (escalate.c): precise probes until esc_until_ms, 0 = none */
	uint64_t esc_until_ms;
	struct attach_range esc_probes;
	int64_t esc_rss;             /* RSS at the start of the growth span */
	uint64_t esc_rss_ms;
	uint64_t esc_quiet_until_ms; /* no new escalation before this */
	unsigned int escalations;
	struct k8s_identity *k8s;    /* its pod and container (procs/k8s.h); NULL = none */
};

/*
 * Start tracing pid under generation gen (0: take a new one and enter it in
 * traced_pids; else the kernel side already did).  Returns the target's
 * index, or -1 after printing why.
 */
int target_add(struct tracer *t, pid_t pid, uint32_t gen, pid_t ppid);

/*
 * target_add() without entering pid in traced_pids: the kernel side
 * ignores its calls until target_arm(), called once its probes and unwind
 * tables are all in place (else the first allocations would be recorded
 * with stacks cut short, or without their frees).
 */
int target_add_unarmed(struct tracer *t, pid_t pid, uint32_t gen, pid_t ppid);

/* Enter tg in traced_pids: its calls are recorded from now on.  0 or -1 (printed). */
int target_arm(struct tracer *t, const struct target *tg);

/* Index of the live (not gone) target pid, or -1. */
int target_find(const struct tracer *t, pid_t pid);

/*
 * -p names threads too (their /proc/TID is reachable): each becomes its
 * process, with a line on stderr saying so, and the list loses duplicates.
 */
void targets_resolve_threads(pid_t *pids, int *npids);

/* RSS growth counts from now: a -c command has just exec'd its program. */
void target_rebase_rss(struct target *tg);

/*
 * Catch up with what tg maps now: probes on the allocator objects not
 * probed yet (and the syscall tracepoints if its program needs them), its
 * symbols, name and unwind tables.  With must_probe (-p), a failure to
 * probe is returned at once, for the caller to report; otherwise it is
 * reported here, unless the process is gone or defines no allocator.
 * Returns attach_process()'s result.
 */
int target_update(struct tracer *t, struct target *tg, bool must_probe);

/*
 * Follow tg's mapping calls at the syscall tracepoints if its program
 * maps memory without the C library's wrappers.  exe: the program's path,
 * or NULL for /proc/PID/exe.  Checked once per image.
 */
void target_cover_mapping_calls(struct tracer *t, struct target *tg, const char *exe);

/* pid exited: mark it; in service mode report it and drop its records. */
void target_exited(struct tracer *t, size_t i);

/* True when nothing is left to trace and the run should end. */
bool targets_done(const struct tracer *t);

/*
 * --comm, --cgroup: add the processes that match without an exec the
 * kernel side saw (running at start, or moved into the cgroup later).
 */
void targets_scan_matching(struct tracer *t);

/* Queue a process event from the ring buffer (mappings.c callback). */
void targets_on_event(void *ctx, const struct memleak_event *e);

/* Handle the queued events: OOM reports, forks, execs, matches, exits. */
void targets_flush_events(struct tracer *t);

/* Drop the records queued by exits and execs (one pass over the maps). */
void targets_drop_records(struct tracer *t);

#endif
