/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Opening the files a traced process names: the objects it maps, and
 * files under its root (perf maps, ELF files, debug links).  The process
 * chooses these paths, and may be in another mount namespace, so they are
 * opened here and nowhere else: one place decides how a path of the
 * target's is resolved and what kind of file is accepted.
 */
#ifndef MEMLEAK_PROC_FILES_H
#define MEMLEAK_PROC_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The object pid maps at [start, end), read-only: through
 * /proc/PID/map_files/START-END, which names the mapped file itself (even
 * deleted, replaced or in another mount namespace), else, when path is
 * not NULL, through the target's root (proc_open_in_root).  Returns an
 * fd (O_CLOEXEC) or -errno.
 */
int proc_open_mapped(pid_t pid, uint64_t start, uint64_t end, const char *path);

/*
 * path (absolute) as pid sees it, through /proc/PID/root: its mount
 * namespace and chroot.  flags as for open(2); O_CLOEXEC is added.
 * Returns an fd or -errno.
 */
int proc_open_in_root(pid_t pid, const char *path, int flags);

/*
 * A path by which the kernel reaches the object pid maps at [start, end),
 * for what takes a path rather than an fd (uprobes): its map_files entry
 * when readable, else path under the target's root.  Returns 0, or
 * -ENAMETOOLONG when it does not fit in buf.
 */
int proc_mapped_path(pid_t pid, uint64_t start, uint64_t end, const char *path, char *buf,
		     size_t len);

/* "/proc/PID/root" + path into buf.  Returns 0 or -ENAMETOOLONG. */
int proc_root_path(pid_t pid, const char *path, char *buf, size_t len);

/* Whether pid sees the same root directory as we do (no chroot, same mounts). */
bool proc_same_root(pid_t pid);

#endif
