// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Address -> symbol, module, file:line through elfutils libdwfl.
 *
 * One Dwfl per process.  Modules are reported from /proc/PID/maps with
 * dwfl_report_elf() on an fd we open through /proc/PID/map_files, so the
 * object is the one the process really maps (deleted, replaced, other mount
 * namespace).  The ELF and symbol table of each module are loaded while the
 * process is still there: after it exits, neither map_files nor
 * /proc/PID/root can find a file again.
 *
 * Every string handed out is interned in the symbolizer, and resolved frames
 * are cached per (pid, addr): reports repeat the same stacks every interval.
 *
 * Source lines and inlined functions come from DWARF the object carries
 * itself (a program or library built with -g).  A separate debug file
 * (/usr/lib/debug, a distribution's -dbg package) gives a stripped object
 * its full symbol table, but its DWARF is read only when asked for
 * (symbolizer_use_debug_files): libdw inflates all of a file's compressed
 * DWARF at the first line looked up in it and keeps it for the run
 * (libc's: ~15 MiB), only to place frames inside malloc or libc's start
 * code; the frames worth a line are in the code being debugged.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <dwarf.h>
#include <gelf.h>
#include <elfutils/libdwfl.h>
#include "cli/errors.h"
#include "lib/util.h"
#include "procs/proc_files.h"
#include "procs/proc_maps.h"
#include "symbols/debuginfo.h"
#include "symbols/dwarf_vet.h"
#include "symbols/perfmap.h"
#include "symbols/symbolize.h"

#define PROC_BUCKETS		256
#define REFRESH_INTERVAL_NS	1000000000ull	/* at most one maps reread/s */
/* Memory the child that vets an object's DWARF may add to the tracer's. */
#define DWARF_VET_MEM_BYTES	(256ull << 20)

struct proc {
	pid_t pid;
	Dwfl *dwfl;		/* NULL until a maps read succeeded */
	uint64_t maps_hash;	/* identity of the maps dwfl was built from */
	unsigned int gen;	/* bumped when dwfl is rebuilt */
	uint64_t last_refresh_ns;
	void *cache;		/* tree of cache_entry, by addr */
	struct proc *next;
};

struct cache_entry {
	unsigned int gen;	/* proc gen the frame was resolved with */
	struct frame f;
	struct frame *chain;	/* with inlined functions; NULL until asked */
	size_t nchain;
};

struct symbolizer {
	struct proc *procs[PROC_BUCKETS];
	void *strs;		/* tree of interned strings */
	struct perfmaps *jit;	/* /tmp/perf-PID.map of JIT compilers */
	bool debug_files;	/* DWARF of separate debug files too */
};

/* What we keep per module: the user data of its Dwfl_Module. */
struct module_info {
	pid_t pid;		/* the process whose root holds its debug links */
	const char *path;	/* interned, as /proc/PID/maps shows it */
	const char *build_id;	/* interned hex, NULL = none */
	bool own_dwarf;		/* the object file itself carries DWARF */
	uint64_t file_bytes;	/* the object file's size */
	enum {
		DWARF_UNVETTED,	/* not read yet (dwarf_vet.h) */
		DWARF_VETTED,	/* read by a child within its limits */
		DWARF_REFUSED,	/* the child failed: symbol names only */
	} dwarf;
};

/* One object mapped by the process: consecutive mappings of one file. */
struct group {
	char *path;		/* without " (deleted)" */
	bool deleted;		/* /proc/PID/maps shows it with " (deleted)" */
	uint64_t start, end;	/* lowest mapping, for map_files */
	uint64_t pgoff;		/* file offset of the lowest mapping */
	uint64_t inode;
	bool exec;		/* only objects with code can hold return addrs */
};

/* The groups of one read of the maps. */
struct groups {
	struct group *v;
	size_t n, cap;
};

/* Separate debug files, looked for in the root of the module's process. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	const struct module_info *info = *userdata;

	return debuginfo_find(mod, info ? info->pid : 0, file_name, debuglink_file, debuglink_crc,
			      debuginfo_file_name);
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* ---- string pool and frame cache (glibc red-black trees) ------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The C++ runtime's demangler (libstdc++), so C++ frames read as source. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

static const char *intern(struct symbolizer *s, const char *str);

static const char *intern_demangled(struct symbolizer *s, const char *name)
{
	const char *ret;
	char *d;
	int st = -1;

	if (strncmp(name, "_Z", 2))
		return intern(s, name);
	d = __cxa_demangle(name, NULL, NULL, &st);
	ret = intern(s, st == 0 && d ? d : name);
	free(d);
	return ret;
}

/* Returns a copy of str owned by s, the same pointer for equal strings. */
static const char *intern(struct symbolizer *s, const char *str)
{
	char *copy, **node;

	if (!str)
		return NULL;
	node = tfind(str, &s->strs, cmp_str);
	if (node)
		return *node;
	copy = strdup(str);
	if (!copy)
		return NULL;
	node = tsearch(copy, &s->strs, cmp_str);
	if (!node) {
		free(copy);
		return NULL;
	}
	return *node;
}

static int cmp_frame(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;

	if (x->f.addr != y->f.addr)
		return x->f.addr < y->f.addr ? -1 : 1;
	return 0;
}

static struct cache_entry *cache_find(struct proc *p, uint64_t addr)
{
	struct cache_entry key = { .f.addr = addr };
	struct cache_entry **node = tfind(&key, &p->cache, cmp_frame);

	return node ? *node : NULL;
}

static void cache_store(struct proc *p, struct cache_entry *e, const struct frame *f)
{
	if (!e) {
		e = malloc(sizeof(*e));
		if (!e)
			return;
		e->f.addr = f->addr;
		e->chain = NULL;
		e->nchain = 0;
		if (!tsearch(e, &p->cache, cmp_frame)) {
			free(e);
			return;
		}
	}
	e->gen = p->gen;
	e->f = *f;
	free(e->chain);
	e->chain = NULL;
	e->nchain = 0;
}

static void cache_entry_free(void *p)
{
	struct cache_entry *e = p;

	free(e->chain);
	free(e);
}

/* ---- /proc/PID/maps ------------------------------------------------- */

static void free_groups(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		free(gs->v[i].path);
	free(gs->v);
	*gs = (struct groups){ 0 };
}

/*
 * proc_maps_for_each callback: a file mapping joins the object of the one
 * before it, or starts a new one.  Anonymous mappings (.bss, heap) between
 * the segments of one object do not split it.
 */
static int add_mapping(const struct proc_map *m, void *ctx)
{
	struct groups *gs = ctx;
	struct group *g = gs->n ? &gs->v[gs->n - 1] : NULL;

	if (!proc_map_is_file(m))
		return 0;
	/* A new load of a file starts again at offset 0. */
	if (!g || m->offset == 0 || g->inode != m->inode || g->deleted != m->deleted ||
	    strcmp(g->path, m->path)) {
		if (array_reserve((void **)&gs->v, &gs->cap, gs->n + 1, sizeof(*gs->v)))
			return -ENOMEM;
		g = &gs->v[gs->n];
		*g = (struct group){ .path = strdup(m->path), .deleted = m->deleted,
				     .start = m->start, .end = m->end, .pgoff = m->offset,
				     .inode = m->inode };
		if (!g->path)
			return -ENOMEM;
		gs->n++;
	}
	if (proc_map_is_exec(m))
		g->exec = true;
	return 0;
}

/*
 * The objects pid maps, and *hash, the identity of those with code.  A
 * process without any executable file mapping (exited, zombie, kernel
 * thread) is reported as gone.
 */
static int read_maps(pid_t pid, struct groups *gs, uint64_t *hash)
{
	size_t nexec = 0;
	int err;

	*gs = (struct groups){ 0 };
	err = proc_maps_for_each(pid, add_mapping, gs);
	*hash = FNV1A_INIT;
	for (size_t i = 0; i < gs->n; i++) {
		struct group *g = &gs->v[i];

		if (!g->exec)
			continue;
		nexec++;
		*hash = fnv1a_str(*hash, g->path);
		*hash = fnv1a_word(*hash, g->deleted);
		*hash = fnv1a_word(*hash, g->start);
		*hash = fnv1a_word(*hash, g->inode);
	}
	if (!err && !nexec)
		err = -ESRCH;
	if (err)
		free_groups(gs);
	return err;
}

/* ---- building a Dwfl ------------------------------------------------ */

/*
 * The object's file, through map_files or the target's root.  Returns an
 * fd, -ENOEXEC for a file that is not ELF, or -1.
 */
static int open_object(pid_t pid, const struct group *g)
{
	unsigned char magic[4];
	int fd = proc_open_mapped(pid, g->start, g->end, g->path);

	if (fd < 0)
		return -1;
	/* Skip JIT and data files mapped executable without asking libdwfl,
	 * which would try to decompress them. */
	if (pread(fd, magic, sizeof(magic), 0) != sizeof(magic) ||
	    memcmp(magic, "\177ELF", 4)) {
		close(fd);
		return -ENOEXEC;
	}
	return fd;
}

/* The module's GNU build id as hex, interned; NULL without one. */
static const char *module_build_id(struct symbolizer *s, Dwfl_Module *mod)
{
	char hex[2 * 64 + 1];
	const unsigned char *id;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);

	if (len <= 0 || (size_t)len * 2 >= sizeof(hex))
		return NULL;
	for (int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	return intern(s, hex);
}

/* Report g's object, open in fd (consumed): 1, or -1 on failure. */
static int report_fd(struct symbolizer *s, Dwfl *dwfl, pid_t pid,
		     const struct group *g, int fd)
{
	Dwfl_Module *mod;
	struct stat st;
	char *shown;
	void **ud;

	if (fstat(fd, &st)) {
		close(fd);
		return -1;
	}
	/* The module is named as /proc/PID/maps shows it. */
	if (asprintf(&shown, "%s%s", g->path, g->deleted ? PROC_MAPS_DELETED : "") < 0) {
		close(fd);
		return -1;
	}
	/*
	 * base with add_p_vaddr=false is where the first PT_LOAD (rounded
	 * down to p_align) is placed, i.e. the start of the mapping of file
	 * offset 0; libdwfl derives bias = base - first p_vaddr, which is
	 * right for PIE, shared and prelinked objects.  ET_EXEC ignores base.
	 */
	/*
	 * file_name is the path in the process's root, where its debug links
	 * are looked for (find_debuginfo, in that root only).
	 */
	mod = dwfl_report_elf(dwfl, shown, g->path, fd, g->start - g->pgoff, false);
	if (!mod) {
		free(shown);
		close(fd);	/* consumed only on success */
		return -1;
	}
	dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	if (!*ud) {
		struct module_info *info = calloc(1, sizeof(*info));

		if (!info) {
			free(shown);
			return -1;
		}
		info->pid = pid;
		info->path = intern(s, shown);
		info->build_id = module_build_id(s, mod);
		info->file_bytes = (uint64_t)st.st_size;
		*ud = info;
	}
	free(shown);
	return 1;
}

/* 1: reported, 0: not an ELF object, -1: failed (maybe only for now). */
static int report_group(struct symbolizer *s, Dwfl *dwfl, pid_t pid,
			const struct group *g)
{
	int fd = open_object(pid, g);

	if (fd < 0)
		return fd == -ENOEXEC ? 0 : -1;
	return report_fd(s, dwfl, pid, g, fd);
}

static int free_module_info(Dwfl_Module *mod, void **ud, const char *name,
			    Dwarf_Addr start, void *arg)
{
	free(*ud);
	*ud = NULL;
	return DWARF_CB_OK;
}

static void end_dwfl(Dwfl *dwfl)
{
	dwfl_getmodules(dwfl, free_module_info, NULL, 0);
	dwfl_end(dwfl);
}

/*
 * Whether the object has DWARF of its own: a .debug_info section with
 * contents (stripped objects have none, or a NOBITS one in a debug file).
 */
static bool elf_has_dwarf(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !sh.sh_size)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
			return true;
	}
	return false;
}

/*
 * Load now what lookups need after the process is gone: the ELF and the
 * symbol table, which for a stripped object also opens its separate debug
 * file.  DWARF itself stays lazy: libdw decompresses all debug sections up
 * front (~75 ms and tens of MB for libc), per process, and it is then found
 * in the main or already open debug file, or by build-id.
 */
static int preload_module(Dwfl_Module *mod, void **ud, const char *name,
			  Dwarf_Addr start, void *arg)
{
	struct module_info *info = *ud;
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);

	if (elf) {
		dwfl_module_getsymtab(mod);
		/* getelf gives the object itself, never its debug file. */
		if (info)
			info->own_dwarf = elf_has_dwarf(elf);
	}
	return DWARF_CB_OK;
}

/*
 * fd: the one object to report instead of reading gs's files (a test's,
 * symbolizer_add_object); -1 in production.
 */
static Dwfl *build_dwfl(struct symbolizer *s, pid_t pid, const struct groups *gs,
			int fd, size_t *failed)
{
	Dwfl *dwfl = dwfl_begin(&dwfl_callbacks);

	*failed = 0;
	if (!dwfl) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	dwfl_report_begin(dwfl);
	for (size_t i = 0; i < gs->n; i++) {
		int ret = fd >= 0 ? report_fd(s, dwfl, pid, &gs->v[i], fd)
				  : gs->v[i].exec ? report_group(s, dwfl, pid, &gs->v[i]) : 0;

		if (ret < 0)
			(*failed)++;
	}
	if (dwfl_report_end(dwfl, NULL, NULL)) {
		end_dwfl(dwfl);
		return NULL;
	}
	dwfl_getmodules(dwfl, preload_module, NULL, 0);
	proc_files_note_truncations();
	return dwfl;
}

/*
 * Rebuild p's Dwfl if its maps changed.  A process that is gone keeps the
 * Dwfl it had, so its stacks still resolve.
 */
static int proc_refresh(struct symbolizer *s, struct proc *p)
{
	struct groups gs;
	size_t failed;
	uint64_t hash, again;
	Dwfl *dwfl;
	int err;

	p->last_refresh_ns = mono_ns();
	err = read_maps(p->pid, &gs, &hash);
	if (err)
		return err;
	if (p->dwfl && hash == p->maps_hash) {
		free_groups(&gs);
		return 0;
	}
	dwfl = build_dwfl(s, p->pid, &gs, -1, &failed);
	free_groups(&gs);
	if (!dwfl)
		return -ENOMEM;
	/* Opens failing because the process exited under us: keep the old. */
	if (failed && p->dwfl) {
		err = read_maps(p->pid, &gs, &again);
		free_groups(&gs);
		if (err) {
			end_dwfl(dwfl);
			return err;
		}
	}
	if (p->dwfl)
		end_dwfl(p->dwfl);
	p->dwfl = dwfl;
	/* Incomplete (EMFILE...): the next refresh must rebuild. */
	p->maps_hash = failed ? 0 : hash;
	p->gen++;
	return 0;
}

static struct proc *proc_find(struct symbolizer *s, pid_t pid)
{
	struct proc *p = s->procs[(unsigned int)pid % PROC_BUCKETS];

	while (p && p->pid != pid)
		p = p->next;
	return p;
}

static struct proc *proc_new(struct symbolizer *s, pid_t pid)
{
	struct proc *p = calloc(1, sizeof(*p));
	unsigned int b = (unsigned int)pid % PROC_BUCKETS;

	if (!p)
		return NULL;
	p->pid = pid;
	p->next = s->procs[b];
	s->procs[b] = p;
	return p;
}

/*
 * The entry for pid, its maps read on first use.  A pid that cannot be read
 * keeps an empty entry, so its lookups are rate-limited like any miss.
 */
static struct proc *proc_get(struct symbolizer *s, pid_t pid)
{
	struct proc *p = proc_find(s, pid);

	if (!p) {
		p = proc_new(s, pid);
		if (p)
			proc_refresh(s, p);
	}
	return p;
}

/* The module holding addr; rereads the maps (rate-limited) on a miss. */
static Dwfl_Module *find_module(struct symbolizer *s, struct proc *p,
				uint64_t addr)
{
	Dwfl_Module *mod = p->dwfl ? dwfl_addrmodule(p->dwfl, addr) : NULL;

	if (mod || mono_ns() - p->last_refresh_ns < REFRESH_INTERVAL_NS)
		return mod;
	if (proc_refresh(s, p) < 0 || !p->dwfl)
		return NULL;
	return dwfl_addrmodule(p->dwfl, addr);
}

static struct module_info *module_info(Dwfl_Module *mod)
{
	void **ud;

	dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	return *ud;
}

static const char *module_path(Dwfl_Module *mod)
{
	struct module_info *info = module_info(mod);

	return info ? info->path : NULL;
}

/*
 * Whether lines, inlined functions and .debug_frame are read for mod: its
 * DWARF (or its debug file's) is read in the tracer only once a child read
 * it within limits (dwarf_vet.h); an object it fails on keeps symbol names.
 */
static bool reads_dwarf(const struct symbolizer *s, Dwfl_Module *mod)
{
	struct module_info *info = module_info(mod);
	const char *what;
	int err;

	if (!info || !(s->debug_files || info->own_dwarf))
		return false;
	if (info->dwarf == DWARF_UNVETTED) {
		err = dwarf_vet(mod, info->file_bytes, DWARF_VET_MEM_BYTES, &what);
		info->dwarf = err ? DWARF_REFUSED : DWARF_VETTED;
		if (err)
			verbose_msg(0, "symbols: %s: DWARF refused, %s: function names only",
				    info->path, what);
	}
	return info->dwarf == DWARF_VETTED;
}

/* ---- public API ----------------------------------------------------- */

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(struct symbolizer));

	if (s && !(s->jit = perfmaps_new())) {
		free(s);
		s = NULL;
	}
	/* libelf maps the objects, which their processes may truncate. */
	proc_files_guard_mmaps();
	return s;
}

static void proc_free(struct proc *p)
{
	if (p->dwfl)
		end_dwfl(p->dwfl);
	tdestroy(p->cache, cache_entry_free);
	free(p);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t b = 0; b < PROC_BUCKETS; b++) {
		struct proc *p = s->procs[b], *next;

		for (; p; p = next) {
			next = p->next;
			proc_free(p);
		}
	}
	perfmaps_free(s->jit);
	tdestroy(s->strs, free);
	free(s);
}

void symbolizer_forget(struct symbolizer *s, pid_t pid)
{
	struct proc **pp = &s->procs[(unsigned int)pid % PROC_BUCKETS], *p;

	for (; (p = *pp); pp = &p->next) {
		if (p->pid != pid)
			continue;
		*pp = p->next;
		proc_free(p);
		break;
	}
	perfmaps_forget(s->jit, pid);
}

void symbolizer_use_debug_files(struct symbolizer *s, bool on)
{
	s->debug_files = on;
}

int symbolizer_add_process(struct symbolizer *s, pid_t pid)
{
	struct proc *p = proc_find(s, pid);

	if (!p)
		p = proc_new(s, pid);
	return p ? proc_refresh(s, p) : -ENOMEM;
}

int symbolizer_add_object(struct symbolizer *s, pid_t pid, int fd, const char *path,
			  uint64_t base)
{
	struct group g = { .path = (char *)path, .start = base, .end = base + 1, .exec = true };
	struct groups gs = { .v = &g, .n = 1, .cap = 1 };
	struct proc *p = proc_find(s, pid);
	size_t failed;
	Dwfl *dwfl;

	if (!p && !(p = proc_new(s, pid))) {
		close(fd);
		return -ENOMEM;
	}
	dwfl = build_dwfl(s, pid, &gs, fd, &failed);
	if (!dwfl || failed) {
		if (dwfl)
			end_dwfl(dwfl);
		return -EINVAL;
	}
	if (p->dwfl)
		end_dwfl(p->dwfl);
	p->dwfl = dwfl;
	p->gen++;
	p->last_refresh_ns = mono_ns();
	return 0;
}

bool symbolizer_locate(struct symbolizer *s, pid_t pid, uint64_t addr,
		       const char **module, uint64_t *rel_addr)
{
	struct proc *p = proc_get(s, pid);
	Dwfl_Module *mod = p ? find_module(s, p, addr) : NULL;
	GElf_Addr bias;

	if (!mod || !dwfl_module_getelf(mod, &bias) || !module_path(mod))
		return false;
	*module = module_path(mod);
	*rel_addr = addr - bias;
	return true;
}

/*
 * DWARF 5 line tables name files relative to the compilation directory
 * ("tests/x.c"); report the absolute path the compiler saw when the
 * compilation directory is known.
 */
static const char *source_path(struct symbolizer *s, const char *file,
			       const char *comp_dir)
{
	const char *ret;
	char *abs;

	/* A relative comp_dir (prefix-mapped builds) adds nothing. */
	if (file[0] == '/' || !comp_dir || comp_dir[0] != '/')
		return intern(s, file);
	while (file[0] == '.' && file[1] == '/')
		file += 2;
	if (asprintf(&abs, "%s/%s", comp_dir, file) < 0)
		return NULL;
	ret = intern(s, abs);
	free(abs);
	return ret;
}

static void lookup_frame(struct symbolizer *s, Dwfl_Module *mod,
			 uint64_t addr, struct frame *f)
{
	/* A return address points after the call; addr - 1 is in it. */
	Dwarf_Addr pc = addr - 1;
	GElf_Addr bias;
	GElf_Off off;
	GElf_Sym sym;
	const char *name, *file;
	Dwfl_Line *line;
	int lineno = 0;

	f->module = module_path(mod);
	f->build_id = module_info(mod) ? module_info(mod)->build_id : NULL;
	if (dwfl_module_getelf(mod, &bias))
		f->module_offset = addr - bias;
	name = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
	if (name) {
		f->symbol = intern_demangled(s, name);
		f->offset = off + 1;
	}
	if (!reads_dwarf(s, mod))
		return;
	line = dwfl_module_getsrc(mod, pc);
	file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL)
		    : NULL;
	if (file) {
		f->file = source_path(s, file, dwfl_line_comp_dir(line));
		f->line = f->file ? lineno : 0;
	}
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *name;

	/* An inlined instance names its function through DW_AT_abstract_origin. */
	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
	return name;
}

/*
 * The functions inlined at base->addr, innermost first, then the function
 * the code belongs to.  Each inlined frame has the line the code is at
 * within it; each frame after one has the line of that inlined call.
 * Returns the number of frames written (>= 1).
 */
static size_t expand_inlines(struct symbolizer *s, Dwfl_Module *mod, const struct frame *base,
			     struct frame *out, size_t max)
{
	Dwarf_Addr bias, pc = base->addr - 1;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, &bias), *scopes = NULL;
	Dwarf_Files *files = NULL;
	const char *file = base->file, *comp_dir = NULL;
	Dwarf_Attribute a;
	size_t nfiles, k = 0;
	int line = base->line, n, i;

	n = cu ? dwarf_getscopes(cu, pc - bias, &scopes) : 0;
	/*
	 * After the innermost inlined instance, dwarf_getscopes gives the
	 * scopes of its abstract definition, not the instances it is itself
	 * inlined into: those are the DIEs holding it in the concrete tree.
	 */
	for (i = 0; i < n && dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine; i++)
		;
	if (i < n) {
		Dwarf_Die inner = scopes[i], *chain = NULL;
		int m = dwarf_getscopes_die(&inner, &chain);

		if (m > 0) {
			free(scopes);
			scopes = chain;
			n = m;
		}
	}
	if (n > 0 && dwarf_getsrcfiles(cu, &files, &nfiles))
		files = NULL;
	if (cu)
		comp_dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a));
	for (i = 0; i < n && k + 1 < max; i++) {
		Dwarf_Die *die = &scopes[i];
		const char *name = die_name(die), *cf;
		Dwarf_Word call_file, call_line;
		Dwarf_Addr entry;
		struct frame *f;

		if (dwarf_tag(die) != DW_TAG_inlined_subroutine || !name)
			continue;
		f = &out[k++];
		*f = *base;
		f->inlined = true;
		f->symbol = intern_demangled(s, name);
		f->offset = !dwarf_entrypc(die, &entry) && base->addr >= entry + bias
			    ? base->addr - (entry + bias) : 0;
		f->file = file;
		f->line = line;
		/* Where this instance was inlined: the position in the next frame. */
		file = NULL;
		line = 0;
		if (!dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &call_file) && files &&
		    (cf = dwarf_filesrc(files, call_file, NULL, NULL)))
			file = source_path(s, cf, comp_dir);
		if (!dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &call_line))
			line = (int)call_line;
	}
	free(scopes);
	out[k] = *base;
	out[k].file = file;
	out[k].line = file ? line : 0;
	return k + 1;
}

size_t symbolizer_resolve_inline(struct symbolizer *s, pid_t pid, uint64_t addr,
				 struct frame *out, size_t max)
{
	struct frame chain[SYMBOLIZER_MAX_INLINE + 1];
	struct cache_entry *e;
	struct proc *p;
	Dwfl_Module *mod;
	size_t n;

	if (!max)
		return 0;
	symbolizer_resolve(s, pid, addr, &out[0]);
	p = proc_find(s, pid);
	e = p ? cache_find(p, addr) : NULL;
	if (e && e->chain) {
		n = e->nchain < max ? e->nchain : max;
		memcpy(out, e->chain, n * sizeof(*out));
		return n;
	}
	mod = p && p->dwfl ? dwfl_addrmodule(p->dwfl, addr) : NULL;
	if (!mod || !out[0].module || !reads_dwarf(s, mod))
		return 1;
	n = expand_inlines(s, mod, &out[0], chain, SYMBOLIZER_MAX_INLINE + 1);
	if (e && (e->chain = malloc(n * sizeof(*chain)))) {
		memcpy(e->chain, chain, n * sizeof(*chain));
		e->nchain = n;
	}
	if (n > max)
		n = max;
	memcpy(out, chain, n * sizeof(*out));
	return n;
}

void symbolizer_resolve(struct symbolizer *s, pid_t pid, uint64_t addr,
			struct frame *f)
{
	struct proc *p = proc_get(s, pid);
	struct cache_entry *e;
	Dwfl_Module *mod;

	memset(f, 0, sizeof(*f));
	f->addr = addr;
	if (!p)
		return;
	e = cache_find(p, addr);
	if (e && e->gen == p->gen) {
		*f = e->f;
		return;
	}
	mod = find_module(s, p, addr);
	if (!mod) {
		/* JIT code, maybe: not cached, its perf map grows as it compiles. */
		const char *name = perfmaps_lookup(s->jit, pid, addr - 1, &f->offset);

		if (name) {
			f->symbol = intern(s, name);
			f->offset++;
		}
		return;
	}
	lookup_frame(s, mod, addr, f);
	proc_files_note_truncations();
	cache_store(p, e, f);
}

enum frame_rule symbolizer_frame_rule(struct symbolizer *s, pid_t pid, uint64_t addr)
{
	struct proc *p = proc_get(s, pid);
	Dwfl_Module *mod = p ? find_module(s, p, addr) : NULL;
	enum frame_rule rule = FRAME_NO_FP;
	Dwarf_Op mem[3], *ops;
	Dwarf_Frame *fr;
	Dwarf_CFI *cfi;
	Dwarf_Addr bias;
	size_t nops;

	if (!mod)
		return FRAME_UNKNOWN;
	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (!cfi && reads_dwarf(s, mod))
		cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, addr - 1 - bias, &fr))
		return FRAME_UNKNOWN;
	if (!dwarf_frame_register(fr, 16, mem, &ops, &nops) && !nops && ops == mem)
		rule = FRAME_OUTERMOST;
	else if (!dwarf_frame_cfa(fr, &ops, &nops) && nops == 1 &&
		 ((ops[0].atom == DW_OP_bregx && ops[0].number == 6) || ops[0].atom == DW_OP_breg6))
		rule = FRAME_FP;
	free(fr);
	return rule;
}
