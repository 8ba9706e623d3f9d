/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Symbols of JIT-compiled code from /tmp/perf-PID.map, the file JITs write
 * for profilers (JVM: jcmd PID Compiler.perfmap or a perf-map agent; Node:
 * --perf-basic-prof): lines "START SIZE NAME", hexadecimal.  The file is
 * read in the target's mount namespace (/proc/PID/root) under the pid the
 * target has in its own pid namespace, and read again when it changes.
 * The target writes it, so it is opened under proc_rules_perf_map (a
 * regular file owned by the target, bounded in size) and read with
 * bounded lines (procs/proc_files.h).
 */
#ifndef MEMLEAK_PERFMAP_H
#define MEMLEAK_PERFMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Entries kept per process at most; the file's later lines are ignored. */
#define PERFMAP_MAX_ENTRIES 1000000
/* Longest line read, in bytes; a longer one is skipped. */
#define PERFMAP_MAX_LINE 4096

struct perfmaps;

struct perfmaps *perfmaps_new(void);
void perfmaps_free(struct perfmaps *m);

/*
 * The name of the JIT code holding addr in pid, and addr's offset in it;
 * NULL if there is no perf map or no entry.  The string stays valid until
 * the next call for the same pid (copy it).
 */
const char *perfmaps_lookup(struct perfmaps *m, pid_t pid, uint64_t addr, uint64_t *offset);

/* Drop what is kept for pid (it exited). */
void perfmaps_forget(struct perfmaps *m, pid_t pid);

/* Parse one line; false if it is not "START SIZE NAME" (exposed for tests). */
bool perfmap_parse_line(const char *line, uint64_t *start, uint64_t *size, const char **name);

#endif
