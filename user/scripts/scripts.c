// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Script frames: interpreters found, their code objects resolved
 * (scripts.h), the same for every runtime of the table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli/errors.h"
#include "lib/util.h"
#include "memleak.h"
#include "scripts/runtime.h"
#include "scripts/scripts.h"

/* Every runtime looked for, in the order they are. */
static const struct script_runtime *const runtimes[] = {
	&python_runtime,
	&php_runtime,
	&lua_runtime,
};

/* Code objects cached per process; the cache starts over when full. */
#define CODE_CACHE_SLOTS 4096
#define CODE_CACHE_MAX (CODE_CACHE_SLOTS / 2)
/* Bytes of names and files kept, for every process together. */
#define STRINGS_MAX (4u << 20)

struct code_slot {
	uint64_t addr;            /* 0: free */
	uint64_t checked;         /* the report round it was last found valid in */
	bool valid;
	const char *qualname, *filename;
	int firstlineno;
	uint64_t qualname_addr, filename_addr, linetable_addr;
	uint8_t *linetable;
	size_t linetable_len;
};

struct script_proc {
	pid_t pid;
	uint32_t gen;
	bool unsupported;         /* an interpreter of an unknown version (said) */
	const struct script_runtime *rt; /* the interpreter whose frames are read */
	void *info;               /* rt's, rt->info_size bytes */
	int mem;                  /* /proc/PID/mem, -1 = not open */
	struct code_slot *codes;  /* CODE_CACHE_SLOTS, allocated at first use */
	size_t ncodes;
};

struct scripts {
	struct scripts_opts opts;
	struct script_proc *procs;
	size_t nprocs, cap;
	uint64_t round;
	void *strs;               /* interned strings (tsearch) */
	size_t str_bytes;
};

struct scripts *scripts_new(const struct scripts_opts *opts)
{
	struct scripts *s = calloc(1, sizeof(*s));

	if (s) {
		s->opts = *opts;
		s->round = 1;
	}
	return s;
}

static void clear_codes(struct script_proc *p)
{
	size_t i;

	for (i = 0; p->codes && i < CODE_CACHE_SLOTS; i++)
		free(p->codes[i].linetable);
	if (p->codes)
		memset(p->codes, 0, CODE_CACHE_SLOTS * sizeof(*p->codes));
	p->ncodes = 0;
}

static void proc_release(struct script_proc *p)
{
	clear_codes(p);
	free(p->codes);
	p->codes = NULL;
	free(p->info);
	p->info = NULL;
	p->rt = NULL;
	if (p->mem >= 0)
		close(p->mem);
	p->mem = -1;
}

void scripts_free(struct scripts *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nprocs; i++)
		proc_release(&s->procs[i]);
	free(s->procs);
	tdestroy(s->strs, free);
	free(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* A copy of str owned by s, shared by equal strings; "?" past the cap. */
static const char *intern(struct scripts *s, const char *str)
{
	char *copy, **node = tfind(str, &s->strs, cmp_str);
	size_t len = strlen(str) + 1;

	if (node)
		return *node;
	if (s->str_bytes + len > STRINGS_MAX || !(copy = strdup(str)))
		return "?";
	node = tsearch(copy, &s->strs, cmp_str);
	if (!node || *node != copy) {
		free(copy);
		return node ? *node : "?";
	}
	s->str_bytes += len;
	return copy;
}

static struct script_proc *proc_find(struct scripts *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

int script_read_mem(int mem, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = pread(mem, buf, len, (off_t)addr);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static void enter_bpf(struct scripts *s, const struct script_proc *p)
{
	struct memleak_script_proc v = { .gen = p->gen };
	__u32 key = (__u32)p->pid;

	p->rt->bpf_entry(p->info, &v);
	if (bpf_map_update_elem(s->opts.procs_map_fd, &key, &v, BPF_ANY)) {
		verbose_msg(0, "pid %d: cannot enter its interpreter for script frames: %s",
			    (int)p->pid, strerror(errno));
		return;
	}
	/* From now on the BPF side looks processes up (script.bpf.c). */
	if (s->opts.entered)
		*s->opts.entered = 1;
}

/*
 * The first runtime found in pid: 1 (p->rt, p->info set, said with -v),
 * 0 none, -ENOTSUP one of an unknown version (said once, always).
 */
static int detect(struct script_proc *p, pid_t pid)
{
	char what[PATH_MAX + 128];
	size_t i;
	int r;

	for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		void *info = calloc(1, runtimes[i]->info_size);

		if (!info)
			return -ENOMEM;
		what[0] = '\0';
		r = runtimes[i]->detect(pid, info, what, sizeof(what));
		if (r == -ENOTSUP) {
			err_msg("pid %d: %s: no script frames for this version, native frames only",
				(int)pid, what);
			free(info);
			return r;
		}
		if (r == 1) {
			verbose_msg(1, "pid %d: %s: script frames", (int)pid, what);
			p->rt = runtimes[i];
			p->info = info;
			return 1;
		}
		free(info);
	}
	return 0;
}

void scripts_update_process(struct scripts *s, pid_t pid, uint32_t gen)
{
	struct script_proc *p;
	char path[64];
	int r;

	if (!s || s->opts.disabled)
		return;
	p = proc_find(s, pid);
	if (!p) {
		if (array_reserve((void **)&s->procs, &s->cap, s->nprocs + 1, sizeof(*s->procs)))
			return;
		p = &s->procs[s->nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
		p->mem = -1;
	}
	if (p->gen != gen) {
		proc_release(p);
		p->unsupported = false;
		p->gen = gen;
	}
	if (p->rt || p->unsupported)
		return;
	/* Looked at again while nothing was found: libpython may be dlopen'ed later. */
	r = detect(p, pid);
	if (r == -ENOTSUP)
		p->unsupported = true;
	if (r != 1)
		return;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	p->mem = open(path, O_RDONLY | O_CLOEXEC);
	if (p->mem < 0) {
		verbose_msg(0, "pid %d: cannot read its memory for script frames: %s", (int)pid,
			    strerror(errno));
		proc_release(p);
		return;
	}
	enter_bpf(s, p);
}

void scripts_forget(struct scripts *s, pid_t pid)
{
	struct script_proc *p = s ? proc_find(s, pid) : NULL;
	__u32 key = (__u32)pid;

	if (!p)
		return;
	bpf_map_delete_elem(s->opts.procs_map_fd, &key);
	proc_release(p);
	*p = s->procs[--s->nprocs];
}

void scripts_begin_report(struct scripts *s)
{
	if (s)
		s->round++;
}

size_t scripts_stored_count(const uint64_t *ips)
{
	size_t at = 0;
	uint64_t hdr;

	while (at < MEMLEAK_MAX_STACK_DEPTH && ips[at])
		at++;
	if (at + 1 >= MEMLEAK_MAX_STACK_DEPTH)
		return 0;
	hdr = ips[at + 1];
	if ((hdr & MEMLEAK_SCRIPT_MAGIC_MASK) != MEMLEAK_SCRIPT_MAGIC)
		return 0;
	if (MEMLEAK_SCRIPT_HDR_COUNT(hdr) > MEMLEAK_MAX_STACK_DEPTH - at - 2)
		return 0;
	return MEMLEAK_SCRIPT_HDR_COUNT(hdr);
}

/* The cached code object at addr, read now if unknown or not checked this round. */
static const struct code_slot *code_of(struct scripts *s, struct script_proc *p, uint64_t addr)
{
	struct script_code c;
	struct code_slot *slot;
	size_t i, h;
	int err;

	if (!p->codes && !(p->codes = calloc(CODE_CACHE_SLOTS, sizeof(*p->codes))))
		return NULL;
	h = (size_t)(fnv1a_word(FNV1A_INIT, addr) % CODE_CACHE_SLOTS);
	for (i = 0; i < CODE_CACHE_SLOTS; i++) {
		slot = &p->codes[(h + i) % CODE_CACHE_SLOTS];
		if (!slot->addr || slot->addr == addr)
			break;
	}
	if (slot->addr == addr) {
		if (slot->checked == s->round)
			return slot->valid ? slot : NULL;
		/*
		 * Still the same object: its type and the names it points to.
		 * Memory that cannot be read any more (the process exited)
		 * changed nothing: what was read while it lived stands.
		 */
		err = p->rt->read_code(p->mem, p->info, addr, &c, false);
		if (err == -EFAULT ||
		    (!err && c.qualname_addr == slot->qualname_addr &&
		     c.filename_addr == slot->filename_addr &&
		     c.linetable_addr == slot->linetable_addr &&
		     c.firstlineno == slot->firstlineno)) {
			slot->checked = s->round;
			return slot->valid ? slot : NULL;
		}
		free(slot->linetable);
		slot->linetable = NULL;
	} else {
		if (p->ncodes >= CODE_CACHE_MAX) {
			clear_codes(p);
			return code_of(s, p, addr);
		}
		p->ncodes++;
	}
	slot->addr = addr;
	slot->checked = s->round;
	slot->valid = !p->rt->read_code(p->mem, p->info, addr, &c, true);
	if (!slot->valid)
		return NULL;
	slot->qualname = intern(s, c.qualname);
	slot->filename = intern(s, c.filename);
	slot->firstlineno = c.firstlineno;
	slot->qualname_addr = c.qualname_addr;
	slot->filename_addr = c.filename_addr;
	slot->linetable_addr = c.linetable_addr;
	slot->linetable = c.linetable;
	slot->linetable_len = c.linetable_len;
	return slot;
}

/*
 * caller: the word of the frame that called this one (the next one out),
 * NULL if none: where the runtime names functions by their callers.
 */
static void script_frame(struct scripts *s, struct script_proc *p, unsigned int runtime,
			 uint64_t word, const uint64_t *caller, struct mixed_frame *f)
{
	const struct code_slot *c = p && p->rt && p->rt->id == runtime
				    ? code_of(s, p, MEMLEAK_SCRIPT_WORD_CODE(word)) : NULL;
	char name[256];

	memset(f, 0, sizeof(*f));
	f->runtime = runtime;
	if (!c) {
		/* Freed since, or not a code object: named for what it is. */
		f->symbol = "<unknown code>";
		return;
	}
	f->symbol = c->qualname;
	f->file = c->filename;
	f->line = p->rt->line(c->firstlineno, c->linetable, c->linetable_len,
			      MEMLEAK_SCRIPT_WORD_OFF1(word));
	/* A frame its eval-loop call began with was called from native code. */
	if (p->rt->caller_name && caller && !MEMLEAK_SCRIPT_WORD_ENTRY(word) &&
	    MEMLEAK_SCRIPT_WORD_OFF1(*caller) &&
	    code_of(s, p, MEMLEAK_SCRIPT_WORD_CODE(*caller)) &&
	    p->rt->caller_name(p->mem, p->info, MEMLEAK_SCRIPT_WORD_CODE(*caller),
			       MEMLEAK_SCRIPT_WORD_OFF1(*caller), name, sizeof(name)))
		f->symbol = intern(s, name);
}

static bool in_eval_loop(const struct script_proc *p, uint64_t addr)
{
	return p && p->rt && p->rt->in_eval(p->info, addr);
}

size_t scripts_interleave(const uint64_t *words, size_t count, const uint64_t *native, size_t n,
			  bool (*in_eval)(uint64_t addr, void *ctx), void *ctx,
			  struct interleave_slot *out, size_t cap)
{
	size_t next = 0, o = 0, i;

	for (i = 0; i < n && o < cap; i++) {
		if (next < count && in_eval(native[i], ctx)) {
			/* This eval-loop call runs frames up to its entry frame. */
			while (next < count && o < cap) {
				uint64_t w = words[next];

				out[o++] = (struct interleave_slot){ .script = true, .index = next++ };
				if (MEMLEAK_SCRIPT_WORD_ENTRY(w))
					break;
			}
			if (o >= cap)
				break;
		}
		out[o++] = (struct interleave_slot){ .script = false, .index = i };
	}
	while (next < count && o < cap)
		out[o++] = (struct interleave_slot){ .script = true, .index = next++ };
	return o;
}

static bool proc_in_eval(uint64_t addr, void *ctx)
{
	return in_eval_loop(ctx, addr);
}

size_t scripts_merge(struct scripts *s, pid_t pid, const uint64_t *ips, const uint64_t *native,
		     size_t n, struct mixed_frame *out, size_t cap, bool *script_truncated)
{
	size_t count = scripts_stored_count(ips), at = 0, o, i;
	struct script_proc *p = s ? proc_find(s, pid) : NULL;
	struct interleave_slot order[2 * MEMLEAK_MAX_STACK_DEPTH];
	unsigned int runtime = MEMLEAK_RUNTIME_NATIVE;
	uint64_t expanded[MEMLEAK_MAX_STACK_DEPTH];
	const uint64_t *words;

	*script_truncated = false;
	while (at < MEMLEAK_MAX_STACK_DEPTH && ips[at])
		at++;
	words = count ? &ips[at + 2] : NULL;
	if (count) {
		*script_truncated = MEMLEAK_SCRIPT_HDR_TRUNCATED(ips[at + 1]);
		runtime = MEMLEAK_SCRIPT_HDR_RUNTIME(ips[at + 1]);
	}
	if (count && p && p->rt && p->rt->id == runtime && p->rt->expand) {
		count = p->rt->expand(p->mem, p->info, words, count, native, n, expanded,
				      sizeof(expanded) / sizeof(expanded[0]));
		words = expanded;
	}
	if (cap > sizeof(order) / sizeof(order[0]))
		cap = sizeof(order) / sizeof(order[0]);
	o = scripts_interleave(words, count, native, n, proc_in_eval, p, order, cap);
	for (i = 0; i < o; i++) {
		if (order[i].script) {
			size_t w = order[i].index;

			script_frame(s, p, runtime, words[w], w + 1 < count ? &words[w + 1] : NULL,
				     &out[i]);
		} else {
			memset(&out[i], 0, sizeof(out[i]));
			out[i].addr = native[order[i].index];
		}
	}
	return o;
}
