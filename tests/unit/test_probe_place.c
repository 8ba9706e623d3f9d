// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probe placement on hand-assembled x86-64 code: the probe moves to the
 * first instruction the kernel emulates only when nothing before it
 * touches what a probe program reads.  Offsets are relative to a fake
 * file offset, so the branch-target check sees the same address space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "probes/probe_place.h"

#define BASE 0x98ef0

static struct probe_place place(const uint8_t *code, size_t n)
{
	struct probe_place pl;

	probe_place_code(code, n, BASE, &pl);
	return pl;
}

/* glibc free: test %rdi,%rdi (single-stepped); je rel32 (emulated). */
static void test_free_moves_to_je(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x85, 0xff,                   /* test %rdi,%rdi */
		0x0f, 0x84, 0x10, 0x00, 0x00, 0x00, /* je +0x10 */
		0x55,                               /* push %rbp */
		0xc3,                               /* ret */
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE + 3);
	assert_int_equal(pl.skipped, 1);
	assert_true(pl.emulated);
	assert_string_equal(pl.insn, "je");
}

/* glibc malloc starts with push %r12 (REX.B push): emulated at the entry. */
static void test_push_r12_at_entry(void **state)
{
	static const uint8_t code[] = { 0x41, 0x54, 0x55, 0xc3 };
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE);
	assert_int_equal(pl.skipped, 0);
	assert_true(pl.emulated);
}

/* A RIP-relative compare reads memory only: stepped over. */
static void test_riprel_compare_skipped(void **state)
{
	static const uint8_t code[] = {
		0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, /* cmpb $0,0x140201(%rip) */
		0x41, 0x54,                               /* push %r12 */
		0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE + 7);
	assert_string_equal(pl.insn, "push");
}

/* Writing an argument register first: the program would read the wrong size. */
static void test_argument_overwritten_keeps_entry(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xc7, /* mov %rax,%rdi */
		0x74, 0x01,       /* je +1 */
		0x90,
		0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE);
	assert_false(pl.emulated);
	assert_non_null(pl.why);
}

/* Moving rsp first: [sp] would no longer be the return address. */
static void test_stack_pointer_moved_keeps_entry(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xec, 0x10, /* sub $0x10,%rsp */
		0xeb, 0x00,             /* jmp +0 */
		0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE);
	assert_false(pl.emulated);
}

/* A store could overwrite the return address or an argument in memory. */
static void test_store_keeps_entry(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0x04, 0x24, /* mov %rax,(%rsp) */
		0xeb, 0x00,             /* jmp +0 */
		0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE);
}

/* A loop back to the probed je would fire the probe without a new call. */
static void test_branch_into_skipped_keeps_entry(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x85, 0xff, /* 0: test %rdi,%rdi */
		0x74, 0x02,       /* 3: je 7 */
		0xeb, 0xfc,       /* 5: jmp 3 */
		0xc3,             /* 7: ret */
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE);
	assert_false(pl.emulated);
}

/* An operand-size prefix makes the kernel single-step a jump: not taken. */
static void test_prefixed_nop_not_emulated(void **state)
{
	static const uint8_t code[] = {
		0x66, 0x90, /* xchg %ax,%ax (a nop, single-stepped) */
		0xeb, 0x00, /* jmp +0 */
		0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE + 2);
	assert_string_equal(pl.insn, "jmp");
}

/* Bytes the decoder cannot follow: branch targets unknown, keep the entry. */
static void test_undecodable_keeps_entry(void **state)
{
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x74, 0x01, 0x0f };
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE);
}

/* Unknown size: nothing to decode. */
static void test_unknown_size_keeps_entry(void **state)
{
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x74, 0x01, 0xc3 };
	struct probe_place pl;

	probe_place_code(code, 0, BASE, &pl);
	assert_int_equal(pl.offset, BASE);
	assert_false(pl.emulated);
}

/* More than PROBE_PLACE_MAX_SKIP harmless instructions: keep the entry. */
static void test_too_far_keeps_entry(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x48, 0x85, 0xff,
		0x48, 0x85, 0xff, 0x48, 0x85, 0xff, /* 5 x test %rdi,%rdi */
		0xeb, 0x00, 0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_int_equal(pl.offset, BASE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_moves_to_je),
		cmocka_unit_test(test_push_r12_at_entry),
		cmocka_unit_test(test_riprel_compare_skipped),
		cmocka_unit_test(test_argument_overwritten_keeps_entry),
		cmocka_unit_test(test_stack_pointer_moved_keeps_entry),
		cmocka_unit_test(test_store_keeps_entry),
		cmocka_unit_test(test_branch_into_skipped_keeps_entry),
		cmocka_unit_test(test_prefixed_nop_not_emulated),
		cmocka_unit_test(test_undecodable_keeps_entry),
		cmocka_unit_test(test_unknown_size_keeps_entry),
		cmocka_unit_test(test_too_far_keeps_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
