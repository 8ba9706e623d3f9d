/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /proc/PID/maps, parsed in one place: every module that needs a process's
 * mappings (probes, symbols, unwind tables) reads them through here.
 */
#ifndef MEMLEAK_PROC_MAPS_H
#define MEMLEAK_PROC_MAPS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the kernel appends to the path of a file deleted since it was mapped. */
#define PROC_MAPS_DELETED " (deleted)"

/* One line of /proc/PID/maps. */
struct proc_map {
	uint64_t start, end, offset;
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	char perms[5];         /* "r-xp" */
	bool deleted;          /* the path ended in " (deleted)" (suffix removed) */
	char path[PATH_MAX];   /* "" when anonymous; "[heap]", "[stack]"... */
};

/*
 * The longest line read: the widest fields and a path of PATH_MAX - 1.
 * A longer line is skipped whole: its path would not fit, and a path cut
 * short could name another file.
 */
#define PROC_MAPS_LINE_MAX (PATH_MAX + 128)

/*
 * Parse one line ("start-end perms offset major:minor inode [path]", hex
 * but the inode; the path runs to the end of the line, spaces included).
 * False when it is not such a line or its path does not fit in m->path.
 */
bool proc_maps_parse_line(const char *line, struct proc_map *m);

/* A mapping of a file named by its path (not anonymous, not "[heap]"). */
static inline bool proc_map_is_file(const struct proc_map *m)
{
	return m->path[0] == '/';
}

static inline bool proc_map_is_exec(const struct proc_map *m)
{
	return m->perms[2] == 'x';
}

/*
 * Call cb for each mapping of pid, in address order, until it returns
 * non-zero.  Returns that value, 0 at the end, or -errno if the maps
 * cannot be read (-ENOENT: no such process).
 */
int proc_maps_for_each(pid_t pid, int (*cb)(const struct proc_map *m, void *ctx), void *ctx);

/* All mappings of pid in one array; the caller frees *out.  0 or -errno. */
int proc_maps_read(pid_t pid, struct proc_map **out, size_t *n);

#endif
