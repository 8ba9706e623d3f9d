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
#include "procs/targets.h"

struct symbolizer;
struct kallsyms;
struct scripts;
struct mapping_tracker;
struct history;

struct analysis_input {
	const struct snapshot *snap;
	const struct target *targets;
	size_t ntargets;
	struct symbolizer *sym;
	struct scripts *scripts;   /* script frames (scripts/scripts.h); NULL: none */
	int stack_map_fd;
	/* -k: kernel frames' symbols, and the slab caches' names (fd of
	 * kcache_names, 0 = none) */
	const struct kallsyms *ksyms;
	int kcache_fd;
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
