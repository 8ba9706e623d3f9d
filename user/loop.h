/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event loop of a tracer main.c has set up: poll the signals, the
 * ring buffer, the live view's keys and the targets' pidfds; maintain the
 * targets (new mappings, new matches, exits, escalations); write the
 * periodic reports, and the final one.
 */
#ifndef MEMLEAK_LOOP_H
#define MEMLEAK_LOOP_H

struct tracer;

/*
 * Run until a signal to stop, the last target's exit or the last of
 * --count reports.  Returns the exit code (EXIT_OK or EXIT_RUNTIME).
 */
int loop_run(struct tracer *t);

#endif
