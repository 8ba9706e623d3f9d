// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command-line parsing: defaults, every option, and every rejection. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cli/options.h"

static enum parse_result parse(struct options *o, char *err, ...)
{
	char *argv[32] = { "memleakbpf" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, err);
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	err[0] = '\0';
	return options_parse(o, argc, argv, err, 256);
}

static void test_defaults(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "-p", "42", NULL), PARSE_OK);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], 42);
	assert_true(o.interval_s == 5.0);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.top_n, 10);
	assert_int_equal(o.min_age_ms, 500);
	assert_int_equal(o.min_size, 0);
	assert_true(o.max_size == UINT64_MAX);
	assert_int_equal(o.format, FORMAT_TEXT);
	assert_int_equal(o.sort, SORT_GROWTH);
	assert_null(o.command);
}

static void test_sort(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "-p", "1", "--sort", "bytes", NULL), PARSE_OK);
	assert_int_equal(o.sort, SORT_BYTES);
	assert_int_equal(parse(&o, err, "-p", "1", "--sort", "count", NULL), PARSE_OK);
	assert_int_equal(o.sort, SORT_COUNT);
	assert_int_equal(parse(&o, err, "-p", "1", "--sort", "growth", NULL), PARSE_OK);
	assert_int_equal(o.sort, SORT_GROWTH);
}

static void test_all_options(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "-p", "1,2,3", "-T", "3", "-o", "1500",
			       "-z", "4k", "-Z", "1M", "--format", "json", "--output",
			       "/tmp/x", "-v", "-v", "--max-allocs", "4096",
			       "--max-stacks", "512", "2.5", "7", NULL), PARSE_OK);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[2], 3);
	assert_int_equal(o.top_n, 3);
	assert_int_equal(o.min_age_ms, 1500);
	assert_int_equal(o.min_size, 4096);
	assert_int_equal(o.max_size, 1 << 20);
	assert_int_equal(o.format, FORMAT_JSON);
	assert_string_equal(o.output_path, "/tmp/x");
	assert_int_equal(o.verbose, 2);
	assert_int_equal(o.max_allocs, 4096);
	assert_int_equal(o.max_stacks, 512);
	assert_true(o.interval_s == 2.5);
	assert_int_equal(o.count, 7);
}

static void test_command_keeps_argv_string(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "-c", "./prog 'a b' c", NULL), PARSE_OK);
	assert_string_equal(o.command, "./prog 'a b' c");
}

static void test_output_options(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "-p", "1", NULL), PARSE_OK);
	assert_null(o.output_dir);
	assert_int_equal(o.rotate_interval_s, 3600);
	assert_int_equal(o.rotate_size, 64 << 20);
	assert_int_equal(o.rotate_keep, 24);
	assert_null(o.html_path);
	assert_false(o.live);
	assert_int_equal(parse(&o, err, "-p", "1", "--format", "pprof", "--output-dir", "/d",
			       "--rotate-interval", "60", "--rotate-size", "1M",
			       "--rotate-keep", "5", "--html", "/p.html", NULL), PARSE_OK);
	assert_int_equal(o.format, FORMAT_PPROF);
	assert_string_equal(o.output_dir, "/d");
	assert_int_equal(o.rotate_interval_s, 60);
	assert_int_equal(o.rotate_size, 1 << 20);
	assert_int_equal(o.rotate_keep, 5);
	assert_string_equal(o.html_path, "/p.html");
	assert_int_equal(parse(&o, err, "-p", "1", "--format", "folded", "--live", NULL),
			 PARSE_ERROR);
	assert_int_equal(parse(&o, err, "-p", "1", "--live", NULL), PARSE_OK);
	assert_true(o.live);
}

static void expect_error(const char *what, ...)
{
	char *argv[16] = { "memleakbpf" };
	struct options o;
	char err[256] = "";
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, what);
	while ((a = va_arg(ap, char *)) && argc < 15)
		argv[argc++] = a;
	va_end(ap);
	assert_int_equal(options_parse(&o, argc, argv, err, sizeof(err)), PARSE_ERROR);
	assert_non_null(strstr(err, what));
	assert_null(strchr(err, '\n'));
}

static void test_rejections(void **state)
{
	expect_error("unknown option", "--bogus", NULL);
	expect_error("unknown option '-q'", "-q", NULL);
	expect_error("needs a value", "-p", NULL);
	expect_error("invalid pid", "-p", "abc", NULL);
	expect_error("invalid pid", "-p", "0", NULL);
	expect_error("invalid pid", "-p", "1,,2", NULL);
	expect_error("invalid pid", "-p", "-5", NULL);
	expect_error("invalid top", "-T", "0", NULL);
	expect_error("invalid age", "-o", "abc", NULL);
	expect_error("invalid size", "-z", "12q", NULL);
	expect_error("unknown format", "--format", "xml", NULL);
	expect_error("unknown sort", "--sort", "size", NULL);
	expect_error("needs a value", "--sort", NULL);
	expect_error("invalid interval", "0", NULL);
	expect_error("invalid interval", "x", NULL);
	expect_error("invalid count", "1", "0", NULL);
	expect_error("unexpected argument", "1", "2", "3", NULL);
	expect_error("cannot be combined", "-p", "1", "-c", "ls", NULL);
	expect_error("cannot be combined", "--comm", "x", "--cgroup", "/y", NULL);
	expect_error("invalid command name", "--comm", "abcdefghijklmnopq", NULL);
	expect_error("cannot be combined", "--pod", "ns/a", "--cgroup", "/y", NULL);
	expect_error("cannot be combined", "--pod", "ns/a", "-p", "1", NULL);
	expect_error("invalid pod 'a'", "--pod", "a", NULL);
	expect_error("invalid pod 'ns/A_b'", "--pod", "ns/A_b", NULL);
	expect_error("invalid pod '/a'", "--pod", "/a", NULL);
	expect_error("invalid container name 'x_y'", "--pod", "ns/a", "--container", "x_y", NULL);
	expect_error("--container needs --pod", "-p", "1", "--container", "app", NULL);
	expect_error("exceeds maximum", "-z", "2k", "-Z", "1k", NULL);
	expect_error("invalid map size", "--max-allocs", "1", NULL);
	expect_error("empty command", "-c", "", NULL);
	expect_error("cannot be combined", "--output", "f", "--output-dir", "d", NULL);
	expect_error("--live draws text", "--live", "--output", "f", NULL);
	expect_error("--live draws text", "--live", "--format", "json", NULL);
	expect_error("--rotate-keep needs --output-dir", "--rotate-keep", "3", NULL);
	/* Given, not differing from the default, is what makes it an error. */
	expect_error("--rotate-interval needs --output-dir", "-p", "1", "--rotate-interval",
		     "3600", NULL);
	expect_error("--sample-seed needs --sample-bytes", "-p", "1", "--sample-seed", "7",
		     NULL);
	expect_error("--no-sessions needs --sample-bytes", "-p", "1", "--no-sessions", NULL);
	expect_error("--escalate-window needs --escalate", "-p", "1", "--mode", "growth",
		     "--escalate-window", "60", NULL);
	expect_error("not with --btf", "-p", "1", "--syscalls", "--btf", "/b", NULL);
	/* Digits only: strtoull and strtod take more. */
	expect_error("invalid pid", "-p", " 12", NULL);
	expect_error("invalid pid", "-p", "+12", NULL);
	expect_error("invalid pid list", "-p", "12,", NULL);
	expect_error("invalid top", "-T", " 5", NULL);
	expect_error("invalid size", "-z", "+1k", NULL);
	expect_error("invalid interval", "-p", "1", " 1", NULL);
	expect_error("invalid interval", "-p", "1", "0x1p2", NULL);
	expect_error("invalid interval", "-p", "1", "inf", NULL);
	expect_error("invalid rotation interval", "--rotate-interval", "0", NULL);
	expect_error("invalid rotation size", "--rotate-size", "1k", NULL);
	expect_error("invalid file count", "--rotate-keep", "0", NULL);
	expect_error("empty output directory", "--output-dir", "", NULL);
	expect_error("empty HTML", "--html", "", NULL);
	expect_error("invalid allocator prefix", "--alloc-prefix", "je-", NULL);
	expect_error("invalid allocator prefix", "--alloc-prefix", "", NULL);
	expect_error("empty allocator object", "--allocator-object", "", NULL);
	expect_error("argument 1 to 6", "--alloc-fn", "pool_alloc:0", NULL);
	expect_error("argument 1 to 6", "--alloc-fn", "pool_alloc:7", NULL);
	expect_error("argument 1 to 6", "--alloc-fn", "pool_alloc", NULL);
	expect_error("argument 1 to 6", "--free-fn", ":1", NULL);
	expect_error("argument 1 to 6", "--free-fn", "pool_free:12", NULL);
	expect_error("invalid function name", "--free-fn", "pool free:1", NULL);
}

static void test_unwind_modes(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "-p", "1", NULL), PARSE_OK);
	assert_int_equal(o.unwind, MEMLEAK_UNWIND_AUTO);
	assert_int_equal(parse(&o, err, "-p", "1", "--unwind", "fp", NULL), PARSE_OK);
	assert_int_equal(o.unwind, MEMLEAK_UNWIND_FP);
	assert_int_equal(parse(&o, err, "-p", "1", "--unwind", "dwarf", NULL), PARSE_OK);
	assert_int_equal(o.unwind, MEMLEAK_UNWIND_DWARF);
	assert_int_equal(parse(&o, err, "-p", "1", "--unwind", "auto", NULL), PARSE_OK);
	assert_int_equal(o.unwind, MEMLEAK_UNWIND_AUTO);
	assert_int_equal(parse(&o, err, "-p", "1", "--unwind", "lbr", NULL), PARSE_ERROR);
	assert_string_equal(err, "unknown unwind mode 'lbr' (fp, dwarf, auto)");
}

/* Separate debug files give lines only when asked. */
static void test_debug_files(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "-p", "1", NULL), PARSE_OK);
	assert_false(o.debug_files);
	assert_int_equal(parse(&o, err, "-p", "1", "--debug-files", NULL), PARSE_OK);
	assert_true(o.debug_files);
}

static void test_parse_size(void **state)
{
	uint64_t v;

	assert_true(parse_size("0", &v));
	assert_int_equal(v, 0);
	assert_true(parse_size("512", &v));
	assert_int_equal(v, 512);
	assert_true(parse_size("4k", &v));
	assert_int_equal(v, 4096);
	assert_true(parse_size("4KiB", &v));
	assert_int_equal(v, 4096);
	assert_true(parse_size("3M", &v));
	assert_int_equal(v, 3 << 20);
	assert_true(parse_size("2G", &v));
	assert_int_equal(v, 2ULL << 30);
	assert_false(parse_size("", &v));
	assert_false(parse_size("-1", &v));
	assert_false(parse_size("1T", &v));
	assert_false(parse_size("99999999999999999999", &v));
	assert_false(parse_size("17179869184G", &v));
}

static void test_allocator_options(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "-p", "1", "--alloc-prefix", "je_",
			       "--allocator-object", "/lib/libx.so", "--alloc-fn", "pool_alloc:2",
			       "--free-fn", "pool_free:6", "--alloc-fn", "_ZN4Pool5allocEm:2",
			       NULL), PARSE_OK);
	assert_string_equal(o.alloc_prefix, "je_");
	assert_string_equal(o.allocator_object, "/lib/libx.so");
	assert_int_equal(o.ncustom, 3);
	assert_string_equal(o.custom[0].name, "pool_alloc");
	assert_int_equal(o.custom[0].arg, 2);
	assert_false(o.custom[0].is_free);
	assert_string_equal(o.custom[1].name, "pool_free");
	assert_int_equal(o.custom[1].arg, 6);
	assert_true(o.custom[1].is_free);
	assert_string_equal(o.custom[2].name, "_ZN4Pool5allocEm");
}

static void test_custom_functions_bounded(void **state)
{
	char *argv[2 + 2 * ALLOC_MAX_CUSTOM + 2] = { "memleakbpf" };
	char names[ALLOC_MAX_CUSTOM + 1][32];
	struct options o;
	char err[256];
	int i, argc = 1;

	for (i = 0; i <= ALLOC_MAX_CUSTOM; i++) {
		snprintf(names[i], sizeof(names[i]), "fn%d:1", i);
		argv[argc++] = "--alloc-fn";
		argv[argc++] = names[i];
	}
	assert_int_equal(options_parse(&o, argc - 2, argv, err, sizeof(err)), PARSE_OK);
	assert_int_equal(o.ncustom, ALLOC_MAX_CUSTOM);
	assert_int_equal(options_parse(&o, argc, argv, err, sizeof(err)), PARSE_ERROR);
	assert_non_null(strstr(err, "too many --alloc-fn"));
}

/* --help as a string (caller frees). */
static char *usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	options_usage(f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The lines --help prints for the option named name (its text, continuations). */
static char *usage_of(const char *usage, const char *name)
{
	char key[64];
	const char *start, *end;

	snprintf(key, sizeof(key), "--%s", name);
	for (start = strstr(usage, key); start; start = strstr(start + 1, key))
		if (start[-1] == ' ' && (start[strlen(key)] == ' ' || start[strlen(key)] == '\n'))
			break;
	assert_non_null(start);
	/* The option's lines end where a line does not start with the text indent. */
	for (end = strchr(start, '\n'); end && !strncmp(end + 1, "                           ", 27);
	     end = strchr(end + 1, '\n'))
		;
	assert_non_null(end);
	return strndup(start, (size_t)(end - start));
}

/* Every option is in --help, with its short name, value and some text. */
static void test_table_every_option_has_help(void **state)
{
	const struct cli_option *t;
	char *usage = usage_text(), *lines;
	size_t n, i, j;

	t = options_table(&n);
	assert_true(n > 30);
	for (i = 0; i < n; i++) {
		char synopsis[64];

		if (!t[i].name) {
			assert_non_null(t[i].help);
			assert_non_null(strstr(usage, t[i].help));
			continue;
		}
		assert_non_null(t[i].set);
		assert_true(t[i].help || t[i].help_of);
		if (t[i].short_name) {
			snprintf(synopsis, sizeof(synopsis), "  -%c, --%s%s%s", t[i].short_name,
				 t[i].name, t[i].arg ? " " : "", t[i].arg ? t[i].arg : "");
			assert_non_null(strstr(usage, synopsis));
		}
		lines = usage_of(usage, t[i].name);
		if (t[i].arg)
			assert_non_null(strstr(lines, t[i].arg));
		/* Some words of help after the synopsis. */
		assert_true(strlen(lines) > strlen(t[i].name) + (t[i].arg ? strlen(t[i].arg) : 0) + 10);
		free(lines);
		for (j = 0; j < i; j++) {
			if (!t[j].name)
				continue;
			assert_string_not_equal(t[i].name, t[j].name);
			assert_true(!t[i].short_name || t[i].short_name != t[j].short_name);
		}
	}
	assert_non_null(strstr(usage, "INTERVAL seconds (default 5)"));
	free(usage);
}

/*
 * The default --help shows is the default set: given explicitly, it
 * changes nothing; and every option whose text speaks of a default has one.
 */
static void test_table_defaults_shown_are_set(void **state)
{
	const struct cli_option *t;
	struct options plain, given;
	char *usage = usage_text(), *lines, err[256];
	size_t n, i;
	int defaults = 0;

	t = options_table(&n);
	assert_int_equal(parse(&plain, err, NULL), PARSE_OK);
	for (i = 0; i < n; i++) {
		char shown[64];

		if (!t[i].name)
			continue;
		lines = usage_of(usage, t[i].name);
		if (!t[i].def) {
			assert_null(strstr(lines, "default"));
			free(lines);
			continue;
		}
		defaults++;
		snprintf(shown, sizeof(shown), " (%s)", t[i].def);
		/* Shown as " (DEFAULT)" at the end, or named in a text that says "default". */
		if (!strstr(lines, "default")) {
			assert_true(strlen(lines) >= strlen(shown));
			assert_string_equal(lines + strlen(lines) - strlen(shown), shown);
		} else {
			assert_non_null(strstr(lines, t[i].def));
		}
		free(lines);

		snprintf(shown, sizeof(shown), "--%s", t[i].name);
		/* An option that depends on another is given with it, both times. */
		if (!strncmp(t[i].name, "rotate-", 7)) {
			assert_int_equal(parse(&plain, err, "--output-dir", "/d", NULL), PARSE_OK);
			assert_int_equal(parse(&given, err, "--output-dir", "/d", shown, t[i].def,
					       NULL), PARSE_OK);
		} else if (!strcmp(t[i].name, "metrics-stacks")) {
			assert_int_equal(parse(&plain, err, "--listen", "127.0.0.1:9464", NULL),
					 PARSE_OK);
			assert_int_equal(parse(&given, err, "--listen", "127.0.0.1:9464", shown,
					       t[i].def, NULL), PARSE_OK);
		} else if (!strcmp(t[i].name, "escalate-window")) {
			assert_int_equal(parse(&plain, err, "--mode", "growth", "--escalate", "5",
					       NULL), PARSE_OK);
			assert_int_equal(parse(&given, err, "--mode", "growth", "--escalate", "5",
					       shown, t[i].def, NULL), PARSE_OK);
		} else {
			assert_int_equal(parse(&plain, err, NULL), PARSE_OK);
			assert_int_equal(parse(&given, err, shown, t[i].def, NULL), PARSE_OK);
		}
		assert_memory_equal(&plain, &given, sizeof(plain));
	}
	assert_int_equal(defaults, 13);
	assert_int_equal(parse(&plain, err, NULL), PARSE_OK);
	/* The defaults as documented (README "Options"). */
	assert_int_equal(plain.top_n, 10);
	assert_int_equal(plain.min_age_ms, 500);
	assert_int_equal(plain.format, FORMAT_TEXT);
	assert_int_equal(plain.sort, SORT_GROWTH);
	assert_int_equal(plain.rotate_interval_s, 3600);
	assert_int_equal(plain.rotate_size, 64 << 20);
	assert_int_equal(plain.rotate_keep, 24);
	assert_false(plain.growth_mode);
	assert_true(plain.escalate_window_s == 60);
	assert_int_equal(plain.unwind, MEMLEAK_UNWIND_AUTO);
	assert_int_equal(plain.max_allocs, 1000000);
	assert_int_equal(plain.max_stacks, 16384);
	assert_true(plain.interval_s == 5);
	assert_true(plain.max_size == UINT64_MAX);
	assert_int_equal(plain.metrics_stacks, 10);
	assert_null(plain.listen);
	free(usage);
}

/* --listen: numeric addresses only, bound exactly as given. */
static void test_listen(void **state)
{
	const struct sockaddr_in *in4;
	const struct sockaddr_in6 *in6;
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "--listen", "127.0.0.1:9464", NULL), PARSE_OK);
	in4 = (const struct sockaddr_in *)&o.listen_addr;
	assert_int_equal(in4->sin_family, AF_INET);
	assert_int_equal(ntohs(in4->sin_port), 9464);
	assert_int_equal(ntohl(in4->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(o.listen_addr_len, sizeof(*in4));
	assert_string_equal(o.listen, "127.0.0.1:9464");
	assert_int_equal(parse(&o, err, "--listen", "[::1]:1", NULL), PARSE_OK);
	in6 = (const struct sockaddr_in6 *)&o.listen_addr;
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 1);
	assert_true(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
	assert_int_equal(parse(&o, err, "--listen", "0.0.0.0:65535", "--metrics-stacks", "0",
			       NULL), PARSE_OK);
	assert_int_equal(o.metrics_stacks, 0);

	assert_int_equal(parse(&o, err, "--listen", "localhost:9464", NULL), PARSE_ERROR);
	assert_string_equal(err, "invalid --listen address 'localhost' (an IPv4 address, or an "
			    "IPv6 one in brackets; not a name)");
	assert_int_equal(parse(&o, err, "--listen", "::1:9464", NULL), PARSE_ERROR);
	assert_int_equal(parse(&o, err, "--listen", "[::1]", NULL), PARSE_ERROR);
	assert_int_equal(parse(&o, err, "--listen", "127.0.0.1", NULL), PARSE_ERROR);
	assert_int_equal(parse(&o, err, "--listen", "127.0.0.1:0", NULL), PARSE_ERROR);
	assert_int_equal(parse(&o, err, "--listen", "127.0.0.1:65536", NULL), PARSE_ERROR);
	assert_int_equal(parse(&o, err, "--listen", "127.0.0.1:+80", NULL), PARSE_ERROR);
	assert_string_equal(err, "invalid --listen '127.0.0.1:+80' (ADDR:PORT, e.g. "
			    "127.0.0.1:9464 or [::1]:9464; port 1 to 65535)");
	assert_int_equal(parse(&o, err, "--metrics-stacks", "3", NULL), PARSE_ERROR);
	assert_string_equal(err, "--metrics-stacks needs --listen or --format prometheus");
	assert_int_equal(parse(&o, err, "--format", "prometheus", "--metrics-stacks", "3", NULL),
			 PARSE_OK);
	assert_int_equal(parse(&o, err, "--listen", "127.0.0.1:1", "--metrics-stacks", "1001",
			       NULL), PARSE_ERROR);
}

/* --format takes its names from the table of renderers, and --help lists them. */
static void test_formats_from_renderers(void **state)
{
	char *usage = usage_text(), *lines = usage_of(usage, "format"), err[256];
	char expected[256] = "";
	struct options o;
	unsigned int f;

	for (f = 0; renderer_of(f); f++) {
		const struct renderer *rd = renderer_of(f);

		assert_int_equal(parse(&o, err, "--format", rd->name, NULL), PARSE_OK);
		assert_int_equal(o.format, f);
		assert_non_null(strstr(lines, rd->name));
		if (rd->help)
			assert_non_null(strstr(lines, rd->help));
		snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected),
			 "%s%s", f ? ", " : "", rd->name);
	}
	assert_int_equal(f, FORMAT__MAX);
	assert_non_null(strstr(lines, "text (default)"));
	assert_int_equal(parse(&o, err, "--format", "xml", NULL), PARSE_ERROR);
	assert_non_null(strstr(err, expected));
	assert_string_equal(err, "unknown format 'xml' (text, json, folded, pprof, prometheus)");
	free(lines);
	free(usage);
}

/* The exact messages of the value lists, and what getopt itself rejects. */
static void test_choice_and_getopt_messages(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(&o, err, "--sort", "size", NULL), PARSE_ERROR);
	assert_string_equal(err, "unknown sort 'size' (growth, bytes, count)");
	assert_int_equal(parse(&o, err, "--mode", "fast", NULL), PARSE_ERROR);
	assert_string_equal(err, "unknown mode 'fast' (precise, growth)");
	assert_int_equal(parse(&o, err, "--unwind", "fp-kernel", NULL), PARSE_OK);
	assert_int_equal(o.unwind, MEMLEAK_UNWIND_FP_KERNEL);
	assert_int_equal(parse(&o, err, "--bogus", NULL), PARSE_ERROR);
	assert_string_equal(err, "unknown option '--bogus'");
	assert_int_equal(parse(&o, err, "-q", NULL), PARSE_ERROR);
	assert_string_equal(err, "unknown option '-q'");
	assert_int_equal(parse(&o, err, "--live=x", NULL), PARSE_ERROR);
	assert_string_equal(err, "unknown option '--live=x'");
	assert_int_equal(parse(&o, err, "--top", NULL), PARSE_ERROR);
	assert_string_equal(err, "option '--top' needs a value");
	assert_int_equal(parse(&o, err, "-T", NULL), PARSE_ERROR);
	assert_string_equal(err, "option '-T' needs a value");
	assert_int_equal(parse(&o, err, "--escalate-window", "0", NULL), PARSE_ERROR);
	assert_string_equal(err, "invalid --escalate-window '0' (a positive number)");
	assert_int_equal(parse(&o, err, "-vvv", "--verbose", "-fT5", NULL), PARSE_OK);
	assert_int_equal(o.verbose, 4);
	assert_true(o.follow);
	assert_int_equal(o.top_n, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_command_keeps_argv_string),
		cmocka_unit_test(test_output_options),
		cmocka_unit_test(test_allocator_options),
		cmocka_unit_test(test_custom_functions_bounded),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_allocator_options),
		cmocka_unit_test(test_custom_functions_bounded),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_unwind_modes),
		cmocka_unit_test(test_debug_files),
		cmocka_unit_test(test_table_every_option_has_help),
		cmocka_unit_test(test_table_defaults_shown_are_set),
		cmocka_unit_test(test_formats_from_renderers),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_choice_and_getopt_messages),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
