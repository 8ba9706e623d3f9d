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
	char comm[17];
	bool exited;
};

struct analysis_input {
	const struct snapshot *snap;
	const struct target *targets;
	size_t ntargets;
	struct symbolizer *sym;
	int stack_map_fd;
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
