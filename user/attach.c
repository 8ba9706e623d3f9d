// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Uprobe attachment.  The dynamic linker binds a call to the first object
 * that defines a function (jemalloc before libc, the executable itself for
 * static builds), so every mapped object that defines allocation functions
 * is probed; the ones never called cost nothing.  Probes are attached per
 * pid, so the breakpoints exist only in the traced processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "elf_syms.h"
#include "errors.h"
#include "memleak.h"
#include "probe_place.h"
#include "uprobe_session.h"
#include "procfs.h"
#include "memleak.skel.h"

/* How each allocation function is probed. */
struct fn_probe {
	const char *name;
	bool has_return;
	struct bpf_program *(*entry)(struct memleak_bpf *skel);
	/*
	 * C++ operators.  Probed directly: jemalloc and tcmalloc serve them
	 * without calling their own malloc, and libstdc++'s own, built
	 * without frame pointers, would hide their caller from a malloc stack.
	 * The malloc they may call is nested, so nothing counts twice.
	 */
	bool cxx;
};

#define PROG_GETTER(prog)                                                 \
	static struct bpf_program *get_##prog(struct memleak_bpf *skel) \
	{                                                                 \
		return skel->progs.prog;                                  \
	}
PROG_GETTER(malloc_enter)
PROG_GETTER(calloc_enter)
PROG_GETTER(realloc_enter)
PROG_GETTER(reallocarray_enter)
PROG_GETTER(posix_memalign_enter)
PROG_GETTER(aligned_enter)
PROG_GETTER(free_enter)
PROG_GETTER(delete_enter)

static const struct fn_probe fn_probes[] = {
	{ "malloc", true, get_malloc_enter, false },
	{ "calloc", true, get_calloc_enter, false },
	{ "realloc", true, get_realloc_enter, false },
	{ "reallocarray", true, get_reallocarray_enter, false },
	{ "posix_memalign", true, get_posix_memalign_enter, false },
	{ "aligned_alloc", true, get_aligned_enter, false },
	{ "memalign", true, get_aligned_enter, false },
	{ "valloc", true, get_malloc_enter, false },
	{ "pvalloc", true, get_malloc_enter, false },
	{ "free", false, get_free_enter, false },
	/* operator new / new[]: size first; nothrow and aligned variants too. */
	{ "_Znwm", true, get_malloc_enter, true },
	{ "_Znam", true, get_malloc_enter, true },
	{ "_ZnwmRKSt9nothrow_t", true, get_malloc_enter, true },
	{ "_ZnamRKSt9nothrow_t", true, get_malloc_enter, true },
	{ "_ZnwmSt11align_val_t", true, get_malloc_enter, true },
	{ "_ZnamSt11align_val_t", true, get_malloc_enter, true },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", true, get_malloc_enter, true },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", true, get_malloc_enter, true },
	/* operator delete / delete[]: pointer first; sized and aligned variants. */
	{ "_ZdlPv", true, get_delete_enter, true },
	{ "_ZdaPv", true, get_delete_enter, true },
	{ "_ZdlPvm", true, get_delete_enter, true },
	{ "_ZdaPvm", true, get_delete_enter, true },
	{ "_ZdlPvRKSt9nothrow_t", true, get_delete_enter, true },
	{ "_ZdaPvRKSt9nothrow_t", true, get_delete_enter, true },
	{ "_ZdlPvSt11align_val_t", true, get_delete_enter, true },
	{ "_ZdaPvSt11align_val_t", true, get_delete_enter, true },
	{ "_ZdlPvmSt11align_val_t", true, get_delete_enter, true },
	{ "_ZdaPvmSt11align_val_t", true, get_delete_enter, true },
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", true, get_delete_enter, true },
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t", true, get_delete_enter, true },
};
#define N_FN (sizeof(fn_probes) / sizeof(fn_probes[0]))
#define FN_INDEX_MALLOC 0

/* Which allocation a function makes, as the sampled programs' cookie says. */
static uint64_t sampled_fn(const struct fn_probe *fp)
{
	if (fp->entry == get_calloc_enter)
		return MEMLEAK_FN_CALLOC;
	if (fp->entry == get_realloc_enter)
		return MEMLEAK_FN_REALLOC;
	if (fp->entry == get_reallocarray_enter)
		return MEMLEAK_FN_REALLOCARRAY;
	if (fp->entry == get_posix_memalign_enter)
		return MEMLEAK_FN_POSIX_MEMALIGN;
	if (fp->entry == get_aligned_enter)
		return MEMLEAK_FN_ALIGNED_ALLOC;
	return MEMLEAK_FN_MALLOC; /* malloc, valloc, pvalloc, operator new */
}

static bool is_free(const struct fn_probe *fp)
{
	return fp->entry == get_free_enter || fp->entry == get_delete_enter;
}

static int push_fd(struct attach_state *st, int fd)
{
	if (st->nfds == st->cap_fds) {
		size_t cap = st->cap_fds ? st->cap_fds * 2 : 16;
		int *v = realloc(st->fds, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->fds = v;
		st->cap_fds = cap;
	}
	st->fds[st->nfds++] = fd;
	return 0;
}

static int push_link(struct attach_state *st, struct bpf_link *link)
{
	if (st->nlinks == st->cap_links) {
		size_t cap = st->cap_links ? st->cap_links * 2 : 64;
		struct bpf_link **v = realloc(st->links, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->links = v;
		st->cap_links = cap;
	}
	st->links[st->nlinks++] = link;
	return 0;
}

static int attach_one(struct attach_state *st, struct bpf_program *prog, pid_t pid,
		      const char *path, uint64_t off, bool retprobe, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = retprobe, .bpf_cookie = cookie);
	struct bpf_link *link;
	int err;

	link = bpf_program__attach_uprobe_opts(prog, st->system_wide ? -1 : pid, path,
					       off, &uo);
	if (!link)
		return -errno;
	err = push_link(st, link);
	if (err)
		bpf_link__destroy(link);
	return err;
}

/*
 * Probe the functions of one object. kpath is how the kernel reaches the
 * file (it resolves it to an inode); the functions were found in it already.
 */
static int attach_funcs(struct attach_state *st, pid_t pid, int fd, const char *kpath,
			const char *shown, struct elf_func *funcs)
{
	struct memleak_bpf *skel = st->skel;
	uint64_t offs[N_FN], cookies[N_FN];
	size_t i, nsess = 0;
	int err, n = 0;

	for (i = 0; i < N_FN; i++) {
		const struct fn_probe *fp = &fn_probes[i];
		struct bpf_program *entry, *ret;
		struct probe_place pl;

		if (!funcs[i].found) {
			if (!fp->cxx)
				verbose_msg(1, "pid %d: %s: no %s, skipped", (int)pid, shown,
					    fp->name);
			continue;
		}
		entry = st->probe_floor ? skel->progs.noop_enter : fp->entry(skel);
		ret = st->probe_floor ? skel->progs.noop_return : skel->progs.alloc_return;
		if (st->sample_bytes && !st->probe_floor) {
			/* Sampled: frees forget recorded blocks; the rest decide at entry. */
			entry = is_free(fp) ? skel->progs.free_enter : skel->progs.sampled_enter;
			ret = skel->progs.sampled_return;
		}
		/*
		 * Entry and return probe share one place, so one trap serves
		 * both: a return probe finds the return address at [sp] there
		 * too, since nothing before it moves the stack pointer.
		 */
		if (st->probe_at_entry)
			pl = (struct probe_place){ .offset = funcs[i].file_offset,
						   .why = "--probe-at-entry" };
		else
			probe_place(fd, funcs[i].file_offset, funcs[i].size, &pl);
		if (st->sample_bytes && st->sessions && !st->probe_floor && !is_free(fp)) {
			offs[nsess] = pl.offset;
			cookies[nsess++] = sampled_fn(fp);
			n++;
			continue;
		}
		err = attach_one(st, entry, pid, kpath, pl.offset, false, sampled_fn(fp));
		if (!err && fp->has_return && !(st->sample_bytes && is_free(fp)))
			err = attach_one(st, ret, pid, kpath, pl.offset, true, 0);
		if (err) {
			verbose_msg(0, "pid %d: cannot probe %s in %s: %s", (int)pid,
				    fp->name, shown, strerror(-err));
			return err;
		}
		verbose_msg(1, "pid %d: %s: probed %s at file offset 0x%llx+%llu (%s%s%s)%s",
			    (int)pid, shown, fp->name, (unsigned long long)funcs[i].file_offset,
			    (unsigned long long)(pl.offset - funcs[i].file_offset),
			    pl.emulated ? pl.insn : "entry",
			    pl.emulated ? ", emulated" : ": ", pl.emulated ? "" : pl.why,
			    fp->has_return ? " entry+return" : "");
		n++;
	}
	if (nsess) {
		int fd = uprobe_session_attach(bpf_program__fd(skel->progs.sampled_alloc), kpath,
					       offs, cookies, nsess, st->system_wide ? -1 : pid);

		if (fd < 0 || push_fd(st, fd)) {
			err = fd < 0 ? fd : -ENOMEM;
			if (fd >= 0)
				close(fd);
			verbose_msg(0, "pid %d: cannot attach a uprobe session in %s: %s",
				    (int)pid, shown, strerror(-err));
			return err;
		}
		verbose_msg(1, "pid %d: %s: one uprobe session on %zu allocation functions",
			    (int)pid, shown, nsess);
	}
	return n;
}

/*
 * Objects are known by inode: the same file reached through a host path
 * before exec and through /proc/PID/map_files afterwards is one object.
 */
static bool already_attached(const struct attach_state *st, pid_t pid, uint64_t inode)
{
	size_t i;

	for (i = 0; i < st->nobjs; i++)
		if ((st->system_wide || st->objs[i].pid == pid) && st->objs[i].inode == inode)
			return true;
	return false;
}

static int remember_object(struct attach_state *st, pid_t pid, uint64_t inode,
			   const char *path, int nfuncs)
{
	struct attached_object *o;

	if (st->nobjs == st->cap_objs) {
		size_t cap = st->cap_objs ? st->cap_objs * 2 : 16;
		struct attached_object *v = realloc(st->objs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->objs = v;
		st->cap_objs = cap;
	}
	o = &st->objs[st->nobjs++];
	o->pid = pid;
	o->inode = inode;
	o->nfuncs = nfuncs;
	snprintf(o->path, sizeof(o->path), "%s", path);
	return 0;
}

static void init_funcs(struct elf_func *funcs)
{
	size_t i;

	for (i = 0; i < N_FN; i++) {
		memset(&funcs[i], 0, sizeof(funcs[i]));
		funcs[i].name = fn_probes[i].name;
	}
}

/* Probe one object if it defines any allocation function. */
static int probe_object(struct attach_state *st, pid_t pid, const char *kpath,
			const char *shown, bool *has_core)
{
	struct elf_func funcs[N_FN];
	uint64_t inode;
	struct stat sb;
	int fd, found, n;

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
	init_funcs(funcs);
	found = elf_find_funcs(fd, funcs, N_FN, NULL);
	if (found <= 0) {
		close(fd);
		return remember_object(st, pid, inode, shown, 0);
	}
	n = attach_funcs(st, pid, fd, kpath, shown, funcs);
	close(fd);
	if (n < 0)
		return n;
	/* free may be missing: a static program that never frees has none. */
	if (funcs[FN_INDEX_MALLOC].found)
		*has_core = true;
	verbose_msg(1, "pid %d: attached %d functions in %s", (int)pid, n, shown);
	return remember_object(st, pid, inode, shown, n) ?: 1;
}

int attach_process(struct attach_state *st, pid_t pid)
{
	struct map_entry *maps;
	bool has_core = false;
	size_t i, nmaps;
	int err, newly = 0;

	if (st->growth_only && st->escalating != pid)
		return 0;
	err = procfs_read_maps(pid, &maps, &nmaps);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	for (i = 0; i < nmaps; i++) {
		const struct map_entry *m = &maps[i];
		char kpath[PATH_MAX];

		/* One probe set per object: its first mapping stands for it. */
		if (!m->inode || m->path[0] != '/' || already_attached(st, pid, m->inode))
			continue;
		/* map_files reaches deleted, replaced and other-namespace files. */
		snprintf(kpath, sizeof(kpath), "/proc/%d/map_files/%llx-%llx", (int)pid,
			 (unsigned long long)m->start, (unsigned long long)m->end);
		if (access(kpath, R_OK))
			procfs_root_path(pid, m->path, kpath, sizeof(kpath));
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
	if (!attach_count_objects(st, pid))
		return -ENOENT;
	return newly;
}

int attach_paths(struct attach_state *st, pid_t pid, char **paths, size_t n)
{
	bool has_core = false;
	size_t i;
	int err;

	if (st->growth_only)
		return 0;
	for (i = 0; i < n; i++) {
		err = probe_object(st, pid, paths[i], paths[i], &has_core);
		if (err < 0)
			return err;
	}
	return has_core ? 0 : -ENOENT;
}

int attach_tracepoints(struct attach_state *st)
{
	struct bpf_program *progs[] = {
		st->skel->progs.sys_enter, st->skel->progs.sys_exit,
		st->skel->progs.oom_victim, st->skel->progs.on_fork,
		st->skel->progs.on_exec, st->skel->progs.on_exit,
	};
	size_t i;
	int err;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *link = bpf_program__attach(progs[i]);

		if (!link)
			return -errno;
		err = push_link(st, link);
		if (err) {
			bpf_link__destroy(link);
			return err;
		}
		verbose_msg(1, "attached %s", bpf_program__name(progs[i]));
	}
	return 0;
}

int attach_escalate(struct attach_state *st, pid_t pid, size_t *first, size_t *end)
{
	bool system_wide = st->system_wide;
	int err;

	st->system_wide = false;
	st->escalating = pid;
	*first = st->nlinks;
	err = attach_process(st, pid);
	*end = st->nlinks;
	st->escalating = 0;
	st->system_wide = system_wide;
	return err;
}

void attach_deescalate(struct attach_state *st, pid_t pid, size_t first, size_t end)
{
	size_t i, j = 0;

	for (i = first; i < end && i < st->nlinks; i++) {
		bpf_link__destroy(st->links[i]);
		st->links[i] = NULL;
	}
	/* Probed again from scratch if it is escalated again. */
	for (i = 0; i < st->nobjs; i++)
		if (st->objs[i].pid != pid)
			st->objs[j++] = st->objs[i];
	st->nobjs = j;
}

size_t attach_count_objects(const struct attach_state *st, pid_t pid)
{
	size_t i, n = 0;

	for (i = 0; i < st->nobjs; i++)
		n += (st->system_wide || st->objs[i].pid == pid) && st->objs[i].nfuncs > 0;
	return n;
}

void attach_destroy(struct attach_state *st)
{
	size_t i;

	for (i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	for (i = 0; i < st->nfds; i++)
		close(st->fds[i]);
	free(st->fds);
	st->fds = NULL;
	st->nfds = st->cap_fds = 0;
	free(st->links);
	free(st->objs);
	st->links = NULL;
	st->objs = NULL;
	st->nlinks = st->cap_links = st->nobjs = st->cap_objs = 0;
}
