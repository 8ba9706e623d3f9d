// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Script frames: the Python or PHP functions running when a traced
 * process allocates, read from the interpreter's own state.
 *
 * CPython 3.11:
 * The thread state of the allocating thread is the one holding the GIL
 * (_PyRuntime.gilstate.tstate_current) when its thread_id, which is
 * pthread_self(), is this thread's: the fs base.  Otherwise (the GIL is
 * released around blocking calls, a C extension allocates without it)
 * the interpreter's list of thread states is searched for it, a bounded
 * number of steps.  From the thread state, cframe->current_frame is the
 * innermost _PyInterpreterFrame; each frame gives its code object, the
 * instruction it is at (prev_instr) and whether it is the first frame of
 * its call of the eval loop (is_entry), and links to its caller.
 *
 * PHP 8.2 (non-ZTS): executor_globals.current_execute_data is the
 * innermost call frame; each gives the function it runs, the opline it
 * is at (whose lineno is read here: the op array may be gone by the time
 * of the report), its call info (ZEND_CALL_TOP: the first frame of an
 * execute_ex call) and its caller.  Frames of internal functions
 * (str_repeat...) are left out: they are native frames already.
 *
 * The target's memory is untrusted: every read may fail or be garbage.
 * Pointers are checked for alignment and for being user addresses, the
 * walk stops at MEMLEAK_SCRIPT_MAX_FRAMES (marked truncated), and names,
 * files and lines are left to user space, which validates the objects
 * (user/scripts/python.c).
 */
#include "script.bpf.h"

/* Thread states looked at when the GIL holder is another thread. */
#define THREAD_SEARCH_STEPS 64

/* Where user space found an interpreter: tgid -> how to read it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMLEAK_MAX_PIDS);
	__type(key, __u32);
	__type(value, struct memleak_script_proc);
} script_procs SEC(".maps");

/*
 * Set by user space when it enters the first interpreter: until then (most
 * processes run none) a stack costs no lookup here.
 */
__u32 script_procs_entered = 0;

/* A plausible pointer to an object: user space, 8-byte aligned. */
static __always_inline bool user_ptr(__u64 p)
{
	return p && !(p & 7) && p < (1ULL << 47);
}

static __always_inline __u64 read_ptr(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

struct thread_search {
	__u64 ts;          /* the thread state looked at; 0: not found */
	__u64 want;        /* this thread's pthread_self() */
	__u16 thread_id, next;
};

static long thread_step(__u32 i, void *arg)
{
	struct thread_search *s = arg;

	if (!user_ptr(s->ts))
		return 1;
	if (read_ptr(s->ts + s->thread_id) == s->want)
		return 1;
	s->ts = read_ptr(s->ts + s->next);
	return 0;
}

/* The current thread's PyThreadState, or 0. */
static __always_inline __u64 py_thread_state(const struct memleak_script_proc *c)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_search s = {
		.want = task->thread.fsbase,
		.thread_id = c->py.tstate_thread_id,
		.next = c->py.tstate_next,
	};
	__u64 interp;

	s.ts = read_ptr(c->runtime_addr + c->py.tstate_current);
	if (user_ptr(s.ts) && read_ptr(s.ts + s.thread_id) == s.want)
		return s.ts;
	interp = read_ptr(c->runtime_addr + c->py.interp_head);
	if (!user_ptr(interp))
		return 0;
	s.ts = read_ptr(interp + c->py.interp_threads);
	bpf_loop(THREAD_SEARCH_STEPS, thread_step, &s, 0);
	if (!user_ptr(s.ts) || read_ptr(s.ts + s.thread_id) != s.want)
		return 0;
	return s.ts;
}

struct frame_walk {
	__u64 frame;
	__u32 n;
	bool truncated;
	__u16 code, previous, prev_instr, is_entry, adaptive;
};

static long frame_step(__u32 i, void *arg)
{
	struct frame_walk *w = arg;
	struct script_words *out;
	__u64 code, instr, off1 = 0;
	__u32 zero = 0, n = w->n;
	__u8 entry = 0;

	if (!w->frame)
		return 1;
	if (!user_ptr(w->frame) || n >= MEMLEAK_SCRIPT_MAX_FRAMES) {
		w->truncated = true;
		return 1;
	}
	code = read_ptr(w->frame + w->code);
	instr = read_ptr(w->frame + w->prev_instr);
	if (!user_ptr(code) ||
	    bpf_probe_read_user(&entry, sizeof(entry), (void *)(w->frame + w->is_entry))) {
		w->truncated = true;
		return 1;
	}
	/* A frame just pushed points before its first instruction: unknown. */
	if (instr >= code + w->adaptive) {
		__u64 units = (instr - code - w->adaptive) / 2;

		if (units < MEMLEAK_SCRIPT_OFF_MAX)
			off1 = units + 1;
	}
	out = bpf_map_lookup_elem(&script_scratch, &zero);
	if (!out)
		return 1;
	out->w[n & (MEMLEAK_SCRIPT_MAX_FRAMES - 1)] = MEMLEAK_SCRIPT_WORD(code, off1, entry);
	w->n = n + 1;
	w->frame = read_ptr(w->frame + w->previous);
	return 0;
}

static __u64 py_read(const struct memleak_script_proc *c)
{
	struct frame_walk w = {};
	__u64 ts, cframe;

	ts = py_thread_state(c);
	if (!ts)
		return 0;
	cframe = read_ptr(ts + c->py.tstate_cframe);
	if (!user_ptr(cframe))
		return 0;
	w.frame = read_ptr(cframe + c->py.cframe_frame);
	w.code = c->py.frame_code;
	w.previous = c->py.frame_previous;
	w.prev_instr = c->py.frame_prev_instr;
	w.is_entry = c->py.frame_is_entry;
	w.adaptive = c->py.code_adaptive;
	/* One step more than frames kept: a frame left over marks truncation. */
	bpf_loop(MEMLEAK_SCRIPT_MAX_FRAMES + 1, frame_step, &w, 0);
	if (!w.n)
		return 0;
	return MEMLEAK_SCRIPT_HEADER(MEMLEAK_RUNTIME_PYTHON, w.n, w.truncated);
}

/* ---- PHP ---- */

struct php_walk {
	__u64 ex;              /* the zend_execute_data looked at */
	__u32 n;
	bool truncated;
	struct memleak_php_layout l;
};

/* Frames of internal functions are skipped but still walked: a bound on both. */
#define PHP_WALK_STEPS (2 * MEMLEAK_SCRIPT_MAX_FRAMES)

static long php_step(__u32 i, void *arg)
{
	struct php_walk *w = arg;
	struct script_words *out;
	__u64 func, opline, line1 = 0;
	__u32 zero = 0, n = w->n, call_info = 0, lineno = 0;
	__u8 type = 0;

	if (!w->ex)
		return 1;
	if (!user_ptr(w->ex) || n >= MEMLEAK_SCRIPT_MAX_FRAMES) {
		w->truncated = true;
		return 1;
	}
	func = read_ptr(w->ex + w->l.ex_func);
	if (user_ptr(func) && !bpf_probe_read_user(&type, sizeof(type), (void *)(func + w->l.fn_type)) &&
	    type == w->l.user_function) {
		opline = read_ptr(w->ex + w->l.ex_opline);
		if (user_ptr(opline) &&
		    !bpf_probe_read_user(&lineno, sizeof(lineno), (void *)(opline + w->l.op_lineno)) &&
		    lineno < MEMLEAK_SCRIPT_OFF_MAX)
			line1 = lineno + 1;
		bpf_probe_read_user(&call_info, sizeof(call_info),
				    (void *)(w->ex + w->l.ex_call_info));
		out = bpf_map_lookup_elem(&script_scratch, &zero);
		if (!out)
			return 1;
		out->w[n & (MEMLEAK_SCRIPT_MAX_FRAMES - 1)] =
			MEMLEAK_SCRIPT_WORD(func, line1, call_info & w->l.call_top);
		w->n = n + 1;
	}
	w->ex = read_ptr(w->ex + w->l.ex_prev);
	return 0;
}

static __u64 php_read(const struct memleak_script_proc *c)
{
	struct php_walk w = { .l = c->php };

	w.ex = read_ptr(c->runtime_addr + c->php.eg_current);
	bpf_loop(PHP_WALK_STEPS, php_step, &w, 0);
	/* Steps ran out with frames left: as good as a depth cut. */
	if (w.ex && w.n < MEMLEAK_SCRIPT_MAX_FRAMES && user_ptr(w.ex))
		w.truncated = true;
	if (!w.n)
		return 0;
	return MEMLEAK_SCRIPT_HEADER(MEMLEAK_RUNTIME_PHP, w.n, w.truncated);
}

__u64 script_read(__u32 tgid, __u32 gen)
{
	const struct memleak_script_proc *c;

	_Static_assert(!(MEMLEAK_SCRIPT_MAX_FRAMES & (MEMLEAK_SCRIPT_MAX_FRAMES - 1)),
		       "a power of two: the index is masked");
	if (!script_procs_entered)
		return 0;
	c = bpf_map_lookup_elem(&script_procs, &tgid);
	if (!c || c->gen != gen)
		return 0;
	if (c->runtime == MEMLEAK_RUNTIME_PYTHON)
		return py_read(c);
	if (c->runtime == MEMLEAK_RUNTIME_PHP)
		return php_read(c);
	if (c->runtime == MEMLEAK_RUNTIME_LUA)
		return script_read_lua(c);
	return 0;
}

/*
 * A fork keeps the address space: the child runs the parent's interpreter
 * at the same addresses from its first instruction, before user space
 * hears of it (a php-fpm worker's first request came in frameless).
 */
int script_inherit(__u32 parent, __u32 child, __u32 gen)
{
	const struct memleak_script_proc *c;
	struct memleak_script_proc copy;

	if (!script_procs_entered)
		return 0;
	c = bpf_map_lookup_elem(&script_procs, &parent);
	if (!c)
		return 0;
	copy = *c;
	copy.gen = gen;
	return bpf_map_update_elem(&script_procs, &child, &copy, BPF_ANY) ? 1 : 0;
}
