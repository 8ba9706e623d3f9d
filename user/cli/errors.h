/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exit codes (documented in README and --help).  Each failure a user can
 * act on has its own code, so scripts can tell them apart.
 */
#ifndef MEMLEAK_ERRORS_H
#define MEMLEAK_ERRORS_H

#include <stdbool.h>

enum exit_code {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,       /* unexpected failure while running */
	EXIT_USAGE = 2,         /* bad option or value */
	EXIT_NOT_PRIVILEGED = 3,
	EXIT_NO_SUCH_PID = 4,
	EXIT_PID_GONE = 5,      /* target exited before probes were attached */
	EXIT_NO_BTF = 6,
	EXIT_NO_ALLOCATOR = 7,  /* no allocation functions in the target */
	EXIT_BPF = 8,           /* loading or attaching BPF programs failed */
	EXIT_COMMAND = 9,       /* -c command could not be started */
	EXIT_PID_NAMESPACE = 10, /* pid namespace: /proc shows another one, or
				  * the host pids cannot be looked up */
};

/* Print "memleakbpf: <message>" as one line on stderr. */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a -v diagnostic on stderr when verbosity >= level. */
void verbose_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int verbosity;

/*
 * Hold the lines printed from here on, to print them later (diag_release)
 * or never (diag_drop): the warnings of a step whose failure has one
 * cause to tell, such as a target exiting while it is being probed.
 */
void diag_hold(void);
void diag_release(void);
void diag_drop(void);

#endif
