// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unwind tables into BPF maps.
 *
 * Rows go into one BPF array, appended object after object, and
 * each object is entered in unwind_objects under its file's device and
 * inode, which is how the BPF walker finds it from a VMA: no per-process
 * state, so a process that maps the object later (exec, dlopen, fork)
 * uses its table from its first instruction.  An object keeps its rows for
 * the whole run.  Files are opened through /proc/PID/map_files, so one in
 * another mount namespace is found; a replaced file (same inode, other
 * size or time) gets a new table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include "cli/errors.h"
#include "lib/util.h"
#include "procs/proc_files.h"
#include "procs/proc_maps.h"
#include "unwind/unwind_loader.h"
#include "unwind/unwind_tables.h"

/* What reading one object's CFI may take beyond the file itself (libjvm's
 * 230 000 rows: 20 MiB). */
#define UNWIND_BUILD_MEM_BYTES (256ull << 20)

struct unw_object {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool loaded;           /* its rows are in the array */
	bool frame_pointers;   /* its code keeps frame pointers */
	uint32_t first_row, nrows;
	struct unwind_segment segs[8];
	size_t nsegs;
};

struct unwinder {
	enum memleak_unwind_mode mode;
	int rows_fd, objects_fd;
	size_t page;
	uint32_t rows_cap, rows_used;
	struct unw_object *objs;
	size_t nobjs, cap_objs;
	uint64_t objects_loaded, objects_no_room;
};

const char *unwind_mode_name(enum memleak_unwind_mode mode)
{
	switch (mode) {
	case MEMLEAK_UNWIND_DWARF: return "dwarf";
	case MEMLEAK_UNWIND_AUTO: return "auto";
	case MEMLEAK_UNWIND_FP_KERNEL: return "fp-kernel";
	default: return "fp";
	}
}

/* Only these modes use tables. */
static bool uses_tables(enum memleak_unwind_mode mode)
{
	return mode == MEMLEAK_UNWIND_DWARF || mode == MEMLEAK_UNWIND_AUTO;
}

/*
 * Map the pages of the rows array holding bytes [start, end): *base is
 * the mapping, *len its length, and the return value points at start.
 *
 * The array is never mapped whole: mmap of a BPF array maps every page
 * at once, so a mapping kept for the run would count all of it (8 MiB)
 * in the tracer's RSS however few rows are used.  The memory itself is
 * the kernel's and is reported as such (unwinder_usage).
 */
static void *map_rows(const struct unwinder *u, size_t start, size_t end, void **base,
		      size_t *len)
{
	size_t off = start & ~(u->page - 1);
	char *p;

	*len = ((end + u->page - 1) & ~(u->page - 1)) - off;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, u->rows_fd, (off_t)off);
	if (p == MAP_FAILED)
		return NULL;
	*base = p;
	return p + (start - off);
}

/* Copy n rows into the array from index first on. */
static int write_rows(const struct unwinder *u, uint32_t first,
		      const struct memleak_unwind_row *rows, size_t n)
{
	size_t start = (size_t)first * sizeof(*rows), len;
	void *base, *p;

	if (!n)
		return 0;
	p = map_rows(u, start, start + n * sizeof(*rows), &base, &len);
	if (!p)
		return -errno;
	memcpy(p, rows, n * sizeof(*rows));
	munmap(base, len);
	return 0;
}

struct unwinder *unwinder_new(enum memleak_unwind_mode mode, int rows_fd, uint32_t rows_cap,
			      int objects_fd)
{
	struct unwinder *u = calloc(1, sizeof(*u));
	size_t len;
	void *base;

	if (!u)
		return NULL;
	u->mode = mode;
	u->rows_fd = rows_fd;
	u->objects_fd = objects_fd;
	u->rows_cap = rows_cap;
	u->page = (size_t)sysconf(_SC_PAGESIZE);
	/* A map that cannot be written fails here, not at the first table. */
	if (uses_tables(mode)) {
		if (!map_rows(u, 0, sizeof(struct memleak_unwind_row), &base, &len)) {
			int e = errno;

			free(u);
			errno = e;
			return NULL;
		}
		munmap(base, len);
	}
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	free(u->objs);
	free(u);
}

static struct unw_object *find_object(struct unwinder *u, const struct stat *st)
{
	size_t i;

	for (i = 0; i < u->nobjs; i++) {
		struct unw_object *o = &u->objs[i];

		if (o->dev == st->st_dev && o->ino == st->st_ino && o->size == st->st_size &&
		    o->mtime.tv_sec == st->st_mtim.tv_sec && o->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return o;
	}
	return NULL;
}

/* Enter the object's rows in unwind_objects, where the walker looks. */
static int publish(struct unwinder *u, const struct unw_object *o)
{
	struct memleak_unwind_obj_key key = {
		/* The kernel's dev_t, as the VMA's inode has it. */
		.dev = ((uint64_t)major(o->dev) << 20) | minor(o->dev),
		.ino = o->ino,
	};
	struct memleak_unwind_object val = {
		.first_row = o->first_row, .nrows = o->nrows,
	};
	size_t i;

	for (i = 0; i < o->nsegs && i < MEMLEAK_UNWIND_MAX_SEGS; i++) {
		val.segs[i].offset = o->segs[i].offset;
		val.segs[i].vaddr = o->segs[i].vaddr;
		val.segs[i].filesz = o->segs[i].filesz;
	}
	val.nsegs = (uint32_t)i;
	return bpf_map_update_elem(u->objects_fd, &key, &val, BPF_ANY) ? -errno : 0;
}

/* Build the object's table and append its rows, if they fit. */
static struct unw_object *add_object(struct unwinder *u, int fd, const struct stat *st,
				     const char *path)
{
	struct unwind_table t;
	struct unw_object *o;
	int err;

	if (array_reserve((void **)&u->objs, &u->cap_objs, u->nobjs + 1, sizeof(*u->objs)))
		return NULL;
	o = &u->objs[u->nobjs++];
	memset(o, 0, sizeof(*o));
	o->dev = st->st_dev;
	o->ino = st->st_ino;
	o->size = st->st_size;
	o->mtime = st->st_mtim;
	err = unwind_table_build_isolated(fd, UNWIND_BUILD_MEM_BYTES, &t);
	if (err) {
		verbose_msg(err == -ENOENT ? 1 : 0, "unwind: %s: %s: frame pointers", path,
			    err == -ENOENT ? "no usable CFI" :
			    err == -ETIME ? "CFI too costly to read (time budget spent)" :
			    err == -EPIPE ? "the CFI reader failed" : strerror(-err));
		return o;
	}
	memcpy(o->segs, t.segs, sizeof(o->segs));
	o->nsegs = t.nsegs;
	o->frame_pointers = unwind_table_has_frame_pointers(&t);
	if (u->mode == MEMLEAK_UNWIND_AUTO && o->frame_pointers) {
		verbose_msg(1, "unwind: %s keeps frame pointers: no table", path);
	} else if (t.nrows > u->rows_cap - u->rows_used ||
		   u->objects_loaded >= MEMLEAK_UNWIND_MAX_OBJECTS) {
		u->objects_no_room++;
		verbose_msg(0, "unwind: no room for the %zu rows of %s (%u of %u used): "
			    "frame pointers there", t.nrows, path, u->rows_used, u->rows_cap);
	} else {
		/* The rows are in place before the walker can find them. */
		o->first_row = u->rows_used;
		o->nrows = (uint32_t)t.nrows;
		err = write_rows(u, o->first_row, t.rows, t.nrows);
		if (!err)
			err = publish(u, o);
		if (err) {
			verbose_msg(0, "unwind: cannot enter the table of %s: %s", path,
				    strerror(-err));
		} else {
			o->loaded = true;
			u->rows_used += o->nrows;
			u->objects_loaded++;
			verbose_msg(1, "unwind: %s: %zu rows", path, t.nrows);
		}
	}
	unwind_table_free(&t);
	return o;
}

/* The object open on fd, its table built and loaded on first sight. */
static void object_of(struct unwinder *u, int fd, const char *path)
{
	struct stat st;

	if (fd < 0)
		return;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && !find_object(u, &st))
		add_object(u, fd, &st, path);
	close(fd);
}

struct update_ctx {
	struct unwinder *u;
	pid_t pid;
};

/* proc_maps_for_each callback: the object of each executable file mapping. */
static int update_mapping(const struct proc_map *m, void *arg)
{
	struct update_ctx *ctx = arg;
	char shown[sizeof(m->path) + sizeof(PROC_MAPS_DELETED)];
	int fd;

	if (!proc_map_is_exec(m) || !proc_map_is_file(m))
		return 0;
	/* A deleted file's path names another file now, or none. */
	fd = proc_open_mapped(ctx->pid, m->start, m->end, m->deleted ? NULL : m->path);
	snprintf(shown, sizeof(shown), "%s%s", m->path, m->deleted ? PROC_MAPS_DELETED : "");
	object_of(ctx->u, fd, shown);
	return 0;
}

int unwinder_update_process(struct unwinder *u, pid_t pid)
{
	struct update_ctx ctx = { .u = u, .pid = pid };

	if (!u || !uses_tables(u->mode))
		return 0;
	return proc_maps_for_each(pid, update_mapping, &ctx) ? -ESRCH : 0;
}

int unwinder_add_file(struct unwinder *u, const char *path)
{
	struct stat st;
	int fd;

	if (!u || !uses_tables(u->mode))
		return 0;
	/* The command's objects, before exec: paths of this machine. */
	if (path[0] == '/') {
		fd = proc_file_open(0, path, &proc_rules_elf, &st);
	} else {
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0 && proc_file_check_fd(fd, &proc_rules_elf)) {
			close(fd);
			fd = -1;
		}
	}
	object_of(u, fd, path);
	return 0;
}

void unwinder_usage(const struct unwinder *u, struct unwind_usage *out)
{
	memset(out, 0, sizeof(*out));
	if (!u)
		return;
	out->mode = unwind_mode_name(u->mode);
	if (!uses_tables(u->mode))
		return;
	out->rows_used = u->rows_used;
	out->rows_capacity = u->rows_cap;
	out->objects = u->objects_loaded;
	out->objects_no_room = u->objects_no_room;
	/*
	 * The rows array and the range cache are preallocated; object entries
	 * are allocated on use.  Keys and values, without the maps' overhead.
	 */
	out->kernel_bytes = (uint64_t)u->rows_cap * sizeof(struct memleak_unwind_row) +
			    (uint64_t)MEMLEAK_UNWIND_RANGE_CACHE *
			    MEMLEAK_UNWIND_RANGE_CACHE_ENTRY_BYTES +
			    u->objects_loaded * (sizeof(struct memleak_unwind_obj_key) +
						 sizeof(struct memleak_unwind_object));
}
