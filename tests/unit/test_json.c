// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON writer escaping and the exact JSON report contract. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "out/json_writer.h"
#include "out/render.h"
#include "analyze/report.h"

/* Output of one writer session, NUL-terminated, caller frees. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static void capture_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static char *capture_close(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

/* A lone string value as the writer prints it, record newline included. */
static void assert_string_json(const char *in, size_t len, const char *expected)
{
	struct json_writer w;
	struct capture c;
	char *got;

	capture_open(&c);
	json_init(&w, c.f);
	json_string_n(&w, in, len);
	assert_int_equal(json_finish(&w), 0);
	got = capture_close(&c);
	assert_true(strlen(expected) + 1 == strlen(got));
	assert_memory_equal(got, expected, strlen(expected));
	assert_int_equal(got[strlen(expected)], '\n');
	free(got);
}

#define CHECK_STR(lit, expected) assert_string_json(lit, sizeof(lit) - 1, expected)

static void test_escape_quote_backslash(void **state)
{
	(void)state;
	CHECK_STR("a\"b\\c", "\"a\\\"b\\\\c\"");
	CHECK_STR("", "\"\"");
	CHECK_STR("/plain ascii/", "\"/plain ascii/\"");
}

static void test_escape_whitespace(void **state)
{
	(void)state;
	CHECK_STR("x\ny\tz\r\b\f", "\"x\\ny\\tz\\r\\b\\f\"");
}

static void test_escape_control(void **state)
{
	(void)state;
	CHECK_STR("\x01\x1f", "\"\\u0001\\u001f\"");
	CHECK_STR("\x1b[31m", "\"\\u001b[31m\"");
	/* Embedded NUL: only reachable with an explicit length. */
	CHECK_STR("a\0b", "\"a\\u0000b\"");
}

static void test_escape_del(void **state)
{
	(void)state;
	CHECK_STR("\x7f", "\"\\u007f\"");
}

static void test_utf8_passthrough(void **state)
{
	(void)state;
	/* U+00E9, U+20AC, U+1F600 and the extremes of the valid ranges. */
	CHECK_STR("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	CHECK_STR("\xc2\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\"\xc2\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
	CHECK_STR("\xed\x9f\xbf\xee\x80\x80", "\"\xed\x9f\xbf\xee\x80\x80\"");
}

static void test_utf8_invalid(void **state)
{
	(void)state;
	CHECK_STR("\xff", "\"\\ufffd\"");
	CHECK_STR("a\x80z", "\"a\\ufffdz\"");
	/* Truncated sequence: each stray byte replaced, the next char kept. */
	CHECK_STR("\xe2\x82" "A", "\"\\ufffd\\ufffdA\"");
	CHECK_STR("\xe2\x82", "\"\\ufffd\\ufffd\"");
	/* Overlong encodings of '/' and NUL. */
	CHECK_STR("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	CHECK_STR("\xe0\x80\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	/* UTF-16 surrogate U+D800 and U+110000 are not UTF-8. */
	CHECK_STR("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_STR("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Invalid byte right before a valid multi-byte character. */
	CHECK_STR("\xfe\xc3\xa9", "\"\\ufffd\xc3\xa9\"");
}

static void test_null_string(void **state)
{
	struct json_writer w;
	struct capture c;
	char *got;

	(void)state;
	capture_open(&c);
	json_init(&w, c.f);
	json_array_begin(&w);
	json_string(&w, NULL);
	json_string_n(&w, NULL, 5);
	json_string(&w, "x");
	json_array_end(&w);
	assert_int_equal(json_finish(&w), 0);
	got = capture_close(&c);
	assert_string_equal(got, "[null,null,\"x\"]\n");
	free(got);
}

static void test_commas_and_nesting(void **state)
{
	struct json_writer w;
	struct capture c;
	char *got;

	(void)state;
	capture_open(&c);
	json_init(&w, c.f);
	json_object_begin(&w);
	json_key(&w, "a");
	json_array_begin(&w);
	json_u64(&w, 1);
	json_i64(&w, -2);
	json_object_begin(&w);
	json_key(&w, "b");
	json_null(&w);
	json_key(&w, "k\"ey");
	json_bool(&w, true);
	json_object_end(&w);
	json_array_end(&w);
	json_key(&w, "c");
	json_object_begin(&w);
	json_object_end(&w);
	json_key(&w, "d");
	json_array_begin(&w);
	json_array_end(&w);
	json_key(&w, "e");
	json_u64(&w, UINT64_MAX);
	json_key(&w, "f");
	json_i64(&w, INT64_MIN);
	json_object_end(&w);
	assert_int_equal(json_finish(&w), 0);
	got = capture_close(&c);
	assert_string_equal(got, "{\"a\":[1,-2,{\"b\":null,\"k\\\"ey\":true}],\"c\":{},\"d\":[],"
				 "\"e\":18446744073709551615,\"f\":-9223372036854775808}\n");
	free(got);
}

/* Each *_field is its key then its value. */
static void test_field_helpers(void **state)
{
	struct json_writer w;
	struct capture c;
	char *got;

	(void)state;
	capture_open(&c);
	json_init(&w, c.f);
	json_object_begin(&w);
	json_string_field(&w, "s", "a\"b");
	json_string_field(&w, "ns", NULL);
	json_string_n_field(&w, "n", "x\0y", 3);
	json_u64_field(&w, "u", UINT64_MAX);
	json_i64_field(&w, "i", -5);
	json_i64_or_null_field(&w, "known", 0);
	json_i64_or_null_field(&w, "unknown", -1);
	json_double_field(&w, "d", 2.50, 3);
	json_bool_field(&w, "b", false);
	json_null_field(&w, "z");
	json_object_begin_field(&w, "o");
	json_array_begin_field(&w, "a");
	json_u64(&w, 1);
	json_object_begin(&w);
	json_object_end(&w);
	json_array_end(&w);
	json_object_end(&w);
	json_array_begin_field(&w, "e");
	json_array_end(&w);
	json_object_end(&w);
	assert_int_equal(json_finish(&w), 0);
	got = capture_close(&c);
	assert_string_equal(got, "{\"s\":\"a\\\"b\",\"ns\":null,\"n\":\"x\\u0000y\","
				 "\"u\":18446744073709551615,\"i\":-5,\"known\":0,\"unknown\":null,"
				 "\"d\":2.5,\"b\":false,\"z\":null,\"o\":{\"a\":[1,{}]},\"e\":[]}\n");
	free(got);

	/* Outside any object a field is misuse, as a key there is. */
	capture_open(&c);
	json_init(&w, c.f);
	json_u64_field(&w, "x", 1);
	assert_int_equal(json_finish(&w), -EINVAL);
	free(capture_close(&c));
}

static void test_misuse_reported(void **state)
{
	struct json_writer w;
	struct capture c;
	int i;

	(void)state;
	capture_open(&c);

	json_init(&w, c.f);
	json_object_begin(&w); /* never closed */
	assert_int_equal(json_finish(&w), -EINVAL);

	json_init(&w, c.f);
	json_array_end(&w); /* never opened */
	assert_int_equal(json_finish(&w), -EINVAL);

	json_init(&w, c.f);
	json_key(&w, "k"); /* key outside an object */
	json_u64(&w, 1);
	assert_int_equal(json_finish(&w), -EINVAL);

	json_init(&w, c.f);
	json_object_begin(&w);
	json_key(&w, "k"); /* key without a value */
	json_object_end(&w);
	assert_int_equal(json_finish(&w), -EINVAL);

	json_init(&w, c.f);
	for (i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_array_begin(&w);
	for (i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_array_end(&w);
	assert_int_equal(json_finish(&w), -EINVAL);

	/* The deepest allowed nesting is fine. */
	json_init(&w, c.f);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		json_array_begin(&w);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		json_array_end(&w);
	assert_int_equal(json_finish(&w), 0);

	free(capture_close(&c));
}

static void assert_double_json(double v, int decimals, const char *expected)
{
	struct json_writer w;
	struct capture c;
	char *got;

	capture_open(&c);
	json_init(&w, c.f);
	json_double(&w, v, decimals);
	assert_int_equal(json_finish(&w), 0);
	got = capture_close(&c);
	got[strlen(got) - 1] = '\0'; /* the record newline */
	assert_string_equal(got, expected);
	free(got);
}

static void test_double(void **state)
{
	(void)state;
	assert_double_json(5.0, 3, "5");
	assert_double_json(2.5, 3, "2.5");
	assert_double_json(0.25, 3, "0.25");
	assert_double_json(0.1234, 3, "0.123");
	assert_double_json(10.0, 3, "10");
	assert_double_json(100.0, 0, "100");
	assert_double_json(-1.5, 3, "-1.5");
	assert_double_json(-0.0001, 3, "0");
	assert_double_json(0.0, 3, "0");
	assert_double_json(1e20, 3, "100000000000000000000");
	assert_double_json(NAN, 3, "null");
	assert_double_json(INFINITY, 3, "null");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(kind_name(MEMLEAK_KIND_MALLOC), "malloc");
	assert_string_equal(kind_name(MEMLEAK_KIND_MMAP), "mmap");
	assert_string_equal(kind_name(MEMLEAK_KIND_BRK), "brk");
	assert_string_equal(kind_name(MEMLEAK_KIND_KMALLOC), "kmalloc");
	assert_string_equal(kind_name(MEMLEAK_KIND_SLAB), "slab");
	assert_string_equal(kind_name(MEMLEAK_KIND_PAGE), "page");
	assert_string_equal(kind_name(MEMLEAK_KIND_PERCPU), "percpu");
	assert_string_equal(kind_name(MEMLEAK_KIND__MAX), "unknown");
	assert_string_equal(kind_name(12345), "unknown");

	assert_string_equal(stat_name(MEMLEAK_STAT_ALLOCS), "allocs");
	assert_string_equal(stat_name(MEMLEAK_STAT_FREES), "frees");
	assert_string_equal(stat_name(MEMLEAK_STAT_UNKNOWN_FREES), "unknown_frees");
	assert_string_equal(stat_name(MEMLEAK_STAT_FAILED_ALLOCS), "failed_allocs");
	assert_string_equal(stat_name(MEMLEAK_STAT_ALLOC_MAP_FULL), "alloc_map_full");
	assert_string_equal(stat_name(MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES), "alloc_map_full_bytes");
	assert_string_equal(stat_name(MEMLEAK_STAT_STACK_MAP_FULL), "stack_map_full");
	assert_string_equal(stat_name(MEMLEAK_STAT_STACK_COLLISION), "stack_collision");
	assert_string_equal(stat_name(MEMLEAK_STAT_TOTALS_FULL), "totals_full");
	assert_string_equal(stat_name(MEMLEAK_STAT_STALE_REPLACED), "stale_replaced");
	assert_string_equal(stat_name(MEMLEAK_STAT_NESTED_CALLS), "nested_calls");
	assert_string_equal(stat_name(MEMLEAK_STAT_PENDING_LOST), "pending_lost");
	assert_string_equal(stat_name(MEMLEAK_STAT_EVENTS_LOST), "events_lost");
	assert_string_equal(stat_name(MEMLEAK_STAT_AGGREGATE_FULL), "aggregate_full");
	assert_string_equal(stat_name(MEMLEAK_STAT__MAX), "unknown");
}

/* 2026-11-23T11:40:02.123Z */
#define FIXED_SEC 1795434002
#define FIXED_NSEC 123456789

static pid_t pids0[] = { 1234 };
static pid_t pids1[] = { 1234, 4321 };

static struct frame frames0[] = {
	{ .addr = 0x55d1c0a01234, .symbol = "leak_here", .offset = 0x1f, .module = "/path/to/bin", .module_offset = 0x1234, .file = "leaky.c", .line = 42, .inlined = true },
	{ .addr = 0x55d1c0a00abc, .symbol = NULL, .offset = 0, .module = "/usr/lib/lib\"odd\".so", .module_offset = 0xabc, .file = NULL, .line = 0 },
	{ .addr = 0x7f00deadbeef, .symbol = "_ZN3foo3barIiEEvT_", .offset = 8, .module = NULL, .file = "/src/foo\n.cc", .line = 0 },
	{ .addr = 0x1, .symbol = NULL, .offset = 0, .module = NULL, .file = NULL, .line = 0 },
	{ .symbol = "py_leak_site", .file = "/srv/app.py", .line = 23,
	  .runtime = MEMLEAK_RUNTIME_PYTHON },
};

static const struct k8s_identity k8s0 = {
	.ns = "shop", .pod = "cart-7d9f", .container = "app",
	.container_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	.node = "node-a",
};

static struct process_report procs[] = {
	{ .pid = 1234, .k8s = &k8s0, .comm = "myservice", .rss_bytes = 12897484,
	  .outstanding_bytes = 1258291, .outstanding_allocs = 3456,
	  .growth_bytes = 1024, .rss_growth_bytes = -4096, .ns_pid = 7, .ppid = 1,
	  .host_pid = 91234, .respawn = true, .backing_bytes = 2097152, .mapped_bytes = 0 },
	{ .pid = 4321, .comm = "work\"er", .rss_bytes = -1, .outstanding_bytes = 4096,
	  .outstanding_allocs = 4, .backing_bytes = -1, .mapped_bytes = -1, .exited = true },
};

static struct stack_report stacks[] = {
	{ .bytes = 4096, .allocs = 4, .kind = MEMLEAK_KIND_MALLOC, .pids = pids0, .npids = 1,
	  .oldest_age_ms = 2345, .truncated = true, .frames = frames0, .nframes = 5,
	  .growth_bytes_per_min = 2457600, .score = 2400000.5 },
	{ .bytes = 100, .allocs = 1, .kind = MEMLEAK_KIND_MMAP, .pids = pids1, .npids = 2,
	  .oldest_age_ms = -1, .stack_lost = true },
};

static void fill_report(struct report *r)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->time.tv_sec = FIXED_SEC;
	r->time.tv_nsec = FIXED_NSEC;
	r->interval_s = 2.5;
	r->procs = procs;
	r->nprocs = 2;
	r->stacks = stacks;
	r->nstacks = 2;
	r->stacks_matched = 23;
	/* Distinct values, so a stat written under the wrong key shows. */
	for (i = 0; i < MEMLEAK_STAT__MAX; i++)
		r->stats[i] = 100 + i;
	r->min_age_ms = 500;
	r->min_size = 0;
	r->max_size = UINT64_MAX;
	r->top_n = 10;
	r->sort = SORT_BYTES;
	r->cost = (struct tracer_cost){ .user_cpu_s = 1.5, .bpf_cpu_s = 0.25, .bpf_runs = 1000,
					.rss_bytes = 8388608, .report_cpu_s = 0.0125 };
	r->unwind = (struct unwind_usage){
		.mode = "dwarf", .rows_used = 30732, .rows_capacity = 1048576, .objects = 3,
		.objects_no_room = 1, .kernel_bytes = 8389000,
	};
}

static char *render_json_string(const struct report *r)
{
	struct capture c;

	capture_open(&c);
	assert_int_equal(render_json(c.f, r), 0);
	return capture_close(&c);
}

static const char full_expected[] =
	"{\"type\":\"report\",\"time\":\"2026-11-23T11:40:02.123Z\",\"interval_s\":2.5,"
	"\"final\":false,\"mode\":\"precise\",\"sample_bytes\":0,"
	"\"filters\":{\"min_age_ms\":500,\"min_size\":0,\"max_size\":null,\"top\":10},"
	"\"sort\":\"bytes\","
	"\"processes\":["
	"{\"pid\":1234,\"comm\":\"myservice\",\"rss_bytes\":12897484,"
	"\"outstanding_bytes\":1258291,\"outstanding_allocs\":3456,"
	"\"growth_bytes\":1024,\"rss_growth_bytes\":-4096,\"ns_pid\":7,\"host_pid\":91234,\"ppid\":1,"
	"\"respawn\":true,"
	"\"allocator_backing_bytes\":2097152,\"direct_mapped_bytes\":0,\"exited\":false,\"escalated\":false,"
	"\"k8s_namespace\":\"shop\",\"k8s_pod\":\"cart-7d9f\",\"k8s_container\":\"app\","
	"\"container_id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
	"\"node\":\"node-a\"},"
	"{\"pid\":4321,\"comm\":\"work\\\"er\",\"rss_bytes\":null,"
	"\"outstanding_bytes\":4096,\"outstanding_allocs\":4,"
	"\"growth_bytes\":0,\"rss_growth_bytes\":0,\"ns_pid\":null,\"host_pid\":null,\"ppid\":null,"
	"\"respawn\":false,"
	"\"allocator_backing_bytes\":null,\"direct_mapped_bytes\":null,\"exited\":true,\"escalated\":false,"
	"\"k8s_namespace\":null,\"k8s_pod\":null,\"k8s_container\":null,\"container_id\":null,"
	"\"node\":null}],"
	"\"stacks\":["
	"{\"bytes\":4096,\"allocs\":4,\"pids\":[1234],\"kind\":\"malloc\",\"slab_cache\":null,"
	"\"oldest_age_ms\":2345,\"stack_lost\":false,\"estimated\":false,"
	"\"growth_bytes_per_min\":2457600,\"score\":2400000.5,\"truncated\":true,\"frames\":["
	"{\"addr\":\"0x55d1c0a01234\",\"symbol\":\"leak_here\",\"runtime\":\"native\",\"offset\":31,"
	"\"module\":\"/path/to/bin\",\"module_offset\":4660,\"file\":\"leaky.c\",\"line\":42,"
	"\"inlined\":true},"
	"{\"addr\":\"0x55d1c0a00abc\",\"symbol\":null,\"runtime\":\"native\",\"offset\":null,"
	"\"module\":\"/usr/lib/lib\\\"odd\\\".so\",\"module_offset\":2748,\"file\":null,\"line\":null,"
	"\"inlined\":false},"
	"{\"addr\":\"0x7f00deadbeef\",\"symbol\":\"_ZN3foo3barIiEEvT_\",\"runtime\":\"native\",\"offset\":8,"
	"\"module\":null,\"module_offset\":null,\"file\":\"/src/foo\\n.cc\",\"line\":null,"
	"\"inlined\":false},"
	"{\"addr\":\"0x1\",\"symbol\":null,\"runtime\":\"native\",\"offset\":null,"
	"\"module\":null,\"module_offset\":null,\"file\":null,\"line\":null,\"inlined\":false},"
	"{\"addr\":null,\"symbol\":\"py_leak_site\",\"runtime\":\"python\",\"offset\":null,"
	"\"module\":null,\"module_offset\":null,\"file\":\"/srv/app.py\",\"line\":23,"
	"\"inlined\":false}]},"
	"{\"bytes\":100,\"allocs\":1,\"pids\":[1234,4321],\"kind\":\"mmap\",\"slab_cache\":null,"
	"\"oldest_age_ms\":null,\"stack_lost\":true,\"estimated\":false,"
	"\"growth_bytes_per_min\":0,\"score\":0,\"truncated\":false,\"frames\":[]}],"
	"\"stacks_matched\":23,"
	"\"stats\":{\"allocs\":100,\"frees\":101,\"unknown_frees\":102,\"failed_allocs\":103,"
	"\"nested_calls\":110,\"aggregate_full\":114,"
	"\"lost\":{\"alloc_map_full\":104,\"alloc_map_full_bytes\":105,\"stack_map_full\":106,"
	"\"stack_collision\":107,\"totals_full\":108,\"stale_replaced\":109,"
	"\"pending_lost\":111,\"events_lost\":112,\"returns_lost\":113}},"
	"\"tracer\":{\"cpu_s\":1.5,\"bpf_cpu_s\":0.25,\"bpf_runs\":1000,\"rss_bytes\":8388608,"
	"\"report_cpu_s\":0.0125},"
	"\"unwind\":{\"mode\":\"dwarf\",\"table_rows\":30732,\"table_rows_capacity\":1048576,"
	"\"objects\":3,\"objects_without_room\":1,\"kernel_bytes\":8389000}}\n";


static void test_render_json_full(void **state)
{
	struct report r;
	char *got;

	(void)state;
	fill_report(&r);
	got = render_json_string(&r);
	assert_string_equal(got, full_expected);
	/* One record, one line: the only newline is the terminator. */
	assert_ptr_equal(strchr(got, '\n'), got + strlen(got) - 1);
	free(got);
}

static void test_render_json_empty(void **state)
{
	struct report r;
	char *got;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.time.tv_sec = 0;
	r.time.tv_nsec = 999999999;
	r.interval_s = 1.0 / 3.0;
	r.final = true;
	r.min_size = 16;
	r.max_size = 4096;
	r.top_n = 5;
	/* What the tracer cost is unknown: null, and so are its runs. */
	r.cost = (struct tracer_cost){ .user_cpu_s = -1, .bpf_cpu_s = -1, .bpf_runs = 7,
				       .rss_bytes = -1, .report_cpu_s = -1 };
	got = render_json_string(&r);
	assert_string_equal(got,
		"{\"type\":\"report\",\"time\":\"1970-01-01T00:00:00.999Z\",\"interval_s\":0.333,"
		"\"final\":true,\"mode\":\"precise\",\"sample_bytes\":0,"
		"\"filters\":{\"min_age_ms\":0,\"min_size\":16,\"max_size\":4096,\"top\":5},"
		"\"sort\":\"growth\","
		"\"processes\":[],\"stacks\":[],\"stacks_matched\":0,"
		"\"stats\":{\"allocs\":0,\"frees\":0,\"unknown_frees\":0,\"failed_allocs\":0,"
		"\"nested_calls\":0,\"aggregate_full\":0,"
		"\"lost\":{\"alloc_map_full\":0,\"alloc_map_full_bytes\":0,\"stack_map_full\":0,"
		"\"stack_collision\":0,\"totals_full\":0,\"stale_replaced\":0,"
		"\"pending_lost\":0,\"events_lost\":0,\"returns_lost\":0}},"
		"\"tracer\":{\"cpu_s\":null,\"bpf_cpu_s\":null,\"bpf_runs\":null,"
		"\"rss_bytes\":null,\"report_cpu_s\":null},"
		"\"unwind\":{\"mode\":null,\"table_rows\":0,\"table_rows_capacity\":0,"
		"\"objects\":0,\"objects_without_room\":0,\"kernel_bytes\":0}}\n");

	free(got);
}

/* A comm of exactly 16 characters plus junk where the NUL should be. */
static void test_render_json_comm_unterminated(void **state)
{
	struct process_report p = { .pid = 7, .backing_bytes = -1, .mapped_bytes = -1 };
	struct report r;
	char *got;

	(void)state;
	memset(p.comm, 'A', sizeof(p.comm));
	memset(&r, 0, sizeof(r));
	r.max_size = UINT64_MAX;
	r.procs = &p;
	r.nprocs = 1;
	got = render_json_string(&r);
	assert_non_null(strstr(got, "\"comm\":\"AAAAAAAAAAAAAAAAA\","));
	free(got);
}

static void test_render_report_dispatch(void **state)
{
	struct capture c;
	struct report r;
	char *got;

	(void)state;
	fill_report(&r);
	capture_open(&c);
	assert_int_equal(render_report(c.f, FORMAT_JSON, &r), 0);
	assert_int_equal(render_report(c.f, (enum output_format)42, &r), -EINVAL);
	got = capture_close(&c);
	assert_string_equal(got, full_expected);
	free(got);

	capture_open(&c);
	assert_int_equal(render_report(c.f, FORMAT_TEXT, &r), 0);
	got = capture_close(&c);
	assert_non_null(strstr(got, "memleakbpf report"));
	free(got);
}

/* A full disk must come back as an error, not a silently missing record. */
static void test_render_json_stream_error(void **state)
{
	struct report r;
	FILE *f;

	(void)state;
	/* /dev/full exists on every Linux: not opening it is a failure. */
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	fill_report(&r);
	assert_int_equal(render_json(f, &r), -ENOSPC);
	fclose(f);
}

static void test_report_free(void **state)
{
	struct report r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.nprocs = 1;
	r.procs = calloc(1, sizeof(*r.procs));
	r.nstacks = 2;
	r.stacks = calloc(2, sizeof(*r.stacks));
	assert_non_null(r.procs);
	assert_non_null(r.stacks);
	r.stacks[0].npids = 1;
	r.stacks[0].pids = calloc(1, sizeof(pid_t));
	r.stacks[0].nframes = 3;
	r.stacks[0].frames = calloc(3, sizeof(struct frame));
	/* Frame strings are the symbolizer's: a static one must not be freed. */
	r.stacks[0].frames[0].symbol = "static";
	report_free(&r);
	assert_null(r.procs);
	assert_null(r.stacks);
	assert_int_equal(r.nprocs, 0);
	assert_int_equal(r.nstacks, 0);
	report_free(&r);
	report_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_quote_backslash),
		cmocka_unit_test(test_escape_whitespace),
		cmocka_unit_test(test_escape_control),
		cmocka_unit_test(test_escape_del),
		cmocka_unit_test(test_utf8_passthrough),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_commas_and_nesting),
		cmocka_unit_test(test_field_helpers),
		cmocka_unit_test(test_misuse_reported),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_render_json_full),
		cmocka_unit_test(test_render_json_empty),
		cmocka_unit_test(test_render_json_comm_unterminated),
		cmocka_unit_test(test_render_report_dispatch),
		cmocka_unit_test(test_render_json_stream_error),
		cmocka_unit_test(test_report_free),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
