// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * perfmap.c: the line format, lookups in this process's own
 * /tmp/perf-PID.map, and rereading when the JIT appends to it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "symbols/perfmap.h"

static char path[64];

static void write_map(const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return 0;
}

static void test_parse_line(void **state)
{
	uint64_t start, size;
	const char *name;

	assert_true(perfmap_parse_line("7f32d8ecac60 438 long LeakyCache.grow(long)\n", &start,
				       &size, &name));
	assert_int_equal(start, 0x7f32d8ecac60);
	assert_int_equal(size, 0x438);
	assert_string_equal(name, "long LeakyCache.grow(long)\n");
	/* The JVM writes 0x prefixes; Node and others do not. */
	assert_true(perfmap_parse_line("0x00007f32d1409260 0x2c0 LazyCompile:~f a.js:1", &start,
				       &size, &name));
	assert_int_equal(start, 0x7f32d1409260);
	assert_int_equal(size, 0x2c0);
	assert_false(perfmap_parse_line("garbage\n", &start, &size, &name));
	assert_false(perfmap_parse_line("1000 0 empty\n", &start, &size, &name));
	assert_false(perfmap_parse_line("1000 10 \n", &start, &size, &name));
	assert_false(perfmap_parse_line("1000 10\n", &start, &size, &name));
}

static void test_lookup_and_reread(void **state)
{
	struct perfmaps *m = perfmaps_new();
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	uint64_t off = 0;

	assert_null(perfmaps_lookup(m, getpid(), 0x1000, &off));  /* no file yet */
	write_map("1000 100 first\n3000 10 Interpreter\n", "w");
	assert_string_equal(perfmaps_lookup(m, getpid(), 0x1000, &off), "first");
	assert_int_equal(off, 0);
	assert_string_equal(perfmaps_lookup(m, getpid(), 0x10ff, &off), "first");
	assert_int_equal(off, 0xff);
	assert_null(perfmaps_lookup(m, getpid(), 0x1100, &off));
	assert_null(perfmaps_lookup(m, getpid(), 0xfff, &off));
	assert_string_equal(perfmaps_lookup(m, getpid(), 0x3009, &off), "Interpreter");
	/* Appended: code freed and compiled again at the same place. */
	nanosleep(&pause, NULL);
	write_map("1000 80 second\n", "a");
	assert_string_equal(perfmaps_lookup(m, getpid(), 0x1010, &off), "second");
	assert_int_equal(off, 0x10);
	perfmaps_free(m);
}

/*
 * Lines are bounded: one longer than PERFMAP_MAX_LINE is skipped whole
 * (its tail is not taken for a line), the lines around it are read, the
 * last line needs no newline, control characters in names become '?', and
 * a process that exited is forgotten.
 */
static void test_long_lines_and_forget(void **state)
{
	struct perfmaps *m = perfmaps_new();
	size_t len = 3 * PERFMAP_MAX_LINE;
	char *text = malloc(len + 128);
	uint64_t off = 0;
	size_t n;

	assert_non_null(text);
	n = (size_t)sprintf(text, "1000 10 before\n2000 10 ");
	memset(text + n, 'x', len - n);
	/* The long line's tail looks like an entry: it must not be one. */
	n = len + (size_t)sprintf(text + len, " 5000 10 tail\n3000 10 after\e[31m\n4000 10 last");
	assert_true(n > len);
	write_map(text, "w");
	assert_string_equal(perfmaps_lookup(m, getpid(), 0x1000, &off), "before");
	assert_null(perfmaps_lookup(m, getpid(), 0x2000, &off));
	assert_null(perfmaps_lookup(m, getpid(), 0x5000, &off));
	assert_string_equal(perfmaps_lookup(m, getpid(), 0x3000, &off), "after?[31m");
	assert_string_equal(perfmaps_lookup(m, getpid(), 0x4000, &off), "last");
	perfmaps_forget(m, getpid());
	unlink(path);
	assert_null(perfmaps_lookup(m, getpid(), 0x1000, &off));
	free(text);
	perfmaps_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_lookup_and_reread),
		cmocka_unit_test(test_long_lines_and_forget),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
