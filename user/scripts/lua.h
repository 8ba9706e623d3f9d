/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * LuaJIT 2.1 in a traced process (OpenResty's nginx Lua module, any
 * program linking libluajit-5.1.so): its global_State found from outside,
 * the offsets the BPF walk needs (bpf/script_lua.bpf.c), and function
 * prototypes read through /proc/PID/mem for chunk names, lines and the
 * names callers gave the functions they called.
 */
#ifndef MEMLEAK_LUA_H
#define MEMLEAK_LUA_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "memleak.h"
#include "scripts/runtime.h"

struct lua_info {
	uint64_t global_state;      /* the process's global_State */
	uint64_t vm_start, vm_end;  /* the interpreter's machine code; 0: unknown */
	struct memleak_lua_layout off;
	char module[PATH_MAX];      /* libluajit as the process maps it */
};

/*
 * Look for LuaJIT in what pid maps.  1: found, *info filled; 0: none, or
 * no Lua state found (yet: info->module is set then); other -errno:
 * unreadable.  (lua_runtime's detect looks again a bounded number of
 * times before it says -ENOTSUP.)
 */
int lua_detect(pid_t pid, struct lua_info *info);

/* A function prototype (GCproto) as read from the process. */
struct lua_proto {
	char chunk[512];            /* its chunk: a file, or the name it was loaded under */
	int firstline, numline;     /* numline: lines it spans */
	uint32_t sizebc;            /* bytecode instructions */
	uint64_t chunk_addr, lineinfo_addr; /* to tell reuse */
	uint8_t *lineinfo;          /* malloc'ed; NULL: no lines */
	size_t lineinfo_len;
};

/*
 * Read and check the prototype at addr through mem (an fd of
 * /proc/PID/mem).  with_strings: the chunk name and line map too, else
 * only what tells the object.  0 or -errno (-EINVAL: no prototype now).
 */
int lua_read_proto(int mem, uint64_t addr, struct lua_proto *pt, bool with_strings);

/* The source line of bytecode position pos in pt; 0: unknown. */
int lua_proto_line(const struct lua_proto *pt, uint32_t pos);

/*
 * The name under which the function was called by the instruction at
 * position pos of the prototype at caller (a global, a field, a method,
 * an upvalue or local), as LuaJIT's tracebacks name it: true and buf set
 * when the bytecode says.
 */
bool lua_callee_name(int mem, uint64_t caller, uint32_t pos, char *buf, size_t len);

#endif
