// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probe placement (see probe_place.h).  Capstone decodes the instructions
 * and tells which registers each one writes; which instructions the kernel
 * emulates is decided on the raw opcode, the way arch/x86/kernel/uprobes.c
 * decides it, so a prefix the kernel would refuse to emulate is never
 * taken for an emulated instruction.
 *
 * Capstone is loaded only while probes are being placed: its decoder
 * tables, once relocated by the dynamic loader, are ~5 MiB of the
 * tracer's RSS, for a decision made when an object is attached.  The
 * static build (make static, CAPSTONE_LINKED) links it in instead: there
 * is no loader to ask, and its tables, already resolved by the linker,
 * stay pages of the file that cost RSS only while they are read.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <capstone/capstone.h>
#include "cli/errors.h"
#include "probes/probe_place.h"

/* Functions larger than this are checked on their first part only. */
#define SCAN_LIMIT (256 * 1024)

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

void probe_place_unload(void)
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
		probe_place_unload();
		return false;
	}
	return true;
}

void probe_place_unload(void)
{
	if (cs.handle)
		dlclose(cs.handle);
	memset(&cs, 0, sizeof(cs));
}
#endif

/*
 * Emulated by the kernel: jmp rel8/rel32, call rel32, jcc rel8/rel32, and
 * push of a general register (with at most a REX.B prefix).  Any other
 * prefix (operand size, segment, bnd...) makes the kernel single-step.
 */
static bool kernel_emulates(const cs_insn *in)
{
	const uint8_t *b = in->bytes;

	switch (in->size) {
	case 1:
		return b[0] >= 0x50 && b[0] <= 0x57;
	case 2:
		if (b[0] == 0xeb || (b[0] >= 0x70 && b[0] <= 0x7f))
			return true;
		return b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57;
	case 5:
		return b[0] == 0xe9 || b[0] == 0xe8;
	case 6:
		return b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f;
	}
	return false;
}

/* Registers a probe program may read at the entry: arguments and sp. */
static bool entry_register(unsigned int reg)
{
	switch (reg) {
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL:
	case X86_REG_DH:
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL:
	case X86_REG_CH:
	case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
	case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
	case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL:
	case X86_REG_RIP:
		return true;
	}
	return false;
}

/*
 * May the probe be placed after this instruction?  Only if running it
 * first changes nothing a probe program looks at: no control transfer,
 * no write to an argument register or the stack pointer, no memory store
 * (it could overwrite the return address or a caller's argument).
 */
static bool harmless_before_probe(csh h, const cs_insn *in)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	const cs_x86 *x = &in->detail->x86;
	unsigned int i;

	for (i = 0; i < in->detail->groups_count; i++) {
		switch (in->detail->groups[i]) {
		case CS_GRP_JUMP: case CS_GRP_CALL: case CS_GRP_RET:
		case CS_GRP_INT: case CS_GRP_IRET: case CS_GRP_PRIVILEGE:
			return false;
		}
	}
	if (x->prefix[0] == X86_PREFIX_LOCK)
		return false;
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_WRITE))
			return false;
	if (cs.regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return false;
	for (i = 0; i < nwr; i++)
		if (entry_register(wr[i]))
			return false;
	return true;
}

/* A direct branch in the function lands in (entry, place]: keep the entry. */
static bool branch_into(const cs_insn *insns, size_t n, uint64_t entry, uint64_t place)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const cs_x86 *x = &insns[i].detail->x86;
		unsigned int g;
		bool branch = false;

		for (g = 0; g < insns[i].detail->groups_count; g++)
			branch |= insns[i].detail->groups[g] == CS_GRP_JUMP ||
				  insns[i].detail->groups[g] == CS_GRP_CALL;
		if (!branch || x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
			continue;
		if ((uint64_t)x->operands[0].imm > entry && (uint64_t)x->operands[0].imm <= place)
			return true;
	}
	return false;
}

static void keep_entry(struct probe_place *out, uint64_t file_off, const char *why)
{
	out->offset = file_off;
	out->skipped = 0;
	out->why = why;
}

void probe_place_code(const uint8_t *code, uint64_t size, uint64_t file_off,
		      struct probe_place *out)
{
	cs_insn *insns = NULL;
	size_t n, i, decoded = 0;
	csh h;

	memset(out, 0, sizeof(*out));
	keep_entry(out, file_off, NULL);
	if (!size) {
		out->why = "function size unknown";
		return;
	}
	if (!capstone_load() || cs.open_handle(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		out->why = "disassembler unavailable";
		return;
	}
	cs.set_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	/* Addresses are file offsets: branch targets come out in the same space. */
	n = cs.disasm(h, code, size, file_off, 0, &insns);
	for (i = 0; i < n; i++)
		decoded += insns[i].size;
	if (!n || decoded != size) {
		/* Data or padding the decoder cannot follow: targets unknown. */
		keep_entry(out, file_off, "code not fully decodable");
		goto out;
	}
	for (i = 0; i < n && i <= PROBE_PLACE_MAX_SKIP; i++) {
		if (kernel_emulates(&insns[i]))
			break;
		if (!harmless_before_probe(h, &insns[i])) {
			keep_entry(out, file_off, "no emulated instruction before the arguments change");
			goto out;
		}
	}
	if (i == n || i > PROBE_PLACE_MAX_SKIP) {
		keep_entry(out, file_off, "no emulated instruction near the entry");
		goto out;
	}
	snprintf(out->insn, sizeof(out->insn), "%s", insns[i].mnemonic);
	out->emulated = true;
	if (i && branch_into(insns, n, file_off, insns[i].address)) {
		keep_entry(out, file_off, "a branch lands among the skipped instructions");
		out->emulated = false;
		goto out;
	}
	out->offset = insns[i].address;
	out->skipped = i;
out:
	if (insns)
		cs.free_insns(insns, n);
	cs.close_handle(&h);
}

void probe_place(int fd, uint64_t file_off, uint64_t size, struct probe_place *out)
{
	uint64_t len = size > SCAN_LIMIT ? SCAN_LIMIT : size;
	uint8_t *code;

	memset(out, 0, sizeof(*out));
	keep_entry(out, file_off, "function size unknown");
	if (!len)
		return;
	code = malloc(len);
	if (!code) {
		out->why = "out of memory";
		return;
	}
	if (pread(fd, code, len, (off_t)file_off) != (ssize_t)len) {
		out->why = "cannot read the function's code";
		free(code);
		return;
	}
	/*
	 * A function cut at SCAN_LIMIT may end mid-instruction: decode only
	 * whole instructions by treating a partial tail as undecodable, which
	 * keeps the entry.  Allocation functions are far smaller.
	 */
	probe_place_code(code, len, file_off, out);
	free(code);
}
