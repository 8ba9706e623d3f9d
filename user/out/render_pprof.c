// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A report as a gzipped pprof profile (proto/profile.proto, encoded by the
 * protobuf-c code generated from it): `go tool pprof`, Pyroscope and Grafana
 * read it.  Go's heap-profile conventions: sample types
 * alloc_objects/count, alloc_space/bytes (allocated since attach),
 * inuse_objects/count and inuse_space/bytes (outstanding: the default); one
 * sample per stack, leaf first, labelled with its kind, pids, comms and
 * cgroups, a truncated stack ending in a "[truncated]" frame; one location per module-relative address, one function per symbol
 * and file, one mapping per module with its build id.  Frames are already
 * symbolized, so the mappings say so and pprof does not look for binaries.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "lib/util.h"
#include "symbols/build_id.h"
#include "profile.pb-c.h"
#include "out/render.h"
#include "out/strmap.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* Growable arrays of protobuf-c structs; pointers to them are made at the end. */
struct mapping_table {
	Mapping *items;
	size_t n, cap;
};

struct location_table {
	Location *items;
	size_t n, cap;
};

struct function_table {
	Function *items;
	size_t n, cap;
};

/* Room for one more element at the end of a table: a pointer to it, or NULL. */
static void *table_add(void **items, size_t *n, size_t *cap, size_t size)
{
	if (array_reserve(items, cap, *n + 1, size))
		return NULL;
	return (char *)*items + (*n)++ * size;
}

#define TABLE_ADD(t) table_add((void **)&(t)->items, &(t)->n, &(t)->cap, sizeof(*(t)->items))

struct pprof_builder {
	struct strmap strings;      /* the profile's string table */
	struct strmap mapping_keys; /* module path -> mapping */
	struct strmap location_keys;/* module + offset (or address) -> location */
	struct strmap function_keys;/* name + file -> function */
	struct mapping_table mappings;
	struct location_table locations;
	struct function_table functions;
	Line *lines;                /* one per location, same index */
	size_t cap_lines;
	bool oom;
};

static int64_t str_index(struct pprof_builder *b, const char *s)
{
	int added;
	long i;

	if (!s || !*s)
		return 0;
	i = strmap_intern(&b->strings, s, strlen(s), &added);
	if (i < 0) {
		b->oom = true;
		return 0;
	}
	return i;
}

static uint64_t mapping_id(struct pprof_builder *b, const struct frame *f, pid_t pid)
{
	uint64_t bias = f->addr - f->module_offset;
	char build_id[2 * 64 + 1];
	Mapping *m;
	int added;
	long i;

	if (!f->module)
		return 0;
	i = strmap_intern(&b->mapping_keys, f->module, strlen(f->module), &added);
	if (i < 0 || (added && !(m = TABLE_ADD(&b->mappings)))) {
		b->oom = true;
		return 0;
	}
	m = &b->mappings.items[i];
	if (added) {
		perftools__profiles__mapping__init(m);
		m->id = (uint64_t)i + 1;
		/* Addresses are shown as in the first process the module is seen in. */
		m->memory_start = bias;
		m->memory_limit = f->addr + 1;
		m->filename = str_index(b, f->module);
		/* The mapped object's own, else as the process's root shows the path. */
		if (f->build_id)
			m->build_id = str_index(b, f->build_id);
		else if (!build_id_read(f->module, pid, build_id, sizeof(build_id)))
			m->build_id = str_index(b, build_id);
		m->has_functions = m->has_filenames = m->has_line_numbers = true;
	}
	if (m->memory_start + f->module_offset >= m->memory_limit)
		m->memory_limit = m->memory_start + f->module_offset + 1;
	return m->id;
}

static uint64_t function_id(struct pprof_builder *b, const struct frame *f)
{
	char name[PATH_MAX + 32], key[2 * PATH_MAX + 64];
	const char *base;
	Function *fn;
	int added;
	long i;

	if (f->symbol)
		snprintf(name, sizeof(name), "%s", f->symbol);
	else if (f->module)
		snprintf(name, sizeof(name), "%s+0x%" PRIx64,
			 (base = strrchr(f->module, '/')) ? base + 1 : f->module,
			 f->module_offset);
	else
		snprintf(name, sizeof(name), "0x%" PRIx64, f->addr);
	/* The NUL keeps "a" + "b/c" apart from "a/b" + "c". */
	i = snprintf(key, sizeof(key), "%s%c%s", name, 0, f->file ? f->file : "");
	i = strmap_intern(&b->function_keys, key, (size_t)i < sizeof(key) ? (size_t)i :
			  sizeof(key) - 1, &added);
	if (i < 0 || (added && !(fn = TABLE_ADD(&b->functions)))) {
		b->oom = true;
		return 0;
	}
	if (added) {
		fn = &b->functions.items[i];
		perftools__profiles__function__init(fn);
		fn->id = (uint64_t)i + 1;
		fn->name = fn->system_name = str_index(b, name);
		fn->filename = str_index(b, f->file);
	}
	return (uint64_t)i + 1;
}

static uint64_t location_id(struct pprof_builder *b, const struct frame *f, pid_t pid)
{
	char key[PATH_MAX + 32];
	Location *loc;
	int added, n;
	long i;

	/* A script frame is its function, file and line: no address, no mapping. */
	if (f->runtime != MEMLEAK_RUNTIME_NATIVE)
		n = snprintf(key, sizeof(key), "%c%s%c%s%c%d", 1, f->symbol ? f->symbol : "?", 0,
			     f->file ? f->file : "", 0, f->line);
	else if (f->module)
		n = snprintf(key, sizeof(key), "%s%c%" PRIx64, f->module, 0, f->module_offset);
	else
		n = snprintf(key, sizeof(key), "%c%" PRIx64, 0, f->addr);
	if (n < 0 || (size_t)n >= sizeof(key))
		n = sizeof(key) - 1;
	i = strmap_intern(&b->location_keys, key, (size_t)n, &added);
	if (i < 0) {
		b->oom = true;
		return 0;
	}
	if (!added)
		return (uint64_t)i + 1;
	if (!(loc = TABLE_ADD(&b->locations)) ||
	    array_reserve((void **)&b->lines, &b->cap_lines, b->locations.n, sizeof(*b->lines))) {
		b->oom = true;
		return 0;
	}
	perftools__profiles__location__init(loc);
	loc->id = (uint64_t)i + 1;
	loc->mapping_id = mapping_id(b, f, pid);
	loc->address = loc->mapping_id ?
		b->mappings.items[loc->mapping_id - 1].memory_start + f->module_offset : f->addr;
	perftools__profiles__line__init(&b->lines[i]);
	b->lines[i].function_id = function_id(b, f);
	b->lines[i].line = f->line > 0 ? f->line : 0;
	return loc->id;
}

/* Pod labels per process: k8s_namespace, k8s_pod, k8s_container, container_id, node. */
#define K8S_LABELS 5

/* The report's line of pid, or NULL (a report without its processes). */
static const struct process_report *process_of(const struct report *r, pid_t pid)
{
	size_t i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

/* Labels a sample can have: kind, slab_cache (-k), and per process its
 * pid, comm, cgroup and pod. */
static size_t max_labels(const struct stack_report *s)
{
	return 2 + s->npids * (3 + K8S_LABELS);
}

/* A string label, unless empty or already on the sample (processes of one pod). */
static void add_string_label(struct pprof_builder *b, Label *labels, size_t *n,
			     const char *key, const char *value)
{
	int64_t k, v;
	size_t i;

	if (!value || !*value)
		return;
	k = str_index(b, key);
	v = str_index(b, value);
	for (i = 0; i < *n; i++)
		if (labels[i].key == k && labels[i].str == v)
			return;
	labels[*n].key = k;
	labels[*n].str = v;
	(*n)++;
}

/*
 * Labels of one sample: its kind, one "pid" per process, then the comm of
 * each, each memory cgroup and each pod where the report knows them
 * (pprof -tagfocus comm=nginx, Pyroscope's label selectors).  Returns how
 * many were set.
 */
static size_t sample_labels(struct pprof_builder *b, const struct report *r,
			    const struct stack_report *s, Label *labels, Label **ptrs)
{
	const struct process_report *p;
	size_t i, n = 0;

	for (i = 0; i < max_labels(s); i++) {
		perftools__profiles__label__init(&labels[i]);
		ptrs[i] = &labels[i];
	}
	labels[n].key = str_index(b, "kind");
	labels[n++].str = str_index(b, kind_name(s->kind));
	for (i = 0; i < s->npids; i++) {
		labels[n].key = str_index(b, "pid");
		labels[n++].num = s->pids[i];
	}
	for (i = 0; i < s->npids; i++) {
		if ((p = process_of(r, s->pids[i])) && p->comm[0]) {
			labels[n].key = str_index(b, "comm");
			labels[n++].str = str_index(b, p->comm);
		}
	}
	for (i = 0; i < s->npids; i++) {
		const struct k8s_identity *k;

		if (!(p = process_of(r, s->pids[i])))
			continue;
		add_string_label(b, labels, &n, "cgroup", p->cgroup);
		if (!(k = p->k8s))
			continue;
		add_string_label(b, labels, &n, "k8s_namespace", k->ns);
		add_string_label(b, labels, &n, "k8s_pod", k->pod);
		add_string_label(b, labels, &n, "k8s_container", k->container);
		add_string_label(b, labels, &n, "container_id", k->container_id);
		add_string_label(b, labels, &n, "node", k->node);
	}
	add_string_label(b, labels, &n, "slab_cache", s->slab_cache);
	return n;
}

/*
 * A stack the unwinder could not follow to its outermost frame ends with
 * this pseudo-frame, so pprof and flame graphs show where callers are
 * missing instead of a root that looks complete.
 */
static uint64_t truncated_location(struct pprof_builder *b)
{
	struct frame marker = { .symbol = "[truncated]" };

	return location_id(b, &marker, 0);
}

/* gzip (RFC 1952) of the whole message, written in one go. */
static int write_gzip(FILE *out, const uint8_t *buf, size_t len)
{
	z_stream zs = { 0 };
	uint8_t *gz;
	size_t bound;
	int err = 0;

	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, len) + 32;
	gz = malloc(bound);
	if (!gz) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)buf;
	zs.avail_in = len;
	zs.next_out = gz;
	zs.avail_out = bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		err = -EIO;
	else if (fwrite(gz, 1, zs.total_out, out) != zs.total_out || fflush(out) == EOF)
		err = -(errno ? errno : EIO);
	deflateEnd(&zs);
	free(gz);
	return err;
}

/* alloc_objects, alloc_space, inuse_objects, inuse_space: Go's heap profile. */
#define PPROF_VALUES 4

struct sample_storage {
	Sample *samples;
	Sample **sample_ptrs;
	uint64_t **location_ids;
	int64_t (*values)[PPROF_VALUES];
	Label **labels;
	Label ***label_ptrs;
	size_t n;
};

static int add_samples(struct pprof_builder *b, const struct report *r,
		       struct sample_storage *st)
{
	size_t i, j, n = r->nstacks;

	st->samples = calloc(n, sizeof(*st->samples));
	st->sample_ptrs = calloc(n, sizeof(*st->sample_ptrs));
	st->location_ids = calloc(n, sizeof(*st->location_ids));
	st->values = calloc(n, sizeof(*st->values));
	st->labels = calloc(n, sizeof(*st->labels));
	st->label_ptrs = calloc(n, sizeof(*st->label_ptrs));
	if (n && (!st->samples || !st->sample_ptrs || !st->location_ids || !st->values ||
		  !st->labels || !st->label_ptrs))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct stack_report *s = &r->stacks[i];
		pid_t pid = s->npids ? s->pids[0] : 0;
		Sample *smp = &st->samples[st->n];

		perftools__profiles__sample__init(smp);
		st->location_ids[st->n] = calloc(s->nframes + 1, sizeof(uint64_t));
		st->label_ptrs[st->n] = calloc(max_labels(s), sizeof(Label *));
		st->labels[st->n] = calloc(max_labels(s), sizeof(Label));
		if (!st->location_ids[st->n] || !st->label_ptrs[st->n] || !st->labels[st->n]) {
			st->n++;
			return -ENOMEM;
		}
		/* Counted already: freed with the rest even if this one is dropped. */
		st->sample_ptrs[st->n++] = smp;
		for (j = 0; j < s->nframes; j++)
			st->location_ids[st->n - 1][j] = location_id(b, &s->frames[j], pid);
		smp->location_id = st->location_ids[st->n - 1];
		smp->n_location_id = s->nframes;
		if (s->truncated && s->nframes)
			st->location_ids[st->n - 1][smp->n_location_id++] = truncated_location(b);
		st->values[st->n - 1][0] = (int64_t)s->alloc_allocs;
		st->values[st->n - 1][1] = (int64_t)s->alloc_bytes;
		st->values[st->n - 1][2] = (int64_t)s->allocs;
		st->values[st->n - 1][3] = (int64_t)s->bytes;
		smp->value = st->values[st->n - 1];
		smp->n_value = PPROF_VALUES;
		smp->label = st->label_ptrs[st->n - 1];
		smp->n_label = sample_labels(b, r, s, st->labels[st->n - 1], smp->label);
		if (b->oom)
			return -ENOMEM;
	}
	return 0;
}

static void free_samples(struct sample_storage *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		free(st->location_ids[i]);
		free(st->labels[i]);
		free(st->label_ptrs[i]);
	}
	free(st->samples);
	free(st->sample_ptrs);
	free(st->location_ids);
	free(st->values);
	free(st->labels);
	free(st->label_ptrs);
}

/* Pointer arrays over the tables, as protobuf-c wants repeated messages. */
static void **pointers(void *items, size_t n, size_t size)
{
	void **p = calloc(n ? n : 1, sizeof(*p));
	size_t i;

	for (i = 0; p && i < n; i++)
		p[i] = (char *)items + i * size;
	return p;
}

static int pack_and_write(FILE *out, struct pprof_builder *b, Profile *p)
{
	Location **locs = (Location **)pointers(b->locations.items, b->locations.n,
						sizeof(Location));
	Line **line_ptrs = (Line **)pointers(b->lines, b->locations.n, sizeof(Line));
	Mapping **maps = (Mapping **)pointers(b->mappings.items, b->mappings.n,
					      sizeof(Mapping));
	Function **fns = (Function **)pointers(b->functions.items, b->functions.n,
					       sizeof(Function));
	uint8_t *buf = NULL;
	size_t i, len;
	int err = -ENOMEM;

	if (!locs || !line_ptrs || !maps || !fns)
		goto out;
	for (i = 0; i < b->locations.n; i++) {
		b->locations.items[i].line = &line_ptrs[i];
		b->locations.items[i].n_line = 1;
	}
	p->location = locs;
	p->n_location = b->locations.n;
	p->mapping = maps;
	p->n_mapping = b->mappings.n;
	p->function = fns;
	p->n_function = b->functions.n;
	p->string_table = b->strings.strs;
	p->n_string_table = b->strings.n;
	len = perftools__profiles__profile__get_packed_size(p);
	buf = malloc(len ? len : 1);
	if (!buf)
		goto out;
	perftools__profiles__profile__pack(p, buf);
	err = write_gzip(out, buf, len);
out:
	free(buf);
	free(locs);
	free(line_ptrs);
	free(maps);
	free(fns);
	return err;
}

int render_pprof(FILE *out, const struct report *r)
{
	struct pprof_builder b = { 0 };
	struct sample_storage st = { 0 };
	static const char *const type_names[PPROF_VALUES][2] = {
		{ "alloc_objects", "count" }, { "alloc_space", "bytes" },
		{ "inuse_objects", "count" }, { "inuse_space", "bytes" },
	};
	ValueType types[PPROF_VALUES], period_type;
	ValueType *type_ptrs[PPROF_VALUES];
	int64_t comment[1];
	Profile p;
	int err, added, i;

	perftools__profiles__profile__init(&p);
	/* Entry 0 of the string table is "" (str_index maps empty strings to it). */
	if (strmap_intern(&b.strings, "", 0, &added) != 0)
		return -ENOMEM;
	/* Go's heap profile (runtime/pprof): both views, in use by default. */
	for (i = 0; i < PPROF_VALUES; i++) {
		perftools__profiles__value_type__init(&types[i]);
		types[i].type = str_index(&b, type_names[i][0]);
		types[i].unit = str_index(&b, type_names[i][1]);
		type_ptrs[i] = &types[i];
	}
	p.sample_type = type_ptrs;
	p.n_sample_type = PPROF_VALUES;
	p.default_sample_type = types[3].type;
	perftools__profiles__value_type__init(&period_type);
	/* Sampled reports hold estimates: one sample stands for sample_bytes. */
	period_type.type = str_index(&b, "space");
	period_type.unit = str_index(&b, "bytes");
	p.period_type = &period_type;
	p.period = r->sample_bytes ? (int64_t)r->sample_bytes : 1;
	p.time_nanos = (int64_t)r->time.tv_sec * 1000000000 + r->time.tv_nsec;
	p.duration_nanos = (int64_t)(r->interval_s * 1e9);
	comment[0] = str_index(&b, r->sample_bytes ?
			       "memleakbpf: allocations since attach and outstanding, sampled "
			       "(estimates)" :
			       "memleakbpf: allocations since attach and outstanding, every call "
			       "traced");
	p.comment = comment;
	p.n_comment = 1;
	err = add_samples(&b, r, &st);
	p.sample = st.sample_ptrs;
	p.n_sample = st.n;
	if (!err && !b.oom)
		err = pack_and_write(out, &b, &p);
	else if (!err)
		err = -ENOMEM;
	free_samples(&st);
	free(b.mappings.items);
	free(b.locations.items);
	free(b.functions.items);
	free(b.lines);
	strmap_free(&b.strings);
	strmap_free(&b.mapping_keys);
	strmap_free(&b.location_keys);
	strmap_free(&b.function_keys);
	return err;
}
