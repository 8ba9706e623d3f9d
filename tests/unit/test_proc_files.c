// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Opening a target's files: a mapped object through map_files (the file
 * mapped, even deleted and replaced), a path under the target's root (a
 * chrooted child's view, not ours), and the paths handed to the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "procs/proc_files.h"
#include "procs/proc_maps.h"

/* What fd holds from its start: up to len - 1 bytes, NUL-terminated; fd closed. */
static void read_fd(int fd, char *buf, size_t len)
{
	ssize_t n;

	assert_true(fd >= 0);
	n = pread(fd, buf, len - 1, 0);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static ino_t inode_of_fd(int fd)
{
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	return st.st_ino;
}

/*
 * A file mapped, deleted and replaced by another under its name: map_files
 * reaches the mapped one, the root path the new one.
 */
static void test_mapped_deleted_and_replaced(void **state)
{
	char path[] = "/tmp/proc_files_test_XXXXXX", buf[64], kpath[PATH_MAX];
	uint64_t start, end;
	void *p;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "mapped", 6), 6);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);
	close(fd);
	unlink(path);
	write_file(path, "replacement");
	start = (uint64_t)(uintptr_t)p;
	end = start + 4096;

	read_fd(proc_open_mapped(getpid(), start, end, path), buf, sizeof(buf));
	assert_string_equal(buf, "mapped");
	read_fd(proc_open_mapped(getpid(), start, end, NULL), buf, sizeof(buf));
	assert_string_equal(buf, "mapped");
	read_fd(proc_open_in_root(getpid(), path, O_RDONLY), buf, sizeof(buf));
	assert_string_equal(buf, "replacement");

	/* A range that is no mapping: the path under the root, if one is given. */
	read_fd(proc_open_mapped(getpid(), start + 4096, end + 4096, path), buf, sizeof(buf));
	assert_string_equal(buf, "replacement");
	assert_int_equal(proc_open_mapped(getpid(), start + 4096, end + 4096, NULL), -ENOENT);

	/* The kernel's path: map_files while it is mapped, else the root path. */
	assert_int_equal(proc_mapped_path(getpid(), start, end, path, kpath, sizeof(kpath)), 0);
	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%llx-%llx", (int)getpid(),
		 (unsigned long long)start, (unsigned long long)end);
	assert_string_equal(kpath, buf);
	read_fd(open(kpath, O_RDONLY | O_CLOEXEC), buf, sizeof(buf));
	assert_string_equal(buf, "mapped");
	munmap(p, 4096);
	assert_int_equal(proc_mapped_path(getpid(), start, end, path, kpath, sizeof(kpath)), 0);
	snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)getpid(), path);
	assert_string_equal(kpath, buf);
	assert_int_equal(proc_mapped_path(getpid(), start, end, path, kpath, 16), -ENAMETOOLONG);
	unlink(path);
}

static int find_exe(const struct proc_map *m, void *ctx)
{
	struct proc_map *exe = ctx;

	if (!proc_map_is_file(m) || strcmp(m->path, exe->path))
		return 0;
	*exe = *m;
	return 1;
}

/* Our own executable, found in our maps, opened both ways: one file. */
static void test_mapped_executable(void **state)
{
	static struct proc_map exe;
	ssize_t n;

	n = readlink("/proc/self/exe", exe.path, sizeof(exe.path) - 1);
	assert_true(n > 0);
	exe.path[n] = '\0';
	assert_int_equal(proc_maps_for_each(getpid(), find_exe, &exe), 1);
	assert_int_equal(inode_of_fd(proc_open_mapped(getpid(), exe.start, exe.end, NULL)),
			 exe.inode);
	assert_int_equal(inode_of_fd(proc_open_in_root(getpid(), exe.path, O_RDONLY)),
			 exe.inode);
	assert_int_equal(proc_open_mapped(0x3fffffff, exe.start, exe.end, exe.path), -ENOENT);
}

static void test_root_paths(void **state)
{
	char buf[64], want[64];
	int fd;

	assert_int_equal(proc_open_in_root(getpid(), "etc/passwd", O_RDONLY), -EINVAL);
	assert_int_equal(proc_open_in_root(getpid(), "/no/such/file", O_RDONLY), -ENOENT);
	assert_int_equal(proc_open_in_root(0x3fffffff, "/etc/passwd", O_RDONLY), -ENOENT);
	fd = proc_open_in_root(getpid(), "/proc/self/status", O_RDONLY);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	assert_int_equal(proc_root_path(42, "/a/b", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/42/root/a/b");
	snprintf(want, sizeof(want), "/proc/42/root/a/b");
	assert_int_equal(proc_root_path(42, "/a/b", buf, strlen(want) + 1), 0);
	assert_int_equal(proc_root_path(42, "/a/b", buf, strlen(want)), -ENAMETOOLONG);
	assert_true(proc_same_root(getpid()));
}

/* A child chrooted into a directory of ours sees its files at its "/". */
static void test_chrooted_target(void **state)
{
	char dir[] = "/tmp/proc_files_root_XXXXXX", file[64], buf[64], link[64];
	struct stat st;
	int ready[2];
	pid_t pid;

	if (geteuid() != 0)
		skip(); /* chroot needs CAP_SYS_CHROOT */
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/inside", dir);
	write_file(file, "in the chroot");
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c = chroot(dir) || chdir("/") ? 'x' : 'k';

		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], buf, 1), 1);
	close(ready[0]);
	assert_int_equal(buf[0], 'k');

	assert_false(proc_same_root(pid));
	read_fd(proc_open_in_root(pid, "/inside", O_RDONLY), buf, sizeof(buf));
	assert_string_equal(buf, "in the chroot");
	assert_int_equal(proc_open_in_root(pid, file, O_RDONLY), -ENOENT);

	/* Neither ".." nor an absolute link leaves the target's root. */
	read_fd(proc_open_in_root(pid, "/../../../inside", O_RDONLY), buf, sizeof(buf));
	assert_string_equal(buf, "in the chroot");
	snprintf(link, sizeof(link), "%s/abs", dir);
	assert_int_equal(symlink("/inside", link), 0);
	read_fd(proc_file_open(pid, "/abs", &proc_rules_elf, &st), buf, sizeof(buf));
	assert_string_equal(buf, "in the chroot");
	unlink(link);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(file);
	rmdir(dir);
}

/* A scratch directory of files to be refused. */
static char scratch[] = "/tmp/proc_files_policy_XXXXXX";

static const char *in_scratch(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	return path;
}

/*
 * What a target can put where the tracer looks: a FIFO (opened without
 * blocking, then refused), a link, a device, a file too large or not its
 * own.  Each refusal is -EPERM and counted; the target's own regular file
 * is opened.
 */
static void test_policy_refusals(void **state)
{
	struct proc_file_rules small = { .what = "test file", .max_size = 4 };
	struct proc_file_rules owned = { .what = "test file", .max_size = 1024,
					 .target_owned = true };
	uint64_t refused = proc_files_refused();
	struct stat st;
	char buf[16];

	assert_non_null(mkdtemp(scratch));
	assert_int_equal(mkfifo(in_scratch("fifo"), 0600), 0);
	assert_int_equal(proc_file_open(getpid(), in_scratch("fifo"), &proc_rules_perf_map, &st),
			 -EPERM);
	assert_int_equal(symlink("/dev/zero", in_scratch("zero")), 0);
	assert_int_equal(proc_file_open(getpid(), in_scratch("zero"), &proc_rules_perf_map, &st),
			 -EPERM);
	/* Followed where links are allowed, and still not a regular file. */
	assert_int_equal(proc_file_open(getpid(), in_scratch("zero"), &proc_rules_elf, &st),
			 -EPERM);
	write_file(in_scratch("big"), "12345");
	assert_int_equal(proc_file_open(getpid(), in_scratch("big"), &small, &st), -EPERM);
	write_file(in_scratch("ok"), "1234");
	read_fd(proc_file_open(getpid(), in_scratch("ok"), &small, &st), buf, sizeof(buf));
	assert_string_equal(buf, "1234");
	assert_int_equal(st.st_size, 4);
	/* We run as root: a file of uid 12345 is not ours, one of root's is. */
	read_fd(proc_file_open(getpid(), in_scratch("ok"), &owned, &st), buf, sizeof(buf));
	if (geteuid() == 0) {
		assert_int_equal(chown(in_scratch("ok"), 12345, 12345), 0);
		assert_int_equal(proc_file_open(getpid(), in_scratch("ok"), &owned, &st), -EPERM);
		assert_int_equal(proc_files_refused(), refused + 5);
	}
	assert_int_equal(proc_file_open(getpid(), in_scratch("none"), &owned, &st), -ENOENT);
	assert_int_equal(proc_file_open(getpid(), "relative", &owned, &st), -EINVAL);
	unlink(in_scratch("fifo"));
	unlink(in_scratch("zero"));
	unlink(in_scratch("big"));
	unlink(in_scratch("ok"));
	rmdir(scratch);
}

/* A mapped file truncated under us reads as zeros past its new end. */
static void test_truncated_mapping(void **state)
{
	char path[] = "/tmp/proc_files_trunc_XXXXXX", page[8192];
	volatile const unsigned char *p;
	uint64_t before;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	memset(page, 0x5a, sizeof(page));
	assert_int_equal(write(fd, page, sizeof(page)), (ssize_t)sizeof(page));
	p = mmap(NULL, sizeof(page), PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[4096], 0x5a);
	proc_files_guard_mmaps();
	before = proc_files_note_truncations();
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(p[0], 0x5a);
	assert_int_equal(p[4096], 0);
	assert_int_equal(p[8191], 0);
	assert_int_equal(proc_files_note_truncations(), before + 1);
	munmap((void *)p, sizeof(page));
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped_deleted_and_replaced),
		cmocka_unit_test(test_mapped_executable),
		cmocka_unit_test(test_root_paths),
		cmocka_unit_test(test_policy_refusals),
		cmocka_unit_test(test_truncated_mapping),
		cmocka_unit_test(test_chrooted_target),
	};

	return cmocka_run_group_tests_name("proc_files", tests, NULL, NULL);
}
