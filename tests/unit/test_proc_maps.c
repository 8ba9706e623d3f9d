// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/PID/maps: lines of every shape through the parser, and the reader
 * on our own maps, with a deleted file whose name has spaces and a file
 * whose path is longer than any line the reader keeps.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "procs/proc_maps.h"

static struct proc_map m;

static void test_file_line(void **state)
{
	assert_true(proc_maps_parse_line(
		"7f3d35ec2000-7f3d35ee8000 r-xp 00028000 fe:01 1234567    "
		"/usr/lib/x86_64-linux-gnu/libc.so.6\n", &m));
	assert_int_equal(m.start, 0x7f3d35ec2000ULL);
	assert_int_equal(m.end, 0x7f3d35ee8000ULL);
	assert_int_equal(m.offset, 0x28000);
	assert_int_equal(m.dev_major, 0xfe);
	assert_int_equal(m.dev_minor, 1);
	assert_int_equal(m.inode, 1234567);
	assert_string_equal(m.perms, "r-xp");
	assert_string_equal(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_false(m.deleted);
	assert_true(proc_map_is_file(&m));
	assert_true(proc_map_is_exec(&m));
}

/* The widest fields the kernel prints: 64-bit addresses, offsets, inodes. */
static void test_widest_fields(void **state)
{
	assert_true(proc_maps_parse_line(
		"ffffffffff600000-ffffffffff601000 --xs ffffffffffff0000 fff:fffff "
		"18446744073709551615 /x\n", &m));
	assert_int_equal(m.start, 0xffffffffff600000ULL);
	assert_int_equal(m.end, 0xffffffffff601000ULL);
	assert_int_equal(m.offset, 0xffffffffffff0000ULL);
	assert_int_equal(m.dev_major, 0xfff);
	assert_int_equal(m.dev_minor, 0xfffff);
	assert_int_equal(m.inode, UINT64_MAX);
	assert_string_equal(m.perms, "--xs");
}

static void test_anonymous_and_special(void **state)
{
	assert_true(proc_maps_parse_line("55d1c0a00000-55d1c0a21000 rw-p 00000000 00:00 0 ", &m));
	assert_string_equal(m.path, "");
	assert_int_equal(m.inode, 0);
	assert_false(proc_map_is_file(&m));
	/* No padding, no newline: the end of the string ends the line. */
	assert_true(proc_maps_parse_line("1000-2000 rw-p 00000000 00:00 0", &m));
	assert_string_equal(m.path, "");
	assert_true(proc_maps_parse_line("1000-2000 rw-p 00000000 00:00 0\n", &m));
	assert_string_equal(m.path, "");
	assert_true(proc_maps_parse_line(
		"55d1c0a00000-55d1c0a21000 rw-p 00000000 00:00 0                          [heap]\n",
		&m));
	assert_string_equal(m.path, "[heap]");
	assert_false(proc_map_is_file(&m));
	assert_false(proc_map_is_exec(&m));
	assert_true(proc_maps_parse_line(
		"7ffd4e5f2000-7ffd4e5f4000 r-xp 00000000 00:00 0  [vdso]", &m));
	assert_string_equal(m.path, "[vdso]");
	assert_true(proc_maps_parse_line(
		"7f0000000000-7f0000001000 rw-s 00000000 00:01 77 /dev/zero (deleted)\n", &m));
	assert_string_equal(m.path, "/dev/zero");
	assert_true(m.deleted);
	assert_string_equal(m.perms, "rw-s");
}

static void test_deleted_and_spaces(void **state)
{
	assert_true(proc_maps_parse_line(
		"7f00-8f00 r-xp 00000000 08:01 42 /opt/my lib/libx.so (deleted)\n", &m));
	assert_string_equal(m.path, "/opt/my lib/libx.so");
	assert_true(m.deleted);
	/* Only a suffix marks a deleted file; trailing spaces belong to the name. */
	assert_true(proc_maps_parse_line(
		"7f00-8f00 r-xp 00000000 08:01 42 /a (deleted)/b  \n", &m));
	assert_string_equal(m.path, "/a (deleted)/b  ");
	assert_false(m.deleted);
	/* A name that is the suffix alone is a name. */
	assert_true(proc_maps_parse_line("7f00-8f00 r-xp 00000000 08:01 42  (deleted)\n", &m));
	assert_string_equal(m.path, "(deleted)");
	assert_false(m.deleted);
	/* A newline in a file name comes escaped. */
	assert_true(proc_maps_parse_line("7f00-8f00 r--p 00000000 08:01 42 /tmp/a\\012b\n", &m));
	assert_string_equal(m.path, "/tmp/a\\012b");
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"2000-1000 r-xp 0 0:0 0 /x",          /* start after end */
		"1000-1000 r-xp 0 0:0 0 /x",          /* empty */
		"1000-2000 r-xp 00000000 08:01",      /* no inode */
		"1000-2000 r-xp 00000000 08:01 ",
		"1000-2000 rwzp 00000000 08:01 1 /x", /* not a permission */
		"1000-2000 r-x 00000000 08:01 1 /x",
		"1000-2000 r-xpp 00000000 08:01 1 /x",
		"0x1000-0x2000 r-xp 00000000 08:01 1 /x",
		" 1000-2000 r-xp 00000000 08:01 1 /x",
		"1000 2000 r-xp 00000000 08:01 1 /x",
		"1000-2000\tr-xp 00000000 08:01 1 /x",
		"1000-2000 r-xp 00000000 0801 1 /x",
		"1000-2000 r-xp 00000000 08:01 -1 /x",
		"1000-2000 r-xp 00000000 08:01 12x /x",
		"1000-2000 r-xp 00000000 08:01 18446744073709551616 /x", /* 2^64 */
		"10000000000000000-10000000000001000 r-xp 00000000 08:01 1 /x", /* 17 digits */
		"1000-2000 r-xp 00000000 123456789:01 1 /x",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proc_maps_parse_line(bad[i], &m))
			fail_msg("parsed: \"%s\"", bad[i]);
}

/* A path is kept whole or not at all: one cut short could name another file. */
static void test_overlong_path(void **state)
{
	static const char head[] = "1000-2000 r-xp 00000000 08:01 1 ";
	static char line[sizeof(head) + PATH_MAX + 2];
	size_t h = strlen(head);

	memcpy(line, head, h);
	line[h] = '/';
	memset(line + h + 1, 'a', PATH_MAX - 2);
	strcpy(line + h + PATH_MAX - 1, "\n");
	assert_true(proc_maps_parse_line(line, &m));
	assert_int_equal(strlen(m.path), PATH_MAX - 1);
	line[h + PATH_MAX - 1] = 'a';
	strcpy(line + h + PATH_MAX, "\n");
	assert_false(proc_maps_parse_line(line, &m));
}

static int count_maps(const struct proc_map *pm, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

static int stop_at_third(const struct proc_map *pm, void *ctx)
{
	return ++(*(size_t *)ctx) == 3 ? 42 : 0;
}

struct find {
	uint64_t addr;
	struct proc_map found;
	size_t hits;
};

static int find_addr(const struct proc_map *pm, void *ctx)
{
	struct find *f = ctx;

	if (pm->start <= f->addr && f->addr < pm->end) {
		f->found = *pm;
		f->hits++;
	}
	return 0;
}

static void test_for_each_self(void **state)
{
	struct proc_map *all;
	size_t n, k = 0;

	assert_int_equal(proc_maps_for_each(getpid(), count_maps, &k), 0);
	assert_true(k > 5);
	k = 0;
	assert_int_equal(proc_maps_for_each(getpid(), stop_at_third, &k), 42);
	assert_int_equal(k, 3);
	assert_int_equal(proc_maps_for_each(0x3fffffff, count_maps, &k), -ENOENT);
	assert_int_equal(proc_maps_read(0x3fffffff, &all, &n), -ENOENT);
}

/* A file mapped, then deleted: its name has spaces, its line the suffix. */
static void test_deleted_file_mapped(void **state)
{
	char path[] = "/tmp/proc maps test XXXXXX";
	struct find f = { 0 };
	struct stat st;
	struct proc_map *all;
	size_t n, i, seen = 0;
	void *p;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 12288), 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 4096);
	assert_true(p != MAP_FAILED);
	close(fd);
	unlink(path);

	f.addr = (uint64_t)(uintptr_t)p;
	assert_int_equal(proc_maps_for_each(getpid(), find_addr, &f), 0);
	assert_int_equal(f.hits, 1);
	assert_int_equal(f.found.start, f.addr);
	assert_int_equal(f.found.end, f.addr + 8192);
	assert_int_equal(f.found.offset, 4096);
	assert_int_equal(f.found.inode, st.st_ino);
	assert_int_equal(f.found.dev_major, major(st.st_dev));
	assert_int_equal(f.found.dev_minor, minor(st.st_dev));
	assert_string_equal(f.found.perms, "r--p");
	assert_string_equal(f.found.path, path);
	assert_true(f.found.deleted);

	/* The array holds the same entry. */
	assert_int_equal(proc_maps_read(getpid(), &all, &n), 0);
	for (i = 0; i < n; i++)
		if (all[i].start == f.addr && !strcmp(all[i].path, path) && all[i].deleted)
			seen++;
	free(all);
	assert_int_equal(seen, 1);
	munmap(p, 8192);
}

/* Directories nested until a path is longer than PATH_MAX. */
#define DEEP_LEVELS 20
#define DEEP_NAME_LEN 250

struct deep {
	char top[32];
	int dirs[DEEP_LEVELS + 1];
	char name[DEEP_NAME_LEN + 1];
};

static void deep_make(struct deep *d)
{
	int i;

	strcpy(d->top, "/tmp/proc_maps_deep_XXXXXX");
	assert_non_null(mkdtemp(d->top));
	memset(d->name, 'd', DEEP_NAME_LEN);
	d->name[DEEP_NAME_LEN] = '\0';
	d->dirs[0] = open(d->top, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	assert_true(d->dirs[0] >= 0);
	for (i = 0; i < DEEP_LEVELS; i++) {
		assert_int_equal(mkdirat(d->dirs[i], d->name, 0700), 0);
		d->dirs[i + 1] = openat(d->dirs[i], d->name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		assert_true(d->dirs[i + 1] >= 0);
	}
}

static void deep_remove(struct deep *d)
{
	int i;

	unlinkat(d->dirs[DEEP_LEVELS], "f", 0);
	for (i = DEEP_LEVELS; i > 0; i--) {
		close(d->dirs[i]);
		unlinkat(d->dirs[i - 1], d->name, AT_REMOVEDIR);
	}
	close(d->dirs[0]);
	rmdir(d->top);
}

/* Lines in the maps file, read whole. */
static size_t count_lines(void)
{
	static char buf[1 << 20];
	size_t len = 0, lines = 0, i;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	while ((r = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)r;
	close(fd);
	assert_true(len < sizeof(buf));
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	return lines;
}

/*
 * A line longer than the reader keeps is skipped whole, and the lines
 * after it are read as they are.
 */
static void test_overlong_line_skipped(void **state)
{
	struct find f = { 0 };
	struct deep d;
	size_t before = 0, after = 0, lines;
	char *p, *q;
	int fd;

	deep_make(&d);
	fd = openat(d.dirs[DEEP_LEVELS], "f", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	/*
	 * The file, then a page of its own right above it (a PROT_NONE page
	 * after that keeps it from merging), so the line after the long one
	 * is known.
	 */
	p = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_true(mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == p);
	q = p + 4096;
	assert_int_equal(mprotect(q, 4096, PROT_READ | PROT_WRITE), 0);
	close(fd);

	assert_int_equal(proc_maps_for_each(getpid(), count_maps, &before), 0);
	lines = count_lines();
	assert_int_equal(proc_maps_for_each(getpid(), count_maps, &after), 0);
	assert_int_equal(before, after);
	assert_int_equal(before, lines - 1);
	f.addr = (uint64_t)(uintptr_t)p;
	assert_int_equal(proc_maps_for_each(getpid(), find_addr, &f), 0);
	assert_int_equal(f.hits, 0);
	f.addr = (uint64_t)(uintptr_t)q;
	assert_int_equal(proc_maps_for_each(getpid(), find_addr, &f), 0);
	assert_int_equal(f.hits, 1);
	assert_int_equal(f.found.start, f.addr);
	assert_int_equal(f.found.end, f.addr + 4096);
	assert_string_equal(f.found.perms, "rw-p");
	munmap(p, 3 * 4096);
	deep_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_line),
		cmocka_unit_test(test_widest_fields),
		cmocka_unit_test(test_anonymous_and_special),
		cmocka_unit_test(test_deleted_and_spaces),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_overlong_path),
		cmocka_unit_test(test_for_each_self),
		cmocka_unit_test(test_deleted_file_mapped),
		cmocka_unit_test(test_overlong_line_skipped),
	};

	return cmocka_run_group_tests_name("proc_maps", tests, NULL, NULL);
}
