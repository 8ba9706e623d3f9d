// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The --html page: data injected safely into the template, history bounded. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "out/html_page.h"
#include "analyze/report.h"

static pid_t pids0[] = { 42 };

/* A symbol that would end the <script> element if copied as is. */
static struct frame frames0[] = {
	{ .addr = 0x1234, .symbol = "evil</script><img src=x>", .module = "/bin/app",
	  .module_offset = 0x234, .file = "app.c", .line = 3 },
};

static struct stack_report stacks[] = {
	{ .bytes = 4096, .allocs = 4, .kind = MEMLEAK_KIND_MALLOC, .pids = pids0, .npids = 1,
	  .oldest_age_ms = 10, .frames = frames0, .nframes = 1 },
};

static struct process_report procs[] = {
	{ .pid = 42, .comm = "app", .rss_bytes = 1 << 20, .outstanding_bytes = 4096,
	  .outstanding_allocs = 4 },
};

static void fill_report(struct report *r, long sec)
{
	memset(r, 0, sizeof(*r));
	r->time.tv_sec = sec;
	r->interval_s = 1;
	r->procs = procs;
	r->nprocs = 1;
	r->stacks = stacks;
	r->nstacks = 1;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static char *write_page(struct html_page *p)
{
	char path[] = "/tmp/memleak-html-XXXXXX";
	int fd = mkstemp(path);
	char *page;
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(html_page_write(f, p), 0);
	assert_int_equal(fclose(f), 0);
	page = read_all(path);
	unlink(path);
	return page;
}

/* The data between "const DATA = " and the end of its statement. */
static char *data_of(const char *page)
{
	const char *start = strstr(page, "const DATA = ");
	const char *end;

	assert_non_null(start);
	start += strlen("const DATA = ");
	end = strstr(start, ";\n");
	assert_non_null(end);
	return strndup(start, (size_t)(end - start));
}

static void test_data_cannot_close_the_script(void **state)
{
	struct html_page *p = html_page_new();
	struct report r;
	char *page, *data;

	fill_report(&r, 1000);
	assert_int_equal(html_page_add(p, &r), 0);
	page = write_page(p);
	data = data_of(page);
	assert_null(strchr(data, '<'));
	assert_non_null(strstr(data, "evil\\u003c/script>\\u003cimg src=x>"));
	assert_non_null(strstr(data, "{\"timeline\":{\"reports\":1,\"t\":[1000000],"));
	assert_non_null(strstr(data, "\"report\":{\"meta\":"));
	/* The template around it is whole: one script element, the page closed. */
	assert_non_null(strstr(page, "</html>"));
	assert_null(strstr(page, "MEMLEAK_DATA"));
	free(data);
	free(page);
	html_page_free(p);
}

/* Past HTML_MAX_POINTS the history is halved: bounded, still spanning the run. */
static void test_history_bounded(void **state)
{
	struct html_page *p = html_page_new();
	struct report r;
	char *page, *data, *t;
	long i, npoints = 1;

	for (i = 0; i < 5000; i++) {
		fill_report(&r, 1000 + i);
		r.final = i == 4999;
		assert_int_equal(html_page_add(p, &r), 0);
	}
	page = write_page(p);
	data = data_of(page);
	t = strstr(data, "\"t\":[");
	assert_non_null(t);
	for (t += 5; *t != ']'; t++)
		npoints += *t == ',';
	assert_true(npoints <= HTML_MAX_POINTS);
	assert_true(npoints >= HTML_MAX_POINTS / 4);
	/* Starts at the first report, ends at the final one. */
	assert_non_null(strstr(data, "\"t\":[1000000,"));
	assert_non_null(strstr(data, ",5999000],\"total\""));
	assert_non_null(strstr(data, "\"reports\":5000"));
	free(data);
	free(page);
	html_page_free(p);
}

/* How many times needle occurs in haystack. */
static int count_of(const char *haystack, const char *needle)
{
	int n = 0;

	for (; (haystack = strstr(haystack, needle)); haystack++)
		n++;
	return n;
}

/*
 * The timeline follows a stack by its identity: the same code at another
 * address (another process, ASLR) stays one series; another stack is a
 * second one.
 */
static void test_series_by_stack_identity(void **state)
{
	struct frame moved[] = {
		{ .addr = 0x991234, .symbol = "evil</script><img src=x>", .module = "/bin/app",
		  .module_offset = 0x234, .file = "app.c", .line = 3 },
	};
	struct frame other[] = {
		{ .addr = 0x1238, .symbol = "other", .module = "/bin/app", .module_offset = 0x238 },
	};
	struct stack_report s[2] = { stacks[0], stacks[0] };
	struct html_page *p = html_page_new();
	struct report r;
	char *page, *data;

	fill_report(&r, 1000);
	assert_int_equal(html_page_add(p, &r), 0);
	fill_report(&r, 1001);
	s[0].frames = moved;
	s[0].bytes = 8192;
	r.stacks = s;
	assert_int_equal(html_page_add(p, &r), 0);
	page = write_page(p);
	data = data_of(page);
	assert_int_equal(count_of(data, "\"label\":"), 1);
	assert_non_null(strstr(data, "\"bytes\":[4096,8192]"));
	free(data);
	free(page);

	fill_report(&r, 1002);
	s[1].frames = other;
	r.stacks = s;
	r.nstacks = 2;
	assert_int_equal(html_page_add(p, &r), 0);
	page = write_page(p);
	data = data_of(page);
	assert_int_equal(count_of(data, "\"label\":"), 2);
	assert_non_null(strstr(data, "\"label\":\"other\",\"bytes\":[null,null,4096]"));
	free(data);
	free(page);
	html_page_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_cannot_close_the_script),
		cmocka_unit_test(test_history_bounded),
		cmocka_unit_test(test_series_by_stack_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
