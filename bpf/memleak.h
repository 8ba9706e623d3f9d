/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the BPF programs (the .bpf.c files in bpf/) and user space.
 *
 * Data flow: the BPF side keeps one record per live allocation (allocs)
 * and running totals per (process, stack, kind) (stack_totals), both updated
 * on every allocation and free, so a report only reads the totals unless an
 * age filter asks for the individual records.
 */
#ifndef MEMLEAK_H
#define MEMLEAK_H

/* Deepest user stack recorded; the kernel's default perf_event_max_stack. */
#define MEMLEAK_MAX_STACK_DEPTH 127

/* Upper bound on processes traced at once (traced_pids map). */
#define MEMLEAK_MAX_PIDS 4096

/* stack_id used when no stack could be recorded (map full or collision). */
#define MEMLEAK_STACK_LOST (-1)

/*
 * The x86-64 syscalls that map memory: the BPF side tells them apart by
 * these numbers at the raw syscall tracepoints, and user space gives them as
 * the cookie of the probe on each C library wrapper (user/probes/attach.c).
 * vmlinux.h carries no __NR_* values, so both sides take them from here.
 */
#define MEMLEAK_NR_MMAP 9
#define MEMLEAK_NR_MUNMAP 11
#define MEMLEAK_NR_BRK 12
#define MEMLEAK_NR_MREMAP 25

/*
 * User stacks unwound by the BPF side (bpf/unwind.bpf.c) from compact CFI
 * tables that user space builds per object (user/unwind/unwind_tables.c).
 *
 * A stack is stored as MEMLEAK_MAX_STACK_DEPTH u64 return addresses, like
 * the kernel's stack maps, zero-terminated; when the walk stopped before
 * the outermost frame, the word after the last frame is
 * MEMLEAK_FRAME_TRUNCATED (no user address looks like it).
 */
#define MEMLEAK_FRAME_TRUNCATED (~0ULL)

/* Objects with a loaded table, at most (unwind_objects). */
#define MEMLEAK_UNWIND_MAX_OBJECTS 4096

/* Code ranges remembered per process, to skip the VMA lookup while no
 * mapping changed and for when it is refused; 56 bytes each (key and
 * value), preallocated. */
#define MEMLEAK_UNWIND_RANGE_CACHE 8192
#define MEMLEAK_UNWIND_RANGE_CACHE_ENTRY_BYTES 56

/* How a row finds the caller's frame. */
enum memleak_unwind_cfa {
	MEMLEAK_CFA_RSP = 0,     /* CFA = rsp + cfa_off */
	MEMLEAK_CFA_RBP,         /* CFA = rbp + cfa_off */
	MEMLEAK_CFA_OUTERMOST,   /* the return address is undefined: _start, clone */
	MEMLEAK_CFA_NONE,        /* no CFI covers this code: frame-pointer rule */
	MEMLEAK_CFA_UNSUPPORTED, /* a DWARF expression (PLT stubs): the walk stops */
};

/* Where the caller's rbp is. */
enum memleak_unwind_rbp {
	MEMLEAK_RBP_SAME = 0,    /* unchanged by this frame */
	MEMLEAK_RBP_AT_CFA,      /* saved at CFA + rbp_off */
};

/*
 * One row of an object's table: from pc (an ELF virtual address, i.e. the
 * runtime address minus the load bias) up to the next row's pc, this rule
 * gives the caller's frame.  The return address is always at CFA - 8.
 * Eight bytes a row: x86-64 keeps the stack 8-byte aligned, so offsets are
 * stored in 8-byte units (a rule that does not fit is UNSUPPORTED).
 */
struct memleak_unwind_row {
	__u32 pc;
	__u16 cfa_off8;   /* CFA = reg + 8 * cfa_off8 */
	__s8 rbp_off8;    /* MEMLEAK_RBP_AT_CFA: rbp saved at CFA + 8 * rbp_off8 */
	__u8 rule;        /* enum memleak_unwind_cfa | enum memleak_unwind_rbp << 4 */
};

#define MEMLEAK_ROW_CFA(r) ((r)->rule & 0xf)
#define MEMLEAK_ROW_RBP(r) ((r)->rule >> 4)

/*
 * Objects are known to the BPF walker by the file its code is mapped from
 * (the VMA's inode), so no per-process list of mappings is needed and a
 * process's first instructions after exec or dlopen already find the
 * tables built for its files.  dev is the kernel's encoding (major << 20 |
 * minor), as in inode->i_sb->s_dev.
 */
struct memleak_unwind_obj_key {
	__u64 dev;
	__u64 ino;
};

#define MEMLEAK_UNWIND_MAX_SEGS 4

/* An object's rows and how its executable segments map file offsets. */
struct memleak_unwind_object {
	__u32 first_row;      /* in unwind_rows */
	__u32 nrows;
	__u32 nsegs;
	__u32 pad;
	struct {
		__u64 offset;     /* p_offset */
		__u64 vaddr;      /* p_vaddr */
		__u64 filesz;
	} segs[MEMLEAK_UNWIND_MAX_SEGS];
};

/* How stacks are taken (--unwind). */
enum memleak_unwind_mode {
	MEMLEAK_UNWIND_FP = 0,   /* BPF walk by frame pointers alone */
	MEMLEAK_UNWIND_DWARF,    /* BPF walk: CFI tables for every object that has CFI */
	MEMLEAK_UNWIND_AUTO,     /* BPF walk: tables for objects without frame pointers */
	MEMLEAK_UNWIND_FP_KERNEL, /* the kernel's frame-pointer walker, bpf_get_stackid
				   * (benchmark: 6x the cost of our walk, bench/unwind.sh) */
};

/* What kind of memory a record describes. */
enum memleak_kind {
	MEMLEAK_KIND_MALLOC = 0, /* malloc family and free */
	MEMLEAK_KIND_MMAP = 1,   /* anonymous mappings (reserved) */
	MEMLEAK_KIND_BRK = 2,    /* heap growth through brk (reserved) */
	MEMLEAK_KIND_KMALLOC = 3, /* -k: kmalloc family (kmem:kmalloc/kfree) */
	MEMLEAK_KIND_SLAB = 4,   /* -k: kmem_cache_alloc/free; stack word 0 = the cache */
	MEMLEAK_KIND_PAGE = 5,   /* -k: mm_page_alloc/free, PAGE_SIZE << order */
	MEMLEAK_KIND_PERCPU = 6, /* -k: percpu_alloc_percpu/free_percpu */
	MEMLEAK_KIND__MAX,
};

/* A kind of kernel memory (-k), recorded in kallocs. */
#define MEMLEAK_KIND_IS_KERNEL(k) ((k) >= MEMLEAK_KIND_KMALLOC && (k) < MEMLEAK_KIND__MAX)

/*
 * Kernel allocations (-k).  Their stacks are stored like user stacks, in
 * one array of words: at most MEMLEAK_MAX_KERNEL_DEPTH kernel return
 * addresses (innermost first; every one >= MEMLEAK_KERNEL_ADDR_MIN), then
 * the user stack of the thread that entered the kernel.  A slab stack
 * starts with one more word, the struct kmem_cache pointer, so the cache
 * is part of the key; its name is in kcache_names.
 */
#define MEMLEAK_MAX_KERNEL_DEPTH 48
#define MEMLEAK_KERNEL_ADDR_MIN 0xffff800000000000ULL
#define MEMLEAK_SLAB_NAME_LEN 32
#define MEMLEAK_MAX_SLAB_CACHES 1024

/* Allocation functions; the entry program records which one is pending. */
enum memleak_fn {
	MEMLEAK_FN_MALLOC = 0,
	MEMLEAK_FN_CALLOC,
	MEMLEAK_FN_REALLOC,
	MEMLEAK_FN_REALLOCARRAY,
	MEMLEAK_FN_POSIX_MEMALIGN,
	MEMLEAK_FN_ALIGNED_ALLOC,
	MEMLEAK_FN_MEMALIGN,
	MEMLEAK_FN_VALLOC,
	MEMLEAK_FN_PVALLOC,
	MEMLEAK_FN_FREE,
	MEMLEAK_FN__MAX,
};

/* Counters in the per-CPU stats array; every loss has its own slot. */
enum memleak_stat {
	MEMLEAK_STAT_ALLOCS = 0,        /* allocations recorded */
	MEMLEAK_STAT_FREES,             /* frees of recorded allocations */
	MEMLEAK_STAT_UNKNOWN_FREES,     /* frees of addresses never recorded */
	MEMLEAK_STAT_FAILED_ALLOCS,     /* allocator returned NULL / error */
	MEMLEAK_STAT_ALLOC_MAP_FULL,    /* allocations not recorded: allocs full */
	MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES,
	MEMLEAK_STAT_STACK_MAP_FULL,    /* stack not recorded: stack map full */
	MEMLEAK_STAT_STACK_COLLISION,   /* stack not recorded: hash collision */
	MEMLEAK_STAT_TOTALS_FULL,       /* stack_totals full: bytes not ranked */
	MEMLEAK_STAT_STALE_REPLACED,    /* address reused before its free was seen */
	MEMLEAK_STAT_NESTED_CALLS,      /* allocator calls inside another (ignored) */
	MEMLEAK_STAT_PENDING_LOST,      /* no per-thread state: call not followed */
	MEMLEAK_STAT_EVENTS_LOST,       /* ring buffer full: mapping event dropped */
	MEMLEAK_STAT_RETURNS_LOST,      /* sampled call whose return was never seen */
	MEMLEAK_STAT_AGGREGATE_FULL,    /* age-filtered report summed in user space
					 * instead: aged_totals full (aggregate_types.h) */
	MEMLEAK_STAT__MAX,
};

/*
 * A traced process: its tgid and a generation, taken from a global counter
 * when tracing of the tgid starts and again at each exec.  Records are
 * keyed by both, so a reused pid or a new image never merges with the old
 * one's data, and the old one's records can be dropped without a race.
 */
struct proc_id {
	__u32 tgid;
	__u32 gen;
};

/* Key of a live allocation: the same address in two processes differs. */
struct alloc_key {
	__u32 tgid;
	__u32 gen;
	__u64 addr;
};

/* One live allocation. */
struct alloc_info {
	__u64 size;
	__u64 ts_ns;      /* bpf_ktime_get_ns() at the allocation (CLOCK_MONOTONIC) */
	__s32 stack_id;   /* in stack_traces, or MEMLEAK_STACK_LOST */
	__u32 kind;       /* enum memleak_kind */
};

/*
 * One live kernel allocation (-k), keyed by its address alone: a kernel
 * object is freed by whatever context frees it (an RCU callback, a
 * kworker), so the free knows only the address.  The owner is in the value.
 */
struct kalloc_info {
	struct alloc_info info;
	__u32 tgid;       /* the process it was allocated for */
	__u32 gen;
};

/* Key of the running totals: stack ids only mean something within a process. */
struct stack_key {
	__u32 tgid;
	__s32 stack_id;
	__u32 kind;
	__u32 gen;
};

/*
 * Outstanding memory of one stack (bytes, count), and everything it has
 * allocated since its process was attached (alloc_*: only ever grows, the
 * pprof alloc_space/alloc_objects view); 64-bit, so no overflow below 16 EiB.
 */
struct stack_total {
	__u64 bytes;
	__u64 count;
	__u64 alloc_bytes;
	__u64 alloc_count;
};

/* Events sent to user space through the ring buffer (rare: not malloc). */
enum memleak_event_type {
	MEMLEAK_EV_MMAP = 1,    /* addr, len: a new anonymous mapping */
	MEMLEAK_EV_MUNMAP,      /* addr, len */
	MEMLEAK_EV_MREMAP,      /* old_addr, old_len -> addr, len */
	MEMLEAK_EV_BRK,         /* old_addr (previous break) -> addr (new break) */
	MEMLEAK_EV_OOM_VICTIM,  /* tgid chosen by the OOM killer; len = anon rss bytes,
				 * old_addr = kernfs id of its memory cgroup */
	MEMLEAK_EV_FORK,        /* tgid forked by traced old_addr (= parent tgid) */
	MEMLEAK_EV_EXEC,        /* traced tgid exec'd a new image */
	MEMLEAK_EV_MATCHED,     /* tgid exec'd into --comm/--cgroup: traced from now */
	MEMLEAK_EV_EXIT,        /* traced tgid exited (the whole process) */
};

/*
 * Mapping changes are kept as address ranges in user space: munmap and
 * mremap may cut any part of any number of mappings, which is interval
 * arithmetic the kernel side has no business doing per event.
 */
struct memleak_event {
	__u32 type;        /* enum memleak_event_type */
	__u32 tgid;
	__u32 tid;
	__s32 stack_id;    /* or MEMLEAK_STACK_LOST */
	__u64 addr, len;
	__u64 old_addr, old_len;
	__u64 caller;      /* word at the user stack pointer at syscall entry:
			    * the return address when a leaf wrapper made the call */
	__u64 ts_ns;
	__u32 flags;       /* mmap flags */
	__u8 backing;      /* issued inside an allocator call: its backing memory */
	__u8 pad[3];
	__u32 gen;         /* the process's generation (exec: the new one) */
	__u32 view_tgid;   /* FORK, MATCHED: the new process's pid in the
			    * tracer's pid namespace (0: the host's) */
};

/* A process's host tgid and its pid in the tracer's pid namespace (pidns.bpf.c). */
struct memleak_pid_pair {
	__u32 host;
	__u32 view;
};

/*
 * Script frames (Python, PHP, LuaJIT): where a traced process runs a known interpreter,
 * the stack walker (bpf/unwind.bpf.c) reads the running thread's script
 * frames too and stores them after the native part of the stack:
 *
 *	native frames..., [MEMLEAK_FRAME_TRUNCATED], 0, header, word...
 *
 * header (MEMLEAK_SCRIPT_HEADER) says the runtime, how many words follow
 * and whether frames were left unread; 0 there: no script frames.  Each
 * word is one frame, innermost first: the code object's address (PHP:
 * the zend_function's; LuaJIT: the GCproto's), where in it (Python: the
 * instruction offset in code units; PHP: the line; LuaJIT: the bytecode
 * position; plus 1, 0: unknown; LuaJIT's innermost word may be the
 * compiled trace running, marked MEMLEAK_SCRIPT_OFF_MAX) and whether the frame is
 * the first one its eval-loop call runs (where the native eval-loop frame
 * is, user/scripts/ interleaves).  User space resolves code objects to
 * names, files and lines (user/scripts/).
 */
#define MEMLEAK_SCRIPT_MAX_FRAMES 32

enum memleak_runtime {
	MEMLEAK_RUNTIME_NATIVE = 0,
	MEMLEAK_RUNTIME_PYTHON = 1,
	MEMLEAK_RUNTIME_PHP = 2,
	MEMLEAK_RUNTIME_LUA = 3,
};

#define MEMLEAK_SCRIPT_MAGIC 0x5c00000000000000ULL
#define MEMLEAK_SCRIPT_MAGIC_MASK 0xff00000000000000ULL
#define MEMLEAK_SCRIPT_HEADER(runtime, count, truncated) \
	(MEMLEAK_SCRIPT_MAGIC | (__u64)(runtime) << 16 | (__u64)!!(truncated) << 8 | (count))
#define MEMLEAK_SCRIPT_HDR_RUNTIME(h) (((h) >> 16) & 0xff)
#define MEMLEAK_SCRIPT_HDR_COUNT(h) ((h) & 0xff)
#define MEMLEAK_SCRIPT_HDR_TRUNCATED(h) (((h) >> 8) & 1)

#define MEMLEAK_SCRIPT_OFF_BITS 19
#define MEMLEAK_SCRIPT_OFF_MAX ((1ULL << MEMLEAK_SCRIPT_OFF_BITS) - 1)
#define MEMLEAK_SCRIPT_WORD(code, off1, entry) \
	((__u64)!!(entry) << 63 | ((__u64)(code) >> 3) << MEMLEAK_SCRIPT_OFF_BITS | (off1))
#define MEMLEAK_SCRIPT_WORD_CODE(w) \
	((((w) & ~(1ULL << 63)) >> MEMLEAK_SCRIPT_OFF_BITS) << 3)
#define MEMLEAK_SCRIPT_WORD_OFF1(w) ((w) & MEMLEAK_SCRIPT_OFF_MAX)
#define MEMLEAK_SCRIPT_WORD_ENTRY(w) ((w) >> 63)

/*
 * How to find a traced process's script frames (script_procs, by tgid):
 * the interpreter's state and the struct offsets of its version, from its
 * debug information or the version table (user/scripts/py_offsets.c,
 * user/scripts/php_offsets.c), one layout per runtime.
 */
struct memleak_py_layout {
	__u16 tstate_current;    /* _PyRuntime.gilstate.tstate_current */
	__u16 interp_head;       /* _PyRuntime.interpreters.head */
	__u16 interp_threads;    /* PyInterpreterState.threads.head */
	__u16 tstate_next;       /* PyThreadState.next */
	__u16 tstate_thread_id;  /* PyThreadState.thread_id (pthread_self) */
	__u16 tstate_cframe;     /* PyThreadState.cframe */
	__u16 cframe_frame;      /* _PyCFrame.current_frame */
	__u16 frame_code;        /* _PyInterpreterFrame.f_code */
	__u16 frame_previous;    /* _PyInterpreterFrame.previous */
	__u16 frame_prev_instr;  /* _PyInterpreterFrame.prev_instr */
	__u16 frame_is_entry;    /* _PyInterpreterFrame.is_entry */
	__u16 code_adaptive;     /* PyCodeObject.co_code_adaptive */
};

/* PHP (Zend engine 4.2), non-ZTS: executor_globals is one global. */
struct memleak_php_layout {
	__u16 eg_current;        /* zend_executor_globals.current_execute_data */
	__u16 ex_opline;         /* zend_execute_data.opline */
	__u16 ex_func;           /* zend_execute_data.func */
	__u16 ex_call_info;      /* zend_execute_data.This.u1.type_info */
	__u16 ex_prev;           /* zend_execute_data.prev_execute_data */
	__u16 fn_type;           /* zend_function.type */
	__u16 op_lineno;         /* zend_op.lineno */
	__u16 pad;
	__u32 call_top;          /* ZEND_CALL_TOP: a frame an execute_ex call began with */
	__u32 user_function;     /* ZEND_USER_FUNCTION: a frame running PHP code */
};

/*
 * LuaJIT 2.1, GC64 (user/scripts/lua.c): runtime_addr is the process's
 * global_State; the walk is bpf/script_lua.bpf.c's.
 */
struct memleak_lua_layout {
	__u16 g_cur_L;           /* global_State.cur_L: the running coroutine */
	__u16 g_jit_base;        /* global_State.jit_base: set while a trace runs */
	__u16 g_vmstate;         /* global_State.vmstate: > 0 the trace number */
	__u16 g_trace;           /* (GG_State.J - GG_State.g) + jit_State.trace */
	__u16 g_sizetrace;       /* (GG_State.J - GG_State.g) + jit_State.sizetrace */
	__u16 trace_startpc;     /* GCtrace.startpc */
	__u16 l_base;            /* lua_State.base */
	__u16 l_stack;           /* lua_State.stack */
	__u16 l_maxstack;        /* lua_State.maxstack */
	__u16 l_cframe;          /* lua_State.cframe */
	__u16 cframe_l;          /* the C frame's saved L (CFRAME_OFS_L) */
	__u16 cframe_pc;         /* its saved bytecode position (CFRAME_OFS_PC) */
	__u16 fn_gct;            /* GCfunc's type byte */
	__u16 fn_ffid;           /* GCfunc.ffid: 0 = a Lua function */
	__u16 fn_pc;             /* GCfuncL.pc: its first instruction */
	__u16 proto_size;        /* sizeof(GCproto): the bytecode follows it */
};

struct memleak_script_proc {
	__u32 gen;               /* the process generation it was found in */
	__u32 runtime;           /* enum memleak_runtime */
	__u64 runtime_addr;      /* &_PyRuntime, &executor_globals in the process */
	union {
		struct memleak_py_layout py;
		struct memleak_php_layout php;
		struct memleak_lua_layout lua;
	};
};

#endif /* MEMLEAK_H */
