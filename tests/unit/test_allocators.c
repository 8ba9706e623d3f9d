// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The allocator table: what is looked for, in which order (the first of
 * several names of one address is the one probed), prefixes, custom
 * functions, and how an object's allocator is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "probes/allocators.h"

static int find(const struct alloc_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->fns[i].name, name))
			return (int)i;
	return -1;
}

static void test_known_families(void **state)
{
	struct alloc_table t;
	int i;

	assert_int_equal(alloc_table_build(&t, NULL, NULL, 0), 0);
	/* Standard names first: they win over their aliases (tc_malloc, mi_free). */
	assert_int_equal(find(&t, "malloc"), 0);
	assert_true(find(&t, "free") < find(&t, "_ZdlPv"));
	assert_true(find(&t, "_Znwm") < find(&t, "tc_new"));
	assert_true(find(&t, "free") < find(&t, "mi_free"));
	i = find(&t, "mallocx");
	assert_true(i >= 0);
	assert_int_equal(t.fns[i].role, ROLE_MALLOC);
	assert_int_equal(t.fns[i].family, FAM_JEMALLOC);
	assert_int_equal(t.fns[find(&t, "rallocx")].role, ROLE_REALLOC);
	assert_int_equal(t.fns[find(&t, "sdallocx")].role, ROLE_FREE);
	assert_int_equal(t.fns[find(&t, "dallocx")].role, ROLE_FREE);
	assert_int_equal(t.fns[find(&t, "je_malloc")].family, FAM_JEMALLOC);
	assert_int_equal(t.fns[find(&t, "je_sdallocx")].role, ROLE_FREE);
	assert_int_equal(t.fns[find(&t, "tc_posix_memalign")].role, ROLE_POSIX_MEMALIGN);
	assert_int_equal(t.fns[find(&t, "tc_delete_sized")].role, ROLE_DELETE);
	assert_int_equal(t.fns[find(&t, "mi_calloc_aligned")].role, ROLE_CALLOC);
	assert_int_equal(t.fns[find(&t, "mi_malloc_aligned")].role, ROLE_MALLOC);
	assert_int_equal(t.fns[find(&t, "mi_reallocn")].role, ROLE_REALLOCARRAY);
	assert_int_equal(t.fns[find(&t, "gnu_get_libc_version")].role, ROLE_MARKER);
	assert_true(t.fns[find(&t, "malloc")].core);
	assert_false(t.fns[find(&t, "je_malloc")].core);
	/* xallocx resizes in place and is not followed. */
	assert_int_equal(find(&t, "xallocx"), -1);
	assert_int_equal(find(&t, "my_malloc"), -1);
	alloc_table_free(&t);
}

static void test_prefix_and_custom(void **state)
{
	struct custom_fn_spec custom[2] = {
		{ "pool_alloc", 2, false }, { "pool_free", 3, true },
	};
	struct alloc_table t;
	int i;

	assert_int_equal(alloc_table_build(&t, "my_", custom, 2), 0);
	i = find(&t, "my_malloc");
	assert_true(i >= 0);
	assert_int_equal(t.fns[i].family, FAM_PREFIX);
	assert_int_equal(t.fns[find(&t, "my_rallocx")].role, ROLE_REALLOC);
	i = find(&t, "pool_alloc");
	assert_int_equal(t.fns[i].role, ROLE_CUSTOM_ALLOC);
	assert_int_equal(t.fns[i].arg, 2);
	i = find(&t, "pool_free");
	assert_int_equal(t.fns[i].role, ROLE_CUSTOM_FREE);
	assert_int_equal(t.fns[i].arg, 3);
	/* Custom functions come last: everything else is found before them. */
	assert_int_equal(find(&t, "pool_free"), (int)t.n - 1);
	alloc_table_free(&t);
	/* je_ is known already: not listed twice. */
	assert_int_equal(alloc_table_build(&t, "je_", NULL, 0), 0);
	for (i = 0; i < (int)t.n; i++)
		assert_int_not_equal(t.fns[i].family, FAM_PREFIX);
	alloc_table_free(&t);
}

static void describe(const struct alloc_table *t, const char **names, const char *path,
		     char *buf, size_t len)
{
	bool *found = calloc(t->n, sizeof(*found));

	for (; *names; names++)
		found[find(t, *names)] = true;
	alloc_describe_families(t, found, path, buf, len);
	free(found);
}

static void test_describe(void **state)
{
	const char *glibc[] = { "malloc", "free", "gnu_get_libc_version", NULL };
	const char *static_mix[] = { "malloc", "free", "malloc_trim", "je_malloc", NULL };
	const char *tc[] = { "malloc", "tc_malloc", "_Znwm", NULL };
	const char *cxx[] = { "_Znwm", "_ZdlPv", NULL };
	const char *plain[] = { "malloc", "free", NULL };
	struct alloc_table t;
	char buf[128];

	assert_int_equal(alloc_table_build(&t, NULL, NULL, 0), 0);
	describe(&t, glibc, "/lib/libc.so.6", buf, sizeof(buf));
	assert_string_equal(buf, "glibc");
	describe(&t, static_mix, "/srv/app", buf, sizeof(buf));
	assert_string_equal(buf, "glibc, jemalloc");
	describe(&t, tc, "/lib/libtcmalloc.so.4", buf, sizeof(buf));
	assert_string_equal(buf, "tcmalloc");
	describe(&t, cxx, "/lib/libstdc++.so.6", buf, sizeof(buf));
	assert_string_equal(buf, "C++ operators");
	describe(&t, plain, "/lib/ld-musl-x86_64.so.1", buf, sizeof(buf));
	assert_string_equal(buf, "musl");
	describe(&t, plain, "/opt/app", buf, sizeof(buf));
	assert_string_equal(buf, "malloc (unknown implementation)");
	alloc_table_free(&t);
}

static void test_parse_custom(void **state)
{
	struct custom_fn_spec s;
	char err[128];

	assert_true(alloc_parse_custom("arena_alloc:6", false, &s, err, sizeof(err)));
	assert_string_equal(s.name, "arena_alloc");
	assert_int_equal(s.arg, 6);
	assert_false(s.is_free);
	assert_true(alloc_parse_custom("_ZN4Pool4freeEPv:2", true, &s, err, sizeof(err)));
	assert_string_equal(s.name, "_ZN4Pool4freeEPv");
	assert_true(s.is_free);
	assert_false(alloc_parse_custom("f:0", false, &s, err, sizeof(err)));
	assert_false(alloc_parse_custom("f:7", false, &s, err, sizeof(err)));
	assert_false(alloc_parse_custom("f:", false, &s, err, sizeof(err)));
	assert_false(alloc_parse_custom("f:1:", false, &s, err, sizeof(err)));
	assert_false(alloc_parse_custom("a b:1", false, &s, err, sizeof(err)));
	assert_non_null(strstr(err, "invalid function name"));
	assert_true(alloc_prefix_valid("je_"));
	assert_false(alloc_prefix_valid(""));
	assert_false(alloc_prefix_valid("a/b"));
	assert_false(alloc_prefix_valid("0123456789012345678901234567890123"));
}

/* The argument registers each function's probe reads (probe placement). */
static void test_probe_args(void **state)
{
	static const struct {
		const char *name;
		unsigned int nargs;
	} want[] = {
		{ "malloc", 1 }, { "free", 1 }, { "calloc", 2 }, { "realloc", 2 },
		{ "reallocarray", 3 }, { "posix_memalign", 3 }, { "aligned_alloc", 2 },
		{ "memalign", 2 }, { "sdallocx", 1 }, { "_ZdlPvm", 1 },
		{ "_ZdlPvSt11align_val_t", 1 }, { "mallocx", 1 }, { "rallocx", 2 },
		{ "mi_reallocn", 3 }, { "tc_posix_memalign", 3 }, { "my_alloc", 4 },
		{ "my_free", 2 },
	};
	struct custom_fn_spec custom[2];
	struct alloc_table t;
	char err[128];
	size_t i;

	assert_true(alloc_parse_custom("my_alloc:4", false, &custom[0], err, sizeof(err)));
	assert_true(alloc_parse_custom("my_free:2", true, &custom[1], err, sizeof(err)));
	assert_int_equal(alloc_table_build(&t, NULL, custom, 2), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int at = find(&t, want[i].name);

		assert_true(at >= 0);
		assert_int_equal(alloc_fn_args(&t.fns[at]), want[i].nargs);
	}
	alloc_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_families),
		cmocka_unit_test(test_prefix_and_custom),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_parse_custom),
		cmocka_unit_test(test_probe_args),
	};

	return cmocka_run_group_tests_name("allocators", tests, NULL, NULL);
}
