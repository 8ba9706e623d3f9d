/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the tracer needs from the system before it loads anything. */
#ifndef MEMLEAK_PRIVILEGES_H
#define MEMLEAK_PRIVILEGES_H

#include <stdbool.h>

/* CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON (+ CAP_SYS_PTRACE for /proc of others). */
bool have_tracing_privileges(void);

/* The capabilities probing other processes lacks ("CAP_SYS_ADMIN"...), or NULL. */
const char *missing_probe_capability(void);

/* Path of kernel BTF to use, or NULL if there is none (override may be NULL). */
const char *find_kernel_btf(const char *override);

#endif
