// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The /proc readers on ourselves, and parsing the -c command's word and ld.so lists. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>
#include "procs/launch.h"
#include "procs/procfs.h"

static void test_live_self(void **state)
{
	char comm[17];

	assert_true(procfs_rss_bytes(getpid()) > 0);
	assert_true(procfs_alive(getpid()));
	assert_false(procfs_alive(0x3fffffff));
	assert_int_equal(procfs_rss_bytes(0x3fffffff), -1);
	procfs_comm(getpid(), comm, sizeof(comm));
	assert_string_equal(comm, "test_procfs");
}

/* The maps signature follows the maps: a new mapping changes it, its removal restores it. */
static void test_maps_signature(void **state)
{
	uint64_t before, during, after;
	void *p;

	before = procfs_maps_signature(getpid());
	assert_true(before != 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	during = procfs_maps_signature(getpid());
	munmap(p, 4096);
	after = procfs_maps_signature(getpid());
	assert_true(during != before);
	assert_int_equal(after, before);
	assert_int_equal(procfs_maps_signature(0x3fffffff), 0);
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
		cmocka_unit_test(test_live_self),
		cmocka_unit_test(test_maps_signature),
		cmocka_unit_test(test_ldlist_parse),
		cmocka_unit_test(test_command_assignment),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
