// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Folded stacks and pprof from a fixed report: exact lines, and the profile
 * decoded back; the table of output formats.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "profile.pb-c.h"
#include "out/render.h"
#include "analyze/report.h"
#include "out/strmap.h"

static pid_t pids0[] = { 1234 };
static pid_t pids1[] = { 1234, 4321 };

/* Innermost first; a separator and a newline in names; unknown symbols. */
static struct frame frames0[] = {
	{ .addr = 0x1234, .symbol = "leak_here", .module = "/bin/app", .module_offset = 0x234,
	  .file = "app.c", .line = 42 },
	{ .addr = 0x7f0000000abc, .module = "/usr/lib/libfoo.so", .module_offset = 0xabc },
	{ .addr = 0x1100, .symbol = "ns::f(a;b)\nx", .module = "/bin/app", .module_offset = 0x100,
	  .file = "app.c", .line = 7 },
	{ .addr = 0x10 },
};

static struct frame frames1[] = {
	{ .addr = 0x1300, .symbol = "map_it", .module = "/bin/app", .module_offset = 0x300,
	  .file = "app.c", .line = 9 },
	/* Same location as frames0[2]: one location in the profile. */
	{ .addr = 0x1100, .symbol = "ns::f(a;b)\nx", .module = "/bin/app", .module_offset = 0x100,
	  .file = "app.c", .line = 7 },
};

static struct stack_report stacks[] = {
	{ .bytes = 4096, .allocs = 4, .kind = MEMLEAK_KIND_MALLOC, .pids = pids0, .npids = 1,
	  .frames = frames0, .nframes = 4, .alloc_bytes = 10240, .alloc_allocs = 9 },
	{ .bytes = 8192, .allocs = 2, .kind = MEMLEAK_KIND_MMAP, .pids = pids1, .npids = 2,
	  .frames = frames1, .nframes = 2 },
	{ .bytes = 100, .allocs = 1, .kind = MEMLEAK_KIND_MALLOC, .pids = pids0, .npids = 1,
	  .stack_lost = true },
	{ .bytes = 0, .allocs = 0, .kind = MEMLEAK_KIND_MALLOC, .pids = pids0, .npids = 1,
	  .frames = frames1, .nframes = 1 },
};

static void fill_report(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->time.tv_sec = 1795434002;
	r->time.tv_nsec = 5;
	r->interval_s = 2;
	r->stacks = stacks;
	r->nstacks = 4;
}

static char *render_to_string(int (*fn)(FILE *, const struct report *), const struct report *r,
			      size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(fn(f, r), 0);
	fclose(f);
	return buf;
}

static void test_folded(void **state)
{
	struct report r;
	size_t len;
	char *out;

	fill_report(&r);
	out = render_to_string(render_folded, &r, &len);
	assert_string_equal(out,
		"0x10;ns::f(a_b)_x;libfoo.so+0xabc;leak_here 4096\n"
		"ns::f(a_b)_x;map_it;[mmap] 8192\n"
		"[stack lost] 100\n");
	free(out);
}

static Perftools__Profiles__Profile *decode(const char *gz, size_t len)
{
	static unsigned char raw[1 << 16];
	z_stream zs = { 0 };
	size_t n;

	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = len;
	zs.next_out = raw;
	zs.avail_out = sizeof(raw);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	n = zs.total_out;
	inflateEnd(&zs);
	return perftools__profiles__profile__unpack(NULL, n, raw);
}

static const char *str(const Perftools__Profiles__Profile *p, int64_t i)
{
	assert_true(i >= 0 && (size_t)i < p->n_string_table);
	return p->string_table[i];
}

static const Perftools__Profiles__Function *func(const Perftools__Profiles__Profile *p,
						  uint64_t loc_id)
{
	const Perftools__Profiles__Location *l = p->location[loc_id - 1];

	assert_int_equal(l->id, loc_id);
	assert_int_equal(l->n_line, 1);
	return p->function[l->line[0]->function_id - 1];
}

static void test_pprof(void **state)
{
	Perftools__Profiles__Profile *p;
	struct report r;
	size_t len, i;
	char *out;

	fill_report(&r);
	out = render_to_string(render_pprof, &r, &len);
	p = decode(out, len);
	assert_non_null(p);
	assert_string_equal(p->string_table[0], "");
	/* Go's heap profile: both views, in this order. */
	assert_int_equal(p->n_sample_type, 4);
	assert_string_equal(str(p, p->sample_type[0]->type), "alloc_objects");
	assert_string_equal(str(p, p->sample_type[0]->unit), "count");
	assert_string_equal(str(p, p->sample_type[1]->type), "alloc_space");
	assert_string_equal(str(p, p->sample_type[1]->unit), "bytes");
	assert_string_equal(str(p, p->sample_type[2]->type), "inuse_objects");
	assert_string_equal(str(p, p->sample_type[2]->unit), "count");
	assert_string_equal(str(p, p->sample_type[3]->type), "inuse_space");
	assert_string_equal(str(p, p->sample_type[3]->unit), "bytes");
	assert_string_equal(str(p, p->default_sample_type), "inuse_space");
	assert_int_equal(p->time_nanos, 1795434002000000005LL);
	assert_int_equal(p->duration_nanos, 2000000000LL);
	assert_int_equal(p->period, 1);
	assert_int_equal(p->n_sample, 4);
	assert_int_equal(p->sample[0]->n_value, 4);
	assert_int_equal(p->sample[0]->value[0], 9);
	assert_int_equal(p->sample[0]->value[1], 10240);
	assert_int_equal(p->sample[0]->value[2], 4);
	assert_int_equal(p->sample[0]->value[3], 4096);
	assert_int_equal(p->sample[0]->n_location_id, 4);
	assert_string_equal(str(p, func(p, p->sample[0]->location_id[0])->name), "leak_here");
	assert_string_equal(str(p, func(p, p->sample[0]->location_id[0])->filename), "app.c");
	assert_string_equal(str(p, func(p, p->sample[0]->location_id[1])->name),
			    "libfoo.so+0xabc");
	assert_string_equal(str(p, func(p, p->sample[0]->location_id[2])->name), "ns::f(a;b)\nx");
	assert_string_equal(str(p, func(p, p->sample[0]->location_id[3])->name), "0x10");
	/* The shared frame is one location: 4 + 1 new (map_it) locations in all. */
	assert_int_equal(p->sample[1]->location_id[1], p->sample[0]->location_id[2]);
	assert_int_equal(p->n_location, 5);
	assert_int_equal(p->n_mapping, 2);
	for (i = 0; i < p->n_location; i++) {
		const Perftools__Profiles__Location *l = p->location[i];
		const Perftools__Profiles__Mapping *m;

		if (!l->mapping_id)
			continue;
		m = p->mapping[l->mapping_id - 1];
		assert_true(l->address >= m->memory_start && l->address < m->memory_limit);
		assert_true(m->has_functions);
	}
	/* Labels: kind, then every pid. */
	assert_int_equal(p->sample[1]->n_label, 3);
	assert_string_equal(str(p, p->sample[1]->label[0]->key), "kind");
	assert_string_equal(str(p, p->sample[1]->label[0]->str), "mmap");
	assert_int_equal(p->sample[1]->label[2]->num, 4321);
	assert_int_equal(p->sample[2]->n_location_id, 0);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(out);
}

/*
 * A truncated stack ends with a "[truncated]" frame of its own, outermost,
 * in folded and pprof output; samples carry each process's comm and
 * memory cgroup (once per cgroup).
 */
static void test_truncated_and_process_labels(void **state)
{
	struct process_report procs[] = {
		{ .pid = 1234, .comm = "app", .cgroup = "/kubepods/pod1" },
		{ .pid = 4321, .comm = "worker", .cgroup = "/kubepods/pod1" },
	};
	struct stack_report st = {
		.bytes = 300, .allocs = 3, .alloc_bytes = 500, .alloc_allocs = 5,
		.kind = MEMLEAK_KIND_MALLOC, .pids = pids1, .npids = 2,
		.frames = frames1, .nframes = 2, .truncated = true,
	};
	Perftools__Profiles__Profile *p;
	const Perftools__Profiles__Sample *smp;
	struct report r;
	size_t len, i;
	char *out;

	fill_report(&r);
	r.stacks = &st;
	r.nstacks = 1;
	r.procs = procs;
	r.nprocs = 2;
	out = render_to_string(render_folded, &r, &len);
	assert_string_equal(out, "[truncated];ns::f(a_b)_x;map_it 300\n");
	free(out);

	out = render_to_string(render_pprof, &r, &len);
	p = decode(out, len);
	assert_non_null(p);
	smp = p->sample[0];
	assert_int_equal(smp->n_location_id, 3);
	assert_string_equal(str(p, func(p, smp->location_id[0])->name), "map_it");
	assert_string_equal(str(p, func(p, smp->location_id[2])->name), "[truncated]");
	assert_int_equal(smp->value[0], 5);
	assert_int_equal(smp->value[1], 500);
	assert_int_equal(smp->value[2], 3);
	assert_int_equal(smp->value[3], 300);
	/* kind, pid x2, comm x2, cgroup once. */
	assert_int_equal(smp->n_label, 6);
	assert_string_equal(str(p, smp->label[3]->key), "comm");
	assert_string_equal(str(p, smp->label[3]->str), "app");
	assert_string_equal(str(p, smp->label[4]->str), "worker");
	assert_string_equal(str(p, smp->label[5]->key), "cgroup");
	assert_string_equal(str(p, smp->label[5]->str), "/kubepods/pod1");
	for (i = 0; i < p->n_location; i++)
		assert_true(p->location[i]->id == i + 1);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(out);
}

/*
 * Python frames: a function, a file and a line, no address.  In pprof one
 * location per (function, file, line) without a mapping, one function per
 * (name, file); in folded stacks their names.
 */
static struct frame script_frames[] = {
	{ .addr = 0x1234, .symbol = "PyObject_Malloc", .module = "/usr/bin/python3.11",
	  .module_offset = 0x234 },
	{ .symbol = "leak", .file = "/srv/app.py", .line = 12, .runtime = MEMLEAK_RUNTIME_PYTHON },
	{ .symbol = "leak", .file = "/srv/app.py", .line = 20, .runtime = MEMLEAK_RUNTIME_PYTHON },
	{ .symbol = "<module>", .file = "/srv/app.py", .line = 30,
	  .runtime = MEMLEAK_RUNTIME_PYTHON },
	{ .addr = 0x5678, .symbol = "_PyEval_EvalFrameDefault", .module = "/usr/bin/python3.11",
	  .module_offset = 0x678 },
};

static void test_script_frames(void **state)
{
	struct stack_report st = { .bytes = 4033, .allocs = 1, .kind = MEMLEAK_KIND_MALLOC,
				   .pids = pids0, .npids = 1, .frames = script_frames,
				   .nframes = 5 };
	const Perftools__Profiles__Location *l1, *l2;
	Perftools__Profiles__Profile *p;
	struct report r;
	size_t len;
	char *out;

	memset(&r, 0, sizeof(r));
	r.stacks = &st;
	r.nstacks = 1;
	out = render_to_string(render_folded, &r, &len);
	assert_string_equal(out, "_PyEval_EvalFrameDefault;<module>;leak;leak;PyObject_Malloc 4033\n");
	free(out);
	out = render_to_string(render_pprof, &r, &len);
	p = decode(out, len);
	assert_non_null(p);
	assert_int_equal(p->sample[0]->n_location_id, 5);
	assert_int_equal(p->n_location, 5);
	l1 = p->location[p->sample[0]->location_id[1] - 1];
	l2 = p->location[p->sample[0]->location_id[2] - 1];
	assert_int_equal(l1->mapping_id, 0);
	assert_int_equal(l1->line[0]->line, 12);
	assert_int_equal(l2->line[0]->line, 20);
	assert_int_equal(l1->line[0]->function_id, l2->line[0]->function_id);
	assert_string_equal(str(p, func(p, l1->id)->name), "leak");
	assert_string_equal(str(p, func(p, l1->id)->filename), "/srv/app.py");
	assert_string_equal(str(p, func(p, p->sample[0]->location_id[3])->name), "<module>");
	/* Functions: PyObject_Malloc, leak, <module>, _PyEval_EvalFrameDefault. */
	assert_int_equal(p->n_function, 4);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(out);
}

/* Sampled reports: the period says how many bytes one sample stands for. */
static void test_pprof_sampled_period(void **state)
{
	Perftools__Profiles__Profile *p;
	struct report r;
	size_t len;
	char *out;

	fill_report(&r);
	r.sample_bytes = 524288;
	out = render_to_string(render_pprof, &r, &len);
	p = decode(out, len);
	assert_non_null(p);
	assert_int_equal(p->period, 524288);
	assert_string_equal(str(p, p->period_type->type), "space");
	assert_string_equal(str(p, p->period_type->unit), "bytes");
	assert_non_null(strstr(str(p, p->comment[0]), "estimates"));
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(out);
}

static void test_strmap(void **state)
{
	struct strmap m = { 0 };
	char key[32];
	int added, i;

	assert_int_equal(strmap_intern(&m, "", 0, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(strmap_intern(&m, "a\0b", 3, &added), 1);
	assert_int_equal(strmap_intern(&m, "a\0c", 3, &added), 2);
	assert_int_equal(strmap_intern(&m, "a\0b", 3, &added), 1);
	assert_int_equal(added, 0);
	/* Past several doublings every string keeps its number. */
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(strmap_intern(&m, key, strlen(key), &added), 3 + i);
	}
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(strmap_intern(&m, key, strlen(key), &added), 3 + i);
		assert_int_equal(added, 0);
	}
	assert_string_equal(m.strs[3 + 999], "k999");
	strmap_free(&m);
}

/* stderr to /dev/null around a call that writes there (profiles' OOM banner). */
static int quiet_stderr(void)
{
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);

	assert_true(saved >= 0 && null >= 0);
	fflush(stderr);
	assert_int_equal(dup2(null, STDERR_FILENO), STDERR_FILENO);
	close(null);
	return saved;
}

static void restore_stderr(int saved)
{
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

/* One row per format, complete and distinct; the dispatch goes by it. */
static void test_renderer_table(void **state)
{
	struct oom_event oom = { .pid = 1, .comm = "x", .cgroup_limit_bytes = -1,
				 .cgroup_usage_bytes = -1 };
	struct exit_event ex = { .pid = 2, .comm = "y" };
	unsigned int f, g;
	struct report r;
	enum output_format found;
	char *buf, *direct;
	size_t len;
	FILE *out;
	int saved;

	fill_report(&r);
	for (f = 0; f < FORMAT__MAX; f++) {
		const struct renderer *rd = renderer_of(f);

		assert_non_null(rd);
		assert_true(rd->name && *rd->name);
		assert_true(rd->ext && rd->ext[0] == '.' && rd->ext[1]);
		assert_non_null(rd->report);
		assert_non_null(rd->oom);
		assert_true(renderer_by_name(rd->name, &found));
		assert_int_equal(found, f);
		/* Profiles hold reports only. */
		assert_int_equal(rd->one_report_per_file, f == FORMAT_FOLDED || f == FORMAT_PPROF ||
				 f == FORMAT_PROMETHEUS);
		assert_int_equal(rd->exit == NULL, rd->one_report_per_file);
		for (g = 0; g < f; g++) {
			assert_string_not_equal(rd->name, renderer_of(g)->name);
			assert_string_not_equal(rd->ext, renderer_of(g)->ext);
		}

		/* render_report is the row's own renderer. */
		buf = render_to_string(rd->report, &r, &len);
		out = open_memstream(&direct, &len);
		assert_int_equal(render_report(out, f, &r), 0);
		assert_int_equal(fclose(out), 0);
		if (f == FORMAT_PPROF)
			assert_true(len > 0); /* gzip carries no fixed bytes to compare */
		else
			assert_string_equal(buf, direct);
		free(buf);
		free(direct);

		/* A profile has no place for an exit or an OOM record. */
		out = open_memstream(&buf, &len);
		assert_int_equal(render_exit(out, f, &ex), 0);
		saved = quiet_stderr();
		assert_int_equal(render_oom(out, f, &oom, &r), 0);
		restore_stderr(saved);
		assert_int_equal(fclose(out), 0);
		assert_int_equal(len == 0, rd->one_report_per_file);
		free(buf);
	}
	assert_null(renderer_of(FORMAT__MAX));
	assert_false(renderer_by_name("xml", &found));
	assert_string_equal(renderer_of(FORMAT_JSON)->ext, ".jsonl");
	assert_string_equal(renderer_of(FORMAT_PPROF)->ext, ".pb.gz");
	out = open_memstream(&buf, &len);
	assert_int_equal(render_report(out, FORMAT__MAX, &r), -EINVAL);
	assert_int_equal(render_oom(out, FORMAT__MAX, &oom, &r), -EINVAL);
	assert_int_equal(fclose(out), 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_pprof),
		cmocka_unit_test(test_script_frames),
		cmocka_unit_test(test_pprof_sampled_period),
		cmocka_unit_test(test_truncated_and_process_labels),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_renderer_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
