/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading /proc: memory maps, RSS, command name, liveness. */
#ifndef MEMLEAK_PROCFS_H
#define MEMLEAK_PROCFS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start, end, offset;
	uint64_t inode;
	char perms[5];
	bool deleted;          /* path ended in " (deleted)" (suffix removed) */
	char path[PATH_MAX];   /* empty for anonymous mappings */
};

/* Parse one line of /proc/PID/maps; false if it is not one. */
bool procfs_parse_maps_line(const char *line, struct map_entry *e);

/* All mappings of pid; caller frees *out.  Returns 0 or -errno. */
int procfs_read_maps(pid_t pid, struct map_entry **out, size_t *n);

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

/*
 * Path through which the target's own view of path can be opened from
 * here: /proc/PID/root/<path> (mount namespaces, containers).
 */
void procfs_root_path(pid_t pid, const char *path, char *buf, size_t len);

#endif
