// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unwind tables into BPF maps.
 *
 * Rows go into one mmap'ed BPF array, appended object after object: an
 * object keeps its rows for the whole run (the same libc serves every
 * process, and a process that maps an object again finds it loaded).
 * Objects are known by device, inode, size and modification time of the
 * file the process maps, opened through /proc/PID/map_files, so a replaced
 * library is a new object and one in another mount namespace is found.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "errors.h"
#include "unwind_loader.h"
#include "unwind_tables.h"

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
	int rows_fd, procs_fd;
	struct memleak_unwind_row *rows;  /* the array, mmap'ed */
	size_t rows_len;
	uint32_t rows_cap, rows_used;
	struct unw_object *objs;
	size_t nobjs, cap_objs;
	uint64_t objects_no_room, mappings_dropped;
	pid_t *procs;                      /* pids with an entry in procs_fd */
	size_t nprocs, cap_procs;
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

struct unwinder *unwinder_new(enum memleak_unwind_mode mode, int rows_fd, uint32_t rows_cap,
			      int procs_fd)
{
	struct unwinder *u = calloc(1, sizeof(*u));
	long page = sysconf(_SC_PAGESIZE);

	if (!u)
		return NULL;
	u->mode = mode;
	u->rows_fd = rows_fd;
	u->procs_fd = procs_fd;
	u->rows_cap = rows_cap;
	if (uses_tables(mode)) {
		u->rows_len = ((size_t)rows_cap * sizeof(*u->rows) + page - 1) & ~(size_t)(page - 1);
		u->rows = mmap(NULL, u->rows_len, PROT_READ | PROT_WRITE, MAP_SHARED, rows_fd, 0);
		if (u->rows == MAP_FAILED) {
			int e = errno;

			free(u);
			errno = e;
			return NULL;
		}
	}
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	if (u->rows && u->rows != MAP_FAILED)
		munmap(u->rows, u->rows_len);
	free(u->objs);
	free(u->procs);
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

/* Build the object's table and append its rows, if they fit. */
static struct unw_object *add_object(struct unwinder *u, int fd, const struct stat *st,
				     const char *path)
{
	struct unwind_table t;
	struct unw_object *o;
	int err;

	if (u->nobjs == u->cap_objs) {
		size_t cap = u->cap_objs ? u->cap_objs * 2 : 32;
		struct unw_object *n = realloc(u->objs, cap * sizeof(*n));

		if (!n)
			return NULL;
		u->objs = n;
		u->cap_objs = cap;
	}
	o = &u->objs[u->nobjs++];
	memset(o, 0, sizeof(*o));
	o->dev = st->st_dev;
	o->ino = st->st_ino;
	o->size = st->st_size;
	o->mtime = st->st_mtim;
	err = unwind_table_build(fd, &t);
	if (err) {
		verbose_msg(1, "unwind: %s: no usable CFI (%s): frame pointers", path,
			    strerror(-err));
		return o;
	}
	memcpy(o->segs, t.segs, sizeof(o->segs));
	o->nsegs = t.nsegs;
	o->frame_pointers = unwind_table_has_frame_pointers(&t);
	if (u->mode == MEMLEAK_UNWIND_AUTO && o->frame_pointers) {
		verbose_msg(1, "unwind: %s keeps frame pointers: no table", path);
	} else if (t.nrows > u->rows_cap - u->rows_used) {
		u->objects_no_room++;
		verbose_msg(0, "unwind: no room for the %zu rows of %s (%u of %u used): "
			    "frame pointers there", t.nrows, path, u->rows_used, u->rows_cap);
	} else {
		memcpy(&u->rows[u->rows_used], t.rows, t.nrows * sizeof(*t.rows));
		o->first_row = u->rows_used;
		o->nrows = (uint32_t)t.nrows;
		o->loaded = true;
		u->rows_used += o->nrows;
		verbose_msg(1, "unwind: %s: %zu rows", path, t.nrows);
	}
	unwind_table_free(&t);
	return o;
}

/* The object mapped at [start, end) of pid, its table loaded on first sight. */
static struct unw_object *object_of(struct unwinder *u, pid_t pid, unsigned long long start,
				    unsigned long long end, const char *path)
{
	struct unw_object *o;
	struct stat st;
	char p[4200];
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", (int)pid, start, end);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(p, sizeof(p), "/proc/%d/root%s", (int)pid, path);
		fd = open(p, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	o = find_object(u, &st);
	if (!o)
		o = add_object(u, fd, &st, path);
	close(fd);
	return o;
}

static bool object_bias(const struct unw_object *o, uint64_t start, uint64_t pgoff,
			uint64_t *bias)
{
	struct unwind_table segs = { .nsegs = o->nsegs };

	memcpy(segs.segs, o->segs, sizeof(segs.segs));
	return unwind_table_bias(&segs, start, pgoff, bias);
}

static int mapping_cmp(const void *a, const void *b)
{
	const struct memleak_unwind_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int remember_pid(struct unwinder *u, pid_t pid)
{
	size_t i;

	for (i = 0; i < u->nprocs; i++)
		if (u->procs[i] == pid)
			return 0;
	if (u->nprocs == u->cap_procs) {
		size_t cap = u->cap_procs ? u->cap_procs * 2 : 16;
		pid_t *n = realloc(u->procs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		u->procs = n;
		u->cap_procs = cap;
	}
	u->procs[u->nprocs++] = pid;
	return 0;
}

/* Collect the table-backed executable mappings of pid into proc. */
static int collect_mappings(struct unwinder *u, pid_t pid, struct memleak_unwind_proc *proc)
{
	char path[64], *line = NULL;
	size_t lcap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (getline(&line, &lcap, f) > 0) {
		unsigned long long start, end, off;
		struct memleak_unwind_mapping *m;
		struct unw_object *o;
		char perms[8];
		uint64_t bias;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*u %n", &start, &end, perms, &off,
			   &pos) < 4 || !pos || perms[2] != 'x' || line[pos] != '/')
			continue;
		line[strcspn(line, "\n")] = '\0';
		o = object_of(u, pid, start, end, line + pos);
		if (!o || !o->loaded || !object_bias(o, start, off, &bias))
			continue;
		if (proc->nmappings == MEMLEAK_UNWIND_MAX_MAPPINGS) {
			u->mappings_dropped++;
			continue;
		}
		m = &proc->m[proc->nmappings++];
		*m = (struct memleak_unwind_mapping){
			.start = start, .end = end, .bias = bias,
			.first_row = o->first_row, .nrows = o->nrows,
		};
	}
	free(line);
	fclose(f);
	qsort(proc->m, proc->nmappings, sizeof(proc->m[0]), mapping_cmp);
	return 0;
}

int unwinder_update_process(struct unwinder *u, pid_t pid)
{
	struct memleak_unwind_proc *proc;
	__u32 key = (__u32)pid;
	int err;

	if (!u || !uses_tables(u->mode))
		return 0;
	proc = calloc(1, sizeof(*proc));
	if (!proc)
		return -ENOMEM;
	err = collect_mappings(u, pid, proc);
	if (!err && bpf_map_update_elem(u->procs_fd, &key, proc, BPF_ANY))
		err = -errno;
	if (!err)
		err = remember_pid(u, pid);
	free(proc);
	return err;
}

void unwinder_usage(const struct unwinder *u, struct unwind_usage *out)
{
	struct memleak_unwind_proc *buf;
	size_t i, loaded = 0, live = 0;
	__u32 key;

	memset(out, 0, sizeof(*out));
	if (!u)
		return;
	out->mode = unwind_mode_name(u->mode);
	if (!u->rows)
		return;
	for (i = 0; i < u->nobjs; i++)
		loaded += u->objs[i].loaded;
	/* Entries still in the map: the kernel side drops them at exit. */
	buf = malloc(sizeof(*buf));
	for (i = 0; buf && i < u->nprocs; i++) {
		key = (__u32)u->procs[i];
		if (!bpf_map_lookup_elem(u->procs_fd, &key, buf))
			live++;
	}
	free(buf);
	out->rows_used = u->rows_used;
	out->rows_capacity = u->rows_cap;
	out->objects = loaded;
	out->objects_no_room = u->objects_no_room;
	out->mappings_dropped = u->mappings_dropped;
	out->kernel_bytes = (uint64_t)u->rows_cap * sizeof(struct memleak_unwind_row) +
			    live * sizeof(struct memleak_unwind_proc);
}
