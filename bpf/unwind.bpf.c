// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * User stack capture: our own walk, by CFI tables and frame pointers
 * (--unwind dwarf|auto|fp).  Programs take stacks through unwind.bpf.h,
 * which also has the kernel's frame-pointer walker (--unwind fp-kernel,
 * kept for the benchmark).
 *
 * Why our own walk: code built without frame pointers (Debian's libc and
 * most distribution binaries) keeps no chain of saved rbp, so the kernel's
 * walker loses or garbles every frame above it.  User space turns each
 * object's .eh_frame into sorted rows (user/unwind/unwind_tables.c) in
 * unwind_rows, and enters each object in unwind_objects under the file's
 * device and inode.  Per frame the walker finds the VMA holding the
 * address (bpf_find_vma: its file and offset give the object and its load
 * bias) and the row by binary search, computes the CFA, reads the return
 * address at CFA - 8 and the caller's rbp where the row says it was saved.
 * Code no table covers (JIT code, objects without CFI, objects that keep
 * frame pointers under --unwind auto) is walked by the frame-pointer rule.
 * It is also 6x cheaper than the kernel's walker (bench/unwind.sh).
 *
 * Stacks are stored in unwound_stacks under a hash of their frames, with
 * the same value layout as the kernel's stack maps, so user space reads
 * either map the same way.  A hash already used by another stack probes the
 * next few ids; a stack that finds no free id is counted as a collision and
 * never merged with another.
 *
 * A file of its own: the walk is global functions, verified once each on
 * their own, which may be defined in one file of the object only.
 */
#include "unwind.bpf.h"
#include "script.bpf.h"

#define ENOMEM 12
#define EINVAL 22

/* Ids tried for one stack before it is counted as a collision. */
#define STACK_ID_PROBES 4
/* Binary search steps: enough for 2^24 rows in one object. */
#define ROW_SEARCH_STEPS 25

struct memleak_stack {
	__u64 ips[MEMLEAK_MAX_STACK_DEPTH];
};

/* Rows of every object's table, filled by user space through mmap. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);  /* set by the loader */
	__type(key, __u32);
	__type(value, struct memleak_unwind_row);
} unwind_rows SEC(".maps");

/* The file a VMA maps -> its table. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MEMLEAK_UNWIND_MAX_OBJECTS);
	__type(key, struct memleak_unwind_obj_key);
	__type(value, struct memleak_unwind_object);
} unwind_objects SEC(".maps");

/* Stacks our walker took; keyed by id (a hash of the frames). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);  /* set by the loader (--max-stacks) */
	__type(key, __u32);
	__type(value, struct memleak_stack);
} unwound_stacks SEC(".maps");

/* The stack being walked: too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct memleak_stack);
} unwind_scratch SEC(".maps");

/*
 * The code range the previous frame was found in, and its object's rows:
 * consecutive frames are mostly in the same object, and finding the VMA
 * again costs more than the rest of a frame.
 */
struct code_range {
	__u64 start, end;     /* the VMA */
	__u64 bias;           /* runtime address - ELF address */
	__u32 first_row, nrows; /* nrows 0: no table, frame-pointer rule */
	__u64 mm_seq;         /* the address space's version it was found in */
};

struct ustack_walk {
	__u64 pc, sp, rbp;
	__u64 hash;
	struct code_range range;
	__u32 tgid, gen;      /* the process, looked up once per stack */
	__u64 mm_seq;         /* its address space's version, MM_SEQ_UNKNOWN: none */
	__u32 n;
	bool truncated;
};

/*
 * Code ranges found before, per process and 2 MiB of address space, with
 * the version of the address space they were found in (mm_seq_now).  While
 * the version is unchanged no mapping has changed, so a range found is
 * still right and bpf_find_vma, the dearest part of a frame, is skipped.
 * bpf_find_vma also only try-locks the mm, and fails while a writer holds
 * or waits for it (uprobe attach, a thread's mmap); then the range found
 * last time there is used, so a stack does not come out different.
 */
#define RANGE_CACHE_SHIFT 21

struct range_cache_key {
	__u32 tgid;
	__u32 gen;      /* the process's generation: a new one at exec */
	__u64 bucket;   /* address >> RANGE_CACHE_SHIFT */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MEMLEAK_UNWIND_RANGE_CACHE);
	__type(key, struct range_cache_key);
	__type(value, struct code_range);
} range_cache SEC(".maps");

/* What bpf_find_vma reports of the VMA holding an address. */
struct vma_info {
	__u64 start, end, pgoff;
	struct memleak_unwind_obj_key key;
	bool file;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *arg)
{
	struct vma_info *vi = arg;
	struct file *f = BPF_CORE_READ(vma, vm_file);

	vi->start = BPF_CORE_READ(vma, vm_start);
	vi->end = BPF_CORE_READ(vma, vm_end);
	vi->pgoff = BPF_CORE_READ(vma, vm_pgoff);
	if (f) {
		vi->key.ino = BPF_CORE_READ(f, f_inode, i_ino);
		vi->key.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
		vi->file = true;
	}
	return 0;
}

#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))

/* No version of the address space known: never trust a cached range. */
#define MM_SEQ_UNKNOWN 1ULL

/* mm_struct of kernels whose mmap lock carries a sequence count (per-VMA locks). */
struct mm_struct___seqcount {
	seqcount_t mm_lock_seq;
} __attribute__((preserve_access_index));

/*
 * The version of the current address space: the mmap lock's sequence
 * count, which every writer of the mappings bumps (odd while it writes).
 * MM_SEQ_UNKNOWN (odd) while a writer is at work or on kernels without it.
 */
static __always_inline __u64 mm_seq_now(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct___seqcount *mm;
	__u32 seq;

	if (!bpf_core_field_exists(mm->mm_lock_seq))
		return MM_SEQ_UNKNOWN;
	/* Plain loads through the task's BTF pointer, no helper calls. */
	mm = (void *)task->mm;
	if (!mm)
		return MM_SEQ_UNKNOWN;
	seq = READ_ONCE(mm->mm_lock_seq.sequence);
	return seq & 1 ? MM_SEQ_UNKNOWN : seq;
}

/* The range the cache holds for pc, if any; current: only if still right. */
static __always_inline bool cached_range(const struct ustack_walk *st,
					 struct range_cache_key *ck, __u64 pc,
					 bool current, struct code_range *r)
{
	struct code_range *cached = bpf_map_lookup_elem(&range_cache, ck);

	if (!cached || pc < cached->start || pc >= cached->end)
		return false;
	if (current && (st->mm_seq == MM_SEQ_UNKNOWN || cached->mm_seq != st->mm_seq))
		return false;
	*r = *cached;
	return true;
}

/*
 * In front of range_cache, per CPU and direct-mapped: the ranges a stack
 * goes through again and again without a hash lookup each (a program,
 * libc, the program again).  Valid only for the same process, generation
 * and address-space version; the check word tells a slot torn by a
 * program that preempted this one on the same CPU.
 */
#define RANGE_SLOT_BITS 6

struct range_slot {
	struct range_cache_key key;
	struct code_range range;
	__u64 check;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << RANGE_SLOT_BITS);
	__type(key, __u32);
	__type(value, struct range_slot);
} range_slots SEC(".maps");

static __always_inline __u64 range_slot_check(const struct range_cache_key *k,
					      const struct code_range *r)
{
	__u64 h = ((__u64)k->tgid << 32 | k->gen) ^ k->bucket * 0x9e3779b97f4a7c15ULL;

	h = (h ^ r->start) * 0xff51afd7ed558ccdULL;
	h = (h ^ r->end) * 0xc4ceb9fe1a85ec53ULL;
	h = (h ^ r->bias) * 0xff51afd7ed558ccdULL;
	h = (h ^ ((__u64)r->first_row << 32 | r->nrows)) * 0xc4ceb9fe1a85ec53ULL;
	return (h ^ r->mm_seq) | 1;
}

static __always_inline struct range_slot *range_slot_of(const struct range_cache_key *k)
{
	__u64 h = ((__u64)k->tgid << 32 | k->gen) ^ k->bucket;
	__u32 idx = (__u32)((h * 0x9e3779b97f4a7c15ULL) >> (64 - RANGE_SLOT_BITS));

	return bpf_map_lookup_elem(&range_slots, &idx);
}

/* The slot is copied once, then checked: it may change under us. */
static __always_inline bool slot_range(const struct ustack_walk *st,
				       const struct range_slot *slot,
				       const struct range_cache_key *k, __u64 pc,
				       struct code_range *r)
{
	struct range_slot copy;

	if (!slot || st->mm_seq == MM_SEQ_UNKNOWN)
		return false;
	copy = *slot;
	if (copy.range.mm_seq != st->mm_seq || copy.key.tgid != k->tgid ||
	    copy.key.gen != k->gen || copy.key.bucket != k->bucket ||
	    pc < copy.range.start || pc >= copy.range.end ||
	    copy.check != range_slot_check(&copy.key, &copy.range))
		return false;
	*r = copy.range;
	return true;
}

static __always_inline void slot_fill(struct range_slot *slot, const struct range_cache_key *k,
				      const struct code_range *r)
{
	if (!slot)
		return;
	slot->key = *k;
	slot->range = *r;
	slot->check = range_slot_check(k, r);
}

/*
 * The code range holding pc and its object's rows, if the file mapped
 * there has a table.  False when pc is in no VMA (the walk went astray)
 * or the mm is busy right now.
 */
static __always_inline bool find_range(const struct ustack_walk *st, __u64 pc,
				       struct code_range *r)
{
	struct range_cache_key ck = {
		.tgid = st->tgid, .gen = st->gen, .bucket = pc >> RANGE_CACHE_SHIFT,
	};
	struct vma_info vi = {};
	struct range_slot *slot = range_slot_of(&ck);
	const struct memleak_unwind_object *o;
	__u32 i;
	__u64 off;

	if (slot_range(st, slot, &ck, pc, r))
		return true;
	if (cached_range(st, &ck, pc, true, r)) {
		slot_fill(slot, &ck, r);
		return true;
	}
	if (bpf_find_vma(bpf_get_current_task_btf(), pc, vma_cb, &vi, 0) || pc < vi.start)
		return cached_range(st, &ck, pc, false, r);
	r->start = vi.start;
	r->end = vi.end;
	r->bias = 0;
	r->first_row = r->nrows = 0;
	r->mm_seq = st->mm_seq;
	o = vi.file ? bpf_map_lookup_elem(&unwind_objects, &vi.key) : NULL;
	if (!o)
		return true;  /* JIT code, or an object without a table: not cached */
	/* runtime(X) = vm_start + X - vm_pgoff * PAGE; ELF(X) = p_vaddr + X - p_offset */
	off = vi.pgoff * 4096;
	for (i = 0; i < MEMLEAK_UNWIND_MAX_SEGS && i < o->nsegs; i++) {
		__u64 page_off = o->segs[i].offset & ~4095ULL;

		if (off >= page_off && off < o->segs[i].offset + o->segs[i].filesz) {
			r->bias = vi.start - off + o->segs[i].offset - o->segs[i].vaddr;
			r->first_row = o->first_row;
			r->nrows = o->nrows;
			break;
		}
	}
	bpf_map_update_elem(&range_cache, &ck, r, BPF_ANY);
	if (r->mm_seq != MM_SEQ_UNKNOWN)
		slot_fill(slot, &ck, r);
	return true;
}

/*
 * The searches run as bpf_loop callbacks: the verifier checks a callback
 * body once, where an open-coded search would be followed path by path.
 */
struct row_search {
	__u32 lo, hi;  /* the answer is in [lo - 1, hi) */
	__u64 pc;
};

static long row_step(__u32 i, void *arg)
{
	struct row_search *rs = arg;
	struct memleak_unwind_row *r;
	__u32 mid;

	if (rs->lo >= rs->hi)
		return 1;
	mid = rs->lo + (rs->hi - rs->lo) / 2;
	r = bpf_map_lookup_elem(&unwind_rows, &mid);
	if (!r)
		return 1;
	if (r->pc <= rs->pc)
		rs->lo = mid + 1;
	else
		rs->hi = mid;
	return 0;
}

/* The row in effect at ELF address pc: the last of the object's rows at or below it. */
static __always_inline struct memleak_unwind_row *
search_row(const struct code_range *m, __u64 pc)
{
	struct row_search rs = { .lo = m->first_row, .hi = m->first_row + m->nrows, .pc = pc };
	__u32 idx;

	bpf_loop(ROW_SEARCH_STEPS, row_step, &rs, 0);
	if (rs.lo == m->first_row)
		return NULL;
	idx = rs.lo - 1;
	return bpf_map_lookup_elem(&unwind_rows, &idx);
}

/*
 * Rows found before, per CPU, by object and address: a stack taken again
 * and again (a loop that allocates) finds each of its rows in one step
 * instead of a binary search.  An object's rows never change once user
 * space has written them (it only appends), so a row found under
 * (first_row, pc) stays right.  A program preempted on this CPU may be
 * overwritten halfway by another: the check word tells a torn slot.
 */
#define ROW_CACHE_BITS 10

struct row_cache_slot {
	__u64 key;    /* first_row << 32 | ELF pc */
	__u64 row;    /* struct memleak_unwind_row */
	__u64 found;  /* 0: no row covers pc */
	__u64 check;  /* row_cache_check(key, row, found) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << ROW_CACHE_BITS);
	__type(key, __u32);
	__type(value, struct row_cache_slot);
} row_cache SEC(".maps");

static __always_inline __u64 row_cache_check(__u64 key, __u64 row, __u64 found)
{
	return (key ^ (row * 0x9e3779b97f4a7c15ULL) ^ found) * 0xff51afd7ed558ccdULL | 1;
}

/*
 * The row in effect at ELF address pc, copied to *out; false if none.
 * Rows are 8 bytes, compared and copied as one word.
 */
static __always_inline bool find_row(const struct code_range *m, __u64 pc,
				     struct memleak_unwind_row *out)
{
	__u64 key = (__u64)m->first_row << 32 | pc, row = 0, found;
	struct memleak_unwind_row *r;
	struct row_cache_slot *slot;
	__u32 idx;

	_Static_assert(sizeof(*r) == sizeof(row), "a row is one word");
	if (pc >> 32) {
		r = search_row(m, pc);
		if (r)
			*out = *r;
		return r != NULL;
	}
	idx = (__u32)((key * 0x9e3779b97f4a7c15ULL) >> (64 - ROW_CACHE_BITS));
	slot = bpf_map_lookup_elem(&row_cache, &idx);
	if (slot) {
		/* Copied once, then checked: the slot may change under us. */
		struct row_cache_slot copy = *slot;

		if (copy.key == key && copy.check == row_cache_check(key, copy.row, copy.found)) {
			__builtin_memcpy(out, &copy.row, sizeof(copy.row));
			return copy.found;
		}
	}
	r = search_row(m, pc);
	if (r)
		__builtin_memcpy(&row, r, sizeof(row));
	found = r != NULL;
	if (slot) {
		slot->key = key;
		slot->row = row;
		slot->found = found;
		slot->check = row_cache_check(key, row, found);
	}
	__builtin_memcpy(out, &row, sizeof(row));
	return found;
}

static __always_inline bool read_word(__u64 *dst, __u64 addr)
{
	return !bpf_probe_read_user(dst, sizeof(*dst), (void *)addr);
}

/* The frame-pointer rule: rbp points at the saved rbp, the return address above. */
static __always_inline int fp_step(struct ustack_walk *st)
{
	__u64 ra, next;

	if (!st->rbp)
		return 1;  /* the chain ends: _start clears rbp */
	/*
	 * A frame pointer points into this frame, above the stack pointer:
	 * anything else is rbp used as a plain register by code without
	 * frame pointers (and no table said so).
	 */
	if (st->rbp < st->sp || !read_word(&ra, st->rbp + 8) || !read_word(&next, st->rbp)) {
		st->truncated = true;
		return 1;
	}
	st->sp = st->rbp + 16;
	st->rbp = next;
	st->pc = ra;
	return 0;
}

static __always_inline int cfi_step(struct ustack_walk *st, const struct memleak_unwind_row *r)
{
	__u64 cfa, ra;

	switch (MEMLEAK_ROW_CFA(r)) {
	case MEMLEAK_CFA_OUTERMOST:
		return 1;
	case MEMLEAK_CFA_RSP:
		cfa = st->sp + (__u64)r->cfa_off8 * 8;
		break;
	case MEMLEAK_CFA_RBP:
		if (!st->rbp) {
			st->truncated = true;
			return 1;
		}
		cfa = st->rbp + (__u64)r->cfa_off8 * 8;
		break;
	case MEMLEAK_CFA_NONE:
		return fp_step(st);
	default:
		st->truncated = true;
		return 1;
	}
	if (!read_word(&ra, cfa - 8)) {
		st->truncated = true;
		return 1;
	}
	if (MEMLEAK_ROW_RBP(r) == MEMLEAK_RBP_AT_CFA &&
	    !read_word(&st->rbp, cfa + (__s64)r->rbp_off8 * 8)) {
		st->truncated = true;
		return 1;
	}
	st->sp = cfa;
	st->pc = ra;
	return 0;
}

/*
 * Record the current frame, then step to its caller; non-zero ends the walk.
 * A global function, verified once with st unknown: as a plain bpf_loop
 * callback the verifier would follow every frame count separately through
 * the binary searches below, and give up.
 */
__noinline int unwind_frame(struct ustack_walk *st)
{
	struct memleak_unwind_row r;
	struct memleak_stack *buf;
	__u32 zero = 0, n;

	if (!st)
		return 1;
	n = st->n;
	buf = bpf_map_lookup_elem(&unwind_scratch, &zero);
	if (!buf || n >= MEMLEAK_MAX_STACK_DEPTH)
		return 1;
	buf->ips[n] = st->pc;
	st->n = n + 1;
	st->hash = (st->hash ^ st->pc) * 0x100000001b3ULL;
	if (unwind_mode == MEMLEAK_UNWIND_FP)
		return fp_step(st);
	if (st->pc < st->range.start || st->pc >= st->range.end) {
		if (!find_range(st, st->pc, &st->range)) {
			st->range.start = st->range.end = 0;
			return fp_step(st);
		}
	}
	if (!st->range.nrows)
		return fp_step(st);
	/* A return address follows its call: the call is at pc - 1. */
	if (!find_row(&st->range, st->pc - 1 - st->range.bias, &r))
		return fp_step(st);
	return cfi_step(st, &r);
}

static long unwind_step(__u32 i, void *arg)
{
	return unwind_frame(arg) ? 1 : 0;
}

/*
 * Word by word over the len words that make the stack (native frames,
 * their end, the script part).  A plain bounded loop: it is verified
 * once inside a global function, and runs without bpf_loop's call per
 * frame.
 */
static __always_inline bool same_stack(const struct memleak_stack *a,
				       const struct memleak_stack *b, __u32 len)
{
	__u32 i;

	for (i = 0; i < MEMLEAK_MAX_STACK_DEPTH; i++) {
		if (i >= len)
			break;
		if (a->ips[i] != b->ips[i])
			return false;
	}
	return true;
}

/* Store the walked stack (len words) under its hash; its id, or a negative error. */
static __always_inline long store_stack(struct memleak_stack *buf, __u64 hash, __u32 len)
{
	__u32 id = (__u32)(hash ^ (hash >> 32)) & 0x7fffffff;
	int probe;

	for (probe = 0; probe < STACK_ID_PROBES; probe++, id = (id + 1) & 0x7fffffff) {
		struct memleak_stack *old = bpf_map_lookup_elem(&unwound_stacks, &id);
		long err;

		if (old) {
			if (same_stack(old, buf, len))
				return id;
			continue;
		}
		err = bpf_map_update_elem(&unwound_stacks, &id, buf, BPF_NOEXIST);
		if (!err)
			return id;
		if (err != -EEXIST)
			return err;
		/* Another CPU stored a stack under this id just now. */
		old = bpf_map_lookup_elem(&unwound_stacks, &id);
		if (old && same_stack(old, buf, len))
			return id;
	}
	return -EEXIST;
}

/* Copying the script words after the header: a bpf_loop callback, verified once. */
struct script_copy {
	__u32 base;     /* index of the first word in the stack */
	__u32 count;
	__u64 hash;
};

static long script_copy_step(__u32 i, void *arg)
{
	struct script_copy *c = arg;
	struct memleak_stack *buf;
	struct script_words *sw;
	__u32 zero = 0, idx = c->base + i;
	__u64 w;

	if (i >= c->count || i >= MEMLEAK_SCRIPT_MAX_FRAMES || idx >= MEMLEAK_MAX_STACK_DEPTH)
		return 1;
	buf = bpf_map_lookup_elem(&unwind_scratch, &zero);
	sw = bpf_map_lookup_elem(&script_scratch, &zero);
	if (!buf || !sw)
		return 1;
	w = sw->w[i];
	buf->ips[idx] = w;
	c->hash = (c->hash ^ w) * 0x100000001b3ULL;
	return 0;
}

/*
 * After the native frames' terminating zero at at: the script frames the
 * thread runs (memleak.h), or a zero header.  They are part of the stack:
 * the same native path running two Python functions is two stacks.
 * Returns the number of words the stack has in all.
 */
static __always_inline __u32 add_script_frames(struct memleak_stack *buf, __u32 at,
					       __u32 tgid, __u32 gen, __u64 *hash)
{
	struct script_copy c = { .base = at + 2, .hash = *hash };
	__u32 room, hdr_at = at + 1;
	__u64 hdr;

	if (hdr_at >= MEMLEAK_MAX_STACK_DEPTH)
		return at + 1;
	hdr = no_script_frames ? 0 : script_read(tgid, gen);
	if (!hdr) {
		buf->ips[hdr_at] = 0;
		return hdr_at + 1;
	}
	c.count = MEMLEAK_SCRIPT_HDR_COUNT(hdr);
	room = MEMLEAK_MAX_STACK_DEPTH - hdr_at - 1;
	if (c.count > room) {
		c.count = room;
		hdr = MEMLEAK_SCRIPT_HEADER(MEMLEAK_SCRIPT_HDR_RUNTIME(hdr), room, 1);
	}
	bpf_loop(MEMLEAK_SCRIPT_MAX_FRAMES, script_copy_step, &c, 0);
	buf->ips[hdr_at] = hdr;
	*hash = (c.hash ^ hdr) * 0x100000001b3ULL;
	return hdr_at + 1 + c.count;
}

/*
 * The walk of the user stack at (ip, sp, bp), after the nk words of kf
 * (kernel frames, -k) already at the start of the stack: stored under
 * the hash of the whole.  ip 0: no user part (a kernel thread).
 */
static __always_inline long unwind_after(const struct memleak_kframes *kf, __u32 nk,
					 __u64 ip, __u64 sp, __u64 bp, bool at_entry,
					 __s64 gen)
{
	struct ustack_walk st = {
		.pc = ip, .sp = sp, .rbp = bp, .hash = 0xcbf29ce484222325ULL,
	};
	struct memleak_stack *buf;
	__u32 zero = 0, at, len, *known, i;

	buf = bpf_map_lookup_elem(&unwind_scratch, &zero);
	if (!buf)
		return -ENOMEM;
	for (i = 0; kf && i < MEMLEAK_KFRAMES_WORDS && i < nk; i++) {
		buf->ips[i] = kf->ips[i];
		st.hash = (st.hash ^ kf->ips[i]) * 0x100000001b3ULL;
	}
	st.n = i;
	/* The process and its generation: for ranges, and for script frames. */
	st.tgid = bpf_get_current_pid_tgid() >> 32;
	if (gen >= 0) {
		st.gen = gen;
	} else {
		known = bpf_map_lookup_elem(&traced_pids, &st.tgid);
		st.gen = known ? *known : 0;
	}
	if (unwind_mode != MEMLEAK_UNWIND_FP)
		st.mm_seq = mm_seq_now();
	/*
	 * At a function's first instruction ip is no return address (ip - 1
	 * is another function), and every function's frame is the same: the
	 * return address at [sp], nothing else pushed yet.
	 */
	if (at_entry) {	/* never with kernel frames first */
		buf->ips[0] = ip;
		st.n = 1;
		st.hash = (st.hash ^ ip) * 0x100000001b3ULL;
		if (!read_word(&st.pc, sp))
			st.pc = 0;
		st.sp = sp + 8;
	}
	if (ip && bpf_loop(MEMLEAK_MAX_STACK_DEPTH, unwind_step, &st, 0) < 0)
		return -EINVAL;
	/* Depth exhausted with frames left, or the walk gave up: say so. */
	if (st.n >= MEMLEAK_MAX_STACK_DEPTH && st.pc)
		st.truncated = true;
	at = st.n;
	if (st.truncated) {
		if (at >= MEMLEAK_MAX_STACK_DEPTH)
			at = MEMLEAK_MAX_STACK_DEPTH - 1;
		buf->ips[at] = MEMLEAK_FRAME_TRUNCATED;
		st.hash = (st.hash ^ MEMLEAK_FRAME_TRUNCATED) * 0x100000001b3ULL;
		at++;
	}
	/*
	 * The scratch buffer still holds the previous stack beyond this one:
	 * the terminating zero is what readers and comparisons stop at.
	 */
	if (at >= MEMLEAK_MAX_STACK_DEPTH)
		return store_stack(buf, st.hash, at);
	buf->ips[at] = 0;
	len = add_script_frames(buf, at, st.tgid, st.gen, &st.hash);
	return store_stack(buf, st.hash, len);
}

/*
 * Global functions: the verifier checks each once, on its own, instead of
 * once per path of every program that captures a stack.
 */
__noinline long unwind_user_stack(__u64 ip, __u64 sp, __u64 bp, bool at_entry, __s64 gen)
{
	return unwind_after(NULL, 0, ip, sp, bp, at_entry, gen);
}

__noinline long unwind_kernel_user_stack(const struct memleak_kframes *kf, __s64 gen)
{
	if (!kf)
		return -EINVAL;
	return unwind_after(kf, kf->nk, kf->ip, kf->sp, kf->bp, false, gen);
}
