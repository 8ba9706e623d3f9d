/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Script frames of the current thread (script.bpf.c), for the stack
 * walker: a global function the linker resolves.
 */
#ifndef MEMLEAK_SCRIPT_BPF_H
#define MEMLEAK_SCRIPT_BPF_H

#include "shared.bpf.h"

/*
 * Read the current thread's script frames, if process (tgid, gen) runs an
 * interpreter user space described in script_procs, into script_scratch.
 * Returns their MEMLEAK_SCRIPT_HEADER, or 0 when there are none.
 */
__u64 script_read(__u32 tgid, __u32 gen);

/* Process child (generation gen) forked from parent: it runs the same interpreter. */
int script_inherit(__u32 parent, __u32 child, __u32 gen);

/*
 * The same for a LuaJIT process whose entry is c (script_lua.bpf.c);
 * script_read calls it for MEMLEAK_RUNTIME_LUA.
 */
__u64 script_read_lua(const struct memleak_script_proc *c);

#endif /* MEMLEAK_SCRIPT_BPF_H */
