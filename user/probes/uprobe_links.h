/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Uprobe links libbpf 1.1 has no API for, through bpf(BPF_LINK_CREATE):
 *
 * - uprobe multi links (kernel 6.6+): one BPF link holds a program's
 *   probes at many offsets of one file.  Closing a link waits for one
 *   RCU-tasks-trace grace period, whatever it holds, where a perf-event
 *   uprobe link waits for one per probe: with jemalloc's hundred-odd
 *   probes that is seconds at exit against a tenth of one.
 * - uprobe sessions (kernel 6.12+): one BPF program runs at a function's
 *   entry and, only if the entry returned 0, at its return.
 *
 * The one place that speaks that part of the bpf() interface directly.
 */
#ifndef MEMLEAK_UPROBE_LINKS_H
#define MEMLEAK_UPROBE_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type values, absent from older uapi headers. */
#define MEMLEAK_ATTACH_UPROBE_MULTI 48
#define MEMLEAK_ATTACH_UPROBE_SESSION 57

/* True when the running kernel knows uprobe multi links (from its BTF). */
bool uprobe_multi_supported(void);

/* True when the running kernel knows uprobe sessions (its BTF has the kfunc). */
bool uprobe_session_supported(void);

/*
 * Attach prog_fd (loaded with expected attach type UPROBE_MULTI) at n file
 * offsets of path, each with its BPF cookie (cookies may be NULL), as
 * return probes if retprobe, for pid (-1: every process).  Returns the
 * link's fd (close it to detach) or -errno.
 */
int uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offsets,
			const uint64_t *cookies, size_t n, bool retprobe, pid_t pid);

/* The same for a program loaded with expected attach type UPROBE_SESSION. */
int uprobe_session_attach(int prog_fd, const char *path, const uint64_t *offsets,
			  const uint64_t *cookies, size_t n, pid_t pid);

#endif
