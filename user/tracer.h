/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The running tracer: what main.c sets up and cleans up, loop.c runs,
 * procs/targets.c keeps up to date as processes are forked, exec, match a
 * --comm/--cgroup, and exit, and pipeline.c reads into a report.
 */
#ifndef MEMLEAK_TRACER_H
#define MEMLEAK_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cli/options.h"
#include "collect/mappings.h"
#include "out/output.h"
#include "probes/allocators.h"
#include "procs/launch.h"
#include "memleak.h"

#define EVENT_QUEUE 256

struct memleak_bpf;
struct attacher;
struct symbolizer;
struct history;
struct unwinder;
struct scripts;
struct aggregator;
struct kallsyms;
struct target;
struct pid_view;
struct http_server;

struct tracer {
	struct options opts;
	struct memleak_bpf *skel;
	struct attacher *att;      /* the probes (probes/attach.h) */
	struct alloc_table alloc_table; /* the functions the attacher looks for */
	struct symbolizer *sym;
	struct unwinder *unw;      /* unwind tables (--unwind dwarf|auto) */
	struct scripts *scripts;   /* interpreters' script frames (scripts/scripts.h) */
	struct mapping_tracker maps;
	struct target *targets;    /* every process traced so far (procs/targets.h) */
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
	uint64_t cgroup_id;        /* --cgroup: kernfs id of the directory */
	bool maintain_soon;        /* a new process: learn its mappings now */
	/* Generations whose records are to be dropped at the next maintenance. */
	struct proc_id *drops;
	size_t ndrops, cap_drops;
	FILE *out;                 /* where records go now (output.stream) */
	struct output output;      /* stdout, --output, --output-dir, --html, --live */
	bool report_now;           /* SIGUSR1: a report out of turn */
	int sigfd;
	struct history *history;   /* per-stack growth over the periodic reports */
	int bpf_stats_fd;          /* keeps BPF run-time stats on; -1 = off */
	struct aggregator *agg;    /* age filter summed in the kernel; NULL = walk */
	/* The tracer's pid namespace when not the host's (procs/pidns.h). */
	struct pid_view *view;
	/* Processes get their pod's labels (--pod, or a kubelet's node: procs/k8s.h). */
	bool k8s;
	char *pod_cgroup;          /* --pod: the directory --cgroup's matching uses */
	struct http_server *http;  /* --listen, or NULL */
	struct kallsyms *ksyms;    /* -k: kernel symbols; NULL without -k */
	bool kernel_host;          /* -k without a target: the whole host's kernel */
};

#endif
