// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc parsing: maps lines of every shape, and the live readers on ourselves. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "procs/launch.h"
#include "procs/procfs.h"

static void test_maps_file_line(void **state)
{
	struct map_entry e;

	assert_true(procfs_parse_maps_line(
		"7f3d35ec2000-7f3d35ee8000 r-xp 00028000 fe:00 1234567    "
		"/usr/lib/x86_64-linux-gnu/libc.so.6\n", &e));
	assert_int_equal(e.start, 0x7f3d35ec2000ULL);
	assert_int_equal(e.end, 0x7f3d35ee8000ULL);
	assert_int_equal(e.offset, 0x28000);
	assert_int_equal(e.inode, 1234567);
	assert_string_equal(e.perms, "r-xp");
	assert_string_equal(e.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_false(e.deleted);
}

static void test_maps_anon_and_special(void **state)
{
	struct map_entry e;

	assert_true(procfs_parse_maps_line("55d1c0a00000-55d1c0a21000 rw-p 00000000 00:00 0 ", &e));
	assert_string_equal(e.path, "");
	assert_int_equal(e.inode, 0);
	assert_true(procfs_parse_maps_line(
		"55d1c0a00000-55d1c0a21000 rw-p 00000000 00:00 0                          [heap]", &e));
	assert_string_equal(e.path, "[heap]");
	assert_false(procfs_parse_maps_line("garbage", &e));
	assert_false(procfs_parse_maps_line("2000-1000 r-xp 0 0:0 0 /x", &e));
}

static void test_maps_deleted_and_spaces(void **state)
{
	struct map_entry e;

	assert_true(procfs_parse_maps_line(
		"7f00-8f00 r-xp 00000000 08:01 42 /opt/my lib/libx.so (deleted)\n", &e));
	assert_string_equal(e.path, "/opt/my lib/libx.so");
	assert_true(e.deleted);
}

static void test_live_self(void **state)
{
	struct map_entry *maps;
	size_t n, i;
	bool found_exe = false;
	char comm[17], exe[4096];
	ssize_t len;

	assert_int_equal(procfs_read_maps(getpid(), &maps, &n), 0);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(len > 0);
	exe[len] = '\0';
	for (i = 0; i < n; i++)
		found_exe |= !strcmp(maps[i].path, exe);
	free(maps);
	assert_true(found_exe);
	assert_true(procfs_rss_bytes(getpid()) > 0);
	assert_true(procfs_alive(getpid()));
	assert_false(procfs_alive(0x3fffffff));
	assert_int_equal(procfs_rss_bytes(0x3fffffff), -1);
	procfs_comm(getpid(), comm, sizeof(comm));
	assert_string_equal(comm, "test_procfs");
	assert_true(procfs_maps_signature(getpid()) != 0);
	assert_int_equal(procfs_read_maps(0x3fffffff, &maps, &n), -ENOENT);
}

static void test_ldlist_parse(void **state)
{
	const char *glibc =
		"\tlinux-vdso.so.1 (0x00007ffd4e5f2000)\n"
		"\tlibjemalloc.so.2 => /lib/x86_64-linux-gnu/libjemalloc.so.2 (0x00007f1)\n"
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2)\n"
		"\tlibmissing.so => not found\n"
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f3)\n";
	char **paths;
	size_t n, i;

	assert_int_equal(launch_parse_ldlist(glibc, &paths, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(paths[0], "/lib/x86_64-linux-gnu/libjemalloc.so.2");
	assert_string_equal(paths[1], "/lib/x86_64-linux-gnu/libc.so.6");
	assert_string_equal(paths[2], "/lib64/ld-linux-x86-64.so.2");
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* -c "LD_PRELOAD=/lib/x.so ./prog": leading assignments, as a shell reads them. */
static void test_command_assignment(void **state)
{
	assert_true(launch_is_assignment("LD_PRELOAD=/lib/libjemalloc.so.2"));
	assert_true(launch_is_assignment("_X1="));
	assert_false(launch_is_assignment("./prog"));
	assert_false(launch_is_assignment("=x"));
	assert_false(launch_is_assignment("1A=x"));
	assert_false(launch_is_assignment("./a=b"));
	assert_false(launch_is_assignment("--opt=1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_file_line),
		cmocka_unit_test(test_maps_anon_and_special),
		cmocka_unit_test(test_maps_deleted_and_spaces),
		cmocka_unit_test(test_live_self),
		cmocka_unit_test(test_ldlist_parse),
		cmocka_unit_test(test_command_assignment),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
