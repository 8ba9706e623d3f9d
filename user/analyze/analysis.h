/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Analysis: snapshot -> report.  Stacks of different processes running the
 * same code are merged (by module and module-relative address), their
 * history is updated (history.h), they are ranked (--sort: leak score,
 * bytes or count), cut to the top N, and only those are symbolized.
 */
#ifndef MEMLEAK_ANALYSIS_H
#define MEMLEAK_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "analyze/report.h"
#include "collect/snapshot.h"

struct symbolizer;
struct mapping_tracker;
struct history;

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
	bool exe_checked;      /* its program was checked for mapping wrappers */
	int64_t rss_at_attach; /* RSS when tracing began, -1 = unknown */
	int64_t prev_bytes;    /* outstanding at the previous report, -1 = none */
	/* --escalate (escalate.c): precise probes until esc_until_ms, 0 = none */
	uint64_t esc_until_ms;
	size_t esc_first, esc_end;   /* its links in the attach state */
	int64_t esc_rss;             /* RSS at the start of the growth span */
	uint64_t esc_rss_ms;
	uint64_t esc_quiet_until_ms; /* no new escalation before this */
	unsigned int escalations;
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
	enum stack_sort sort;
	/*
	 * Every stack of the report, before the cut, is recorded here; NULL
	 * for a report of a part of the targets (OOM victim): no growth then.
	 */
	struct history *history;
};

/* Build r (caller frees with report_free).  Returns 0 or -errno. */
int analysis_build(const struct analysis_input *in, struct report *r);

/*
 * Order of stacks in a report.  SORT_BYTES: more bytes first, then more
 * allocations, then older.  SORT_COUNT: more allocations first, then as
 * bytes.  SORT_GROWTH: higher leak score first, then as bytes (so with no
 * score yet, or among flat stacks, the order is by bytes).  Exposed for
 * tests.
 */
int stack_rank_cmp(const struct stack_report *a, const struct stack_report *b,
		   enum stack_sort sort);

#endif
