// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Text report: the lines an SRE relies on, and the human units. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "out/render.h"
#include "analyze/report.h"
#include "out/units.h"

/* 2026-11-23T11:40:02Z; printed in local time, which the tests pin to UTC. */
#define FIXED_SEC 1795434002

static pid_t pids0[] = { 1234 };
static pid_t pids1[] = { 1234, 4321 };
static pid_t many_pids[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static struct frame frames0[] = {
	{ .addr = 0x55d1c0a01234, .symbol = "leak_here", .offset = 0x1f, .module = "/path/to/bin", .file = "leaky.c", .line = 42 },
	{ .addr = 0x55d1c0a00abc, .symbol = NULL, .offset = 0, .module = "/usr/lib/libfoo.so", .module_offset = 0xabc, .file = NULL, .line = 0 },
	{ .addr = 0x7f00deadbeef, .symbol = "evil\n\x1b[2Jname", .offset = 8, .module = NULL, .file = "/src/foo.cc", .line = 0 },
	{ .addr = 0x10, .symbol = NULL, .offset = 0, .module = NULL, .file = NULL, .line = 0 },
};

static struct process_report procs[] = {
	{ .pid = 1234, .comm = "myservice", .rss_bytes = 12897484,
	  .outstanding_bytes = 1258291, .outstanding_allocs = 3456,
	  .backing_bytes = 2097152, .mapped_bytes = 16777216, .growth_bytes = 1024,
	  .rss_growth_bytes = -4096, .ns_pid = 7, .ppid = 1, .respawn = true,
	  .host_pid = 91234 },
	{ .pid = 4321, .host_pid = 4321, .comm = "gone", .rss_bytes = -1, .outstanding_bytes = 512,
	  .outstanding_allocs = 2, .backing_bytes = -1, .mapped_bytes = -1, .exited = true },
};

static struct stack_report stacks[] = {
	{ .bytes = 4096, .allocs = 4, .kind = MEMLEAK_KIND_MALLOC, .pids = pids0, .npids = 1,
	  .oldest_age_ms = 2345, .frames = frames0, .nframes = 4,
	  .growth_bytes_per_min = 2457600, .score = 2400000.25 },
	{ .bytes = 1, .allocs = 1, .kind = MEMLEAK_KIND_MMAP, .pids = pids1, .npids = 2,
	  .oldest_age_ms = -1, .stack_lost = true },
};

static void fill_report(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->time.tv_sec = FIXED_SEC;
	r->time.tv_nsec = 123000000;
	r->interval_s = 5;
	r->procs = procs;
	r->nprocs = 2;
	r->stacks = stacks;
	r->nstacks = 2;
	r->stacks_matched = 23;
	r->stats[MEMLEAK_STAT_ALLOCS] = 120;
	r->stats[MEMLEAK_STAT_FREES] = 100;
	r->stats[MEMLEAK_STAT_UNKNOWN_FREES] = 3;
	r->stats[MEMLEAK_STAT_NESTED_CALLS] = 7; /* not a loss */
	r->min_age_ms = 500;
	r->max_size = UINT64_MAX;
	r->top_n = 2;
}

static char *render(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(render_text(f, r), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The whole line holding needle, so a test can pin one line exactly. */
static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	fail_msg("line not found: \"%s\" in:\n%s", line, text);
}

static void assert_contains(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("\"%s\" not found in:\n%s", needle, text);
}

static void assert_not_contains(const char *text, const char *needle)
{
	if (strstr(text, needle))
		fail_msg("\"%s\" unexpectedly found in:\n%s", needle, text);
}

static void test_header_and_processes(void **state)
{
	struct report r;
	char *out;

	(void)state;
	fill_report(&r);
	out = render(&r);
	assert_line(out, "[11:40:02] memleakbpf report (allocations older than 500 ms, "
			 "top 2 of 23 stacks)");
	assert_line(out, "  PID      COMM             RSS        RSS-GROWTH  MALLOC-LIVE  GROWTH      "
			 "ALLOCS    ALLOC-HEAP   MAPPED");
	assert_line(out, "  1234     myservice        12.3 MiB   -4.0 KiB    1.2 MiB      +1.0 KiB    "
			 "3456      2.0 MiB      16.0 MiB  ns-pid 7  host-pid 91234  child of 1  respawn");
	assert_line(out, "  4321     gone             -          0 B         512 B        0 B         "
			 "2         -            -  exited");
	free(out);
}

static void test_stacks(void **state)
{
	struct report r;
	char *out;

	(void)state;
	fill_report(&r);
	out = render(&r);
	/* Growth and score per minute, once the history knows them. */
	assert_line(out, "  4096 bytes in 4 allocations (malloc) from pid 1234, oldest 2.3 s, "
			 "growth +2.3 MiB/min, score 2.3 MiB/min");
	assert_line(out, "      #0  0x000055d1c0a01234 leak_here+0x1f (/path/to/bin) leaky.c:42");
	assert_line(out, "      #1  0x000055d1c0a00abc [unknown] (/usr/lib/libfoo.so+0xabc)");
	/* Control characters from the traced program never reach the terminal. */
	assert_line(out, "      #2  0x00007f00deadbeef evil??[2Jname+0x8 /src/foo.cc");
	assert_line(out, "      #3  0x0000000000000010 [unknown]");
	/* Unknown age: said nothing rather than something wrong. */
	assert_line(out, "  1 byte in 1 allocation (mmap) from pids 1234, 4321");
	assert_line(out, "      [stack not recorded]");
	assert_not_contains(out, "\x1b");
	free(out);
}

/* A truncated stack says so after its frames; inlined frames are marked. */
static void test_truncated_and_inlined(void **state)
{
	struct frame f[] = {
		{ .addr = 0x401000, .symbol = "grow", .offset = 4, .module = "/bin/x",
		  .file = "x.c", .line = 7, .inlined = true },
		{ .addr = 0x401000, .symbol = "insert", .offset = 0x10, .module = "/bin/x",
		  .file = "x.c", .line = 20 },
	};
	struct stack_report s = { .bytes = 64, .allocs = 1, .kind = MEMLEAK_KIND_MALLOC,
				  .pids = pids0, .npids = 1, .oldest_age_ms = -1,
				  .truncated = true, .frames = f, .nframes = 2 };
	struct report r;
	char *out;

	(void)state;
	fill_report(&r);
	r.stacks = &s;
	r.nstacks = 1;
	out = render(&r);
	assert_line(out, "      #0  0x0000000000401000 grow+0x4 (/bin/x) x.c:7 (inlined)");
	assert_line(out, "      #1  0x0000000000401000 insert+0x10 (/bin/x) x.c:20");
	assert_line(out, "      [stack may be truncated: the unwinder stopped before the outermost frame]");
	free(out);
}

/* The tables' footer only when tables are in use. */
static void test_unwind_footer(void **state)
{
	struct report r;
	char *out;

	(void)state;
	fill_report(&r);
	out = render(&r);
	assert_not_contains(out, "unwind:");
	free(out);
	r.unwind = (struct unwind_usage){ .mode = "auto", .rows_used = 30672,
					  .rows_capacity = 1048576, .objects = 2,
					  .kernel_bytes = 8392712, .objects_no_room = 1 };
	out = render(&r);
	assert_line(out, "  unwind: auto, 30672 of 1048576 table rows, 2 objects, 8.0 MiB of kernel "
		    "memory; 1 table did not fit (frame pointers there)");
	free(out);
}

static void test_tracer_cost(void **state)
{
	struct report r;
	char *out;

	(void)state;
	fill_report(&r);
	r.cost = (struct tracer_cost){ .user_cpu_s = 1.5, .bpf_cpu_s = 0.25, .bpf_runs = 1000,
				       .rss_bytes = 8388608, .report_cpu_s = 0.0125 };
	out = render(&r);
	assert_line(out, "  tracer: cpu 1.500 s, bpf 0.250 s in 1000 runs, rss 8.0 MiB; "
			 "this report 0.013 s cpu");
	free(out);
	r.cost = (struct tracer_cost){ .user_cpu_s = -1, .bpf_cpu_s = -1, .rss_bytes = -1,
				       .report_cpu_s = -1 };
	out = render(&r);
	assert_line(out, "  tracer: cpu -, bpf -, rss -; this report - cpu");
	free(out);
}

static void test_no_loss_line(void **state)
{
	struct report r;
	char *out;

	(void)state;
	fill_report(&r);
	out = render(&r);
	assert_line(out, "  stats: 120 allocs, 100 frees, 3 unknown frees; lost: none");
	free(out);
}

/* Reports whose age filter was summed in user space: said, not a loss. */
static void test_aggregate_full_not_a_loss(void **state)
{
	struct report r;
	char *out;

	(void)state;
	fill_report(&r);
	r.stats[MEMLEAK_STAT_AGGREGATE_FULL] = 2;
	out = render(&r);
	assert_line(out, "  stats: 120 allocs, 100 frees, 3 unknown frees, 2 age-filtered reports "
			 "summed in user space (kernel map full); lost: none");
	free(out);
}

static void test_every_loss_printed(void **state)
{
	struct report r;
	char *out;

	(void)state;
	fill_report(&r);
	r.stats[MEMLEAK_STAT_FAILED_ALLOCS] = 9;
	r.stats[MEMLEAK_STAT_ALLOC_MAP_FULL] = 5;
	r.stats[MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES] = 10240;
	r.stats[MEMLEAK_STAT_STACK_MAP_FULL] = 2;
	r.stats[MEMLEAK_STAT_STACK_COLLISION] = 1;
	r.stats[MEMLEAK_STAT_TOTALS_FULL] = 6;
	r.stats[MEMLEAK_STAT_STALE_REPLACED] = 4;
	r.stats[MEMLEAK_STAT_PENDING_LOST] = 8;
	r.stats[MEMLEAK_STAT_EVENTS_LOST] = 3;
	out = render(&r);
	assert_line(out, "  stats: 120 allocs, 100 frees, 3 unknown frees, 9 failed allocs");
	assert_line(out, "  lost: 5 allocations (10240 bytes) not recorded: allocation map full");
	assert_line(out, "  lost: 2 stacks not recorded: stack map full");
	assert_line(out, "  lost: 1 stack not recorded: stack hash collision");
	assert_line(out, "  lost: 6 allocations not ranked: stack totals map full");
	assert_line(out, "  lost: 4 allocations dropped: address reused before the free was seen");
	assert_line(out, "  lost: 8 allocator calls not followed: no per-thread state");
	assert_line(out, "  lost: 3 mapping events dropped: event ring buffer full");
	assert_not_contains(out, "lost: none");
	free(out);
}

/* Each loss alone is enough to drop "lost: none". */
static void test_single_losses(void **state)
{
	static const unsigned int loss_stats[] = {
		MEMLEAK_STAT_ALLOC_MAP_FULL, MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES,
		MEMLEAK_STAT_STACK_MAP_FULL, MEMLEAK_STAT_STACK_COLLISION,
		MEMLEAK_STAT_TOTALS_FULL, MEMLEAK_STAT_STALE_REPLACED,
		MEMLEAK_STAT_PENDING_LOST,
	};
	struct report r;
	size_t i;
	char *out;

	(void)state;
	for (i = 0; i < sizeof(loss_stats) / sizeof(loss_stats[0]); i++) {
		fill_report(&r);
		r.stats[loss_stats[i]] = 1;
		out = render(&r);
		assert_not_contains(out, "lost: none");
		assert_contains(out, "\n  lost: ");
		free(out);
	}
}

static void test_final_empty_and_filters(void **state)
{
	struct report r;
	char *out;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.time.tv_sec = FIXED_SEC;
	r.final = true;
	r.min_size = 16;
	r.max_size = 4096;
	out = render(&r);
	assert_line(out, "[11:40:02] memleakbpf final report (all outstanding allocations, "
			 "sizes 16-4096 bytes, 0 stacks)");
	assert_line(out, "  no traced processes");
	assert_line(out, "  no outstanding allocations match the filters");
	assert_contains(out, "lost: none");
	free(out);

	r.min_size = 0;
	r.min_age_ms = 90000;
	out = render(&r);
	assert_contains(out, "(allocations older than 1m30s, sizes <= 4096 bytes, 0 stacks)");
	free(out);

	r.min_size = 1;
	r.max_size = UINT64_MAX;
	out = render(&r);
	assert_contains(out, ", sizes >= 1 bytes, 0 stacks)");
	free(out);
}

static void test_many_pids(void **state)
{
	struct stack_report s = { .bytes = 10, .allocs = 10, .kind = MEMLEAK_KIND_BRK,
				  .pids = many_pids, .npids = 9, .stack_lost = true };
	struct report r;
	char *out;

	(void)state;
	fill_report(&r);
	r.stacks = &s;
	r.nstacks = 1;
	r.stacks_matched = 1;
	out = render(&r);
	assert_contains(out, "(allocations older than 500 ms, 1 stack)");
	assert_line(out, "  10 bytes in 10 allocations (brk) from 9 processes, oldest 0 ms");
	free(out);
}

static void test_stream_error(void **state)
{
	struct report r;
	FILE *f;

	(void)state;
	/* /dev/full exists on every Linux: not opening it is a failure. */
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	fill_report(&r);
	assert_int_equal(render_text(f, &r), -ENOSPC);
	fclose(f);
	assert_int_equal(render_text(NULL, &r), -EINVAL);
}

static void assert_bytes(uint64_t bytes, const char *expected)
{
	char buf[UNITS_BUF_LEN];

	assert_string_equal(format_bytes_human(buf, sizeof(buf), bytes), expected);
}

static void test_format_bytes_human(void **state)
{
	(void)state;
	assert_bytes(0, "0 B");
	assert_bytes(1, "1 B");
	assert_bytes(1023, "1023 B");
	assert_bytes(1024, "1.0 KiB");
	assert_bytes(1536, "1.5 KiB");
	assert_bytes(10240, "10.0 KiB");
	assert_bytes(1048063, "1023.5 KiB");
	/* Would round to 1024.0 KiB: shown in the next unit instead. */
	assert_bytes(1048575, "1.0 MiB");
	assert_bytes(1048576, "1.0 MiB");
	assert_bytes(12897484, "12.3 MiB");
	assert_bytes(1258291, "1.2 MiB");
	assert_bytes(1073741824ULL * 3 / 2, "1.5 GiB");
	assert_bytes(1099511627776ULL, "1.0 TiB");
	assert_bytes(1125899906842624ULL, "1.0 PiB");
	assert_bytes(UINT64_MAX, "16.0 EiB");
}

static void assert_age(uint64_t ms, const char *expected)
{
	char buf[UNITS_BUF_LEN];

	assert_string_equal(format_age_ms(buf, sizeof(buf), ms), expected);
}

static void test_format_age(void **state)
{
	(void)state;
	assert_age(0, "0 ms");
	assert_age(999, "999 ms");
	assert_age(1000, "1.0 s");
	assert_age(2345, "2.3 s");
	assert_age(2350, "2.4 s");
	assert_age(59949, "59.9 s");
	assert_age(59950, "1m00s");
	assert_age(90000, "1m30s");
	assert_age(3599499, "59m59s");
	assert_age(3599500, "1h00m");
	assert_age(7800000, "2h10m");
	assert_age(86400000ULL * 3 + 3600000 * 4, "3d04h");
	assert_age(UINT64_MAX, "213503982334d14h");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_processes),
		cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_tracer_cost),
		cmocka_unit_test(test_no_loss_line),
		cmocka_unit_test(test_aggregate_full_not_a_loss),
		cmocka_unit_test(test_truncated_and_inlined),
		cmocka_unit_test(test_unwind_footer),
		cmocka_unit_test(test_every_loss_printed),
		cmocka_unit_test(test_single_losses),
		cmocka_unit_test(test_final_empty_and_filters),
		cmocka_unit_test(test_many_pids),
		cmocka_unit_test(test_stream_error),
		cmocka_unit_test(test_format_bytes_human),
		cmocka_unit_test(test_format_age),
	};

	/* The header shows local time: pin the zone so the clock is known. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests_name("render_text", tests, NULL, NULL);
}
