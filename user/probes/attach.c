// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Uprobe attachment.  The dynamic linker binds a call to the first object
 * that defines a function (jemalloc before libc, the executable itself for
 * static builds), so every mapped object that defines allocation functions
 * is probed; the ones never called cost nothing.  Probes are attached per
 * pid, so the breakpoints exist only in the traced processes, unless they
 * are system-wide (attach.h): then every process mapping a probed object
 * traps, and the kernel side drops the calls of untraced ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "lib/util.h"
#include "probes/allocators.h"
#include "probes/attach.h"
#include "probes/elf_syms.h"
#include "memleak.h"
#include "probes/probe_place.h"
#include "procs/proc_files.h"
#include "procs/proc_maps.h"
#include "procs/procfs.h"
#include "probes/uprobe_links.h"
#include "memleak.skel.h"

/* An object (by inode) already probed for a pid. */
struct attached_object {
	pid_t pid;
	uint64_t inode;
	char path[256];
	int nfuncs;
};

/*
 * One attachment: a libbpf link (a perf-event uprobe, a tracepoint), or
 * the descriptor of a uprobe multi link or session holding nprobes probes.
 */
struct probe_link {
	struct bpf_link *link;
	int fd;
	size_t nprobes;
};

/* A list of links: allocator probes, or mapping-wrapper probes and tracepoints. */
struct link_list {
	struct probe_link *v;
	size_t n, cap;
};

/* The objects probed so far, for allocators or for mapping wrappers. */
struct object_list {
	struct attached_object *v;
	size_t n, cap;
};

struct attacher {
	struct attach_opts opts;   /* what to attach: fixed at creation */
	uint64_t only_dev, only_ino; /* opts.only_path's file */
	size_t first_custom;       /* table index of the first --alloc-fn/--free-fn */
	unsigned int *custom_hits; /* how often each custom function was found */
	pid_t escalating;          /* attach_escalate() is probing this pid */
	bool syscall_tracepoints;  /* attached (idempotent attach) */
	/* One uprobe multi link per program and object (uprobe_links.h). */
	bool multi;
	/* Allocator probes: uprobe links, multi links and uprobe sessions. */
	struct link_list links;
	struct object_list objs;
	/* Mapping-wrapper probes and tracepoints, apart (attach_opts.map_wrappers). */
	struct link_list wlinks;
	struct object_list wobjs;
};

/* The entry program of each argument layout (allocators.h). */
static struct bpf_program *role_program(struct memleak_bpf *skel, enum alloc_role role)
{
	switch (role) {
	case ROLE_MALLOC: return skel->progs.malloc_enter;
	case ROLE_CALLOC: return skel->progs.calloc_enter;
	case ROLE_REALLOC: return skel->progs.realloc_enter;
	case ROLE_REALLOCARRAY: return skel->progs.reallocarray_enter;
	case ROLE_POSIX_MEMALIGN: return skel->progs.posix_memalign_enter;
	case ROLE_ALIGNED: return skel->progs.aligned_enter;
	case ROLE_FREE: return skel->progs.free_enter;
	case ROLE_DELETE: return skel->progs.delete_enter;
	case ROLE_CUSTOM_ALLOC: return skel->progs.custom_alloc_enter;
	case ROLE_CUSTOM_FREE: return skel->progs.custom_free_enter;
	case ROLE_MARKER: break;
	}
	return NULL;
}

/* free only needs its entry; everything else is a call followed to its return. */
static bool role_has_return(enum alloc_role role)
{
	return role != ROLE_FREE;
}

/* Sampled mode: the call the session program follows, as its BPF cookie. */
static uint64_t sampled_fn(enum alloc_role role)
{
	switch (role) {
	case ROLE_CALLOC: return MEMLEAK_FN_CALLOC;
	case ROLE_REALLOC: return MEMLEAK_FN_REALLOC;
	case ROLE_REALLOCARRAY: return MEMLEAK_FN_REALLOCARRAY;
	case ROLE_POSIX_MEMALIGN: return MEMLEAK_FN_POSIX_MEMALIGN;
	case ROLE_ALIGNED: return MEMLEAK_FN_ALIGNED_ALLOC;
	default: return MEMLEAK_FN_MALLOC;
	}
}

/* Sampled mode: frees forget recorded blocks and need no return. */
static bool role_frees(enum alloc_role role)
{
	return role == ROLE_FREE || role == ROLE_DELETE || role == ROLE_CUSTOM_FREE;
}

/* Functions listed by name in the one-line summary of an object (-v). */
#define SUMMARY_NAMES 8

/* Detach one link (thread-safe: links are independent). */
static void release_link(struct probe_link *pl)
{
	if (pl->link)
		bpf_link__destroy(pl->link);
	else if (pl->fd >= 0)
		close(pl->fd);
	pl->link = NULL;
	pl->fd = -1;
	pl->nprobes = 0;
}

/* Links detached by a pool of threads, each taking the next one. */
struct detach_job {
	struct probe_link **v;
	size_t n, next;
};

static void *detach_worker(void *arg)
{
	struct detach_job *job = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) < job->n)
		release_link(job->v[i]);
	return NULL;
}

/* Enough threads that a host's worth of perf-event links waits a few grace periods. */
#define DETACH_THREADS 32
#define DETACH_STACK (64 * 1024)

/*
 * Detach n links at once.  Each uprobe link's close waits for an
 * RCU-tasks-trace grace period (~0.1 s); closes waiting at the same time
 * share one, so detaching from parallel threads takes about one whatever
 * the count, where closing in turn takes one per link.  With fewer
 * threads (none could start) the links are detached in this one.
 */
static void detach_parallel(struct probe_link **v, size_t n)
{
	struct detach_job job = { .v = v, .n = n };
	pthread_t threads[DETACH_THREADS];
	size_t started = 0, want = n < DETACH_THREADS ? n : DETACH_THREADS;
	pthread_attr_t attr;

	if (n > 1 && !pthread_attr_init(&attr)) {
		pthread_attr_setstacksize(&attr, DETACH_STACK);
		while (started + 1 < want &&
		       !pthread_create(&threads[started], &attr, detach_worker, &job))
			started++;
		pthread_attr_destroy(&attr);
	}
	detach_worker(&job);
	while (started)
		pthread_join(threads[--started], NULL);
}

/* Detach every live link of the lists, in parallel; the lists keep their slots. */
static void detach_lists(struct link_list **lists, size_t nlists, size_t first, size_t end)
{
	struct probe_link **v;
	size_t i, k, n = 0;

	for (k = 0; k < nlists; k++)
		n += lists[k]->n;
	v = calloc(n ? n : 1, sizeof(*v));
	n = 0;
	for (k = 0; k < nlists; k++) {
		for (i = first; i < end && i < lists[k]->n; i++) {
			struct probe_link *pl = &lists[k]->v[i];

			if (!pl->link && pl->fd < 0)
				continue;
			if (v)
				v[n++] = pl;
			else
				release_link(pl); /* no memory for the pool: in turn */
		}
	}
	if (v)
		detach_parallel(v, n);
	free(v);
}

/* Keep link (or, if link is NULL, the link descriptor fd); released on failure. */
static int push_link(struct link_list *l, struct bpf_link *link, int fd, size_t nprobes)
{
	struct probe_link pl = { .link = link, .fd = link ? -1 : fd, .nprobes = nprobes };

	if (array_reserve((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v))) {
		release_link(&pl);
		return -ENOMEM;
	}
	l->v[l->n++] = pl;
	return 0;
}

/*
 * Probes serve every process (pid -1) in system-wide mode, except those of
 * an escalation, which are for its one process.
 */
static bool system_wide(const struct attacher *st)
{
	return st->opts.system_wide && !st->escalating;
}

/*
 * One uprobe on path at off, for pid (or every process, system-wide).
 * Mapping-wrapper probes are kept apart from the allocator probes, which
 * an escalation attaches and detaches as a range of st->links.
 */
static int attach_one(struct attacher *st, struct bpf_program *prog, pid_t pid,
		      const char *path, uint64_t off, bool retprobe, uint64_t cookie,
		      bool wrapper)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = retprobe, .bpf_cookie = cookie);
	struct bpf_link *link;

	link = bpf_program__attach_uprobe_opts(prog, system_wide(st) ? -1 : pid, path,
					       off, &uo);
	if (!link)
		return -errno;
	return push_link(wrapper ? &st->wlinks : &st->links, link, -1, 1);
}

/*
 * The order in which an object's probes go live, so that no allocation is
 * recorded whose free is missed: frees first, then the returns that record
 * allocations, then the entries that start them (a return whose entry was
 * not seen records nothing).
 */
enum probe_order {
	ORDER_FREE,
	ORDER_RETURN,
	ORDER_ENTRY,
	ORDER__COUNT,
};

/*
 * The probes of one object, gathered by program: each program gets one
 * uprobe multi link there, whose close waits for one grace period where
 * a perf-event link per probe would wait for one each.
 */
struct probe_group {
	struct bpf_program *prog;
	bool retprobe;
	enum probe_order order;
	uint64_t *offs, *cookies;
	size_t n, cap_offs, cap_cookies;
};

/* Programs attached in one object: the entry programs of every role, and returns. */
#define MAX_PROBE_GROUPS 16

struct probe_batch {
	struct probe_group g[MAX_PROBE_GROUPS];
	size_t n;
};

static int batch_add(struct probe_batch *b, struct bpf_program *prog, bool retprobe,
		     enum probe_order order, uint64_t off, uint64_t cookie)
{
	struct probe_group *g = NULL;
	size_t i;

	for (i = 0; i < b->n && !g; i++)
		if (b->g[i].prog == prog && b->g[i].retprobe == retprobe)
			g = &b->g[i];
	if (!g && b->n == MAX_PROBE_GROUPS)
		return -E2BIG;
	if (!g) {
		g = &b->g[b->n++];
		*g = (struct probe_group){ .prog = prog, .retprobe = retprobe, .order = order };
	}
	if (array_reserve((void **)&g->offs, &g->cap_offs, g->n + 1, sizeof(*g->offs)) ||
	    array_reserve((void **)&g->cookies, &g->cap_cookies, g->n + 1,
			  sizeof(*g->cookies)))
		return -ENOMEM;
	g->offs[g->n] = off;
	g->cookies[g->n++] = cookie;
	return 0;
}

static void batch_free(struct probe_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->g[i].offs);
		free(b->g[i].cookies);
	}
	b->n = 0;
}

/*
 * One perf-event link per probe: kernels without uprobe multi links.  The
 * choice is made before the programs load (use_uprobe_multi()): a program
 * loaded for multi links cannot be attached through a perf event.
 */
static int attach_group_singly(struct attacher *st, const struct probe_group *g, pid_t pid,
			       const char *path, bool wrapper)
{
	size_t i;
	int err = 0;

	for (i = 0; i < g->n && !err; i++)
		err = attach_one(st, g->prog, pid, path, g->offs[i], g->retprobe, g->cookies[i],
				 wrapper);
	return err;
}

static int attach_group(struct attacher *st, const struct probe_group *g, pid_t pid,
			const char *path, bool wrapper)
{
	int fd;

	if (!st->multi)
		return attach_group_singly(st, g, pid, path, wrapper);
	fd = uprobe_multi_attach(bpf_program__fd(g->prog), path, g->offs, g->cookies, g->n,
				 g->retprobe, system_wide(st) ? -1 : pid);
	if (fd < 0)
		return fd;
	return push_link(wrapper ? &st->wlinks : &st->links, NULL, fd, g->n);
}

/* Attach what b gathered in the object at path, for pid, in probe_order. */
static int batch_attach(struct attacher *st, const struct probe_batch *b, pid_t pid,
			const char *path, const char *shown, bool wrapper)
{
	enum probe_order order;
	size_t i;
	int err;

	for (order = 0; order < ORDER__COUNT; order++) {
		for (i = 0; i < b->n; i++) {
			if (b->g[i].order != order)
				continue;
			err = attach_group(st, &b->g[i], pid, path, wrapper);
			if (err) {
				verbose_msg(0, "pid %d: cannot attach %s (%zu probe%s) in %s: %s",
					    (int)pid, bpf_program__name(b->g[i].prog), b->g[i].n,
					    b->g[i].n == 1 ? "" : "s", shown, strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

/*
 * Several names of one address (tcmalloc's malloc and tc_malloc, mimalloc's
 * free, mi_free and operator delete) are one function: two probes there
 * would see every call twice.  The first name in the table is probed.
 */
static int alias_of(const struct elf_func *funcs, const bool *probed, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (probed[j] && funcs[j].file_offset == funcs[i].file_offset)
			return (int)j;
	return -1;
}

/* name is base, or ends with "_" base (je_malloc, tc_free). */
static bool named(const char *name, const char *base)
{
	size_t n = strlen(name), b = strlen(base);

	return n >= b && !strcmp(name + n - b, base) && (n == b || name[n - b - 1] == '_');
}

/* Summary order: malloc and free, then the allocator's own API, then the rest. */
static int summary_rank(const struct alloc_fn *f)
{
	if (f->family != FAM_CUSTOM && (named(f->name, "malloc") || named(f->name, "free")))
		return 0;
	return f->family == FAM_STANDARD || f->family == FAM_CXX ? 2 : 1;
}

/* "malloc, free, mallocx, ..., 32 functions" */
static void summary_names(const struct alloc_table *t, const bool *probed, int n,
			  char *buf, size_t len)
{
	size_t i, used = 0;
	int rank, listed = 0;

	buf[0] = '\0';
	for (rank = 0; rank < 3; rank++) {
		for (i = 0; i < t->n && listed < SUMMARY_NAMES; i++) {
			if (!probed[i] || summary_rank(&t->fns[i]) != rank)
				continue;
			used += snprintf(buf + used, used < len ? len - used : 0, "%s, ",
					 t->fns[i].name);
			listed++;
		}
	}
	snprintf(buf + used, used < len ? len - used : 0, "%s%d function%s",
		 n > listed ? "..., " : "", n, n == 1 ? "" : "s");
}

/* A uprobe session over the allocating functions of one object (sampled mode). */
struct session_set {
	uint64_t *offs;      /* room for every function of the table */
	uint64_t *cookies;
	size_t n;
};

/*
 * Entry probe (with the argument position as cookie), and return probe,
 * at the place probe_place() chose.  Entry and return share it, so one
 * trap serves both: a return probe still finds the return address at [sp]
 * there, since nothing before it moves the stack pointer.  In sampled mode
 * with uprobe sessions, allocating functions join the object's session.
 * The probes join the object's batch, attached once it is complete.
 */
static int attach_fn(struct attacher *st, pid_t pid, int fd, const char *shown,
		     const struct alloc_fn *f, const struct elf_func *ef,
		     struct session_set *sess, struct probe_batch *batch)
{
	struct memleak_bpf *skel = st->opts.skel;
	bool sampled = st->opts.sample_bytes && !st->opts.probe_floor;
	bool has_return = role_has_return(f->role);
	struct bpf_program *entry, *ret;
	uint64_t cookie = f->arg;
	struct probe_place pl;
	char where[ALLOC_NAME_MAX + 128];
	int err;

	if (st->opts.probe_at_entry)
		probe_place_entry(ef->file_offset, PROBE_STOP_DISABLED, &pl);
	else
		probe_place(fd, ef->file_offset, ef->size, alloc_fn_args(f), &pl);
	entry = st->opts.probe_floor ? skel->progs.noop_enter : role_program(skel, f->role);
	ret = st->opts.probe_floor ? skel->progs.noop_return : skel->progs.alloc_return;
	/*
	 * --probe-floor --sample-bytes: sampled mode's floor, the traps every
	 * call pays whatever BPF does (each entry and each free), no return.
	 */
	if (st->opts.probe_floor && st->opts.sample_bytes)
		has_return = false;
	if (sampled && role_frees(f->role)) {
		entry = skel->progs.free_enter;
		has_return = false;
	} else if (sampled && st->opts.sessions) {
		sess->offs[sess->n] = pl.offset;
		sess->cookies[sess->n++] = sampled_fn(f->role);
		return 0;
	} else if (sampled) {
		entry = skel->progs.sampled_enter;
		ret = skel->progs.sampled_return;
		cookie = sampled_fn(f->role);
	}
	err = batch_add(batch, entry, false, role_frees(f->role) ? ORDER_FREE : ORDER_ENTRY,
			pl.offset, cookie);
	if (!err && has_return)
		err = batch_add(batch, ret, true, ORDER_RETURN, pl.offset, 0);
	if (err) {
		verbose_msg(0, "pid %d: cannot probe %s in %s: %s", (int)pid, f->name, shown,
			    strerror(-err));
		return err;
	}
	probe_place_describe(&pl, f->name, ef->file_offset, where, sizeof(where));
	verbose_msg(2, "pid %d: %s: probed %s at file offset 0x%llx: %s%s", (int)pid, shown,
		    f->name, (unsigned long long)ef->file_offset, where,
		    has_return ? " entry+return" : "");
	return 0;
}

static int attach_session(struct attacher *st, pid_t pid, const char *kpath,
			  const char *shown, const struct session_set *sess)
{
	int fd, err;

	fd = uprobe_session_attach(bpf_program__fd(st->opts.skel->progs.sampled_alloc), kpath,
				   sess->offs, sess->cookies, sess->n,
				   system_wide(st) ? -1 : pid);
	err = fd < 0 ? fd : push_link(&st->links, NULL, fd, sess->n);
	if (err) {
		verbose_msg(0, "pid %d: cannot attach a uprobe session in %s: %s", (int)pid,
			    shown, strerror(-err));
		return err;
	}
	verbose_msg(1, "pid %d: %s: one uprobe session on %zu allocation functions",
		    (int)pid, shown, sess->n);
	return 0;
}

/*
 * Probe the functions of one object. kpath is how the kernel reaches the
 * file (it resolves it to an inode); the functions were found in it already.
 * custom_only: probe the --alloc-fn/--free-fn functions only.
 */
static int attach_funcs(struct attacher *st, pid_t pid, int fd, const char *kpath,
			const char *shown, struct elf_func *funcs, bool custom_only,
			bool *has_core)
{
	const struct alloc_table *t = st->opts.table;
	uint64_t sess_offs[t->n], sess_cookies[t->n];
	struct session_set sess = { .offs = sess_offs, .cookies = sess_cookies };
	struct probe_batch batch = { .n = 0 };
	char names[512], families[128];
	bool probed[t->n], found[t->n];
	size_t i;
	int err = 0, n = 0, aliases = 0;
	bool allocator = false;

	for (i = 0; i < t->n; i++) {
		const struct alloc_fn *f = &t->fns[i];

		probed[i] = false;
		found[i] = funcs[i].found && (!custom_only || f->family == FAM_CUSTOM);
		allocator |= found[i] && f->family != FAM_CUSTOM && f->family != FAM_CXX &&
			     f->role != ROLE_MARKER;
	}
	for (i = 0; i < t->n; i++) {
		const struct alloc_fn *f = &t->fns[i];
		int alias;

		if (!found[i]) {
			if (allocator && f->core)
				verbose_msg(2, "pid %d: %s: no %s, skipped", (int)pid, shown,
					    f->name);
			continue;
		}
		if (f->role == ROLE_MARKER)
			continue;
		if (f->family == FAM_CUSTOM)
			st->custom_hits[i - st->first_custom]++;
		alias = alias_of(funcs, probed, i);
		if (alias >= 0) {
			verbose_msg(2, "pid %d: %s: %s is %s (one address), probed once",
				    (int)pid, shown, f->name, t->fns[alias].name);
			aliases++;
			continue;
		}
		err = attach_fn(st, pid, fd, shown, f, &funcs[i], &sess, &batch);
		if (err)
			break;
		probed[i] = true;
		*has_core |= alloc_role_allocates(f->role);
		n++;
	}
	/* Frees first: the session's allocations are then never missed when freed. */
	if (!err)
		err = batch_attach(st, &batch, pid, kpath, shown, false);
	batch_free(&batch);
	if (!err && sess.n)
		err = attach_session(st, pid, kpath, shown, &sess);
	if (err)
		return err;
	if (n) {
		alloc_describe_families(t, found, shown, families, sizeof(families));
		summary_names(t, probed, n, names, sizeof(names));
		if (aliases)
			verbose_msg(1, "pid %d: %s: %s (%s; %d more name%s of the same "
				    "addresses, probed once)", (int)pid, shown, families, names,
				    aliases, aliases == 1 ? "" : "s");
		else
			verbose_msg(1, "pid %d: %s: %s (%s)", (int)pid, shown, families, names);
	}
	return n;
}

/*
 * Objects are known by inode: the same file reached through a host path
 * before exec and through /proc/PID/map_files afterwards is one object.
 */
static bool in_objects(const struct attacher *st, const struct object_list *l, pid_t pid,
		       uint64_t inode)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if ((system_wide(st) || l->v[i].pid == pid) && l->v[i].inode == inode)
			return true;
	return false;
}

static bool already_attached(const struct attacher *st, pid_t pid, uint64_t inode)
{
	return in_objects(st, &st->objs, pid, inode);
}

static bool wrappers_attached(const struct attacher *st, pid_t pid, uint64_t inode)
{
	return in_objects(st, &st->wobjs, pid, inode);
}

static int remember_in(struct object_list *l, pid_t pid, uint64_t inode, const char *path,
		       int nfuncs)
{
	struct attached_object *o;

	if (array_reserve((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return -ENOMEM;
	o = &l->v[l->n++];
	o->pid = pid;
	o->inode = inode;
	o->nfuncs = nfuncs;
	snprintf(o->path, sizeof(o->path), "%s", path);
	return 0;
}

static int remember_object(struct attacher *st, pid_t pid, uint64_t inode,
			   const char *path, int nfuncs)
{
	return remember_in(&st->objs, pid, inode, path, nfuncs);
}

static bool has_custom(const struct attacher *st)
{
	return st->first_custom < st->opts.table->n;
}

/* Probe one object if it defines any allocation function. */
static int probe_object(struct attacher *st, pid_t pid, const char *kpath,
			const char *shown, bool *has_core)
{
	const struct alloc_table *t = st->opts.table;
	struct elf_func *funcs;
	bool custom_only;
	uint64_t inode;
	struct stat sb;
	int fd, found, n;
	size_t i;

	fd = open(kpath, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		close(fd);
		return -errno;
	}
	inode = sb.st_ino;
	if (already_attached(st, pid, inode)) {
		close(fd);
		return 0;
	}
	/* --allocator-object: the allocator is there, elsewhere only custom functions. */
	custom_only = st->opts.only_path &&
		      (sb.st_ino != st->only_ino || sb.st_dev != st->only_dev);
	if (custom_only && !has_custom(st)) {
		close(fd);
		return remember_object(st, pid, inode, shown, 0);
	}
	funcs = calloc(t->n, sizeof(*funcs));
	if (!funcs) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < t->n; i++)
		funcs[i].name = t->fns[i].name;
	found = elf_find_funcs(fd, funcs, t->n, NULL);
	n = found > 0 ? attach_funcs(st, pid, fd, kpath, shown, funcs, custom_only, has_core)
		      : 0;
	close(fd);
	free(funcs);
	if (n < 0)
		return n;
	return remember_object(st, pid, inode, shown, n) ?: n > 0;
}

/*
 * The C library's mapping wrappers and the syscall each stands for (the
 * BPF cookie).  mmap64 is mmap under another name in glibc.  glibc's sbrk
 * calls brk, so brk sees it; a probe on sbrk too would hide the callers of
 * the inner brk (its return address becomes the uretprobe trampoline).
 * musl's malloc calls neither.
 */
static const struct {
	const char *name;
	uint64_t nr;
} map_wrappers[] = {
	{ "mmap", MEMLEAK_NR_MMAP }, { "mmap64", MEMLEAK_NR_MMAP },
	{ "munmap", MEMLEAK_NR_MUNMAP }, { "mremap", MEMLEAK_NR_MREMAP },
	{ "brk", MEMLEAK_NR_BRK },
};

#define NWRAPPERS (sizeof(map_wrappers) / sizeof(map_wrappers[0]))

/*
 * Programs that map memory without the C library's wrappers: Go's runtime
 * makes its own syscalls (even when linked with libc), and so does a
 * static executable that defines no wrapper (or has no symbols at all).
 */
bool attach_maps_without_wrappers(const char *exe)
{
	struct elf_func f[] = {
		{ .name = "runtime.mmap" }, { .name = "runtime.sysMmap" }, { .name = "mmap" },
	};
	struct elf_info info = { 0 };
	int fd, n;

	fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = elf_find_funcs(fd, f, 3, &info);
	close(fd);
	if (n < 0)
		return false;
	return f[0].found || f[1].found || (!info.has_interp && !f[2].found);
}

/* Probe the mapping wrappers one object defines (each address once). */
static int probe_wrappers(struct attacher *st, pid_t pid, const char *kpath,
			  const char *shown)
{
	struct memleak_bpf *skel = st->opts.skel;
	struct probe_batch batch = { .n = 0 };
	struct elf_func funcs[NWRAPPERS];
	struct stat sb;
	size_t i, j;
	int fd, err = 0, n = 0;

	fd = open(kpath, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (wrappers_attached(st, pid, sb.st_ino)) {
		close(fd);
		return 0;
	}
	for (i = 0; i < NWRAPPERS; i++)
		funcs[i] = (struct elf_func){ .name = map_wrappers[i].name };
	if (elf_find_funcs(fd, funcs, NWRAPPERS, NULL) <= 0)
		goto out;
	for (i = 0; i < NWRAPPERS && !err; i++) {
		bool alias = false;

		for (j = 0; j < i; j++)
			alias |= funcs[j].found && funcs[j].file_offset == funcs[i].file_offset;
		if (!funcs[i].found || alias)
			continue;
		err = batch_add(&batch, skel->progs.map_wrapper_enter, false, ORDER_ENTRY,
				funcs[i].file_offset, map_wrappers[i].nr);
		if (!err)
			err = batch_add(&batch, skel->progs.map_wrapper_return, true, ORDER_RETURN,
					funcs[i].file_offset, 0);
		n += !err;
	}
	if (!err)
		err = batch_attach(st, &batch, pid, kpath, shown, true);
	batch_free(&batch);
	if (err)
		verbose_msg(0, "pid %d: cannot probe the mapping wrappers of %s: %s", (int)pid,
			    shown, strerror(-err));
	else if (n)
		verbose_msg(1, "pid %d: %s: %d mapping wrapper%s (mmap, munmap, mremap, brk)",
			    (int)pid, shown, n, n == 1 ? "" : "s");
out:
	close(fd);
	return err ?: remember_in(&st->wobjs, pid, sb.st_ino, shown, n);
}

/* --allocator-object: probe it by its path, mapped yet or not. */
static int probe_only_object(struct attacher *st, pid_t pid, bool *has_core)
{
	if (!st->opts.only_path || already_attached(st, pid, st->only_ino))
		return 0;
	return probe_object(st, pid, st->opts.only_path, st->opts.only_path, has_core);
}

int attach_process(struct attacher *st, pid_t pid)
{
	/* Growth mode probes allocators only while escalated; wrappers always. */
	bool allocators = !st->opts.growth_only || st->escalating == pid;
	bool wrappers = st->opts.map_wrappers && !st->escalating;
	struct proc_map *maps;
	bool has_core = false;
	size_t i, nmaps;
	int err, newly = 0;

	if (!allocators && !wrappers)
		return 0;
	if (allocators) {
		err = probe_only_object(st, pid, &has_core);
		if (err < 0)
			return procfs_alive(pid) ? err : -ESRCH;
		newly += err;
	}
	err = proc_maps_read(pid, &maps, &nmaps);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	for (i = 0; i < nmaps; i++) {
		const struct proc_map *m = &maps[i];
		char kpath[PATH_MAX];
		bool objs, wraps;

		/* One probe set per object: its first mapping stands for it. */
		if (!m->inode || m->path[0] != '/')
			continue;
		objs = allocators && !already_attached(st, pid, m->inode);
		wraps = wrappers && !wrappers_attached(st, pid, m->inode);
		if (!objs && !wraps)
			continue;
		/* map_files reaches deleted, replaced and other-namespace files. */
		if (proc_mapped_path(pid, m->start, m->end, m->path, kpath, sizeof(kpath)))
			continue; /* no name for it fits: as a file that cannot be opened */
		err = wraps ? probe_wrappers(st, pid, kpath, m->path) : 0;
		if (!err && objs)
			err = probe_object(st, pid, kpath, m->path, &has_core);
		if (err < 0 && err != -ENOENT && err != -EACCES) {
			free(maps);
			return procfs_alive(pid) ? err : -ESRCH;
		}
		if (err > 0)
			newly++;
	}
	free(maps);
	if (!procfs_alive(pid))
		return -ESRCH;
	if (allocators && !attach_count_objects(st, pid))
		return -ENOENT;
	return newly;
}

int attach_paths(struct attacher *st, pid_t pid, char **paths, size_t n)
{
	bool has_core = false;
	size_t i;
	int err;

	for (i = 0; st->opts.map_wrappers && i < n; i++) {
		err = probe_wrappers(st, pid, paths[i], paths[i]);
		if (err < 0)
			return err;
	}
	if (st->opts.growth_only)
		return 0;
	err = probe_only_object(st, pid, &has_core);
	if (err < 0)
		return err;
	for (i = 0; i < n; i++) {
		err = probe_object(st, pid, paths[i], paths[i], &has_core);
		if (err < 0)
			return err;
	}
	return has_core ? 0 : -ENOENT;
}

static int attach_programs(struct attacher *st, struct bpf_program **progs, size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		struct bpf_link *link = bpf_program__attach(progs[i]);

		if (!link)
			return -errno;
		err = push_link(&st->wlinks, link, -1, 1);
		if (err)
			return err;
		verbose_msg(1, "attached %s", bpf_program__name(progs[i]));
	}
	return 0;
}

int attach_tracepoints(struct attacher *st)
{
	struct memleak_bpf *skel = st->opts.skel;
	struct bpf_program *progs[] = {
		skel->progs.oom_victim, skel->progs.on_fork, skel->progs.on_exec,
		skel->progs.on_exit,
	};

	return attach_programs(st, progs, sizeof(progs) / sizeof(progs[0]));
}

/* -k: frees first, so no allocation is recorded whose free could be missed. */
int attach_kernel_tracepoints(struct attacher *st)
{
	struct memleak_bpf *skel = st->opts.skel;
	struct bpf_program *progs[] = {
		skel->progs.k_kfree, skel->progs.k_cache_free, skel->progs.k_page_free,
		skel->progs.k_page_free_batched, skel->progs.k_percpu_free,
		skel->progs.k_kmalloc, skel->progs.k_cache_alloc, skel->progs.k_page_alloc,
		skel->progs.k_percpu_alloc,
	};

	return attach_programs(st, progs, sizeof(progs) / sizeof(progs[0]));
}

int attach_syscall_tracepoints(struct attacher *st)
{
	struct bpf_program *progs[] = {
		st->opts.skel->progs.sys_enter, st->opts.skel->progs.sys_exit,
	};
	int err;

	if (st->syscall_tracepoints)
		return 0;
	err = attach_programs(st, progs, 2);
	st->syscall_tracepoints = !err;
	return err;
}

bool attach_wrappers_only(const struct attacher *st)
{
	return st->opts.map_wrappers && !st->syscall_tracepoints;
}

/* The custom functions (--alloc-fn/--free-fn) are last in the table. */
static size_t first_custom(const struct alloc_table *table)
{
	size_t i;

	for (i = 0; i < table->n; i++)
		if (table->fns[i].family == FAM_CUSTOM)
			return i;
	return table->n;
}

/*
 * Uprobe multi links where the kernel has them, unless
 * MEMLEAKBPF_NO_UPROBE_MULTI=1 asks for perf-event uprobes (tests of the
 * older kernels' path).  A multi link takes programs loaded for it: every
 * uprobe program but the session's (main.c gives it its own type).
 */
static bool use_uprobe_multi(const struct attach_opts *opts)
{
	const char *off = getenv("MEMLEAKBPF_NO_UPROBE_MULTI");
	struct bpf_program *prog;

	if ((off && *off && strcmp(off, "0")) || !uprobe_multi_supported())
		return false;
	bpf_object__for_each_program(prog, opts->skel->obj) {
		if (bpf_program__type(prog) != BPF_PROG_TYPE_KPROBE ||
		    (opts->sessions && prog == opts->skel->progs.sampled_alloc))
			continue;
		if (bpf_program__set_expected_attach_type(prog, MEMLEAK_ATTACH_UPROBE_MULTI))
			return false;
	}
	return true;
}

struct attacher *attacher_new(const struct attach_opts *opts)
{
	struct attacher *st = calloc(1, sizeof(*st));
	struct stat sb;
	int err;

	if (!st)
		return NULL;
	st->opts = *opts;
	st->multi = use_uprobe_multi(opts);
	verbose_msg(1, "uprobes: %s", st->multi ? "one multi link per program and object"
						 : "one perf-event link per probe");
	st->first_custom = first_custom(opts->table);
	st->custom_hits = calloc(opts->table->n - st->first_custom + 1,
				 sizeof(*st->custom_hits));
	if (!st->custom_hits) {
		attacher_free(st);
		errno = ENOMEM;
		return NULL;
	}
	if (!opts->only_path)
		return st;
	if (stat(opts->only_path, &sb)) {
		err = errno;
		attacher_free(st);
		errno = err;
		return NULL;
	}
	st->only_dev = sb.st_dev;
	st->only_ino = sb.st_ino;
	return st;
}

const char *attach_missing_custom(const struct attacher *st)
{
	const struct alloc_table *t = st->opts.table;
	size_t i;

	for (i = st->first_custom; i < t->n; i++)
		if (!st->custom_hits[i - st->first_custom])
			return t->fns[i].name;
	return NULL;
}

int attach_escalate(struct attacher *st, pid_t pid, struct attach_range *range)
{
	int err;

	st->escalating = pid;
	range->first = st->links.n;
	err = attach_process(st, pid);
	range->end = st->links.n;
	st->escalating = 0;
	return err;
}

void attach_deescalate(struct attacher *st, pid_t pid, const struct attach_range *range)
{
	struct link_list *lists[] = { &st->links };
	size_t i, j = 0;

	detach_lists(lists, 1, range->first, range->end);
	/* Probed again from scratch if it is escalated again. */
	for (i = 0; i < st->objs.n; i++)
		if (st->objs.v[i].pid != pid)
			st->objs.v[j++] = st->objs.v[i];
	st->objs.n = j;
}

static size_t count_probes(const struct link_list *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->v[i].nprobes;
	return n;
}

void attach_counts(const struct attacher *st, struct attach_counts *c)
{
	c->allocator_probes = count_probes(&st->links);
	c->mapping_probes = count_probes(&st->wlinks);
}

size_t attach_count_objects(const struct attacher *st, pid_t pid)
{
	size_t i, n = 0;

	for (i = 0; i < st->objs.n; i++)
		n += (system_wide(st) || st->objs.v[i].pid == pid) && st->objs.v[i].nfuncs > 0;
	return n;
}

void attacher_free(struct attacher *st)
{
	struct link_list *lists[2];

	if (!st)
		return;
	lists[0] = &st->links;
	lists[1] = &st->wlinks;
	detach_lists(lists, 2, 0, SIZE_MAX);
	free(st->links.v);
	free(st->wlinks.v);
	free(st->objs.v);
	free(st->wobjs.v);
	free(st->custom_hits);
	free(st);
}
