// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc readers: RSS, command name, liveness, cgroups.  Everything tolerates
 * the process vanishing at any point.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/util.h"
#include "procs/procfs.h"

int64_t procfs_rss_bytes(pid_t pid)
{
	unsigned long long size, resident;
	char path[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fscanf(f, "%llu %llu", &size, &resident) == 2;
	fclose(f);
	if (!ok || !procfs_alive(pid))
		return -1;
	return (int64_t)resident * sysconf(_SC_PAGESIZE);
}

void procfs_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

bool procfs_alive(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* The state follows the last ')' (comm may contain parentheses). */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

uint64_t procfs_maps_signature(pid_t pid)
{
	uint64_t h = FNV1A_INIT;
	char path[64], buf[8192];
	ssize_t n, total = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		h = fnv1a_bytes(h, buf, (size_t)n);
		total += n;
	}
	close(fd);
	return total ? h : 0;
}

static int64_t read_i64_file(const char *dir, const char *rel, const char *name)
{
	char path[PATH_MAX + 64];
	long long v;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s%s/%s", dir, rel, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fscanf(f, "%lld", &v) == 1; /* "max" (v2 unlimited) fails: -1 */
	fclose(f);
	/* v1 says "unlimited" with a huge page-rounded LONG_MAX. */
	return ok && v >= 0 && v < (1LL << 62) ? v : -1;
}

int procfs_memory_cgroup(pid_t pid, char *out, size_t len, int64_t *limit,
			 int64_t *usage)
{
	char path[64], *line = NULL, v2[PATH_MAX] = "";
	size_t cap = 0;
	bool v1 = false;
	FILE *f;

	*limit = *usage = -1;
	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *ctrl = strchr(line, ':'), *p;

		if (!ctrl || !(p = strchr(ctrl + 1, ':')))
			continue;
		line[strcspn(line, "\n")] = '\0';
		*p = '\0';
		if (!strcmp(ctrl + 1, "") && !v2[0])
			snprintf(v2, sizeof(v2), "%s", p + 1);
		if (strstr(ctrl + 1, "memory")) {
			snprintf(out, len, "%s", p + 1);
			v1 = true;
		}
	}
	free(line);
	fclose(f);
	if (v1) {
		*limit = read_i64_file("/sys/fs/cgroup/memory", out, "memory.limit_in_bytes");
		*usage = read_i64_file("/sys/fs/cgroup/memory", out, "memory.usage_in_bytes");
	} else if (v2[0]) {
		snprintf(out, len, "%s", v2);
		*limit = read_i64_file("/sys/fs/cgroup", out, "memory.max");
		*usage = read_i64_file("/sys/fs/cgroup", out, "memory.current");
	}
	return out[0] ? 0 : -ENOENT;
}

#define CGROUP_V1_MAGIC 0x27e0eb
#define CGROUP_V2_MAGIC 0x63677270

int procfs_cgroup_id(const char *dir, uint64_t *id)
{
	struct statfs sfs;
	struct stat sb;

	if (statfs(dir, &sfs) || stat(dir, &sb))
		return -errno;
	if ((sfs.f_type != CGROUP_V1_MAGIC && sfs.f_type != CGROUP_V2_MAGIC) ||
	    !S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	/* cgroupfs is kernfs: a directory's inode number is its node id. */
	*id = sb.st_ino;
	return 0;
}

/* nftw has no context argument: the walk is single-threaded, so a static. */
static struct {
	void (*cb)(pid_t pid, void *ctx);
	void *ctx;
} walk;

static int visit_cgroup(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	char procs[PATH_MAX + 16];
	long pid;
	FILE *fp;

	if (type != FTW_D)
		return 0;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	fp = fopen(procs, "re");
	if (!fp)
		return 0;
	while (fscanf(fp, "%ld", &pid) == 1)
		walk.cb((pid_t)pid, walk.ctx);
	fclose(fp);
	return 0;
}

int procfs_cgroup_pids(const char *dir, void (*cb)(pid_t pid, void *ctx), void *ctx)
{
	walk.cb = cb;
	walk.ctx = ctx;
	return nftw(dir, visit_cgroup, 16, FTW_PHYS) ? -errno : 0;
}

static struct {
	uint64_t id;
	char found[PATH_MAX];
} by_id;

static int match_id(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	if (type != FTW_D || sb->st_ino != by_id.id)
		return 0;
	snprintf(by_id.found, sizeof(by_id.found), "%s", path);
	return 1; /* stop the walk */
}

int procfs_memory_cgroup_by_id(uint64_t id, char *out, size_t len, int64_t *limit,
			       int64_t *usage)
{
	static const char *const roots[] = { "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified",
					     "/sys/fs/cgroup" };
	size_t i;

	*limit = *usage = -1;
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		const char *root = roots[i];
		bool v1 = i == 0;

		by_id.id = id;
		by_id.found[0] = '\0';
		if (!id || nftw(root, match_id, 16, FTW_PHYS | FTW_MOUNT) != 1)
			continue;
		snprintf(out, len, "%s", by_id.found[strlen(root)] ? by_id.found + strlen(root) : "/");
		*limit = read_i64_file(by_id.found, "", v1 ? "memory.limit_in_bytes" : "memory.max");
		*usage = read_i64_file(by_id.found, "", v1 ? "memory.usage_in_bytes"
							  : "memory.current");
		return 0;
	}
	return -ENOENT;
}
