// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Files of the traced process, opened through /proc/PID (see
 * proc_files.h).  Paths come from /proc/PID/maps or from well-known names
 * inside the target (/tmp/perf-PID.map); everything here tolerates the
 * process vanishing between two calls.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "cli/errors.h"
#include "lib/util.h"
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

static int open_beneath(int root, const char *path, int flags, uint64_t resolve);

int proc_open_in_root(pid_t pid, const char *path, int flags)
{
	char root_path[64];
	int root, fd;

	if (path[0] != '/')
		return -EINVAL;
	snprintf(root_path, sizeof(root_path), "/proc/%d/root", (int)pid);
	root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	fd = open_beneath(root, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	close(root);
	return fd;
}

int proc_open_mapped(pid_t pid, uint64_t start, uint64_t end, const char *path)
{
	char mapped[MAP_FILES_PATH_MAX];
	struct stat st;
	int fd, err;

	map_files_path(pid, start, end, mapped, sizeof(mapped));
	fd = open(mapped, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (!path)
			return -errno;
		return proc_file_open(pid, path, &proc_rules_elf, &st);
	}
	/* What it maps may still be a device, or too large to read whole. */
	err = proc_file_check(fd, pid, path ? path : mapped, &proc_rules_elf, &st);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
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

/* ---- the policy for files the target controls ---------------------- */

const struct proc_file_rules proc_rules_perf_map = {
	.what = "perf map",
	/* 1 M entries of ~100 bytes: the most perfmap.c keeps. */
	.max_size = 256ull << 20,
	.no_follow = true,
	.target_owned = true,
};

const struct proc_file_rules proc_rules_elf = {
	.what = "ELF file",
	/* Unwind rows hold 32-bit addresses; no object spans more. */
	.max_size = 4ull << 30,
};

const struct proc_file_rules proc_rules_debug_file = {
	.what = "debug file",
	/* Large programs' DWARF runs to gigabytes; libelf maps it, reads little. */
	.max_size = 4ull << 30,
};

/* Refusals printed, by hash of path and reason: each is printed once. */
#define WARNED_SLOTS 256

static uint64_t warned[WARNED_SLOTS];
static size_t nwarned;
static uint64_t refused;

static bool warned_before(const char *path, const char *reason)
{
	uint64_t h = fnv1a_str(fnv1a_str(FNV1A_INIT, path), reason);
	size_t i;

	for (i = 0; i < nwarned; i++)
		if (warned[i] == h)
			return true;
	/* Past the table, one warning per refusal would flood: stay quiet. */
	if (nwarned == WARNED_SLOTS)
		return true;
	warned[nwarned++] = h;
	return false;
}

static int refuse(pid_t pid, const char *path, const struct proc_file_rules *rules,
		  const char *reason)
{
	refused++;
	if (!warned_before(path, reason)) {
		if (pid > 0)
			err_msg("refusing %s %s of pid %d: %s", rules->what, path, (int)pid,
				reason);
		else
			err_msg("refusing %s %s: %s", rules->what, path, reason);
	}
	return -EPERM;
}

uint64_t proc_files_refused(void)
{
	return refused;
}

/* Whether uid is one of pid's real, effective, saved or filesystem uids. */
static bool uid_of_target(pid_t pid, uid_t uid)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	if (pid <= 0)
		return uid == 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned int id[4];
		int i, n;

		if (strncmp(line, "Uid:", 4))
			continue;
		n = sscanf(line + 4, "%u %u %u %u", &id[0], &id[1], &id[2], &id[3]);
		for (i = 0; i < n; i++)
			found |= id[i] == uid;
		break;
	}
	fclose(f);
	return found;
}

int proc_file_check(int fd, pid_t pid, const char *shown, const struct proc_file_rules *rules,
		    struct stat *st)
{
	char why[96];

	if (fstat(fd, st))
		return -errno;
	if (!S_ISREG(st->st_mode))
		return refuse(pid, shown, rules, "not a regular file");
	if ((uint64_t)st->st_size > rules->max_size) {
		snprintf(why, sizeof(why), "%llu bytes, more than the %llu accepted",
			 (unsigned long long)st->st_size, (unsigned long long)rules->max_size);
		return refuse(pid, shown, rules, why);
	}
	if (rules->target_owned && !uid_of_target(pid, st->st_uid)) {
		snprintf(why, sizeof(why), "owned by uid %u, not by the process",
			 (unsigned int)st->st_uid);
		return refuse(pid, shown, rules, why);
	}
	return 0;
}

/*
 * openat2 confined to the root dirfd: "..", absolute symlinks and mount
 * crossings into /proc magic links all stay inside it.
 */
int proc_file_check_fd(int fd, const struct proc_file_rules *rules)
{
	char link[64], shown[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, shown, sizeof(shown) - 1);
	shown[n > 0 ? n : 0] = '\0';
	return proc_file_check(fd, 0, n > 0 ? shown : link, rules, &st);
}

/*
 * openat2 beneath the root dirfd: with RESOLVE_IN_ROOT, "..", absolute
 * symlinks and mount crossings stay inside it.
 */
static int open_beneath(int root, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = { .flags = (uint64_t)flags, .resolve = resolve };
	long fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	fd = syscall(SYS_openat2, root, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

int proc_file_open(pid_t pid, const char *path, const struct proc_file_rules *rules,
		   struct stat *st)
{
	char root_path[64];
	int root, fd, err;

	if (path[0] != '/')
		return -EINVAL;
	if (pid > 0)
		snprintf(root_path, sizeof(root_path), "/proc/%d/root", (int)pid);
	else
		snprintf(root_path, sizeof(root_path), "/");
	root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	fd = open_beneath(root, path,
			  O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
			  (rules->no_follow ? O_NOFOLLOW : 0),
			  RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	close(root);
	/* O_NOFOLLOW on a symlink: ELOOP. */
	if (fd == -ELOOP)
		return refuse(pid, path, rules, "a symbolic link");
	if (fd == -EXDEV)
		return refuse(pid, path, rules, "reached through a /proc link");
	if (fd < 0)
		return fd;
	err = proc_file_check(fd, pid, path, rules, st);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* ---- reads of mapped files that shrink under us --------------------- */

static volatile sig_atomic_t truncated_pages;
static uint64_t truncations_noted;
static long page_size;		/* read before the handler may run */

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	long page = page_size;
	uintptr_t addr = (uintptr_t)si->si_addr & ~((uintptr_t)page - 1);

	/* BUS_ADRERR: the page is past the end of the file it maps. */
	if (si->si_code == BUS_ADRERR && addr &&
	    mmap((void *)addr, (size_t)page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
		truncated_pages++;
		return;
	}
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

void proc_files_guard_mmaps(void)
{
	static bool installed;
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_RESTART };

	if (installed)
		return;
	page_size = sysconf(_SC_PAGESIZE);
	sigemptyset(&sa.sa_mask);
	if (!sigaction(SIGBUS, &sa, NULL))
		installed = true;
}

uint64_t proc_files_note_truncations(void)
{
	uint64_t n = truncated_pages;

	if (n && !truncations_noted)
		err_msg("a file of a traced process shrank while it was read: "
			"its missing pages read as zeros");
	truncations_noted = n;
	return n;
}
