/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading /proc: RSS, command name, liveness, memory cgroups.  Mappings are
 * parsed in proc_maps.h; files of the target are opened in proc_files.h.
 */
#ifndef MEMLEAK_PROCFS_H
#define MEMLEAK_PROCFS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Resident set size in bytes, or -1 when the process is gone. */
int64_t procfs_rss_bytes(pid_t pid);

/* Command name (comm), or "?" if unreadable; buf has at least 17 bytes. */
void procfs_comm(pid_t pid, char *buf, size_t len);

/* True while pid exists and is not a zombie. */
bool procfs_alive(pid_t pid);

/* Hash of /proc/PID/maps, to notice new mappings (dlopen, exec); 0 if gone. */
uint64_t procfs_maps_signature(pid_t pid);

/*
 * The memory cgroup of pid (v1 "memory" controller, else the v2 unified
 * path), and its limit and usage in bytes (-1 when unknown or unlimited).
 */
int procfs_memory_cgroup(pid_t pid, char *path, size_t len, int64_t *limit,
			 int64_t *usage);

/*
 * Path (relative to its hierarchy, as /proc/PID/cgroup shows it) and
 * limit/usage of the memory cgroup whose kernfs id is id: for a process
 * already gone.  Returns 0 or -ENOENT.
 */
int procfs_memory_cgroup_by_id(uint64_t id, char *path, size_t len, int64_t *limit,
			       int64_t *usage);

/* Kernel id of a cgroup directory (v1 or v2): what BPF sees as kn->id. */
int procfs_cgroup_id(const char *dir, uint64_t *id);

/* Call cb for every pid in the cgroup dir and its descendants. */
int procfs_cgroup_pids(const char *dir, void (*cb)(pid_t pid, void *ctx), void *ctx);

#endif
