// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memory that does not go through malloc: mmap, munmap, mremap and brk,
 * seen at the C library's wrappers (uprobes, trapping only when a traced
 * process maps memory) or, with --syscalls or in a program without
 * wrappers, at the raw syscall tracepoints.  Each call is sent to user
 * space as an event (events.bpf.h), where mappings are kept as address
 * ranges: munmap and mremap may cut any part of any number of them.
 *
 * Arguments wait in the thread's pending state (struct map_call) for the
 * result.  A call made inside an allocator call (alloc.bpf.c's outer call)
 * is marked as that allocator's backing memory.
 */
#include "shared.bpf.h"
#include "events.bpf.h"
#include "unwind.bpf.h"

#define MAP_ANONYMOUS 0x20
#define PAGE_UP(x) (((x) + PAGE_SIZE_ - 1) & ~(PAGE_SIZE_ - 1))
#define MAX_ERRNO 4095

static __always_inline bool is_mem_syscall(long id)
{
	return id == MEMLEAK_NR_MMAP || id == MEMLEAK_NR_MUNMAP || id == MEMLEAK_NR_BRK ||
	       id == MEMLEAK_NR_MREMAP;
}

/* File mappings are page cache, not leaks; fd -1 or MAP_ANONYMOUS is anon. */
static __always_inline bool anon_mapping(__u64 flags, __u64 fd)
{
	return (flags & MAP_ANONYMOUS) || (__s32)fd == -1;
}

/*
 * Entry of a mapping call, seen at a syscall or at a libc wrapper: the
 * arguments (in the syscall's order) wait in the thread's slot for the
 * result.  The old break is read from the kernel: wrappers and syscall
 * disagree on what brk returns, mm->brk is the truth for both.
 */
static __always_inline void begin_map_call(struct pending_call *p, long nr, __u64 sp,
					   __u64 addr, __u64 len, __u64 arg2, __u64 flags)
{
	struct map_call *m = &p->map;

	m->nr = nr;
	m->backing = inside_outer_call(&p->outer, sp, bpf_ktime_get_ns());
	m->args[0] = addr;
	m->args[1] = len;
	m->args[2] = arg2;
	m->flags = flags;
	m->stack = MEMLEAK_STACK_LOST;
	if (nr == MEMLEAK_NR_BRK) {
		struct task_struct *task = bpf_get_current_task_btf();

		m->args[1] = BPF_CORE_READ(task, mm, brk); /* the break before */
	}
	/* The caller's return address, for the frame-pointer walk (user/analyze/analysis.c). */
	m->caller = 0;
	bpf_probe_read_user(&m->caller, sizeof(m->caller), (void *)sp);
}

/* The thread's slot, created if need be; NULL (counted) if none can be had. */
static __always_inline struct pending_call *map_call_slot(void)
{
	struct pending_call *p = pending_get(true);

	if (!p)
		stat_add(MEMLEAK_STAT_PENDING_LOST, 1);
	return p;
}

/*
 * Raw syscall tracepoints need no tracefs, but while attached they put
 * every syscall of the host on the slow path: only --syscalls (or a target
 * without libc wrappers) uses them.  The syscall number is checked first.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct pending_call *p;

	if (!is_mem_syscall(id))
		return 0;
	if (!pid_traced(bpf_get_current_pid_tgid() >> 32))
		return 0;
	/*
	 * Inside a probed wrapper the wrapper's probes report the call: the
	 * stack is theirs (here the return address is already the uretprobe
	 * trampoline's).
	 */
	p = map_call_slot();
	if (!p || (p->map.nr == id && p->map.wrapper))
		return 0;
	begin_map_call(p, id, regs->sp, regs->di, regs->si,
		       id == MEMLEAK_NR_MREMAP ? regs->dx : regs->r8, /* new_len / mmap fd */
		       regs->r10);
	p->map.wrapper = 0;
	return 0;
}

/* The call succeeded with result ret (an address, or the new break). */
static __always_inline void end_map_call(void *ctx, const struct map_call *m, __u32 tgid,
					 __s32 nr, __u64 ret)
{
	switch (nr) {
	case MEMLEAK_NR_MMAP:
		if (!anon_mapping(m->flags, m->args[2]))
			return;
		send_event(ctx, m, MEMLEAK_EV_MMAP, tgid, ret, PAGE_UP(m->args[1]), 0, 0);
		break;
	case MEMLEAK_NR_MUNMAP:
		send_event(ctx, m, MEMLEAK_EV_MUNMAP, tgid, m->args[0], PAGE_UP(m->args[1]), 0, 0);
		break;
	case MEMLEAK_NR_MREMAP:
		send_event(ctx, m, MEMLEAK_EV_MREMAP, tgid, ret, PAGE_UP(m->args[2]),
			   m->args[0], PAGE_UP(m->args[1]));
		break;
	case MEMLEAK_NR_BRK:
		if (ret != m->args[1])
			send_event(ctx, m, MEMLEAK_EV_BRK, tgid, ret, 0, m->args[1], 0);
		break;
	}
}

/* Stacks matter for what maps memory; munmap's is never used. */
static __always_inline bool map_call_has_stack(__s32 nr)
{
	return nr != MEMLEAK_NR_MUNMAP;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct pending_call *p;
	struct map_call *m;
	__u32 tgid;
	__s32 nr;

	/* Every syscall of the host comes here: the cheapest test first. */
	if (!is_mem_syscall(regs->orig_ax))
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	p = pending_get(false);
	if (!p || !p->map.nr)
		return 0;
	m = &p->map;
	if (m->wrapper)
		return 0;
	nr = m->nr;
	m->nr = 0;
	if (regs->orig_ax != nr || (ret < 0 && ret >= -MAX_ERRNO))
		return 0;
	if (nr == MEMLEAK_NR_MMAP && !anon_mapping(m->flags, m->args[2]))
		return 0;
	/* The user registers saved at syscall entry: ip is in the wrapper. */
	if (map_call_has_stack(nr))
		m->stack = capture_stack(ctx, regs->ip, regs->sp, regs->bp);
	end_map_call(ctx, m, tgid, nr, ret);
	return 0;
}

/*
 * The same calls seen at the C library's wrappers (mmap, munmap, mremap,
 * brk), whose probes trap only when a traced process maps memory.  The
 * cookie is the syscall number; arguments follow the C calling convention
 * (the fourth in rcx).  The stack is taken at the entry, where the caller's
 * return address is at [sp], as at the syscall.
 */
SEC("uprobe")
int BPF_KPROBE(map_wrapper_enter, __u64 addr, __u64 len, __u64 a2, __u64 a3, __u64 a4)
{
	__s32 nr = bpf_get_attach_cookie(ctx);
	struct pending_call *p;
	__u64 sp = PT_REGS_SP(ctx);

	if (!pid_traced(bpf_get_current_pid_tgid() >> 32))
		return 0;
	/* mmap(addr, len, prot, flags, fd): file mappings need no return probe work. */
	if (nr == MEMLEAK_NR_MMAP && !anon_mapping(a3, a4))
		return 0;
	p = map_call_slot();
	if (!p)
		return 0;
	begin_map_call(p, nr, sp, addr, len, nr == MEMLEAK_NR_MREMAP ? a2 : a4,
		       nr == MEMLEAK_NR_MMAP ? a3 : 0);
	p->map.wrapper = 1;
	if (map_call_has_stack(nr))
		p->map.stack = capture_stack_at_entry(ctx, PT_REGS_IP(ctx), sp, PT_REGS_FP(ctx));
	return 0;
}

/* The wrappers return -1 (MAP_FAILED) on failure and set errno. */
SEC("uretprobe")
int BPF_KRETPROBE(map_wrapper_return, long ret)
{
	struct pending_call *p;
	struct map_call *m;
	__u32 tgid;
	__s32 nr;

	p = pending_get(false);
	if (!p || !p->map.nr || !p->map.wrapper)
		return 0;
	m = &p->map;
	nr = m->nr;
	m->nr = 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (nr == MEMLEAK_NR_BRK) {
		struct task_struct *task = bpf_get_current_task_btf();

		/* brk() returns 0 or -1, sbrk() the old break: read the new one. */
		end_map_call(ctx, m, tgid, nr, BPF_CORE_READ(task, mm, brk));
		return 0;
	}
	if (ret == -1 || (nr == MEMLEAK_NR_MUNMAP && ret != 0))
		return 0;
	end_map_call(ctx, m, tgid, nr, ret);
	return 0;
}
