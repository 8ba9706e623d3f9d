/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Uprobe multi links (kernel 6.6+): one BPF link holds a program's probes
 * at many offsets of one file.  Closing a link waits for one RCU-tasks-trace
 * grace period, whatever it holds, where a perf-event uprobe link waits for
 * one per probe: with jemalloc's hundred-odd probes that is seconds at exit
 * against a tenth of one.  libbpf 1.1 has no API for them: raw bpf().
 */
#ifndef MEMLEAK_UPROBE_MULTI_H
#define MEMLEAK_UPROBE_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type value, absent from older uapi headers. */
#define MEMLEAK_ATTACH_UPROBE_MULTI 48

/* True when the running kernel knows uprobe multi links (from its BTF). */
bool uprobe_multi_supported(void);

/*
 * Attach prog_fd (loaded with expected attach type UPROBE_MULTI) at n file
 * offsets of path, each with its BPF cookie (cookies may be NULL), as
 * return probes if retprobe, for pid (-1: every process).  Returns the
 * link's fd (close it to detach) or -errno.
 */
int uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offsets,
			const uint64_t *cookies, size_t n, bool retprobe, pid_t pid);

#endif
