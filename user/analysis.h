/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Analysis: snapshot -> report.  Stacks of different processes running the
 * same code are merged (by module and module-relative address), ranked by
 * outstanding bytes, cut to the top N, and only those are symbolized.
 */
#ifndef MEMLEAK_ANALYSIS_H
#define MEMLEAK_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "report.h"
#include "snapshot.h"

struct symbolizer;
struct mapping_tracker;

/* A traced process as the main loop knows it. */
struct target {
	pid_t pid;
	uint32_t gen;          /* generation of its records (bpf/memleak.h) */
	pid_t ppid;            /* traced parent it was forked from, or 0 */
	pid_t ns_pid;          /* pid in its own pid namespace, or 0 if the same */
	char comm[17];
	bool exited;
	bool gone;             /* exited and its records dropped (--follow) */
	bool respawn;          /* replaces an exited child of the same parent */
	unsigned int exited_children;
	int pidfd;
	uint64_t maps_sig;
	int64_t rss_at_attach; /* RSS when tracing began, -1 = unknown */
	int64_t prev_bytes;    /* outstanding at the previous report, -1 = none */
};

struct analysis_input {
	const struct snapshot *snap;
	const struct target *targets;
	size_t ntargets;
	struct symbolizer *sym;
	int stack_map_fd;
	/*
	 * Stacks come from the kernel's frame-pointer walker: cut each after
	 * the first frame whose function keeps no frame pointer (what the
	 * walker found above it is not its caller) and mark it truncated.
	 */
	bool check_frame_pointers;
	const struct mapping_tracker *maps; /* NULL: mappings not followed */
	unsigned int top_n;
	uint64_t min_age_ms, min_size, max_size;
	double interval_s;
};

/* Build r (caller frees with report_free).  Returns 0 or -errno. */
int analysis_build(const struct analysis_input *in, struct report *r);

/*
 * Order of stacks in a report: more bytes first, then more allocations,
 * then older.  Exposed for tests.
 */
int stack_rank_cmp(const struct stack_report *a, const struct stack_report *b);

#endif
