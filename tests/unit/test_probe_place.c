// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probe placement on hand-assembled x86-64 code: the probe moves to the
 * first instruction the kernel emulates only when nothing before it
 * touches what that function's probe reads.  Offsets are relative to a
 * fake file offset, so the branch-target checks see the same address space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "probes/probe_place.h"

#define BASE 0x98ef0

static struct probe_place place_args(const uint8_t *code, size_t n, unsigned int nargs)
{
	struct probe_fn fn = { .code = code, .size = n, .file_off = BASE, .nargs = nargs };
	struct probe_place pl;

	probe_place_code(&fn, &pl);
	return pl;
}

/* free, malloc: the probe reads rdi only. */
static struct probe_place place(const uint8_t *code, size_t n)
{
	return place_args(code, n, 1);
}

static void assert_entry(const struct probe_place *pl, enum probe_stop why)
{
	assert_int_equal(pl->offset, BASE);
	assert_int_equal(pl->skipped, 0);
	assert_false(pl->emulated);
	assert_string_equal(probe_stop_name(pl->stop), probe_stop_name(why));
}

static void assert_moved(const struct probe_place *pl, uint64_t off, const char *insn)
{
	assert_true(pl->emulated);
	assert_int_equal(pl->offset, BASE + off);
	assert_string_equal(pl->insn, insn);
	assert_int_equal(pl->stop, PROBE_STOP_EMULATED);
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

	assert_moved(&pl, 3, "je");
	assert_int_equal(pl.skipped, 1);
}

/*
 * jemalloc 5.3's free: nine instructions that compute in rax, rcx and rdx
 * (arguments free does not have) from rdi, with RIP- and fs-relative loads,
 * then jne: the probe goes on the jne, 0x30 bytes in.
 */
static void test_jemalloc_free_moves_to_jne(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xf8,                         /* mov %rdi,%rax */
		0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00, /* mov 0xa530e(%rip),%rdx */
		0x48, 0x89, 0xf9,                         /* mov %rdi,%rcx */
		0x48, 0xc1, 0xe8, 0x1a,                   /* shr $0x1a,%rax */
		0x48, 0x81, 0xe1, 0x00, 0x00, 0x00, 0xc0, /* and $-0x40000000,%rcx */
		0x25, 0xf0, 0x00, 0x00, 0x00,             /* and $0xf0,%eax */
		0x64, 0x48, 0x03, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, /* add %fs:0,%rax */
		0x48, 0x01, 0xd0,                         /* add %rdx,%rax */
		0x48, 0x3b, 0x88, 0xb0, 0x01, 0x00, 0x00, /* cmp 0x1b0(%rax),%rcx */
		0x0f, 0x85, 0x02, 0x00, 0x00, 0x00,       /* jne +2 */
		0xc3, 0x90, 0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_moved(&pl, 0x30, "jne");
	assert_int_equal(pl.skipped, 9);
}

/* The same prologue for a probe that reads rdx (posix_memalign): stays. */
static void test_jemalloc_prologue_with_three_args_stays(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xf8,                         /* mov %rdi,%rax */
		0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00, /* mov 0xa530e(%rip),%rdx */
		0x0f, 0x85, 0x00, 0x00, 0x00, 0x00,       /* jne +0 */
		0xc3,
	};
	struct probe_place pl = place_args(code, sizeof(code), 3);

	assert_entry(&pl, PROBE_STOP_WRITES_ARG);
	assert_int_equal(pl.stop_at, 3);
	pl = place_args(code, sizeof(code), 2);
	assert_moved(&pl, 10, "jne");
}

/* glibc reallocarray: mul writes rdx, the size it reads (3 arguments). */
static void test_reallocarray_mul_keeps_entry(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xf0,       /* mov %rsi,%rax */
		0x48, 0xf7, 0xe2,       /* mul %rdx */
		0x48, 0x89, 0xc6,       /* mov %rax,%rsi */
		0x70, 0x01,             /* jo +1 */
		0xc3, 0xc3,
	};
	struct probe_place pl = place_args(code, sizeof(code), 3);

	assert_entry(&pl, PROBE_STOP_WRITES_ARG);
	assert_int_equal(pl.stop_at, 3);
	assert_string_equal(pl.stop_insn, "mul rdx");
}

/* calloc(nmemb, size): writing rsi stops it; malloc's probe would not care. */
static void test_calloc_rsi_written_stays(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xf8,       /* mov %rdi,%rax */
		0x48, 0x0f, 0xaf, 0xf7, /* imul %rdi,%rsi */
		0x74, 0x01,             /* je +1 */
		0xc3, 0xc3,
	};
	struct probe_place pl = place_args(code, sizeof(code), 2);

	assert_entry(&pl, PROBE_STOP_WRITES_ARG);
	assert_int_equal(pl.stop_at, 3);
	pl = place_args(code, sizeof(code), 1);
	assert_moved(&pl, 7, "je");
}

/* Each argument position, at any width, is its own register. */
static void test_argument_sets(void **state)
{
	static const struct {
		uint8_t insn[3];
		size_t len;
		unsigned int arg;
	} writes[] = {
		{ { 0x31, 0xff }, 2, 1 },        /* xor %edi,%edi */
		{ { 0x40, 0xb6, 0x00 }, 3, 2 },  /* mov $0,%sil */
		{ { 0x31, 0xd2 }, 2, 3 },        /* xor %edx,%edx */
		{ { 0x88, 0xe9 }, 2, 4 },        /* mov %ch,%cl */
		{ { 0x45, 0x31, 0xc0 }, 3, 5 },  /* xor %r8d,%r8d */
		{ { 0x4d, 0x89, 0xc1 }, 3, 6 },  /* mov %r8,%r9 */
	};
	size_t i;

	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		uint8_t code[6];
		size_t len = writes[i].len;
		struct probe_place pl;

		memcpy(code, writes[i].insn, len);
		memcpy(code + len, "\xeb\x00\xc3", 3); /* jmp +0; ret */
		pl = place_args(code, len + 3, writes[i].arg);
		assert_entry(&pl, PROBE_STOP_WRITES_ARG);
		pl = place_args(code, len + 3, writes[i].arg - 1);
		assert_moved(&pl, len, "jmp");
	}
}

/* glibc malloc starts with push %r12 (REX.B push): emulated at the entry. */
static void test_push_first_at_entry(void **state)
{
	static const uint8_t code[] = { 0x41, 0x54, 0x55, 0xc3 };
	struct probe_place pl = place(code, sizeof(code));

	assert_moved(&pl, 0, "push");
	assert_int_equal(pl.skipped, 0);
}

/* glibc valloc: a register move, then push: the probe goes on the push. */
static void test_push_after_move(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x8b, 0x05, 0x01, 0x02, 0x03, 0x00, /* mov 0x30201(%rip),%rax */
		0x53,                                     /* push %rbx */
		0x48, 0x83, 0xec, 0x10,                   /* sub $0x10,%rsp */
		0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_moved(&pl, 7, "push");
}

/* A push with any REX other than 41, or 66, is single-stepped. */
static void test_push_with_rex_w_not_emulated(void **state)
{
	static const uint8_t code[] = { 0x48, 0x53, 0xc3 }; /* rex.W push %rbx */
	struct probe_place pl = place(code, sizeof(code));

	assert_false(pl.emulated);
	assert_int_equal(pl.offset, BASE);
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

	assert_moved(&pl, 7, "push");
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

	assert_entry(&pl, PROBE_STOP_WRITES_SP);
}

/* Writing rbp: the frame-pointer walk would start from a wrong frame. */
static void test_frame_pointer_written_keeps_entry(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xe5, /* mov %rsp,%rbp */
		0xeb, 0x00,       /* jmp +0 */
		0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_entry(&pl, PROBE_STOP_WRITES_FP);
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

	assert_entry(&pl, PROBE_STOP_WRITES_MEMORY);
}

/* cmpxchg16b stores, though capstone reports a read: not on the list. */
static void test_unlisted_keeps_entry(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x0f, 0xc7, 0x0f, /* cmpxchg16b (%rdi) */
		0xeb, 0x00,
		0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_entry(&pl, PROBE_STOP_UNLISTED);
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

	assert_entry(&pl, PROBE_STOP_BRANCH_TARGET);
}

/* A jump from a .cold part elsewhere in the object into the skipped range. */
static void test_branch_from_object_keeps_entry(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xf8,       /* 0: mov %rdi,%rax */
		0x48, 0x85, 0xc0,       /* 3: test %rax,%rax */
		0x74, 0x01,             /* 6: je 9 */
		0xc3, 0xc3,
	};
	uint8_t bits[4] = { 0 };
	struct probe_fn fn = {
		.code = code, .size = sizeof(code), .file_off = BASE, .nargs = 1,
		.targets = bits, .targets_base = BASE - 8, .targets_len = 32,
	};
	struct probe_place pl;

	/* Targets at the entry and past the probe do not matter. */
	bits[1] = 1u << 0;           /* BASE + 0 */
	bits[2] = 1u << 0;           /* BASE + 8 */
	probe_place_code(&fn, &pl);
	assert_moved(&pl, 6, "je");
	bits[1] |= 1u << 3;          /* BASE + 3: test %rax,%rax */
	probe_place_code(&fn, &pl);
	assert_entry(&pl, PROBE_STOP_BRANCH_TARGET);
}

/* An operand-size prefix makes the kernel single-step a jump. */
static void test_prefixed_jump_not_emulated(void **state)
{
	static const uint8_t code[] = {
		0x66, 0xe9, 0x00, 0x00, /* jmpw +0 */
		0xc3,
	};
	struct probe_place pl = place(code, sizeof(code));

	assert_entry(&pl, PROBE_STOP_BRANCH);
}

/* bnd jmp is emulated: the kernel accepts any prefix but 66 (and bad ones). */
static void test_bnd_jump_emulated(void **state)
{
	static const uint8_t code[] = { 0xf2, 0xe9, 0x00, 0x00, 0x00, 0x00, 0xc3 };
	struct probe_place pl = place(code, sizeof(code));

	assert_moved(&pl, 0, "bnd jmp");
}

/* The kernel's canonical nops are emulated; endbr64 is stepped over. */
static void test_nops_emulated(void **state)
{
	static const uint8_t code[] = {
		0xf3, 0x0f, 0x1e, 0xfa,             /* endbr64 */
		0x0f, 0x1f, 0x44, 0x00, 0x00,       /* nopl 0(%rax,%rax,1) */
		0xc3,
	};
	static const uint8_t osp_nop[] = { 0x66, 0x90, 0xc3 };
	static const uint8_t odd_nop[] = { 0x0f, 0x1f, 0x04, 0x00, 0xc3 }; /* nopl (%rax,%rax) */
	struct probe_place pl = place(code, sizeof(code));

	assert_moved(&pl, 4, "nop");
	pl = place(osp_nop, sizeof(osp_nop));
	assert_moved(&pl, 0, "nop");
	/* A nop that is not x86_nops[4] is single-stepped: step over it. */
	pl = place(odd_nop, sizeof(odd_nop));
	assert_entry(&pl, PROBE_STOP_BRANCH);
	assert_int_equal(pl.stop_at, 4);
}

/* A return is a control transfer the kernel single-steps. */
static void test_return_stops(void **state)
{
	static const uint8_t code[] = { 0x31, 0xc0, 0xc3 }; /* xor %eax,%eax; ret */
	struct probe_place pl = place(code, sizeof(code));

	assert_entry(&pl, PROBE_STOP_BRANCH);
	assert_int_equal(pl.stop_at, 2);
}

/* Bytes the decoder cannot follow: branch targets unknown, keep the entry. */
static void test_undecodable_keeps_entry(void **state)
{
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x74, 0x01, 0x0f };
	struct probe_place pl = place(code, sizeof(code));

	assert_entry(&pl, PROBE_STOP_UNDECODABLE);
}

/* Unknown size: nothing to decode. */
static void test_unknown_size_keeps_entry(void **state)
{
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x74, 0x01, 0xc3 };
	struct probe_place pl = place(code, 0);

	assert_entry(&pl, PROBE_STOP_SIZE_UNKNOWN);
}

/* The scan ends at PROBE_PLACE_MAX_SKIP instructions, not at a fixed 4. */
static void test_scan_limit(void **state)
{
	uint8_t code[3 * (PROBE_PLACE_MAX_SKIP + 1) + 3];
	struct probe_place pl;
	size_t i;

	for (i = 0; i < PROBE_PLACE_MAX_SKIP + 1; i++)
		memcpy(code + 3 * i, "\x48\x85\xff", 3); /* test %rdi,%rdi */
	memcpy(code + sizeof(code) - 3, "\xeb\x00\xc3", 3);
	pl = place_args(code, sizeof(code), 6);
	assert_entry(&pl, PROBE_STOP_LIMIT);
	assert_int_equal(pl.stop_at, 3 * PROBE_PLACE_MAX_SKIP);
	pl = place_args(code + 3, sizeof(code) - 3, 6);
	assert_moved(&pl, 3 * PROBE_PLACE_MAX_SKIP, "jmp");
}

/* What -vv prints, moved and kept. */
static void test_describe(void **state)
{
	static const uint8_t code[] = { 0x48, 0x89, 0xc7, 0x74, 0x01, 0xc3, 0xc3 };
	char buf[160];
	struct probe_place pl = place(code, sizeof(code));

	probe_place_describe(&pl, "malloc", BASE, buf, sizeof(buf));
	assert_string_equal(buf, "malloc+0x0 (single-stepped: writes-arg-reg at +0x0: "
			    "mov rdi, rax)");
	pl = place(code + 3, sizeof(code) - 3);
	probe_place_describe(&pl, "free", BASE, buf, sizeof(buf));
	assert_string_equal(buf, "free+0x0 je (emulated, 0 stepped over)");
	probe_place_entry(BASE, PROBE_STOP_DISABLED, &pl);
	probe_place_describe(&pl, "free", BASE, buf, sizeof(buf));
	assert_string_equal(buf, "free+0x0 (single-stepped: disabled)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_moves_to_je),
		cmocka_unit_test(test_jemalloc_free_moves_to_jne),
		cmocka_unit_test(test_jemalloc_prologue_with_three_args_stays),
		cmocka_unit_test(test_reallocarray_mul_keeps_entry),
		cmocka_unit_test(test_calloc_rsi_written_stays),
		cmocka_unit_test(test_argument_sets),
		cmocka_unit_test(test_push_first_at_entry),
		cmocka_unit_test(test_push_after_move),
		cmocka_unit_test(test_push_with_rex_w_not_emulated),
		cmocka_unit_test(test_riprel_compare_skipped),
		cmocka_unit_test(test_stack_pointer_moved_keeps_entry),
		cmocka_unit_test(test_frame_pointer_written_keeps_entry),
		cmocka_unit_test(test_store_keeps_entry),
		cmocka_unit_test(test_unlisted_keeps_entry),
		cmocka_unit_test(test_branch_into_skipped_keeps_entry),
		cmocka_unit_test(test_branch_from_object_keeps_entry),
		cmocka_unit_test(test_prefixed_jump_not_emulated),
		cmocka_unit_test(test_bnd_jump_emulated),
		cmocka_unit_test(test_nops_emulated),
		cmocka_unit_test(test_return_stops),
		cmocka_unit_test(test_undecodable_keeps_entry),
		cmocka_unit_test(test_unknown_size_keeps_entry),
		cmocka_unit_test(test_scan_limit),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
