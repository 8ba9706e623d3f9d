// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-stack history and leak score: the fit on known lines, a cache that
 * fills then stays against a slow steady leak, the bounded window, the
 * forgetting of absent stacks and the bounded table; the stack identity
 * it is keyed by.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "analyze/history.h"
#include "analyze/stack_identity.h"

#define SEC 1000000000ULL
#define LEAK_RATE 40960.0  /* bytes per second: 2457600 per minute */

static void assert_close(double want, double got, double tolerance)
{
	if (fabs(want - got) > tolerance)
		fail_msg("expected %.6f, got %.6f (tolerance %g)", want, got, tolerance);
}

static void test_fit_line(void **state)
{
	float t[5] = { 0, 1, 2, 3, 4 };
	double b[5];
	struct growth g;
	size_t i;

	for (i = 0; i < 5; i++)
		b[i] = 1000 + 500 * t[i];
	history_fit(t, b, 5, 4, &g);
	assert_close(30000, g.bytes_per_min, 1e-6);
	assert_close(1, g.r2, 1e-9);
	assert_close(1, g.freshness, 1e-9);
	assert_close(30000, g.score, 1e-6);

	/* Shrinking: a negative growth and no score. */
	for (i = 0; i < 5; i++)
		b[i] = 5000 - 100 * t[i];
	history_fit(t, b, 5, 0, &g);
	assert_close(-6000, g.bytes_per_min, 1e-6);
	assert_close(0, g.score, 0);
}

static void test_fit_flat_and_short(void **state)
{
	float t[3] = { 0, 1, 2 };
	double flat[3] = { 7, 7, 7 }, up[3] = { 0, 60, 120 };
	struct growth g;

	history_fit(t, flat, 3, 0, &g);
	assert_close(0, g.bytes_per_min, 0);
	assert_close(0, g.r2, 0);
	assert_close(0, g.score, 0);

	/* One sample: nothing known.  Two: a slope, but no score yet. */
	history_fit(t, up, 1, 0, &g);
	assert_close(0, g.bytes_per_min, 0);
	history_fit(t, up, 2, 1, &g);
	assert_close(3600, g.bytes_per_min, 1e-9);
	assert_close(0, g.score, 0);
	history_fit(t, up, 3, 2, &g);
	assert_close(3600, g.score, 1e-9);
}

/* One report at time sec: the leak and the cache, as a report shows them. */
static void report_at(struct history *h, double sec, double cap, double fill_s,
		      struct growth *leak, struct growth *cache)
{
	double c = sec >= fill_s ? cap : cap * sec / fill_s;

	history_begin(h, (uint64_t)(sec * SEC) + SEC);
	/* Whole 4 KiB blocks, every 100 ms, as tests/targets/cache_vs_leak.c. */
	assert_int_equal(history_record(h, 1, (uint64_t)(sec * 10) * 4096, leak), 0);
	assert_int_equal(history_record(h, 2, (uint64_t)c, cache), 0);
	history_end(h);
}

/*
 * The case: after a minute of one-second reports, a cache holding
 * ten times what the leak holds, filled in the first 3 s, ranks far below.
 */
static void test_cache_below_leak_after_a_minute(void **state)
{
	struct history *h = history_new(16);
	double cap = 10 * LEAK_RATE * 60;
	struct growth leak, cache;
	int s;

	for (s = 1; s <= 60; s++)
		report_at(h, s, cap, 3, &leak, &cache);
	/* The window is bounded but still spans the run: the slope is exact. */
	assert_close(LEAK_RATE * 60, leak.bytes_per_min, LEAK_RATE * 60 * 0.005);
	assert_close(LEAK_RATE * 60, leak.score, LEAK_RATE * 60 * 0.01);
	/* The cache's slope over the minute is steeper, but it grew only at first. */
	assert_true(cache.bytes_per_min > leak.bytes_per_min);
	assert_true(cache.score < leak.score / 500);
	history_free(h);
}

/* With the integration test's 15 reports and a 2 s fill, already below. */
static void test_cache_below_leak_after_15_reports(void **state)
{
	struct history *h = history_new(16);
	struct growth leak, cache;
	int s;

	for (s = 1; s <= 15; s++)
		report_at(h, s, 6 * 1024 * 1024, 2, &leak, &cache);
	assert_true(cache.score < leak.score / 10);
	/* While it filled, the cache was the fastest grower, rightly. */
	history_free(h);
	h = history_new(16);
	for (s = 1; s <= 3; s++)
		report_at(h, s, 6 * 1024 * 1024, 2, &leak, &cache);
	assert_true(cache.score > leak.score);
	history_free(h);
}

/* A long run: samples are thinned, never more than the bound, slope kept. */
static void test_long_run_downsampled(void **state)
{
	struct history *h = history_new(4);
	struct growth g;
	int s;

	for (s = 0; s < 1000; s++) {
		history_begin(h, (uint64_t)s * 5 * SEC);
		history_record(h, 9, 1000000 + (uint64_t)s * 5 * 100, &g);
		history_end(h);
	}
	assert_close(6000, g.bytes_per_min, 1e-3);
	assert_close(6000, g.score, 1e-3);
	assert_int_equal(history_size(h), 1);
	history_free(h);
}

/* Absent stacks hold 0; after HISTORY_GRACE absent reports they are gone. */
static void test_absent_stacks_forgotten(void **state)
{
	struct history *h = history_new(4);
	struct growth g;
	int s;

	for (s = 0; s < 3; s++) {
		history_begin(h, (uint64_t)s * SEC);
		history_record(h, 5, 1000 * (s + 1), &g);
		history_record(h, 6, 10, &g);
		history_end(h);
	}
	assert_int_equal(history_size(h), 2);
	/* Stack 5 freed its memory: not in the next reports. */
	for (; s < 3 + HISTORY_GRACE; s++) {
		history_begin(h, (uint64_t)s * SEC);
		history_record(h, 6, 10, &g);
		history_end(h);
		assert_int_equal(history_size(h), 2);
	}
	history_begin(h, (uint64_t)s * SEC);
	history_record(h, 6, 10, &g);
	history_end(h);
	assert_int_equal(history_size(h), 1);
	/* Back again: a new history, nothing known from one sample. */
	history_begin(h, (uint64_t)++s * SEC);
	history_record(h, 5, 5000, &g);
	history_end(h);
	assert_close(0, g.bytes_per_min, 0);
	assert_int_equal(history_size(h), 2);
	history_free(h);
}

static void test_table_bounded(void **state)
{
	struct history *h = history_new(2);
	struct growth g;

	history_begin(h, SEC);
	assert_int_equal(history_record(h, 1, 1, &g), 0);
	assert_int_equal(history_record(h, 2, 1, &g), 0);
	assert_int_equal(history_record(h, 3, 1, &g), -ENOSPC);
	assert_close(0, g.score, 0);
	history_end(h);
	assert_int_equal(history_size(h), 2);
	assert_int_equal(history_untracked(h), 1);
	history_free(h);
}

/* The same identity twice in one report (a hash collision): one sample. */
static void test_one_sample_per_report(void **state)
{
	struct history *h = history_new(4);
	struct growth g;
	int s;

	for (s = 0; s < 3; s++) {
		history_begin(h, (uint64_t)s * SEC);
		history_record(h, 1, 100 * s, &g);
		history_record(h, 1, 999999, &g);
		history_end(h);
	}
	assert_close(6000, g.bytes_per_min, 1e-6);
	history_free(h);
}

/* The identity history keys stacks by, from frames or from a report's stack. */
static uint64_t id_of(unsigned int kind, const struct frame *f, size_t n, bool truncated)
{
	struct stack_report s = { .kind = kind, .frames = (struct frame *)f, .nframes = n,
				  .truncated = truncated };

	return stack_identity(&s);
}

static void test_stack_identity(void **state)
{
	/* The same code mapped at two addresses (two processes, ASLR). */
	struct frame a[] = {
		{ .addr = 0x55550000a234, .module = "/bin/app", .module_offset = 0x1234 },
		{ .addr = 0x7f000000babc, .module = "/lib/libc.so.6", .module_offset = 0x2abc },
		{ .addr = 0x10 },
	};
	struct frame b[] = {
		{ .addr = 0x56660000a234, .module = "/bin/app", .module_offset = 0x1234 },
		{ .addr = 0x7f111111babc, .module = "/lib/libc.so.6", .module_offset = 0x2abc },
		{ .addr = 0x10 },
	};
	/* As symbolized: a function inlined at the first address adds a frame. */
	struct frame inl[] = {
		{ .addr = 0x55550000a234, .module = "/bin/app", .module_offset = 0x1234,
		  .symbol = "helper", .inlined = true },
		{ .addr = 0x55550000a234, .module = "/bin/app", .module_offset = 0x1234,
		  .symbol = "caller" },
		{ .addr = 0x7f000000babc, .module = "/lib/libc.so.6", .module_offset = 0x2abc },
		{ .addr = 0x10 },
	};
	struct frame c[3];
	struct stack_report lost = { .kind = MEMLEAK_KIND_MALLOC, .stack_lost = true };
	uint64_t id = id_of(MEMLEAK_KIND_MALLOC, a, 3, false), h;

	assert_true(id != 0);
	assert_true(id == id_of(MEMLEAK_KIND_MALLOC, b, 3, false));
	assert_true(id == id_of(MEMLEAK_KIND_MALLOC, inl, 4, false));
	/* Analysis hashes the same (module, module offset or address) pairs. */
	h = stack_identity_begin(MEMLEAK_KIND_MALLOC, false, false);
	h = stack_identity_frame(h, "/bin/app", 0x1234);
	h = stack_identity_frame(h, "/lib/libc.so.6", 0x2abc);
	h = stack_identity_frame(h, NULL, 0x10);
	assert_true(id == stack_identity_end(h));

	assert_true(id != id_of(MEMLEAK_KIND_MMAP, a, 3, false));
	assert_true(id != id_of(MEMLEAK_KIND_MALLOC, a, 3, true));
	assert_true(id != id_of(MEMLEAK_KIND_MALLOC, a, 2, false));
	assert_true(stack_identity(&lost) != id_of(MEMLEAK_KIND_MALLOC, NULL, 0, false));
	memcpy(c, a, sizeof(c));
	c[1].module_offset++;
	assert_true(id != id_of(MEMLEAK_KIND_MALLOC, c, 3, false));
	memcpy(c, a, sizeof(c));
	c[1].module = "/lib/libc.so.7";
	assert_true(id != id_of(MEMLEAK_KIND_MALLOC, c, 3, false));
	/* Where the module is unknown the address is all there is. */
	memcpy(c, a, sizeof(c));
	c[2].addr = 0x11;
	assert_true(id != id_of(MEMLEAK_KIND_MALLOC, c, 3, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_line),
		cmocka_unit_test(test_fit_flat_and_short),
		cmocka_unit_test(test_cache_below_leak_after_a_minute),
		cmocka_unit_test(test_cache_below_leak_after_15_reports),
		cmocka_unit_test(test_long_run_downsampled),
		cmocka_unit_test(test_absent_stacks_forgotten),
		cmocka_unit_test(test_table_bounded),
		cmocka_unit_test(test_one_sample_per_report),
		cmocka_unit_test(test_stack_identity),
	};

	return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
