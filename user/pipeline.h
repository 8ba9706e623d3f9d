/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One report, the data flow of the tracer: kernel maps and mapping regions
 * -> snapshot of the live targets (collect/) -> analysis: filter, merge,
 * rank, history (analyze/) -> symbols of the stacks kept (symbols/).  The
 * periodic reports (loop.c) and the OOM report (procs/targets.c) are built
 * here; the renderers (out/) get the report after.
 */
#ifndef MEMLEAK_PIPELINE_H
#define MEMLEAK_PIPELINE_H

#include <sys/types.h>
#include "analyze/report.h"

struct tracer;

/*
 * Build the report of every live target, or of one (only_pid > 0: not a
 * point of the history).  The caller frees it with report_free().
 * Returns 0 or -errno (a map that cannot be read, or a report that cannot
 * be built, was reported here).
 */
int pipeline_build_report(struct tracer *t, pid_t only_pid, struct report *r);

#endif
