/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the tracer needs from the system before it loads anything. */
#ifndef MEMLEAK_PRIVILEGES_H
#define MEMLEAK_PRIVILEGES_H

#include <stdbool.h>

/* The capabilities the tracer lacks, by name ("CAP_SYS_ADMIN"), or NULL. */
const char *missing_tracing_capabilities(void);

/*
 * Path of kernel BTF to use: the override (--btf, checked to be a regular
 * file with BTF in it) or the kernel's.  NULL with *why said otherwise.
 */
const char *find_kernel_btf(const char *override, const char **why);

#endif
