// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* From a snapshot to a ranked, symbolized report. */
#define _GNU_SOURCE /* qsort_r: the order depends on --sort */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "analyze/analysis.h"
#include "analyze/history.h"
#include "analyze/stack_identity.h"
#include "collect/mappings.h"
#include "lib/util.h"
#include "procs/procfs.h"
#include "symbols/kallsyms.h"
#include "scripts/scripts.h"
#include "symbols/symbolize.h"

/* One (process, stack, kind) of the snapshot, with its stack normalized. */
struct entry {
	const struct snap_stack *snap;
	bool lost;
	bool truncated;        /* the walk stopped before the outermost frame */
	size_t nframes;
	uint64_t *addrs;       /* absolute, for symbolization */
	const char **modules;  /* module of each frame, NULL if unknown */
	uint64_t *rels;        /* module-relative, for merging */
	uint64_t id;           /* stack_identity: the key of its history */
	uint64_t cache;        /* kind slab: the struct kmem_cache it came from */
	struct mixed_frame *mixed; /* with script frames: every frame; else NULL */
};

static bool is_kernel_addr(uint64_t a)
{
	return a >= MEMLEAK_KERNEL_ADDR_MIN && a != MEMLEAK_FRAME_TRUNCATED;
}

/*
 * The kernel frames of a -k stack start inside the tracing machinery: the
 * BPF program (JIT code, in no symbol), then the tracepoint's runner,
 * bpf_trace_run<N>, called from the allocator where the tracepoint is.
 * The first frame shown is that allocator (__kmalloc_noprof, ...).
 */
#define TRACING_FRAMES_MAX 6

static bool tracing_frame(const struct kallsyms *k, uint64_t addr)
{
	const char *name, *mod;
	uint64_t off;

	/* The JIT-compiled program: listed as [bpf] when it was loaded first. */
	if (!kallsyms_resolve(k, addr - 1, &name, &off, &mod) || !strcmp(mod, "[bpf]"))
		return true;
	return !strncmp(name, "bpf_trace_run", 13) || !strncmp(name, "__bpf_trace_", 12) ||
	       !strncmp(name, "__traceiter_", 12);
}

/* Leading words of a -k stack that are no frames of the allocation. */
static size_t kernel_prefix(struct entry *e, const struct analysis_input *in,
			    const uint64_t *ips, size_t n)
{
	size_t skip = 0, i;

	if (!MEMLEAK_KIND_IS_KERNEL(e->snap->key.kind))
		return 0;
	if (e->snap->key.kind == MEMLEAK_KIND_SLAB && n) {
		e->cache = ips[0];
		skip = 1;
	}
	for (i = skip; i < n && i < skip + TRACING_FRAMES_MAX && is_kernel_addr(ips[i]) &&
		    tracing_frame(in->ksyms, ips[i]); i++)
		;
	return i;
}

/*
 * The kernel's walker takes the caller of each frame from the saved rbp
 * chain: right only where the frame's function keeps a frame pointer.
 * Returns how many frames can be trusted; the stack is truncated if that
 * is not all of it, or if the last frame's function keeps none (its rbp,
 * which ended the walk, said nothing) and is not the outermost.
 */
static size_t trust_frame_pointers(struct entry *e, const struct analysis_input *in,
				   const uint64_t *ips, size_t n, size_t first)
{
	pid_t pid = e->snap->key.tgid;
	size_t i;

	for (i = first; i < n; i++) {
		enum frame_rule rule = symbolizer_frame_rule(in->sym, pid, ips[i]);

		if (rule == FRAME_OUTERMOST)
			return i + 1;
		if (rule == FRAME_NO_FP) {
			e->truncated = true;
			return i + 1;
		}
	}
	return n;
}

static int normalize(struct entry *e, const struct analysis_input *in)
{
	pid_t pid = e->snap->key.tgid;
	uint64_t ips[MEMLEAK_MAX_STACK_DEPTH] = { 0 }, stored[MEMLEAK_MAX_STACK_DEPTH];
	struct mixed_frame mixed[MEMLEAK_MAX_STACK_DEPTH];
	bool inserted = false, script_truncated = false;
	size_t i, n, skip, nscript;
	uint64_t id;

	if (e->lost || bpf_map_lookup_elem(in->stack_map_fd, &e->snap->key.stack_id, ips)) {
		e->lost = true;
		e->id = stack_identity_end(stack_identity_begin(e->snap->key.kind, true, false));
		return 0;
	}
	/* The script frames stored after the native ones, before ips is edited. */
	nscript = in->scripts ? scripts_stored_count(ips) : 0;
	if (nscript)
		memcpy(stored, ips, sizeof(stored));
	for (n = 0; n < MEMLEAK_MAX_STACK_DEPTH && ips[n]; n++) {
		if (ips[n] == MEMLEAK_FRAME_TRUNCATED) {
			e->truncated = true;
			break;
		}
	}
	/*
	 * At a syscall the frame-pointer walk skips the caller of a leaf
	 * wrapper (mmap, munmap, brk keep no frame): the word at the stack
	 * pointer is that return address.  Put it back where it belongs,
	 * if it is code in a known module.
	 */
	if (e->snap->caller && n >= 1 && n < MEMLEAK_MAX_STACK_DEPTH &&
	    (n < 2 || ips[1] != e->snap->caller)) {
		const char *mod;
		uint64_t rel;

		if (symbolizer_locate(in->sym, pid, e->snap->caller, &mod, &rel)) {
			memmove(&ips[2], &ips[1], (n - 1) * sizeof(ips[0]));
			ips[1] = e->snap->caller;
			n++;
			inserted = true;
		}
	}
	skip = kernel_prefix(e, in, ips, n);
	memmove(ips, ips + skip, (n - skip) * sizeof(ips[0]));
	n -= skip;
	/* The wrapper's caller came from [sp], not from the rbp chain. */
	if (in->check_frame_pointers)
		n = trust_frame_pointers(e, in, ips, n, inserted ? 1 : 0);
	/* Script frames go in at the interpreter's eval-loop frames. */
	if (nscript) {
		n = scripts_merge(in->scripts, pid, stored, ips, n, mixed,
				  MEMLEAK_MAX_STACK_DEPTH, &script_truncated);
		if (script_truncated)
			e->truncated = true;
		e->mixed = malloc(n * sizeof(*e->mixed) + 1);
		if (!e->mixed)
			return -ENOMEM;
		memcpy(e->mixed, mixed, n * sizeof(*e->mixed));
	}
	e->addrs = malloc(n * sizeof(*e->addrs) + 1);
	e->rels = malloc(n * sizeof(*e->rels) + 1);
	e->modules = malloc(n * sizeof(*e->modules) + 1);
	if (!e->addrs || !e->rels || !e->modules)
		return -ENOMEM;
	id = stack_identity_begin(e->snap->key.kind, false, e->truncated);
	if (e->cache)
		id = stack_identity_frame(id, "[slab cache]", e->cache);
	for (i = 0; i < n; i++) {
		if (e->mixed && e->mixed[i].runtime != MEMLEAK_RUNTIME_NATIVE) {
			/* A script frame is the same wherever its function, file and line are. */
			e->addrs[i] = 0;
			e->modules[i] = e->mixed[i].file ? e->mixed[i].file : "?";
			e->rels[i] = stack_identity_script(e->mixed[i].symbol, e->mixed[i].line);
			id = stack_identity_frame(id, e->modules[i], e->rels[i]);
			continue;
		}
		e->addrs[i] = e->mixed ? e->mixed[i].addr : ips[i];
		/* Kernel addresses are the same in every process. */
		if (is_kernel_addr(e->addrs[i])) {
			const char *name;
			uint64_t off;

			if (!kallsyms_resolve(in->ksyms, e->addrs[i] - 1, &name, &off,
					      &e->modules[i]))
				e->modules[i] = NULL;
			e->rels[i] = e->addrs[i];
		} else if (!symbolizer_locate(in->sym, pid, e->addrs[i], &e->modules[i],
					      &e->rels[i])) {
			e->modules[i] = NULL;
			e->rels[i] = e->addrs[i];
		}
		id = stack_identity_frame(id, e->modules[i], e->rels[i]);
	}
	e->id = stack_identity_end(id);
	e->nframes = n;
	return 0;
}

/*
 * The dynamic loader maps the .bss of every library and its own small heap
 * with anonymous mmap before main(): memory that is never unmapped and
 * never grows, not a leak.  Such mappings are left out of the stacks.
 */
static bool made_by_loader(const struct entry *e)
{
	const char *base;

	if (e->snap->key.kind == MEMLEAK_KIND_MALLOC || !e->nframes || !e->modules[0])
		return false;
	base = strrchr(e->modules[0], '/');
	base = base ? base + 1 : e->modules[0];
	return !strncmp(base, "ld-linux", 8) || !strncmp(base, "ld-musl", 7);
}

static int str_cmp_null(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a || !b)
		return a ? 1 : -1;
	return strcmp(a, b);
}

/* Total order that puts identical normalized stacks next to each other. */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = *(const struct entry *const *)pa;
	const struct entry *b = *(const struct entry *const *)pb;
	size_t i;
	int c;

	if (a->snap->key.kind != b->snap->key.kind)
		return a->snap->key.kind < b->snap->key.kind ? -1 : 1;
	if (a->cache != b->cache)
		return a->cache < b->cache ? -1 : 1;
	if (a->lost != b->lost)
		return a->lost ? 1 : -1;
	if (a->truncated != b->truncated)
		return a->truncated ? 1 : -1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (a->nframes != b->nframes)
		return a->nframes < b->nframes ? -1 : 1;
	for (i = 0; i < a->nframes; i++) {
		if (a->rels[i] != b->rels[i])
			return a->rels[i] < b->rels[i] ? -1 : 1;
		c = str_cmp_null(a->modules[i], b->modules[i]);
		if (c)
			return c;
	}
	return 0;
}

static int by_bytes(const struct stack_report *a, const struct stack_report *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->allocs != b->allocs)
		return a->allocs > b->allocs ? -1 : 1;
	if (a->oldest_age_ms != b->oldest_age_ms)
		return a->oldest_age_ms > b->oldest_age_ms ? -1 : 1;
	return 0;
}

int stack_rank_cmp(const struct stack_report *a, const struct stack_report *b,
		   enum stack_sort sort)
{
	switch (sort) {
	case SORT_GROWTH:
		if (a->score != b->score)
			return a->score > b->score ? -1 : 1;
		break;
	case SORT_COUNT:
		if (a->allocs != b->allocs)
			return a->allocs > b->allocs ? -1 : 1;
		break;
	case SORT_BYTES:
		break;
	}
	return by_bytes(a, b);
}

static int rank_qsort_cmp(const void *a, const void *b, void *sort)
{
	return stack_rank_cmp(a, b, *(const enum stack_sort *)sort);
}

/* A merged stack before symbolization: the first entry stands for all. */
struct group {
	struct stack_report rep;
	const struct entry *first;
	size_t pids_cap, pid_bytes_cap;
};

static int add_pid(struct group *g, pid_t pid, uint64_t bytes)
{
	struct stack_report *s = &g->rep;
	size_t i;

	for (i = 0; i < s->npids; i++) {
		if (s->pids[i] == pid) {
			s->pid_bytes[i] += bytes;
			return 0;
		}
	}
	if (array_reserve((void **)&s->pids, &g->pids_cap, s->npids + 1, sizeof(*s->pids)) ||
	    array_reserve((void **)&s->pid_bytes, &g->pid_bytes_cap, s->npids + 1,
			  sizeof(*s->pid_bytes)))
		return -ENOMEM;
	s->pids[s->npids] = pid;
	s->pid_bytes[s->npids++] = bytes;
	return 0;
}

static int64_t age_ms(const struct snapshot *snap, uint64_t ts)
{
	if (!ts || ts > snap->now_ns)
		return ts ? 0 : -1;
	return (int64_t)((snap->now_ns - ts) / 1000000ULL);
}

/* A slab cache's name, as the BPF side read it at its first allocation. */
static void cache_name(const struct analysis_input *in, uint64_t cache, char *out)
{
	char name[MEMLEAK_SLAB_NAME_LEN] = "";

	if (cache && in->kcache_fd > 0)
		bpf_map_lookup_elem(in->kcache_fd, &cache, name);
	name[sizeof(name) - 1] = '\0';
	memcpy(out, name, sizeof(name));
}

/* Fold sorted entries into groups; returns the number of groups or -errno. */
static ssize_t merge(struct entry **sorted, size_t n, const struct snapshot *snap,
		     const struct analysis_input *in, struct group *groups)
{
	size_t i, ng = 0;

	for (i = 0; i < n; i++) {
		const struct entry *e = sorted[i];
		struct group *g;
		int64_t age;

		if (!ng || entry_cmp(&sorted[i - 1], &sorted[i])) {
			g = &groups[ng++];
			memset(g, 0, sizeof(*g));
			g->first = e;
			g->rep.kind = e->snap->key.kind;
			g->rep.stack_lost = e->lost;
			g->rep.truncated = e->truncated;
			g->rep.oldest_age_ms = -1;
			cache_name(in, e->cache, g->rep.slab_cache);
		}
		g = &groups[ng - 1];
		g->rep.bytes += e->snap->bytes;
		g->rep.allocs += e->snap->count;
		/* Mappings keep no cumulative count: what is mapped now. */
		if (e->snap->key.kind == MEMLEAK_KIND_MALLOC) {
			g->rep.alloc_bytes += e->snap->alloc_bytes;
			g->rep.alloc_allocs += e->snap->alloc_count;
		} else {
			g->rep.alloc_bytes += e->snap->bytes;
			g->rep.alloc_allocs += e->snap->count;
		}
		age = age_ms(snap, e->snap->oldest_ts_ns);
		if (age > g->rep.oldest_age_ms)
			g->rep.oldest_age_ms = age;
		if (add_pid(g, e->snap->key.tgid, e->snap->bytes))
			return -ENOMEM;
	}
	return (ssize_t)ng;
}

/*
 * Every stack of the report goes into the history, before the top-N cut:
 * a small steady leak must be able to rank first by growth.
 */
static void record_history(struct history *h, uint64_t now_ns, struct group *groups,
			   size_t ng)
{
	struct growth g;
	size_t i;

	history_begin(h, now_ns);
	for (i = 0; i < ng; i++) {
		history_record(h, groups[i].first->id, groups[i].rep.bytes, &g);
		groups[i].rep.growth_bytes_per_min = g.bytes_per_min;
		groups[i].rep.score = g.score;
	}
	history_end(h);
}

/* A kernel frame: function+offset and module from /proc/kallsyms. */
static size_t resolve_kernel(const struct kallsyms *k, uint64_t addr, struct frame *f)
{
	const char *name, *mod;
	uint64_t off;

	memset(f, 0, sizeof(*f));
	f->addr = addr;
	/* A return address: the call is at addr - 1. */
	if (kallsyms_resolve(k, addr - 1, &name, &off, &mod)) {
		f->symbol = name;
		f->offset = off + 1;
		f->module = mod;
	}
	return 1;
}

static int symbolize_group(struct group *g, const struct analysis_input *in)
{
	const struct entry *e = g->first;
	struct frame chain[SYMBOLIZER_MAX_INLINE + 1];
	size_t i, j, n, cap = e->nframes;

	if (!e->nframes)
		return 0;
	g->rep.frames = calloc(cap, sizeof(*g->rep.frames));
	if (!g->rep.frames)
		return -ENOMEM;
	for (i = 0; i < e->nframes; i++) {
		if (e->mixed && e->mixed[i].runtime != MEMLEAK_RUNTIME_NATIVE) {
			struct frame *f;

			if (array_reserve((void **)&g->rep.frames, &cap,
					  g->rep.nframes + 1 + (e->nframes - i - 1),
					  sizeof(*g->rep.frames)))
				return -ENOMEM;
			f = &g->rep.frames[g->rep.nframes++];
			memset(f, 0, sizeof(*f));
			f->runtime = e->mixed[i].runtime;
			f->symbol = e->mixed[i].symbol;
			f->file = e->mixed[i].file;
			f->line = e->mixed[i].line;
			continue;
		}
		if (is_kernel_addr(e->addrs[i]))
			n = resolve_kernel(in->ksyms, e->addrs[i], chain);
		else
			n = symbolizer_resolve_inline(in->sym, e->snap->key.tgid,
						      e->addrs[i], chain,
						      SYMBOLIZER_MAX_INLINE + 1);
		/* Inlined functions add frames: room for them and the rest. */
		if (array_reserve((void **)&g->rep.frames, &cap,
				  g->rep.nframes + n + (e->nframes - i - 1),
				  sizeof(*g->rep.frames)))
			return -ENOMEM;
		for (j = 0; j < n; j++) {
			chain[j].module_offset = e->modules[i] ? e->rels[i] : 0;
			g->rep.frames[g->rep.nframes++] = chain[j];
		}
	}
	return 0;
}

static int build_stacks(const struct analysis_input *in, struct report *r)
{
	const struct snapshot *snap = in->snap;
	struct entry *entries = NULL, **sorted = NULL;
	struct group *groups = NULL;
	ssize_t ng = 0;
	size_t i, n, top;
	int err = -ENOMEM;

	if (!snap->nstacks) {
		/* Nothing shown: every stack of the history holds 0 now. */
		if (in->history)
			record_history(in->history, snap->now_ns, NULL, 0);
		return 0;
	}
	entries = calloc(snap->nstacks, sizeof(*entries));
	sorted = calloc(snap->nstacks, sizeof(*sorted));
	groups = calloc(snap->nstacks, sizeof(*groups));
	if (!entries || !sorted || !groups)
		goto out;
	for (i = n = 0; i < snap->nstacks; i++) {
		entries[i].snap = &snap->stacks[i];
		entries[i].lost = snap->stacks[i].key.stack_id < 0;
		if (normalize(&entries[i], in))
			goto out;
		if (!made_by_loader(&entries[i]))
			sorted[n++] = &entries[i];
	}
	qsort(sorted, n, sizeof(*sorted), entry_cmp);
	ng = merge(sorted, n, snap, in, groups);
	if (ng < 0)
		goto out;
	if (in->history)
		record_history(in->history, snap->now_ns, groups, ng);
	/* Rank the reports; each group moves with its report (rep is first). */
	qsort_r(groups, ng, sizeof(*groups), rank_qsort_cmp, (void *)&in->sort);
	r->stacks_matched = ng;
	top = (size_t)ng < in->top_n ? (size_t)ng : in->top_n;
	r->stacks = calloc(top ? top : 1, sizeof(*r->stacks));
	if (!r->stacks)
		goto out;
	for (i = 0; i < top; i++) {
		err = symbolize_group(&groups[i], in);
		r->stacks[i] = groups[i].rep;
		groups[i].rep.pids = NULL;
		groups[i].rep.pid_bytes = NULL;
		r->nstacks++;
		if (err)
			goto out;
	}
	err = 0;
out:
	for (i = 0; groups && i < (size_t)(ng > 0 ? ng : 0); i++) {
		free(groups[i].rep.pids);
		free(groups[i].rep.pid_bytes);
	}
	free(groups);
	free(sorted);
	for (i = 0; entries && i < snap->nstacks; i++) {
		free(entries[i].addrs);
		free(entries[i].rels);
		free(entries[i].modules);
		free(entries[i].mixed);
	}
	free(entries);
	return err;
}

static int build_processes(const struct analysis_input *in, struct report *r)
{
	size_t i, j;

	r->procs = calloc(in->ntargets ? in->ntargets : 1, sizeof(*r->procs));
	if (!r->procs)
		return -ENOMEM;
	for (i = 0; i < in->ntargets; i++) {
		const struct target *t = &in->targets[i];
		struct process_report *p = &r->procs[r->nprocs++];

		p->pid = t->pid;
		p->ns_pid = t->ns_pid;
		p->host_pid = t->host_pid;
		p->k8s = t->k8s;
		p->ppid = t->ppid;
		p->respawn = t->respawn;
		memcpy(p->comm, t->comm, sizeof(p->comm));
		p->exited = t->exited;
		p->escalated = t->esc_until_ms != 0;
		p->rss_bytes = t->exited ? -1 : procfs_rss_bytes(t->pid);
		p->backing_bytes = p->mapped_bytes = -1;
		if (in->maps && mappings_get(in->maps, t->pid)) {
			const struct region_set *rs = mappings_get(in->maps, t->pid);

			p->backing_bytes = regions_bytes(rs, MEMLEAK_KIND_MMAP, true) +
					   regions_bytes(rs, MEMLEAK_KIND_BRK, true);
			p->mapped_bytes = regions_bytes(rs, MEMLEAK_KIND_MMAP, false) +
					  regions_bytes(rs, MEMLEAK_KIND_BRK, false);
		}
		for (j = 0; j < in->snap->ntotals; j++) {
			const struct snap_stack *s = &in->snap->totals[j];

			if (s->key.tgid != (uint32_t)t->pid || s->key.gen != t->gen)
				continue;
			p->outstanding_bytes += s->bytes;
			p->outstanding_allocs += s->count;
		}
		/*
		 * Outstanding bytes are themselves the growth since attach (what
		 * was allocated before is not seen); RSS says what the whole
		 * process grew by meanwhile.
		 */
		p->growth_bytes = t->prev_bytes < 0 ? (int64_t)p->outstanding_bytes
				  : (int64_t)p->outstanding_bytes - t->prev_bytes;
		p->rss_growth_bytes = p->rss_bytes < 0 || t->rss_at_attach < 0 ? 0
				      : p->rss_bytes - t->rss_at_attach;
	}
	return 0;
}

int analysis_build(const struct analysis_input *in, struct report *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_REALTIME, &r->time);
	r->interval_s = in->interval_s;
	r->top_n = in->top_n;
	r->min_age_ms = in->min_age_ms;
	r->min_size = in->min_size;
	r->max_size = in->max_size;
	r->sort = in->sort;
	memcpy(r->stats, in->snap->stats, sizeof(r->stats));
	err = build_processes(in, r);
	if (!err)
		err = build_stacks(in, r);
	if (err)
		report_free(r);
	return err;
}
