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
#include <sys/stat.h>
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

/*
 * The one way to open a file whose name or contents the target controls
 * (perf maps, debug links, build-id paths, ELF files under its root).
 * The tracer is root and the target often is not, so a file is refused
 * when opening or reading it could block, never end, or show the target
 * something it could not read itself:
 *  - the path is resolved inside the target's root (openat2 RESOLVE_IN_ROOT
 *    on /proc/PID/root; pid 0: this machine's root, for /usr/lib/debug),
 *    so neither ".." nor an absolute symlink leaves it, and never through
 *    a /proc magic link;
 *  - opened O_NONBLOCK (a FIFO does not block), O_NOFOLLOW when the rules
 *    say the file itself must not be a link;
 *  - then fstat: a regular file only, of at most max_size bytes, and with
 *    target_owned, owned by one of the target's uids.
 * Each refusal is counted and printed once per path and reason:
 * "memleakbpf: refusing PATH (RULE): REASON".
 */
struct proc_file_rules {
	const char *what;	/* what the file is for, in the warning */
	uint64_t max_size;	/* bytes */
	bool no_follow;		/* the file itself may not be a symlink */
	bool target_owned;	/* owned by the target's real/effective/saved uid */
};

/* Files the target writes for profilers: /tmp/perf-PID.map. */
extern const struct proc_file_rules proc_rules_perf_map;
/* ELF objects the target maps or names. */
extern const struct proc_file_rules proc_rules_elf;
/* Separate debug files: by build id, or named by an object's .gnu_debuglink. */
extern const struct proc_file_rules proc_rules_debug_file;

/*
 * Open path (absolute) for reading in pid's root under rules.  Returns an
 * fd (O_CLOEXEC, O_NONBLOCK) and fills *st, or -errno: -EPERM when the
 * rules refused the file (and said so once), -ENOENT and the like as
 * open(2) gives them (not printed: a missing file is ordinary).
 */
int proc_file_open(pid_t pid, const char *path, const struct proc_file_rules *rules,
		   struct stat *st);

/*
 * Check an fd opened otherwise (map_files, a path of the user's) against
 * rules; shown names it in the warning.  Returns 0 or -EPERM.
 */
int proc_file_check(int fd, pid_t pid, const char *shown, const struct proc_file_rules *rules,
		    struct stat *st);

/* The same for an fd of unknown origin, named by its /proc/self/fd link. */
int proc_file_check_fd(int fd, const struct proc_file_rules *rules);

/* Files refused so far (each printed once). */
uint64_t proc_files_refused(void);

/*
 * ELF files are read by libelf through mmap, and a target may truncate a
 * file it owns while we read it: a read past the new end raises SIGBUS.
 * Once installed (idempotent), a SIGBUS for a missing file page maps a
 * page of zeros in its place and the read goes on; the ELF parsers treat
 * zeros as they treat any malformed file.  Any other SIGBUS still kills.
 */
void proc_files_guard_mmaps(void);

/*
 * Pages of truncated files replaced so far; the first time it changes,
 * prints one warning line.  Called after reading ELF files.
 */
uint64_t proc_files_note_truncations(void);

#endif
