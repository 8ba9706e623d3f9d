/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The running tracer: what main.c orchestrates and targets.c keeps up to
 * date as processes are forked, exec, match a --comm/--cgroup, and exit.
 */
#ifndef MEMLEAK_TRACER_H
#define MEMLEAK_TRACER_H

#include <stdbool.h>
#include <stdio.h>
#include "probes/allocators.h"
#include "analyze/analysis.h"
#include "probes/attach.h"
#include "procs/launch.h"
#include "collect/mappings.h"
#include "cli/options.h"
#include "out/output.h"
#include "out/render.h"

#define EVENT_QUEUE 256

struct memleak_bpf;
struct symbolizer;
struct history;
struct unwinder;
struct aggregator;

struct tracer {
	struct options opts;
	struct memleak_bpf *skel;
	struct attach_state att;
	struct alloc_table alloc_table; /* the functions attach looks for */
	struct symbolizer *sym;
	struct unwinder *unw;      /* unwind tables (--unwind dwarf|auto) */
	struct mapping_tracker maps;
	struct target *targets;    /* every process traced so far */
	size_t ntargets, cap_targets;
	/* Process events drained from the ring buffer, handled after the drain. */
	struct memleak_event evq[EVENT_QUEUE];
	size_t nevq;
	uint64_t evq_lost;
	struct launch launch;
	bool launched;
	/* --follow, --comm, --cgroup: processes come and go; exits are reported. */
	bool service;
	/* --comm, --cgroup: keep running while no process matches. */
	bool open_ended;
	uint64_t cgroup_id;
	bool maintain_soon;        /* a new process: learn its mappings now */
	/* Generations whose records are to be dropped at the next maintenance. */
	struct proc_id *drops;
	size_t ndrops, cap_drops;        /* --cgroup: kernfs id of the directory */
	FILE *out;                 /* where records go now (output.stream) */
	struct output output;      /* stdout, --output, --output-dir, --html, --live */
	bool report_now;           /* SIGUSR1: a report out of turn */
	int sigfd;
	struct history *history;   /* per-stack growth over the periodic reports */
	int bpf_stats_fd;          /* keeps BPF run-time stats on; -1 = off */
	struct aggregator *agg;    /* age filter summed in the kernel; NULL = walk */
};

/*
 * Start tracing pid under generation gen (0: take a new one and enter it in
 * traced_pids; else the kernel side already did).  Returns the target's
 * index, or -1 after printing why.
 */
int target_add(struct tracer *t, pid_t pid, uint32_t gen, pid_t ppid);

/* Index of the live (not gone) target pid, or -1. */
int target_find(const struct tracer *t, pid_t pid);

/* pid exited: mark it; in service mode report it and drop its records. */
void target_exited(struct tracer *t, size_t i);

/* True when nothing is left to trace and the run should end. */
bool targets_done(const struct tracer *t);

/* Queue a process event from the ring buffer (mappings.c callback). */
void targets_on_event(void *ctx, const struct memleak_event *e);

/* Handle the queued events: OOM reports, forks, execs, matches, exits. */
void targets_flush_events(struct tracer *t);

/* Drop the records queued by exits and execs (one pass over the maps). */
void targets_drop_records(struct tracer *t);

/* Build the report of every live target, or of one (only_pid > 0). */
int tracer_build_report(struct tracer *t, pid_t only_pid, struct report *r);

#endif
