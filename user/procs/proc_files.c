// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Files of the traced process, opened through /proc/PID (see
 * proc_files.h).  Paths come from /proc/PID/maps or from well-known names
 * inside the target (/tmp/perf-PID.map); everything here tolerates the
 * process vanishing between two calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include "procs/proc_files.h"

/* Room for "/proc/PID/map_files/START-END" with 64-bit addresses. */
#define MAP_FILES_PATH_MAX 96

static void map_files_path(pid_t pid, uint64_t start, uint64_t end, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/map_files/%llx-%llx", (int)pid, (unsigned long long)start,
		 (unsigned long long)end);
}

int proc_root_path(pid_t pid, const char *path, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/proc/%d/root%s", (int)pid, path);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int proc_open_in_root(pid_t pid, const char *path, int flags)
{
	char full[PATH_MAX + 64];
	int fd, err;

	if (path[0] != '/')
		return -EINVAL;
	err = proc_root_path(pid, path, full, sizeof(full));
	if (err)
		return err;
	fd = open(full, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int proc_open_mapped(pid_t pid, uint64_t start, uint64_t end, const char *path)
{
	char mapped[MAP_FILES_PATH_MAX];
	int fd;

	map_files_path(pid, start, end, mapped, sizeof(mapped));
	fd = open(mapped, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (!path)
		return -errno;
	return proc_open_in_root(pid, path, O_RDONLY);
}

int proc_mapped_path(pid_t pid, uint64_t start, uint64_t end, const char *path, char *buf,
		     size_t len)
{
	char mapped[MAP_FILES_PATH_MAX];
	int n;

	map_files_path(pid, start, end, mapped, sizeof(mapped));
	if (access(mapped, R_OK))
		return proc_root_path(pid, path, buf, len);
	n = snprintf(buf, len, "%s", mapped);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool proc_same_root(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	return !stat(path, &a) && !stat("/", &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}
