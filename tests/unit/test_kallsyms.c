// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kallsyms.c: symbols and modules of a /proc/kallsyms-shaped file, the
 * padding and section markers never named, and hidden addresses refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "symbols/kallsyms.h"

static char path[64];

static void write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/kallsyms-test-%d", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int teardown(void **state)
{
	unlink(path);
	return 0;
}

static const char sample[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T srso_alias_untrain_ret\n"
	"ffffffff81000300 T __irqentry_text_start\n"
	"ffffffff81000300 T asm_common_interrupt\n"
	"ffffffff81000f70 T __irqentry_text_end\n"
	"ffffffff816e79f0 t __pfx_alloc_pipe_info\n"
	"ffffffff816e7a00 T alloc_pipe_info\n"
	"ffffffff816e7b00 D some_data\n"
	"ffffffff816e7c00 T create_pipe_files\n"
	"ffffffffc0010000 t ext4_fill_super\t[ext4]\n"
	"ffffffffc0011000 t ext4_iget\t[ext4]\n";

static void test_resolve(void **state)
{
	char err[256];
	struct kallsyms *k;
	const char *name, *mod;
	uint64_t off, a, b;

	write_file(sample);
	k = kallsyms_load(path, err, sizeof(err));
	assert_non_null(k);
	assert_true(kallsyms_resolve(k, 0xffffffff816e7a57, &name, &off, &mod));
	assert_string_equal(name, "alloc_pipe_info");
	assert_int_equal(off, 0x57);
	assert_string_equal(mod, "[kernel]");
	/* Data symbols are no frames: still alloc_pipe_info's text. */
	assert_true(kallsyms_resolve(k, 0xffffffff816e7b10, &name, &off, &mod));
	assert_string_equal(name, "alloc_pipe_info");
	/* A marker sharing the address of a function: the function. */
	assert_true(kallsyms_resolve(k, 0xffffffff81000310, &name, &off, &mod));
	assert_string_equal(name, "asm_common_interrupt");
	assert_true(kallsyms_resolve(k, 0xffffffff81000010, &name, &off, &mod));
	assert_string_equal(name, "srso_alias_untrain_ret");
	assert_true(kallsyms_resolve(k, 0xffffffffc0011004, &name, &off, &mod));
	assert_string_equal(name, "ext4_iget");
	assert_string_equal(mod, "[ext4]");
	assert_int_equal(off, 4);
	assert_false(kallsyms_resolve(k, 0xffffffff80000000, &name, &off, &mod));
	assert_true(kallsyms_addr(k, "__irqentry_text_end", &a));
	assert_int_equal(a, 0xffffffff81000f70);
	assert_true(kallsyms_range(k, "alloc_pipe_info", &a, &b));
	assert_int_equal(a, 0xffffffff816e7a00);
	assert_int_equal(b, 0xffffffff816e7c00);
	assert_false(kallsyms_addr(k, "no_such_function", &a));
	kallsyms_free(k);
}

/* kernel.kptr_restrict=2 (or no privilege): every address reads as 0. */
static void test_hidden_addresses(void **state)
{
	char err[256] = "";

	write_file("0000000000000000 T _stext\n0000000000000000 t alloc_pipe_info\n");
	assert_null(kallsyms_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "kptr_restrict"));
	assert_null(kallsyms_load("/nonexistent/kallsyms", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_resolve, teardown),
		cmocka_unit_test_teardown(test_hidden_addresses, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
