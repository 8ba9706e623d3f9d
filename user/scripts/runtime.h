/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One interpreter family whose script frames the tracer reads (Python,
 * PHP, LuaJIT): how it is found in a process, what the BPF side needs to walk its
 * frames (struct memleak_script_proc), which native function is its eval
 * loop, and how a frame's code object becomes a name, file and line.
 * scripts.c holds the table and does the rest the same for all.
 */
#ifndef MEMLEAK_SCRIPT_RUNTIME_H
#define MEMLEAK_SCRIPT_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct memleak_script_proc;

/* A code object (PHP: a function) as read from the process. */
struct script_code {
	char qualname[256];
	char filename[512];
	int firstlineno;
	/* What tells the object from a reused address: compared at each report. */
	uint64_t qualname_addr, filename_addr, linetable_addr;
	uint8_t *linetable;   /* malloc'ed; NULL: lines come with the frame */
	size_t linetable_len;
};

struct script_runtime {
	unsigned int id;         /* enum memleak_runtime */
	const char *name;        /* "python": frames' runtime in every output */
	size_t info_size;        /* what detect fills, kept per process */
	/*
	 * Look for the interpreter in what pid maps.  1: found, info filled,
	 * what (one line: version, module, where the offsets come from);
	 * 0: none; -ENOTSUP: one of a version without a known layout, what
	 * says which; other -errno: unreadable.
	 */
	int (*detect)(pid_t pid, void *info, char *what, size_t len);
	/* The BPF side's entry (gen set by the caller). */
	void (*bpf_entry)(const void *info, struct memleak_script_proc *v);
	/* Is addr (a return address) in the eval loop's code? */
	bool (*in_eval)(const void *info, uint64_t addr);
	/*
	 * The code object at addr through mem (/proc/PID/mem).  with_strings:
	 * names and line table too, else only what tells it.  0, -EFAULT
	 * (unreadable: the process is gone) or -EINVAL (not one now).
	 */
	int (*read_code)(int mem, const void *info, uint64_t addr, struct script_code *c,
			 bool with_strings);
	/* The line a frame at off1 (memleak.h) runs, in a code object read before; 0: unknown. */
	int (*line)(int firstlineno, const uint8_t *linetable, size_t linetable_len, uint64_t off1);
	/*
	 * Optional (LuaJIT, whose functions have no name of their own): the
	 * name the calling frame (its code object and off1) gave the function
	 * it called, into buf.  False: none; the code object's name stands.
	 */
	bool (*caller_name)(int mem, const void *info, uint64_t caller_code, uint64_t caller_off1,
			    char *buf, size_t len);
	/*
	 * Optional (LuaJIT: a compiled trace's inlined functions): the words
	 * as they are to be shown, from the count stored and the stack's n
	 * native addresses, into out (at most cap); returns how many.
	 */
	size_t (*expand)(int mem, const void *info, const uint64_t *words, size_t count,
			 const uint64_t *native, size_t n, uint64_t *out, size_t cap);
};

extern const struct script_runtime python_runtime;
extern const struct script_runtime php_runtime;
extern const struct script_runtime lua_runtime;

/* pread of exactly len bytes at addr: 0, -errno or -EIO when cut short. */
int script_read_mem(int mem, uint64_t addr, void *buf, size_t len);

#endif
