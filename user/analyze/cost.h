/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the tracer costs: its own CPU time and RSS, and the run time of its
 * BPF programs as the kernel counts it (they run in the traced processes'
 * context, so the tracer's CPU time does not include them).
 */
#ifndef MEMLEAK_COST_H
#define MEMLEAK_COST_H

#include "analyze/report.h"

struct bpf_object;

/*
 * Ask the kernel to count BPF run time (system-wide, while the returned
 * fd is open; two clock reads per program run).  Returns the fd or -errno.
 */
int cost_enable_bpf_stats(void);

/* CPU time (user + system) of the tracer process so far, in seconds. */
double cost_cpu_s(void);

/*
 * Fill c for now: CPU time, RSS, and the run time and count summed over
 * obj's loaded programs (unknown, -1, when stats_fd < 0).  report_cpu_s is
 * left as it is.
 */
void cost_measure(const struct bpf_object *obj, int stats_fd, struct tracer_cost *c);

#endif
