/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a uprobe goes inside a function.  A uprobe replaces one instruction
 * with a breakpoint; after the BPF program ran, the kernel either emulates
 * that instruction or single-steps a copy of it out of line, which costs
 * ~40 times more here (~0.7 us against ~25-30 us).  Linux 6.18 emulates
 * relative jumps, calls and conditional jumps, pushes of a general
 * register and its canonical nops (arch/x86/kernel/uprobes.c); probe_place.c
 * says exactly which encodings.
 *
 * So a probe moves forward from the entry to the first instruction the
 * kernel emulates, when every instruction stepped over leaves alone what
 * the function's probe reads:
 *  - the argument registers its entry program reads (nargs, allocators.h),
 *  - the stack pointer and memory: the program keys the call on sp, the
 *    return probe (and sampled mode) reads the return address at [sp],
 *  - rbp, the frame-pointer walk's start.  Stacks are taken at the return
 *    probe, in the caller, where a moved entry probe changes nothing; were
 *    one taken at the entry (unwind.bpf.h, at_entry), the frame would
 *    still be the entry's: the return address at [sp], the caller's rbp
 *    (callee-saved, so never written before it is pushed), and the CFI row
 *    of every instruction before the first push is the entry's one,
 *    CFA = sp + 8.
 * No direct branch may land among the stepped-over instructions or on the
 * probed one: the probe would fire without a call, or miss one.
 */
#ifndef MEMLEAK_PROBE_PLACE_H
#define MEMLEAK_PROBE_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Instructions stepped over at most: a bound on the scan, not a rule. */
#define PROBE_PLACE_MAX_SKIP 64

/*
 * Why the scan stopped where it did: PROBE_STOP_EMULATED when the probe
 * sits on an emulated instruction, any other reason keeps the entry (-vv
 * prints probe_stop_name()).
 */
enum probe_stop {
	PROBE_STOP_EMULATED,       /* found an instruction the kernel emulates */
	PROBE_STOP_WRITES_ARG,     /* writes an argument register the probe reads */
	PROBE_STOP_WRITES_SP,      /* moves the stack pointer (not by an emulated push) */
	PROBE_STOP_WRITES_FP,      /* writes rbp */
	PROBE_STOP_WRITES_MEMORY,  /* a store, atomic or string operation */
	PROBE_STOP_BRANCH,         /* a control transfer the kernel single-steps */
	PROBE_STOP_SYSTEM,         /* syscall, trap or privileged instruction */
	PROBE_STOP_UNLISTED,       /* not known to be harmless: not stepped over */
	PROBE_STOP_BRANCH_TARGET,  /* a branch lands among the skipped instructions */
	PROBE_STOP_LIMIT,          /* PROBE_PLACE_MAX_SKIP instructions */
	PROBE_STOP_END,            /* the function ended first */
	PROBE_STOP_UNDECODABLE,    /* bytes the decoder cannot follow */
	PROBE_STOP_SIZE_UNKNOWN,   /* the symbol has no size */
	PROBE_STOP_UNAVAILABLE,    /* no disassembler, or the code cannot be read */
	PROBE_STOP_DISABLED,       /* --probe-at-entry */
};

struct probe_place {
	uint64_t offset;          /* file offset for the probe */
	unsigned int skipped;     /* instructions stepped over (0 = entry) */
	bool emulated;            /* the probed instruction is emulated */
	char insn[32];            /* its mnemonic */
	enum probe_stop stop;
	uint64_t stop_at;         /* offset in the function of the instruction that stopped it */
	char stop_insn[48];       /* that instruction, for -vv */
};

/* What a probe reads of a function, and where the rest of its object jumps. */
struct probe_fn {
	const uint8_t *code;      /* the function's bytes; code[0] is its entry */
	uint64_t size;            /* st_size (bytes in code) */
	uint64_t file_off;        /* file offset of the entry */
	unsigned int nargs;       /* argument registers read: 1 = rdi, 2 = +rsi ... 6 */
	/*
	 * Where rel32 jumps and calls anywhere in the object land: bit i of
	 * targets is file offset targets_base + i (NULL: nowhere).
	 */
	const uint8_t *targets;
	uint64_t targets_base, targets_len;
};

/*
 * Choose the probe offset for the function at file_off (st_size size) in
 * the object open at fd, whose probe reads nargs argument registers.
 * Never fails: whenever in doubt the entry is kept and stop says why.
 */
void probe_place(int fd, uint64_t file_off, uint64_t size, unsigned int nargs,
		 struct probe_place *out);

/* The same decision on code already in memory (unit tests). */
void probe_place_code(const struct probe_fn *fn, struct probe_place *out);

/* An entry probe chosen by the user (--probe-at-entry). */
void probe_place_entry(uint64_t file_off, enum probe_stop why, struct probe_place *out);

/* "writes-arg-reg", "branch-target", ... */
const char *probe_stop_name(enum probe_stop stop);

/*
 * "free+0x30 jne (emulated, 9 stepped over)" or "malloc+0 (single-stepped:
 * writes-arg-reg at +0x3: mov rdi, rax)", for -vv.
 */
void probe_place_describe(const struct probe_place *pl, const char *fn, uint64_t entry,
			  char *buf, size_t len);

/*
 * Unload the disassembler and forget the object scanned last, which the
 * first probe_place() after loads again (~10 ms).  Call when a round of
 * attaching is over.
 */
void probe_place_unload(void);

#endif
