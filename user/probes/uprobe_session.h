/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Uprobe sessions (kernel 6.12+): one BPF program runs at a function's entry
 * and, only if the entry returned 0, at its return.  libbpf 1.1 has no API
 * for them, so this is the one place that speaks the bpf() link-create
 * interface directly.
 */
#ifndef MEMLEAK_UPROBE_SESSION_H
#define MEMLEAK_UPROBE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type value, absent from older uapi headers. */
#define MEMLEAK_ATTACH_UPROBE_SESSION 57

/* True when the running kernel knows uprobe sessions (its BTF has the kfunc). */
bool uprobe_session_supported(void);

/*
 * Attach prog_fd (loaded with expected attach type UPROBE_SESSION) at n
 * file offsets of path, each with its BPF cookie, for pid (-1: every
 * process).  Returns the link's fd (close it to detach) or -errno.
 */
int uprobe_session_attach(int prog_fd, const char *path, const uint64_t *offsets,
			  const uint64_t *cookies, size_t n, pid_t pid);

#endif
