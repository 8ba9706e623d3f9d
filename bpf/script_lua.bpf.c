// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Script frames of LuaJIT 2.1 (GC64, two-slot frames): the Lua functions
 * the allocating thread runs, read from the VM's own state.
 *
 * User space found the process's global_State (user/scripts/lua.c).  Its
 * cur_L is the coroutine the VM runs; that coroutine's cframe (the C
 * stack frame of the VM call that runs it) is NULL once the VM returned
 * to C, and lies a little above this thread's stack pointer while it runs
 * on this thread: otherwise cur_L is stale or another thread's, and there
 * are no Lua frames.  The frames are walked down from L->base (or, while
 * a compiled trace runs, from jit_base: L->base is stale then):
 *
 *	[func, link] [slots...]     link: a PC (the caller is Lua: its frame
 *	^-- base-2   ^-- base       lies A+2 slots below, A of the CALL just
 *	                            before that PC) or a delta and a type
 *
 * Each Lua function's position comes from the frame above it (its
 * callee's link is the return PC; a continuation frame keeps it two slots
 * down), the innermost one's from the cframe's saved PC, or, inside a
 * compiled trace, from where the trace starts: the functions it inlined
 * have no frames; the trace (GCtrace) goes first then, a word of its own
 * (position MEMLEAK_SCRIPT_OFF_MAX), and user space finds them in its
 * snapshot for the machine code that called out (lua.c).
 * A frame entered from C (lua_call, lua_pcall, lua_resume) is its VM
 * call's entry frame.  Words: the GCproto and the bytecode position plus
 * 1 (memleak.h); user space reads chunk names and lines (lua.c).
 */
#include "script.bpf.h"

#define FRAME_TYPEP 7
#define FRAME_C 1
#define FRAME_CONT 2
#define FRAME_VARG 3
#define FRAME_CP 5
#define GCT_FUNC 8          /* ~LJ_TFUNC */
#define GCREF_MASK ((1ULL << 47) - 1)
/* The VM's stack frame lies this close above the allocating code. */
#define CFRAME_REACH (1ULL << 20)

static __always_inline bool lua_ptr(__u64 p)
{
	return p && !(p & 7) && p < (1ULL << 47);
}

static __always_inline __u64 lua_read_ptr(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

struct lua_walk {
	__u64 frame;        /* the link slot of the frame looked at */
	__u64 bottom;       /* the first frame's link slot */
	__u64 next_link;    /* the link of the frame above (its callee); 0: none */
	__u64 next_frame;
	__u64 top_pc;       /* the innermost Lua function's PC; 0: unknown */
	__u64 L;
	__u32 n;
	bool truncated;
	__u16 fn_gct, fn_ffid, fn_pc, proto_size;
};

/*
 * The walk's state, off the BPF stack: the stack walker calling this
 * leaves little of the 512 bytes the programs share.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lua_walk);
} lua_walks SEC(".maps");

/* The PC the function at w->frame is at, from the frame above it. */
static __always_inline __u64 caller_pc(struct lua_walk *w)
{
	if (!w->next_frame)
		return w->top_pc;
	if (!(w->next_link & 3))
		return w->next_link;
	if ((w->next_link & FRAME_TYPEP) == FRAME_CONT)
		return lua_read_ptr(w->next_frame - 16);
	return 0;   /* below a pcall: the position is not kept */
}

static long lua_frame_step(__u32 i, void *unused)
{
	struct script_words *out;
	__u64 link, fn, bc, pc, off1 = 0;
	__u32 zero = 0, n, ins = 0;
	__u8 gct = 0, ffid = 0;
	struct lua_walk *w = bpf_map_lookup_elem(&lua_walks, &zero);

	if (!w)
		return 1;
	n = w->n;
	if (w->frame <= w->bottom)
		return 1;
	if (!lua_ptr(w->frame)) {
		w->truncated = true;
		return 1;
	}
	link = lua_read_ptr(w->frame);
	fn = lua_read_ptr(w->frame - 8) & GCREF_MASK;
	if ((link & FRAME_TYPEP) == FRAME_VARG || fn == w->L) {
		/* A vararg function's pseudo-frame, or a dummy: not a call. */
		w->frame -= link & ~7ULL;
		return 0;
	}
	if (!lua_ptr(fn) ||
	    bpf_probe_read_user(&gct, 1, (void *)(fn + w->fn_gct)) ||
	    bpf_probe_read_user(&ffid, 1, (void *)(fn + w->fn_ffid)) || gct != GCT_FUNC) {
		w->truncated = true;
		return 1;
	}
	if (!ffid) {    /* a Lua function; C and fast functions are native frames */
		if (n >= MEMLEAK_SCRIPT_MAX_FRAMES) {
			w->truncated = true;
			return 1;
		}
		bc = lua_read_ptr(fn + w->fn_pc);
		if (!lua_ptr(bc))
			bc = 0;
		pc = caller_pc(w);
		/* pc is one past the instruction running: position = pc - bc - 1, plus 1. */
		if (bc && pc > bc && (pc - bc) / 4 < MEMLEAK_SCRIPT_OFF_MAX && !(pc & 3))
			off1 = (pc - bc) / 4;
		out = bpf_map_lookup_elem(&script_scratch, &zero);
		if (!out || !bc)
			return 1;
		out->w[n & (MEMLEAK_SCRIPT_MAX_FRAMES - 1)] =
			MEMLEAK_SCRIPT_WORD(bc - w->proto_size, off1,
					    (link & FRAME_TYPEP) == FRAME_C ||
					    (link & FRAME_TYPEP) == FRAME_CP);
		w->n = n + 1;
	}
	w->next_link = link;
	w->next_frame = w->frame;
	if (!(link & 3)) {
		/* Called from Lua: the CALL before the return PC says how far down. */
		if (!lua_ptr(link & ~7ULL) ||
		    bpf_probe_read_user(&ins, sizeof(ins), (void *)(link - 4))) {
			w->truncated = true;
			return 1;
		}
		w->frame -= (2 + ((ins >> 8) & 0xff)) * 8;
	} else {
		w->frame -= link & ~7ULL;
	}
	return 0;
}

__u64 script_read_lua(const struct memleak_script_proc *c)
{
	const struct memleak_lua_layout *o;
	struct task_struct *task = bpf_get_current_task_btf();
	struct lua_walk *w;
	__u32 zero = 0;
	__u64 g, L, cf, base, stack, maxstack, jit_base, sp;
	__s32 vmstate = 0;
	__u32 sizetrace = 0;
	struct script_words *out;

	w = bpf_map_lookup_elem(&lua_walks, &zero);
	if (!c || !w)
		return 0;
	o = &c->lua;
	g = c->runtime_addr;
	L = lua_read_ptr(g + o->g_cur_L);
	if (!lua_ptr(L))
		return 0;
	cf = lua_read_ptr(L + o->l_cframe) & ~3ULL;
	sp = PT_REGS_SP((struct pt_regs *)bpf_task_pt_regs(task));
	/* Not running, or running on another thread. */
	if (!cf || cf < sp || cf - sp > CFRAME_REACH)
		return 0;
	stack = lua_read_ptr(L + o->l_stack);
	maxstack = lua_read_ptr(L + o->l_maxstack);
	jit_base = lua_read_ptr(g + o->g_jit_base);
	base = jit_base ? jit_base : lua_read_ptr(L + o->l_base);
	if (!lua_ptr(stack) || base <= stack || base > maxstack || !lua_ptr(base))
		return 0;
	__builtin_memset(w, 0, sizeof(*w));
	w->top_pc = lua_read_ptr(cf + o->cframe_pc);
	if (w->top_pc == lua_read_ptr(cf + o->cframe_l))
		w->top_pc = 0;   /* the VM's mark for "no PC yet": L itself */
	if (jit_base) {
		/* The trace's start: the saved PC is older than the trace. */
		w->top_pc = 0;
		bpf_probe_read_user(&vmstate, sizeof(vmstate), (void *)(g + o->g_vmstate));
		bpf_probe_read_user(&sizetrace, sizeof(sizetrace), (void *)(g + o->g_sizetrace));
		if (vmstate > 0 && (__u32)vmstate < sizetrace) {
			__u64 traces = lua_read_ptr(g + o->g_trace);
			__u64 trace = lua_ptr(traces) ?
				      lua_read_ptr(traces + 8 * (__u64)vmstate) & GCREF_MASK : 0;

			if (lua_ptr(trace)) {
				/* One past it, as a saved PC would be. */
				w->top_pc = lua_read_ptr(trace + o->trace_startpc) + 4;
				/*
				 * The trace itself, innermost: user space finds the
				 * functions it inlined in its snapshots (lua.c).
				 */
				out = bpf_map_lookup_elem(&script_scratch, &zero);
				if (out) {
					out->w[0] = MEMLEAK_SCRIPT_WORD(trace, MEMLEAK_SCRIPT_OFF_MAX, 0);
					w->n = 1;
				}
			}
		}
	}
	w->frame = base - 8;
	w->bottom = stack + 8;
	w->L = L;
	w->fn_gct = o->fn_gct;
	w->fn_ffid = o->fn_ffid;
	w->fn_pc = o->fn_pc;
	w->proto_size = o->proto_size;
	/* Vararg and C frames take steps too: twice the frames kept. */
	bpf_loop(2 * MEMLEAK_SCRIPT_MAX_FRAMES + 1, lua_frame_step, &zero, 0);
	if (w->frame > w->bottom && !w->truncated)
		w->truncated = true;
	if (!w->n)
		return 0;
	return MEMLEAK_SCRIPT_HEADER(MEMLEAK_RUNTIME_LUA, w->n, w->truncated);
}
