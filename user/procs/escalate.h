/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --mode growth --escalate MB_PER_MIN: growth mode watches every target's
 * RSS; one growing faster than the threshold gets precise allocator probes
 * of its own for a bounded window (--escalate-window), so the report names
 * the stacks behind the growth, and then runs unprobed again.
 */
#ifndef MEMLEAK_ESCALATE_H
#define MEMLEAK_ESCALATE_H

#include <stdint.h>

struct tracer;

/* Once per maintenance: escalate fast growers, end windows that ran out. */
void escalate_check(struct tracer *t, uint64_t now_ms);

#endif
