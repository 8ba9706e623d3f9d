// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unwind_tables.c against this very binary, whose code has known frame
 * states: at a function's first instruction the CFA is rsp + 8 (the call
 * pushed the return address; x86-64 ABI), in a function that sets up a
 * frame pointer the CFA is rbp + 16 with rbp saved at CFA - 16, and _start
 * (the ELF entry) has no caller.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <gelf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "unwind/unwind_tables.h"

#define KEEP __attribute__((noinline, used))

static struct unwind_table self;
static uint64_t self_bias;
static uintptr_t ret_in_fp_fn, ret_in_nofp_fn;
static volatile int sink;

KEEP static void record_return(uintptr_t *where)
{
	*where = (uintptr_t)__builtin_return_address(0);
	asm volatile("" ::: "memory");
}

/* Keeps a frame pointer whatever the build flags say. */
KEEP __attribute__((optimize("no-omit-frame-pointer"))) static void with_frame_pointer(void)
{
	volatile char buf[64];

	buf[0] = 1;
	record_return(&ret_in_fp_fn);
	sink += buf[0];
}

KEEP __attribute__((optimize("omit-frame-pointer"))) static void without_frame_pointer(void)
{
	volatile char buf[64];

	buf[0] = 2;
	record_return(&ret_in_nofp_fn);
	sink += buf[0];
}

static int main_bias(struct dl_phdr_info *info, size_t size, void *data)
{
	*(uint64_t *)data = info->dlpi_addr;
	return 1;  /* the first object is the program */
}

static int setup(void **state)
{
	int fd = open("/proc/self/exe", O_RDONLY);

	if (fd < 0 || unwind_table_build(fd, &self))
		return -1;
	close(fd);
	dl_iterate_phdr(main_bias, &self_bias);
	with_frame_pointer();
	without_frame_pointer();
	return 0;
}

static int teardown(void **state)
{
	unwind_table_free(&self);
	return 0;
}

static const struct memleak_unwind_row *row_at(uintptr_t runtime_addr)
{
	const struct memleak_unwind_row *r = unwind_table_lookup(&self, runtime_addr - self_bias);

	assert_non_null(r);
	return r;
}

/* At entry of any function: CFA = rsp + 8, rbp untouched. */
static void test_function_entry(void **state)
{
	uintptr_t fns[] = { (uintptr_t)with_frame_pointer, (uintptr_t)without_frame_pointer,
			    (uintptr_t)record_return, (uintptr_t)setup };
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		const struct memleak_unwind_row *r = row_at(fns[i]);

		assert_int_equal(MEMLEAK_ROW_CFA(r), MEMLEAK_CFA_RSP);
		assert_int_equal(r->cfa_off8, 1);
		assert_int_equal(MEMLEAK_ROW_RBP(r), MEMLEAK_RBP_SAME);
	}
}

/* At the call inside a frame-pointer function: CFA = rbp + 16, rbp at CFA - 16. */
static void test_frame_pointer_body(void **state)
{
	const struct memleak_unwind_row *r = row_at(ret_in_fp_fn - 1);

	assert_int_equal(MEMLEAK_ROW_CFA(r), MEMLEAK_CFA_RBP);
	assert_int_equal(r->cfa_off8, 2);
	assert_int_equal(MEMLEAK_ROW_RBP(r), MEMLEAK_RBP_AT_CFA);
	assert_int_equal(r->rbp_off8, -2);
}

/* Without a frame pointer the CFA is rsp-based past the 64-byte buffer. */
static void test_no_frame_pointer_body(void **state)
{
	const struct memleak_unwind_row *r = row_at(ret_in_nofp_fn - 1);

	assert_int_equal(MEMLEAK_ROW_CFA(r), MEMLEAK_CFA_RSP);
	assert_true(r->cfa_off8 * 8 >= 64 + 8);
}

/* _start: the CFI says the return address is undefined. */
static void test_entry_point_is_outermost(void **state)
{
	GElf_Ehdr eh;
	Elf *elf;
	int fd = open("/proc/self/exe", O_RDONLY);

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(gelf_getehdr(elf, &eh));
	assert_int_equal(MEMLEAK_ROW_CFA(unwind_table_lookup(&self, eh.e_entry)),
			 MEMLEAK_CFA_OUTERMOST);
	elf_end(elf);
	close(fd);
}

/* Rows are sorted and every segment ends with a "no CFI" row. */
static void test_rows_sorted(void **state)
{
	size_t i;

	assert_true(self.nrows > 10);
	for (i = 1; i < self.nrows; i++)
		assert_true(self.rows[i - 1].pc < self.rows[i].pc);
	assert_int_equal(MEMLEAK_ROW_CFA(&self.rows[self.nrows - 1]), MEMLEAK_CFA_NONE);
	assert_null(unwind_table_lookup(&self, self.rows[0].pc - 1));
}

static void test_bias(void **state)
{
	struct unwind_table t = { .nsegs = 1 };
	uint64_t bias = 0;

	/* A PIE text segment at file offset 0x1000, vaddr 0x1000, mapped at 0x5000_1000. */
	t.segs[0] = (struct unwind_segment){ .vaddr = 0x1000, .offset = 0x1000, .filesz = 0x2000 };
	assert_true(unwind_table_bias(&t, 0x50001000, 0x1000, &bias));
	assert_int_equal(bias, 0x50000000);
	/* vaddr and offset differing (a prelinked or linker-script layout). */
	t.segs[0] = (struct unwind_segment){ .vaddr = 0x401000, .offset = 0x1000, .filesz = 0x2000 };
	assert_true(unwind_table_bias(&t, 0x401000, 0x1000, &bias));
	assert_int_equal(bias, 0);
	/* A mapping of the data segment is not code. */
	assert_false(unwind_table_bias(&t, 0x404000, 0x4000, &bias));
}

static void test_frame_pointer_heuristic(void **state)
{
	struct unwind_table t = { .covered_bytes = 1000, .rbp_bytes = 900 };

	assert_true(unwind_table_has_frame_pointers(&t));
	t.rbp_bytes = 100;  /* a few functions with alloca */
	assert_false(unwind_table_has_frame_pointers(&t));
	t.covered_bytes = t.rbp_bytes = 0;
	assert_false(unwind_table_has_frame_pointers(&t));
}

static void test_not_elf(void **state)
{
	struct unwind_table t;
	int fd = open("/proc/self/cmdline", O_RDONLY);

	assert_true(unwind_table_build(fd, &t) < 0);
	assert_null(t.rows);
	close(fd);
}

/* The child builds exactly what the tracer would build itself. */
static void test_isolated_same_rows(void **state)
{
	struct unwind_table t;
	int fd = open("/proc/self/exe", O_RDONLY);

	assert_int_equal(unwind_table_build_isolated(fd, 64ull << 20, &t), 0);
	close(fd);
	assert_int_equal(t.nrows, self.nrows);
	assert_int_equal(t.nsegs, self.nsegs);
	assert_int_equal(t.covered_bytes, self.covered_bytes);
	assert_int_equal(t.rbp_bytes, self.rbp_bytes);
	assert_memory_equal(t.rows, self.rows, t.nrows * sizeof(*t.rows));
	assert_memory_equal(t.segs, self.segs, sizeof(t.segs));
	unwind_table_free(&t);
}

/*
 * A 9 KB file whose CFI names a huge register (found by the fuzzer): libdw
 * would zero 1.3 GB for it.  The child's limit turns that into a failed
 * row: the largest child stays far below it.
 */
static void test_isolated_crafted_register_file(void **state)
{
	struct unwind_table t;
	struct rusage ru;
	int fd = open("tests/fuzz/corpus/unwind/register_number_huge", O_RDONLY);

	assert_true(fd >= 0);
	unwind_table_build_isolated(fd, 64ull << 20, &t);
	close(fd);
	unwind_table_free(&t);
	assert_int_equal(getrusage(RUSAGE_CHILDREN, &ru), 0);
	/* Its limit: what the test maps, the file and 64 MiB (unlimited: 240 MiB
	 * to 1.3 GiB, however far it got before it was killed at 2 s). */
	assert_true(ru.ru_maxrss < 96 * 1024);  /* KiB */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_function_entry),
		cmocka_unit_test(test_frame_pointer_body),
		cmocka_unit_test(test_no_frame_pointer_body),
		cmocka_unit_test(test_entry_point_is_outermost),
		cmocka_unit_test(test_rows_sorted),
		cmocka_unit_test(test_bias),
		cmocka_unit_test(test_frame_pointer_heuristic),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_isolated_same_rows),
		cmocka_unit_test(test_isolated_crafted_register_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
