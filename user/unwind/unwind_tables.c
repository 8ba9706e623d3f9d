// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CFI -> compact unwind rows, through libdw.
 *
 * libdw evaluates the CFI for us: dwarf_cfi_addrframe() gives the frame
 * state at an address and dwarf_frame_info() the range over which that
 * state holds, so stepping from range to range over every executable
 * segment visits each row of each FDE once, with no hand-written .eh_frame
 * parser.  Only the rules the BPF walker can apply cheaply are kept: the
 * CFA as rsp or rbp plus an offset, rbp unchanged or saved relative to the
 * CFA, and "return address undefined" (the outermost frame).  Anything
 * else (DWARF expressions: PLT stubs, signal trampolines) ends the walk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include "lib/util.h"
#include "unwind/unwind_tables.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

/* Gaps between FDEs are alignment padding: step over them byte by byte,
 * but give up on an object with more uncovered code than this (a
 * crafted one would keep the tracer busy for seconds per segment). */
#define MAX_GAP_STEPS (1u << 22)

/*
 * libdw interprets an FDE's instructions from its start for every row and
 * sizes its register file by the highest register an instruction names:
 * a crafted .eh_frame costs up to a second per row.  The object's own
 * file is the target's to craft, so its table gets a time budget that
 * grows with its code (the largest objects here, libjvm at 20 MiB of
 * code, take 0.3-1.7 s): past it the object unwinds by frame pointers.
 * User CPU time (util.h), not wall time: under --comm the traps of the
 * system-wide probes in the builder's own mallocs ran the wall clock out
 * for php-fpm's 5 MiB, libc and libstdc++, which then lost their frames.
 */
#define BUILD_BUDGET_BASE_NS 1000000000ull
#define BUILD_BUDGET_NS_PER_MIB (1000000000ull / 8)
#define BUILD_BUDGET_MAX_NS 10000000000ull

struct build_ctx {
	Dwarf_CFI *cfi;
	unsigned int gap_steps;
	uint64_t deadline_ns;    /* on this thread's user CPU clock */
	unsigned int rows_to_check;
};

static int push_row(struct unwind_table *t, const struct memleak_unwind_row *r)
{
	struct memleak_unwind_row *last = t->nrows ? &t->rows[t->nrows - 1] : NULL;

	/* The same rule as the previous row: the range just grows. */
	if (last && last->rule == r->rule && last->cfa_off8 == r->cfa_off8 &&
	    last->rbp_off8 == r->rbp_off8)
		return 0;
	if (last && last->pc == r->pc) {
		*last = *r;
		return 0;
	}
	if (array_reserve((void **)&t->rows, &t->cap, t->nrows + 1, sizeof(*t->rows)))
		return -ENOMEM;
	t->rows[t->nrows++] = *r;
	return 0;
}

static void set_rule(struct memleak_unwind_row *r, int cfa, int rbp)
{
	r->rule = (uint8_t)(cfa | rbp << 4);
}

/* DW_OP_bregN / DW_OP_bregx N, offset: the register and the offset. */
static bool breg_op(const Dwarf_Op *op, int *reg, int64_t *off)
{
	if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg31) {
		*reg = op->atom - DW_OP_breg0;
		*off = (int64_t)op->number;
		return true;
	}
	if (op->atom == DW_OP_bregx) {
		*reg = (int)op->number;
		*off = (int64_t)op->number2;
		return true;
	}
	return false;
}

/* The frame state of libdw as one row; pc is set by the caller. */
static void classify(Dwarf_Frame *fr, struct memleak_unwind_row *r)
{
	Dwarf_Op mem[3], *ops;
	size_t nops;
	int64_t off;
	int reg;

	memset(r, 0, sizeof(*r));
	set_rule(r, MEMLEAK_CFA_UNSUPPORTED, MEMLEAK_RBP_SAME);
	/* "Undefined" return address: nothing called this frame. */
	if (!dwarf_frame_register(fr, REG_RA, mem, &ops, &nops) && !nops && ops == mem) {
		set_rule(r, MEMLEAK_CFA_OUTERMOST, MEMLEAK_RBP_SAME);
		return;
	}
	if (dwarf_frame_cfa(fr, &ops, &nops) || nops != 1 || !breg_op(&ops[0], &reg, &off))
		return;
	if ((reg != REG_RSP && reg != REG_RBP) || off < 0 || off % 8 || off / 8 > UINT16_MAX)
		return;
	r->cfa_off8 = (uint16_t)(off / 8);
	if (dwarf_frame_register(fr, REG_RBP, mem, &ops, &nops))
		return;
	if (nops == 0) {
		/* Same value, or undefined (clobbered): either way the walk
		 * keeps what it has; an undefined rbp is never relied on. */
		set_rule(r, reg == REG_RSP ? MEMLEAK_CFA_RSP : MEMLEAK_CFA_RBP, MEMLEAK_RBP_SAME);
		return;
	}
	/* Saved at CFA + N: DW_OP_call_frame_cfa, DW_OP_plus_uconst N. */
	if (nops == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst) {
		int64_t at = (int64_t)ops[1].number;

		if (at % 8 || at / 8 < INT8_MIN || at / 8 > INT8_MAX)
			return;
		r->rbp_off8 = (int8_t)(at / 8);
		set_rule(r, reg == REG_RSP ? MEMLEAK_CFA_RSP : MEMLEAK_CFA_RBP,
			 MEMLEAK_RBP_AT_CFA);
	}
}

uint64_t unwind_table_budget_ns(uint64_t code_bytes)
{
	uint64_t ns = BUILD_BUDGET_BASE_NS + (code_bytes >> 20) * BUILD_BUDGET_NS_PER_MIB;

	return ns < BUILD_BUDGET_MAX_NS ? ns : BUILD_BUDGET_MAX_NS;
}

/* Rows of one executable segment [lo, hi), ending with a NONE row at hi. */
static int build_segment(struct build_ctx *ctx, uint64_t lo, uint64_t hi, struct unwind_table *t)
{
	struct memleak_unwind_row none = {};
	uint64_t addr = lo;
	int err;

	set_rule(&none, MEMLEAK_CFA_NONE, MEMLEAK_RBP_SAME);
	while (addr < hi) {
		struct memleak_unwind_row r;
		Dwarf_Addr start, end;
		Dwarf_Frame *fr;

		/* A system call: every 64 steps is often enough (a row costs ~µs). */
		if (!ctx->rows_to_check--) {
			ctx->rows_to_check = 63;
			if (user_cpu_ns(0) > ctx->deadline_ns)
				return -ETIME;
		}
		if (dwarf_cfi_addrframe(ctx->cfi, addr, &fr)) {
			none.pc = (uint32_t)addr;
			err = push_row(t, &none);
			if (err)
				return err;
			if (++ctx->gap_steps > MAX_GAP_STEPS)
				break;
			addr++;
			continue;
		}
		dwarf_frame_info(fr, &start, &end, NULL);
		classify(fr, &r);
		free(fr);
		if (end <= addr)
			end = addr + 1;
		if (end > hi)
			end = hi;
		r.pc = (uint32_t)addr;
		err = push_row(t, &r);
		if (err)
			return err;
		t->covered_bytes += end - addr;
		if (MEMLEAK_ROW_CFA(&r) == MEMLEAK_CFA_RBP)
			t->rbp_bytes += end - addr;
		addr = end;
	}
	none.pc = (uint32_t)hi;
	return push_row(t, &none);
}

/*
 * A segment that claims more bytes than the file holds, more in the file
 * than in memory, or addresses past 4 GiB (rows hold 32-bit addresses:
 * objects span far less) is not one a linker wrote.
 */
static int check_segment(const GElf_Phdr *ph, size_t file_size)
{
	if (ph->p_filesz > ph->p_memsz || ph->p_offset > file_size ||
	    ph->p_filesz > file_size - ph->p_offset)
		return -ENOEXEC;
	if (ph->p_memsz > UINT32_MAX || ph->p_vaddr > UINT32_MAX - ph->p_memsz)
		return -E2BIG;
	return 0;
}

static int read_segments(Elf *elf, struct unwind_table *t)
{
	size_t i, n, file_size;
	int err;

	if (elf_getphdrnum(elf, &n) || !elf_rawfile(elf, &file_size))
		return -ENOEXEC;
	for (i = 0; i < n && t->nsegs < sizeof(t->segs) / sizeof(t->segs[0]); i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		err = check_segment(&ph, file_size);
		if (err)
			return err;
		t->segs[t->nsegs++] = (struct unwind_segment){
			.vaddr = ph.p_vaddr, .offset = ph.p_offset, .filesz = ph.p_filesz,
		};
	}
	return t->nsegs ? 0 : -ENOENT;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct unwind_segment *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* Rows must rise with the address: sorted segments may not overlap. */
static int check_no_overlap(const struct unwind_table *t)
{
	size_t i;

	for (i = 1; i < t->nsegs; i++)
		if (t->segs[i].vaddr < t->segs[i - 1].vaddr + t->segs[i - 1].filesz)
			return -ENOEXEC;
	return 0;
}

int unwind_table_build_elf(Elf *elf, struct unwind_table *t)
{
	Dwarf *dw = NULL;
	Dwarf_CFI *cfi, *own = NULL;
	struct build_ctx ctx = {};
	uint64_t code_bytes = 0;
	size_t i;
	int err;

	memset(t, 0, sizeof(*t));
	err = read_segments(elf, t);
	if (err)
		goto out;
	qsort(t->segs, t->nsegs, sizeof(t->segs[0]), seg_cmp);
	err = check_no_overlap(t);
	if (err)
		goto out;
	/* .eh_frame is what the program itself unwinds with (C++ exceptions);
	 * .debug_frame only when that is all there is. */
	cfi = own = dwarf_getcfi_elf(elf);
	if (!cfi) {
		dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
		cfi = dw ? dwarf_getcfi(dw) : NULL;
	}
	if (!cfi) {
		err = -ENOENT;
		goto out;
	}
	for (i = 0; i < t->nsegs; i++)
		code_bytes += t->segs[i].filesz;
	ctx.cfi = cfi;
	ctx.deadline_ns = user_cpu_ns(0) + unwind_table_budget_ns(code_bytes);
	for (i = 0; i < t->nsegs && !err; i++)
		err = build_segment(&ctx, t->segs[i].vaddr, t->segs[i].vaddr + t->segs[i].filesz, t);
	if (!err && !t->covered_bytes)
		err = -ENOENT;
out:
	if (own)
		dwarf_cfi_end(own);
	if (dw)
		dwarf_end(dw);
	if (err)
		unwind_table_free(t);
	return err;
}

int unwind_table_build(int fd, struct unwind_table *t)
{
	Elf *elf;
	int err;

	memset(t, 0, sizeof(*t));
	elf_version(EV_CURRENT);
	/* pread, not mmap: the target may truncate its file as we read it. */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -ENOEXEC;
	err = unwind_table_build_elf(elf, t);
	elf_end(elf);
	return err;
}

bool unwind_table_has_frame_pointers(const struct unwind_table *t)
{
	return t->covered_bytes && t->rbp_bytes * 2 >= t->covered_bytes;
}

const struct memleak_unwind_row *unwind_table_lookup(const struct unwind_table *t,
						     uint64_t pc)
{
	size_t lo = 0, hi = t->nrows;

	/* The last row whose pc is <= the address. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->rows[lo - 1] : NULL;
}

bool unwind_table_bias(const struct unwind_table *t, uint64_t start, uint64_t pgoff,
		       uint64_t *bias)
{
	size_t i;

	for (i = 0; i < t->nsegs; i++) {
		const struct unwind_segment *s = &t->segs[i];
		uint64_t page_off = s->offset & ~4095ull;

		if (pgoff >= page_off && pgoff < s->offset + s->filesz) {
			/* runtime(X) = start + X - pgoff; vaddr(X) = p_vaddr + X - p_offset */
			*bias = start - pgoff + s->offset - s->vaddr;
			return true;
		}
	}
	return false;
}

void unwind_table_free(struct unwind_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->nrows = t->cap = 0;
}
