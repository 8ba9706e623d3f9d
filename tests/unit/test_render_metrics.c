// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Prometheus text of a fixed report, line by line: processes with their
 * labels (escaped), stacks per process capped at metrics_stacks, every loss
 * counter, the tracer's cost; and the pod UID found in cgroup paths.
 */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyze/report.h"
#include "analyze/stack_identity.h"
#include "out/render.h"

static pid_t pids_a[] = { 100 };
static pid_t pids_ab[] = { 100, 200 };
static uint64_t bytes_ab[] = { 3000, 1000 };

static struct frame frames_leak[] = {
	{ .addr = 0x1234, .symbol = "leak_here", .module = "/bin/app", .module_offset = 0x234 },
	{ .addr = 0x1100, .symbol = "main", .module = "/bin/app", .module_offset = 0x100 },
};

static struct frame frames_map[] = {
	{ .addr = 0x7f0000001000, .symbol = "mmap64", .module = "/lib/libc.so.6",
	  .module_offset = 0x1000 },
	{ .addr = 0x1300, .module = "/bin/app", .module_offset = 0x300 },
};

static struct stack_report stacks[] = {
	{ .bytes = 4000, .allocs = 4, .kind = MEMLEAK_KIND_MALLOC, .pids = pids_ab,
	  .pid_bytes = bytes_ab, .npids = 2, .frames = frames_leak, .nframes = 2 },
	{ .bytes = 8192, .allocs = 1, .kind = MEMLEAK_KIND_MMAP, .pids = pids_a, .npids = 1,
	  .frames = frames_map, .nframes = 2 },
	{ .bytes = 10, .allocs = 1, .kind = MEMLEAK_KIND_MALLOC, .pids = pids_a, .npids = 1,
	  .stack_lost = true },
};

static struct process_report procs[] = {
	{ .pid = 100, .comm = "we\"ird\\na\nme", .rss_bytes = 1 << 20,
	  .outstanding_bytes = 12203, .outstanding_allocs = 6, .growth_bytes = 500,
	  .backing_bytes = 135168, .mapped_bytes = 8192,
	  .cgroup = "/kubepods/burstable/pod0f2c6a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f/abc" },
	{ .pid = 200, .comm = "app", .rss_bytes = -1, .outstanding_bytes = 1000,
	  .outstanding_allocs = 1, .growth_bytes = -200, .backing_bytes = -1,
	  .mapped_bytes = -1 },
};

static void fill_report(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->time.tv_sec = 1795434002;
	r->time.tv_nsec = 500000000;
	r->interval_s = 2;
	r->procs = procs;
	r->nprocs = 2;
	r->stacks = stacks;
	r->nstacks = 3;
	r->metrics_stacks = 2;
	r->mode = "precise";
	r->stats[MEMLEAK_STAT_ALLOCS] = 11;
	r->stats[MEMLEAK_STAT_STACK_COLLISION] = 3;
	r->stats[MEMLEAK_STAT_ALLOC_MAP_FULL] = 2;
	r->stats[MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES] = 4096;
	r->cost = (struct tracer_cost){ .user_cpu_s = 1.5, .bpf_cpu_s = 0.25, .bpf_runs = 77,
					.rss_bytes = 9000000, .report_cpu_s = 0.001 };
}

static char *render(const struct report *r)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(render_metrics(f, r), 0);
	fclose(f);
	return buf;
}

/* The line starting with prefix, whole (no newline); fails if none or two. */
static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text, *found = NULL;

	for (; (p = strstr(p, line)); p += n) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n])) {
			assert_null(found);
			found = p;
		}
	}
	if (!found)
		fail_msg("no line '%s' in:\n%s", line, text);
}

static size_t count_prefix(const char *text, const char *prefix)
{
	size_t n = 0;
	const char *p;

	for (p = text; (p = strstr(p, prefix)); p++)
		n += p == text || p[-1] == '\n';
	return n;
}

static void test_processes(void **state)
{
	struct report r;
	char *out;

	fill_report(&r);
	out = render(&r);
	assert_line(out, "# TYPE memleakbpf_process_outstanding_bytes gauge");
	assert_line(out, "memleakbpf_process_outstanding_bytes{pid=\"100\",comm=\"we\\\"ird\\\\na\\nme\","
		    "cgroup=\"/kubepods/burstable/pod0f2c6a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f/abc\","
		    "pod_uid=\"0f2c6a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f\"} 12203");
	assert_line(out, "memleakbpf_process_outstanding_bytes{pid=\"200\",comm=\"app\"} 1000");
	assert_line(out, "memleakbpf_process_outstanding_allocations{pid=\"200\",comm=\"app\"} 1");
	assert_line(out, "memleakbpf_process_growth_bytes_per_second{pid=\"200\",comm=\"app\"} -100");
	/* Unknown figures (a gone process's RSS, mappings not followed) are left out. */
	assert_int_equal(count_prefix(out, "memleakbpf_process_rss_bytes{"), 1);
	assert_int_equal(count_prefix(out, "memleakbpf_process_mapped_bytes{"), 1);
	assert_int_equal(count_prefix(out, "memleakbpf_process_allocator_heap_bytes{"), 1);
	free(out);
}

static void test_stacks(void **state)
{
	char line[256], id[20];
	struct report r;
	char *out;

	fill_report(&r);
	out = render(&r);
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)stack_identity(&stacks[0]));
	/* Each process's own bytes of a stack they share. */
	snprintf(line, sizeof(line), "memleakbpf_stack_outstanding_bytes{pid=\"100\",stack=\"%s\","
		 "function=\"leak_here\",kind=\"malloc\"} 3000", id);
	assert_line(out, line);
	snprintf(line, sizeof(line), "memleakbpf_stack_outstanding_bytes{pid=\"200\",stack=\"%s\","
		 "function=\"leak_here\",kind=\"malloc\"} 1000", id);
	assert_line(out, line);
	/* A mapping is named by the caller of the libc wrapper. */
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)stack_identity(&stacks[1]));
	snprintf(line, sizeof(line), "memleakbpf_stack_outstanding_bytes{pid=\"100\",stack=\"%s\","
		 "function=\"app+0x300\",kind=\"mmap\"} 8192", id);
	assert_line(out, line);
	/* Pid 100's third stack is past metrics_stacks (2). */
	assert_int_equal(count_prefix(out, "memleakbpf_stack_outstanding_bytes{"), 3);
	free(out);

	r.metrics_stacks = 5;
	out = render(&r);
	assert_int_equal(count_prefix(out, "memleakbpf_stack_outstanding_bytes{"), 4);
	assert_non_null(strstr(out, "function=\"[stack lost]\",kind=\"malloc\"} 10\n"));
	free(out);
}

static void test_counters_and_cost(void **state)
{
	struct report r;
	unsigned int i, losses = 0;
	char *out;

	fill_report(&r);
	out = render(&r);
	assert_line(out, "memleakbpf_calls_total{call=\"allocs\"} 11");
	assert_line(out, "memleakbpf_lost_total{reason=\"stack_collision\"} 3");
	assert_line(out, "memleakbpf_lost_total{reason=\"alloc_map_full\"} 2");
	assert_line(out, "memleakbpf_lost_bytes_total{reason=\"alloc_map_full\"} 4096");
	/* Every loss of the JSON "lost" object, but the bytes, has its series. */
	for (i = 0; i < MEMLEAK_STAT__MAX; i++)
		losses += (stat_is_loss(i) || i == MEMLEAK_STAT_RETURNS_LOST) &&
			  i != MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES;
	assert_int_equal(count_prefix(out, "memleakbpf_lost_total{"), losses);
	assert_line(out, "# TYPE memleakbpf_lost_total counter");
	assert_line(out, "memleakbpf_tracer_cpu_seconds_total 1.500000");
	assert_line(out, "memleakbpf_tracer_resident_memory_bytes 9000000");
	assert_line(out, "memleakbpf_bpf_run_seconds_total 0.250000000");
	assert_line(out, "memleakbpf_bpf_runs_total 77");
	assert_line(out, "memleakbpf_report_timestamp_seconds 1795434002.500");
	assert_line(out, "memleakbpf_traced_processes 2");
	assert_int_equal(count_prefix(out, "memleakbpf_build_info{version=\""), 1);
	free(out);

	/* Unknown BPF figures (stats refused) leave their series out. */
	r.cost.bpf_cpu_s = -1;
	out = render(&r);
	assert_null(strstr(out, "memleakbpf_bpf_run_seconds_total"));
	free(out);
}

static void test_pod_uid(void **state)
{
	char uid[64];

	assert_true(metrics_pod_uid("/kubepods/besteffort/pod12345678-aaaa-bbbb-cccc-123456789abc/c1",
				    uid, sizeof(uid)));
	assert_string_equal(uid, "12345678-aaaa-bbbb-cccc-123456789abc");
	/* systemd's cgroup driver writes the UID with '_'. */
	assert_true(metrics_pod_uid("/kubepods.slice/kubepods-burstable.slice/"
				    "kubepods-burstable-pod12345678_aaaa_bbbb_cccc_123456789abc.slice/"
				    "cri-containerd-1.scope", uid, sizeof(uid)));
	assert_string_equal(uid, "12345678-aaaa-bbbb-cccc-123456789abc");
	assert_false(metrics_pod_uid("/system.slice/podman.service", uid, sizeof(uid)));
	assert_false(metrics_pod_uid("/user.slice/pod", uid, sizeof(uid)));
	assert_false(metrics_pod_uid("/", uid, sizeof(uid)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_counters_and_cost),
		cmocka_unit_test(test_pod_uid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
