// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probe placement (see probe_place.h).  Capstone decodes the instructions
 * and tells which registers each one writes; which instructions the kernel
 * emulates is decided on the raw bytes, the way arch/x86/kernel/uprobes.c
 * decides it, so an encoding the kernel would single-step is never taken
 * for an emulated one.
 *
 * Capstone is loaded only while probes are being placed: its decoder
 * tables, once relocated by the dynamic loader, are ~5 MiB of the
 * tracer's RSS, for a decision made when an object is attached.  The
 * static build (make static, CAPSTONE_LINKED) links it in instead: there
 * is no loader to ask, and its tables, already resolved by the linker,
 * stay pages of the file that cost RSS only while they are read.
 */
#include <dlfcn.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <capstone/capstone.h>
#include "cli/errors.h"
#include "probes/elf_syms.h"
#include "probes/probe_place.h"

/* Functions larger than this are checked on their first part only. */
#define SCAN_LIMIT (256 * 1024)
/* Executable bytes of an object mapped for branch targets at most (bitmap/8). */
#define OBJECT_TEXT_LIMIT (1ULL << 30)

/* The library the build linked against (Makefile), else its dev symlink. */
#ifndef CAPSTONE_SONAME
#define CAPSTONE_SONAME "libcapstone.so"
#endif

/* The capstone functions used, while the library is loaded. */
static struct {
	void *handle;
	__typeof__(cs_open) *open_handle;
	__typeof__(cs_option) *set_option;
	__typeof__(cs_disasm) *disasm;
	__typeof__(cs_free) *free_insns;
	__typeof__(cs_close) *close_handle;
	__typeof__(cs_regs_access) *regs_access;
} cs;

/*
 * Where control may enter the object placed last from outside the function
 * being placed, one bit per byte of its executable file range: function
 * symbols, and the targets of rel32 jumps and calls found by a raw scan of
 * its bytes.  A byte that only looks like a branch marks a target by
 * chance (about one function in 10^4 keeps its entry for nothing), where
 * decoding would miss code no symbol covers, such as the .cold parts that
 * jump back into their function.  rel8 branches from outside a function
 * are not looked for: they reach only its neighbours, whose code never
 * joins another's.  Indirect jumps are not followed anywhere: a jump
 * table's targets follow the dispatch, and the scan stops at the first
 * branch.
 */
struct object_map {
	dev_t dev;
	ino_t ino;
	uint64_t base, len;
	uint8_t *bits;
};

static struct object_map object;

#ifdef CAPSTONE_LINKED
static bool capstone_load(void)
{
	cs.open_handle = cs_open;
	cs.set_option = cs_option;
	cs.disasm = cs_disasm;
	cs.free_insns = cs_free;
	cs.close_handle = cs_close;
	cs.regs_access = cs_regs_access;
	return true;
}

static void capstone_unload(void)
{
}
#else
/*
 * Without the disassembler every probe stays at its function's entry:
 * correct, only slower, but said once so that it is not a silent change.
 */
static void warn_no_capstone(void)
{
	static bool warned;

	if (warned)
		return;
	warned = true;
	err_msg("probe placement unavailable (cannot load %s: %s): probes stay at "
		"function entries", CAPSTONE_SONAME, dlerror());
}

static bool capstone_load(void)
{
	if (cs.handle)
		return true;
	cs.handle = dlopen(CAPSTONE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!cs.handle) {
		warn_no_capstone();
		return false;
	}
	cs.open_handle = dlsym(cs.handle, "cs_open");
	cs.set_option = dlsym(cs.handle, "cs_option");
	cs.disasm = dlsym(cs.handle, "cs_disasm");
	cs.free_insns = dlsym(cs.handle, "cs_free");
	cs.close_handle = dlsym(cs.handle, "cs_close");
	cs.regs_access = dlsym(cs.handle, "cs_regs_access");
	if (!cs.open_handle || !cs.set_option || !cs.disasm || !cs.free_insns ||
	    !cs.close_handle || !cs.regs_access) {
		dlclose(cs.handle);
		memset(&cs, 0, sizeof(cs));
		return false;
	}
	return true;
}

static void capstone_unload(void)
{
	if (cs.handle)
		dlclose(cs.handle);
	memset(&cs, 0, sizeof(cs));
}
#endif

void probe_place_unload(void)
{
	capstone_unload();
	free(object.bits);
	memset(&object, 0, sizeof(object));
}

static const char *const stop_names[] = {
	[PROBE_STOP_EMULATED] = "emulated",
	[PROBE_STOP_WRITES_ARG] = "writes-arg-reg",
	[PROBE_STOP_WRITES_SP] = "writes-stack-pointer",
	[PROBE_STOP_WRITES_FP] = "writes-frame-pointer",
	[PROBE_STOP_WRITES_MEMORY] = "writes-memory",
	[PROBE_STOP_BRANCH] = "branch",
	[PROBE_STOP_SYSTEM] = "system",
	[PROBE_STOP_UNLISTED] = "unlisted-insn",
	[PROBE_STOP_BRANCH_TARGET] = "branch-target",
	[PROBE_STOP_LIMIT] = "limit",
	[PROBE_STOP_END] = "end-of-function",
	[PROBE_STOP_UNDECODABLE] = "undecodable",
	[PROBE_STOP_SIZE_UNKNOWN] = "size-unknown",
	[PROBE_STOP_UNAVAILABLE] = "unavailable",
	[PROBE_STOP_DISABLED] = "disabled",
};

const char *probe_stop_name(enum probe_stop stop)
{
	if ((size_t)stop < sizeof(stop_names) / sizeof(stop_names[0]) && stop_names[stop])
		return stop_names[stop];
	return "unknown";
}

/*
 * The kernel's canonical nops (x86_nops[1..8] on x86-64), which
 * branch_setup_xol_ops() emulates as a jump to the next instruction.  The
 * 9 to 11 byte ones carry a CS prefix, which uprobe_init_insn() refuses
 * before that: such a nop cannot be probed at all.
 */
static const uint8_t kernel_nops[][8] = {
	{ 0x90 },
	{ 0x66, 0x90 },
	{ 0x0f, 0x1f, 0x00 },
	{ 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

static bool kernel_nop(const uint8_t *b, size_t len)
{
	size_t i;

	/* 0x90 after operand-size or rep prefixes ("prefix* + nop"). */
	for (i = 0; i + 1 < len && (b[i] == 0x66 || b[i] == 0xf3); i++)
		;
	if (i + 1 == len && b[i] == 0x90)
		return true;
	return len >= 1 && len <= 8 && !memcmp(b, kernel_nops[len - 1], len);
}

/*
 * Relative jmp (eb, e9), call (e8) and jcc (70-7f, 0f 80-8f), alone or
 * after a bnd (f2) prefix: the kernel refuses an operand-size prefix on
 * them (single-step) and a segment or lock prefix on anything (no probe).
 */
static bool kernel_branch(const uint8_t *b, size_t len)
{
	if (len && b[0] == 0xf2) {
		b++;
		len--;
	}
	switch (len) {
	case 2:
		return b[0] == 0xeb || (b[0] >= 0x70 && b[0] <= 0x7f);
	case 5:
		return b[0] == 0xe9 || b[0] == 0xe8;
	case 6:
		return b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f;
	}
	return false;
}

/* push of a general register: 50-57, or 41 50-57 for r8-r15 (no other REX). */
static bool kernel_push(const uint8_t *b, size_t len)
{
	if (len == 1)
		return b[0] >= 0x50 && b[0] <= 0x57;
	return len == 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57;
}

/*
 * Emulated by Linux 6.18.  Older kernels may single-step the nops and
 * pushes (their emulation is recent): a probe there is then no slower
 * than at the entry, only -vv's "emulated" is wrong.
 * A 5-byte nop is even patched into a call to a trampoline; its pushes go
 * below sp, where nothing lives since no stepped-over instruction stores.
 */
static bool kernel_emulates(const cs_insn *in)
{
	return kernel_nop(in->bytes, in->size) || kernel_branch(in->bytes, in->size) ||
	       kernel_push(in->bytes, in->size);
}

/*
 * Instructions that compute in registers (with at most a load), known to
 * capstone with exact operand access: anything else may store, trap or
 * have effects capstone does not report (cmpxchg16b's store is reported
 * as a read), so it is not stepped over.
 */
static const unsigned int skippable[] = {
	X86_INS_MOV, X86_INS_MOVABS, X86_INS_MOVZX, X86_INS_MOVSX, X86_INS_MOVSXD,
	X86_INS_LEA, X86_INS_ADD, X86_INS_ADC, X86_INS_SUB, X86_INS_SBB, X86_INS_AND,
	X86_INS_OR, X86_INS_XOR, X86_INS_NOT, X86_INS_NEG, X86_INS_INC, X86_INS_DEC,
	X86_INS_CMP, X86_INS_TEST, X86_INS_BT, X86_INS_SHL, X86_INS_SAL, X86_INS_SHR,
	X86_INS_SAR, X86_INS_ROL, X86_INS_ROR, X86_INS_SHLD, X86_INS_SHRD, X86_INS_SHLX,
	X86_INS_SHRX, X86_INS_SARX, X86_INS_RORX, X86_INS_ANDN, X86_INS_BSF, X86_INS_BSR,
	X86_INS_TZCNT, X86_INS_LZCNT, X86_INS_POPCNT, X86_INS_BSWAP, X86_INS_IMUL,
	X86_INS_MUL, X86_INS_CDQE, X86_INS_CWDE, X86_INS_CDQ, X86_INS_CQO, X86_INS_NOP,
	X86_INS_ENDBR64, X86_INS_PREFETCHT0, X86_INS_PREFETCHT1, X86_INS_PREFETCHT2,
	X86_INS_PREFETCHNTA, X86_INS_PREFETCHW, X86_INS_PREFETCH,
	X86_INS_CMOVA, X86_INS_CMOVAE, X86_INS_CMOVB, X86_INS_CMOVBE, X86_INS_CMOVE,
	X86_INS_CMOVG, X86_INS_CMOVGE, X86_INS_CMOVL, X86_INS_CMOVLE, X86_INS_CMOVNE,
	X86_INS_CMOVNO, X86_INS_CMOVNP, X86_INS_CMOVNS, X86_INS_CMOVO, X86_INS_CMOVP,
	X86_INS_CMOVS, X86_INS_SETA, X86_INS_SETAE, X86_INS_SETB, X86_INS_SETBE,
	X86_INS_SETE, X86_INS_SETG, X86_INS_SETGE, X86_INS_SETL, X86_INS_SETLE,
	X86_INS_SETNE, X86_INS_SETNO, X86_INS_SETNP, X86_INS_SETNS, X86_INS_SETO,
	X86_INS_SETP, X86_INS_SETS, X86_INS_MOVD, X86_INS_MOVQ, X86_INS_MOVDQA,
	X86_INS_MOVDQU, X86_INS_MOVAPS, X86_INS_MOVUPS, X86_INS_PXOR, X86_INS_XORPS,
	X86_INS_PUNPCKLQDQ, X86_INS_VZEROUPPER,
};

static bool listed(unsigned int id)
{
	size_t i;

	for (i = 0; i < sizeof(skippable) / sizeof(skippable[0]); i++)
		if (skippable[i] == id)
			return true;
	return false;
}

/* The argument an x86-64 register (any width) carries, 1-6, or 0. */
static unsigned int argument_of(unsigned int reg)
{
	switch (reg) {
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
		return 1;
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
		return 2;
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL:
	case X86_REG_DH:
		return 3;
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL:
	case X86_REG_CH:
		return 4;
	case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
		return 5;
	case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
		return 6;
	}
	return 0;
}

static bool stack_pointer(unsigned int reg)
{
	return reg == X86_REG_RSP || reg == X86_REG_ESP || reg == X86_REG_SP ||
	       reg == X86_REG_SPL;
}

static bool frame_pointer(unsigned int reg)
{
	return reg == X86_REG_RBP || reg == X86_REG_EBP || reg == X86_REG_BP ||
	       reg == X86_REG_BPL;
}

static bool in_group(const cs_insn *in, uint8_t group)
{
	uint8_t i;

	for (i = 0; i < in->detail->groups_count; i++)
		if (in->detail->groups[i] == group)
			return true;
	return false;
}

/* A control transfer or a trap: the code after it may not run. */
static bool transfers(const cs_insn *in, enum probe_stop *why)
{
	if (in_group(in, CS_GRP_JUMP) || in_group(in, CS_GRP_CALL) ||
	    in_group(in, CS_GRP_RET) || in_group(in, CS_GRP_IRET)) {
		*why = PROBE_STOP_BRANCH;
		return true;
	}
	if (in_group(in, CS_GRP_INT) || in_group(in, CS_GRP_PRIVILEGE)) {
		*why = PROBE_STOP_SYSTEM;
		return true;
	}
	return false;
}

static bool stores(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	uint8_t i;

	/* lock and rep prefixes: atomics and string operations. */
	if (x->prefix[0] == X86_PREFIX_LOCK || x->prefix[0] == X86_PREFIX_REP ||
	    x->prefix[0] == X86_PREFIX_REPNE)
		return true;
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_WRITE))
			return true;
	return false;
}

/* Does it write a register the probe reads (nargs arguments, sp, bp)? */
static bool writes_watched(csh h, const cs_insn *in, unsigned int nargs,
			   enum probe_stop *why)
{
	uint8_t nrd = 0, nwr = 0, i;
	cs_regs rd, wr;

	if (cs.regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK) {
		*why = PROBE_STOP_UNLISTED;
		return true;
	}
	for (i = 0; i < nwr; i++) {
		unsigned int arg = argument_of(wr[i]);

		if (arg && arg <= nargs)
			*why = PROBE_STOP_WRITES_ARG;
		else if (stack_pointer(wr[i]))
			*why = PROBE_STOP_WRITES_SP;
		else if (frame_pointer(wr[i]))
			*why = PROBE_STOP_WRITES_FP;
		else
			continue;
		return true;
	}
	return false;
}

/*
 * May the probe go after this (not emulated) instruction: does running it
 * first change nothing the probe reads?  If not, *why says what it changes.
 */
static bool harmless(csh h, const cs_insn *in, unsigned int nargs, enum probe_stop *why)
{
	if (transfers(in, why) || writes_watched(h, in, nargs, why))
		return false;
	if (stores(in)) {
		*why = PROBE_STOP_WRITES_MEMORY;
		return false;
	}
	*why = PROBE_STOP_UNLISTED;
	return listed(in->id);
}

/* A direct branch of the function itself lands in (entry, place]. */
static bool branch_within(const cs_insn *insns, size_t n, uint64_t entry, uint64_t place)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const cs_x86 *x = &insns[i].detail->x86;

		if (!in_group(&insns[i], CS_GRP_JUMP) && !in_group(&insns[i], CS_GRP_CALL))
			continue;
		if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
			continue;
		if ((uint64_t)x->operands[0].imm > entry && (uint64_t)x->operands[0].imm <= place)
			return true;
	}
	return false;
}

/* A rel32 branch anywhere in the object (a .cold part) lands in (entry, place]. */
static bool branch_from_object(const struct probe_fn *fn, uint64_t place)
{
	uint64_t off;

	for (off = fn->file_off + 1; fn->targets && off <= place; off++) {
		uint64_t bit = off - fn->targets_base;

		if (off >= fn->targets_base && bit < fn->targets_len &&
		    (fn->targets[bit / 8] & (1u << (bit % 8))))
			return true;
	}
	return false;
}

static void keep_entry(struct probe_place *out, uint64_t file_off, enum probe_stop why)
{
	out->offset = file_off;
	out->skipped = 0;
	out->emulated = false;
	out->insn[0] = '\0';
	out->stop = why;
}

void probe_place_entry(uint64_t file_off, enum probe_stop why, struct probe_place *out)
{
	memset(out, 0, sizeof(*out));
	keep_entry(out, file_off, why);
}

static void note_stop(struct probe_place *out, const cs_insn *in, uint64_t entry,
		      enum probe_stop why)
{
	out->stop = why;
	out->stop_at = in->address - entry;
	snprintf(out->stop_insn, sizeof(out->stop_insn), "%.15s%s%.31s", in->mnemonic,
		 in->op_str[0] ? " " : "", in->op_str);
}

/* Walk from the entry to the first emulated instruction, or a reason to stop. */
static void scan(csh h, const cs_insn *insns, size_t n, const struct probe_fn *fn,
		 struct probe_place *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		enum probe_stop why;

		if (kernel_emulates(&insns[i]))
			break;
		if (i == PROBE_PLACE_MAX_SKIP) {
			note_stop(out, &insns[i], fn->file_off, PROBE_STOP_LIMIT);
			return;
		}
		if (!harmless(h, &insns[i], fn->nargs, &why)) {
			note_stop(out, &insns[i], fn->file_off, why);
			return;
		}
	}
	if (i == n) {
		out->stop = PROBE_STOP_END;
		return;
	}
	if (i && (branch_within(insns, n, fn->file_off, insns[i].address) ||
		  branch_from_object(fn, insns[i].address))) {
		note_stop(out, &insns[i], fn->file_off, PROBE_STOP_BRANCH_TARGET);
		return;
	}
	out->offset = insns[i].address;
	out->skipped = (unsigned int)i;
	out->emulated = true;
	out->stop = PROBE_STOP_EMULATED;
	snprintf(out->insn, sizeof(out->insn), "%s", insns[i].mnemonic);
}

void probe_place_code(const struct probe_fn *fn, struct probe_place *out)
{
	cs_insn *insns = NULL;
	size_t n, i, decoded = 0;
	csh h;

	probe_place_entry(fn->file_off, PROBE_STOP_SIZE_UNKNOWN, out);
	if (!fn->size)
		return;
	if (!capstone_load() || cs.open_handle(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		out->stop = PROBE_STOP_UNAVAILABLE;
		return;
	}
	cs.set_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	/* Addresses are file offsets: branch targets come out in the same space. */
	n = cs.disasm(h, fn->code, fn->size, fn->file_off, 0, &insns);
	for (i = 0; i < n; i++)
		decoded += insns[i].size;
	if (n && decoded != fn->size && !kernel_emulates(&insns[0])) {
		/* Data or padding the decoder cannot follow: targets unknown. */
		out->stop = PROBE_STOP_UNDECODABLE;
		out->stop_at = decoded;
	} else if (n) {
		/* An emulated entry needs nothing else: nothing is stepped over. */
		scan(h, insns, n, fn, out);
	} else {
		out->stop = PROBE_STOP_UNDECODABLE;
	}
	if (insns)
		cs.free_insns(insns, n);
	cs.close_handle(&h);
}

/* Read the executable segments in pieces this large. */
#define CHUNK (1024 * 1024)
/* Bytes of the next piece re-read: a branch may straddle two pieces. */
#define OVERLAP 6

static void mark(struct object_map *m, uint64_t off)
{
	if (off >= m->base && off - m->base < m->len)
		m->bits[(off - m->base) / 8] |= 1u << ((off - m->base) % 8);
}

/* Mark the targets of rel32 jmp (e9), call (e8) and jcc (0f 80-8f) in b. */
static void mark_branches(struct object_map *m, const uint8_t *b, size_t len, uint64_t off)
{
	size_t p;

	for (p = 0; p + 5 <= len; p++) {
		size_t end = p + 5;
		int32_t rel;

		if (b[p] == 0x0f && b[p + 1] >= 0x80 && b[p + 1] <= 0x8f && p + 6 <= len)
			end = p + 6;
		else if (b[p] != 0xe8 && b[p] != 0xe9)
			continue;
		memcpy(&rel, b + end - 4, 4);
		mark(m, off + end + (uint64_t)(int64_t)rel);
	}
}

static int scan_segment(int fd, struct object_map *m, uint64_t off, uint64_t size)
{
	uint8_t *buf = malloc(CHUNK);
	uint64_t done = 0;

	if (!buf)
		return -1;
	while (done < size) {
		size_t want = size - done > CHUNK ? CHUNK : size - done;

		if (pread(fd, buf, want, (off_t)(off + done)) != (ssize_t)want) {
			free(buf);
			return -1;
		}
		mark_branches(m, buf, want, off + done);
		done += want;
		if (done < size)
			done -= OVERLAP;
	}
	free(buf);
	return 0;
}

static void mark_entry(uint64_t file_offset, void *map)
{
	mark(map, file_offset);
}

/*
 * The object's ELF program headers: its executable file range, then the
 * targets of its rel32 branches, and every function symbol: another
 * function entered inside this one's skipped range (an alternate entry)
 * is a branch target too, reached through the PLT of other objects.
 */
static int object_scan(int fd, struct object_map *m)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i, pass;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph))
		return -1;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < eh.e_phnum; i++) {
			off_t at = (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph));

			if (pread(fd, &ph, sizeof(ph), at) != sizeof(ph))
				return -1;
			if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) || !ph.p_filesz)
				continue;
			if (pass == 1) {
				if (scan_segment(fd, m, ph.p_offset, ph.p_filesz))
					return -1;
				continue;
			}
			lo = ph.p_offset < lo ? ph.p_offset : lo;
			hi = ph.p_offset + ph.p_filesz > hi ? ph.p_offset + ph.p_filesz : hi;
		}
		if (pass == 1)
			break;
		if (hi <= lo || hi - lo > OBJECT_TEXT_LIMIT)
			return -1;
		m->base = lo;
		m->len = hi - lo;
		m->bits = calloc((m->len + 7) / 8, 1);
		if (!m->bits)
			return -1;
	}
	return elf_each_func(fd, mark_entry, m) ? -1 : 0;
}

/* The object's targets, scanned once for all its functions. */
static bool object_map_of(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb))
		return false;
	if (object.bits && object.dev == sb.st_dev && object.ino == sb.st_ino)
		return true;
	free(object.bits);
	memset(&object, 0, sizeof(object));
	if (object_scan(fd, &object)) {
		free(object.bits);
		memset(&object, 0, sizeof(object));
		return false;
	}
	object.dev = sb.st_dev;
	object.ino = sb.st_ino;
	return true;
}

void probe_place(int fd, uint64_t file_off, uint64_t size, unsigned int nargs,
		 struct probe_place *out)
{
	struct probe_fn fn = { .size = size > SCAN_LIMIT ? SCAN_LIMIT : size,
			       .file_off = file_off, .nargs = nargs };
	uint8_t *code;

	probe_place_entry(file_off, PROBE_STOP_SIZE_UNKNOWN, out);
	if (!fn.size)
		return;
	out->stop = PROBE_STOP_UNAVAILABLE;
	if (!object_map_of(fd))
		return;
	fn.targets = object.bits;
	fn.targets_base = object.base;
	fn.targets_len = object.len;
	code = malloc(fn.size);
	if (!code)
		return;
	/*
	 * A function cut at SCAN_LIMIT may end mid-instruction: that reads as
	 * undecodable and keeps the entry.  Allocation functions are far smaller.
	 */
	if (pread(fd, code, fn.size, (off_t)file_off) == (ssize_t)fn.size) {
		fn.code = code;
		probe_place_code(&fn, out);
	}
	free(code);
}

void probe_place_describe(const struct probe_place *pl, const char *fn, uint64_t entry,
			  char *buf, size_t len)
{
	uint64_t off = pl->offset - entry;

	if (pl->emulated) {
		snprintf(buf, len, "%s+0x%llx %s (emulated, %u stepped over)", fn,
			 (unsigned long long)off, pl->insn, pl->skipped);
		return;
	}
	if (pl->stop_insn[0])
		snprintf(buf, len, "%s+0x%llx (single-stepped: %s at +0x%llx: %s)", fn,
			 (unsigned long long)off, probe_stop_name(pl->stop),
			 (unsigned long long)pl->stop_at, pl->stop_insn);
	else
		snprintf(buf, len, "%s+0x%llx (single-stepped: %s)", fn,
			 (unsigned long long)off, probe_stop_name(pl->stop));
}
