// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One report as one JSON object on one line (README "JSON output").  Every
 * field is always present; what is unknown is null, so consumers never have
 * to tell "missing" from "zero".
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "out/json_writer.h"
#include "out/render.h"
#include "out/units.h"

/* Stats at the top level of "stats", then the losses, in contract order. */
static const unsigned int counted_stats[] = {
	MEMLEAK_STAT_ALLOCS,
	MEMLEAK_STAT_FREES,
	MEMLEAK_STAT_UNKNOWN_FREES,
	MEMLEAK_STAT_FAILED_ALLOCS,
	MEMLEAK_STAT_NESTED_CALLS,
	MEMLEAK_STAT_AGGREGATE_FULL,
};

static const unsigned int lost_stats[] = {
	MEMLEAK_STAT_ALLOC_MAP_FULL,
	MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES,
	MEMLEAK_STAT_STACK_MAP_FULL,
	MEMLEAK_STAT_STACK_COLLISION,
	MEMLEAK_STAT_TOTALS_FULL,
	MEMLEAK_STAT_STALE_REPLACED,
	MEMLEAK_STAT_PENDING_LOST,
	MEMLEAK_STAT_EVENTS_LOST,
	MEMLEAK_STAT_RETURNS_LOST,
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void write_filters(struct json_writer *w, const struct report *r)
{
	json_object_begin_field(w, "filters");
	json_u64_field(w, "min_age_ms", r->min_age_ms);
	json_u64_field(w, "min_size", r->min_size);
	if (r->max_size == UINT64_MAX)
		json_null_field(w, "max_size");
	else
		json_u64_field(w, "max_size", r->max_size);
	json_u64_field(w, "top", r->top_n);
	json_object_end(w);
}

static void k8s_field(struct json_writer *w, const char *key, const char *value)
{
	if (value && *value)
		json_string_field(w, key, value);
	else
		json_null_field(w, key);
}

/* The process's pod: null fields outside Kubernetes (or unknown ones). */
static void write_k8s(struct json_writer *w, const struct k8s_identity *k)
{
	k8s_field(w, "k8s_namespace", k ? k->ns : NULL);
	k8s_field(w, "k8s_pod", k ? k->pod : NULL);
	k8s_field(w, "k8s_container", k ? k->container : NULL);
	k8s_field(w, "container_id", k ? k->container_id : NULL);
	k8s_field(w, "node", k ? k->node : NULL);
}

static void write_process(struct json_writer *w, const struct process_report *p)
{
	json_object_begin(w);
	json_i64_field(w, "pid", p->pid);
	/* comm comes from the kernel's 16-byte field: never read past it. */
	json_string_n_field(w, "comm", p->comm, strnlen(p->comm, sizeof(p->comm)));
	json_i64_or_null_field(w, "rss_bytes", p->rss_bytes);
	json_u64_field(w, "outstanding_bytes", p->outstanding_bytes);
	json_u64_field(w, "outstanding_allocs", p->outstanding_allocs);
	json_i64_field(w, "growth_bytes", p->growth_bytes);
	json_i64_field(w, "rss_growth_bytes", p->rss_growth_bytes);
	json_i64_or_null_field(w, "ns_pid", p->ns_pid > 0 ? p->ns_pid : -1);
	json_i64_or_null_field(w, "host_pid", p->host_pid > 0 ? p->host_pid : -1);
	json_i64_or_null_field(w, "ppid", p->ppid > 0 ? p->ppid : -1);
	json_bool_field(w, "respawn", p->respawn);
	json_i64_or_null_field(w, "allocator_backing_bytes", p->backing_bytes);
	json_i64_or_null_field(w, "direct_mapped_bytes", p->mapped_bytes);
	json_bool_field(w, "exited", p->exited);
	json_bool_field(w, "escalated", p->escalated);
	write_k8s(w, p->k8s);
	json_object_end(w);
}

static void write_frame(struct json_writer *w, const struct frame *f)
{
	char addr[24];

	snprintf(addr, sizeof(addr), "0x%" PRIx64, f->addr);
	json_object_begin(w);
	/* A script frame has a function, a file and a line, no address. */
	if (f->runtime == MEMLEAK_RUNTIME_NATIVE)
		json_string_field(w, "addr", addr);
	else
		json_null_field(w, "addr");
	json_string_field(w, "symbol", f->symbol);
	json_string_field(w, "runtime", frame_runtime_name(f));
	/* An offset from no symbol means nothing. */
	if (f->symbol && f->runtime == MEMLEAK_RUNTIME_NATIVE)
		json_u64_field(w, "offset", f->offset);
	else
		json_null_field(w, "offset");
	json_string_field(w, "module", f->module);
	if (f->module)
		json_u64_field(w, "module_offset", f->module_offset);
	else
		json_null_field(w, "module_offset");
	json_string_field(w, "file", f->file);
	json_i64_or_null_field(w, "line", f->line > 0 ? f->line : -1);
	json_bool_field(w, "inlined", f->inlined);
	json_object_end(w);
}

static void write_stack(struct json_writer *w, const struct stack_report *s)
{
	size_t i;

	json_object_begin(w);
	json_u64_field(w, "bytes", s->bytes);
	json_u64_field(w, "allocs", s->allocs);
	json_array_begin_field(w, "pids");
	for (i = 0; i < s->npids; i++)
		json_i64(w, s->pids[i]);
	json_array_end(w);
	json_string_field(w, "kind", kind_name(s->kind));
	if (s->slab_cache[0])
		json_string_field(w, "slab_cache", s->slab_cache);
	else
		json_null_field(w, "slab_cache");
	json_i64_or_null_field(w, "oldest_age_ms", s->oldest_age_ms);
	json_bool_field(w, "stack_lost", s->stack_lost);
	json_bool_field(w, "estimated", s->estimated);
	json_double_field(w, "growth_bytes_per_min", s->growth_bytes_per_min, 1);
	json_double_field(w, "score", s->score, 1);
	json_bool_field(w, "truncated", s->truncated);
	json_array_begin_field(w, "frames");
	for (i = 0; i < s->nframes; i++)
		write_frame(w, &s->frames[i]);
	json_array_end(w);
	json_object_end(w);
}

/* Negative means unknown. */
static void seconds_or_null_field(struct json_writer *w, const char *key, double v)
{
	if (v < 0)
		json_null_field(w, key);
	else
		json_double_field(w, key, v, 6);
}

/* What the tracer itself cost so far (README "JSON output"). */
static void write_tracer_cost(struct json_writer *w, const struct tracer_cost *c)
{
	json_object_begin_field(w, "tracer");
	seconds_or_null_field(w, "cpu_s", c->user_cpu_s);
	seconds_or_null_field(w, "bpf_cpu_s", c->bpf_cpu_s);
	json_i64_or_null_field(w, "bpf_runs", c->bpf_cpu_s < 0 ? -1 : (int64_t)c->bpf_runs);
	json_i64_or_null_field(w, "rss_bytes", c->rss_bytes);
	seconds_or_null_field(w, "report_cpu_s", c->report_cpu_s);
	json_object_end(w);
}

static void write_stats(struct json_writer *w, const struct report *r)
{
	size_t i;

	json_object_begin_field(w, "stats");
	for (i = 0; i < ARRAY_LEN(counted_stats); i++)
		json_u64_field(w, stat_name(counted_stats[i]), r->stats[counted_stats[i]]);
	json_object_begin_field(w, "lost");
	for (i = 0; i < ARRAY_LEN(lost_stats); i++)
		json_u64_field(w, stat_name(lost_stats[i]), r->stats[lost_stats[i]]);
	json_object_end(w);
	json_object_end(w);
}

/* How stacks were unwound and what the tables take in the kernel. */
static void write_unwind(struct json_writer *w, const struct report *r)
{
	const struct unwind_usage *u = &r->unwind;

	json_object_begin_field(w, "unwind");
	json_string_field(w, "mode", u->mode);
	json_u64_field(w, "table_rows", u->rows_used);
	json_u64_field(w, "table_rows_capacity", u->rows_capacity);
	json_u64_field(w, "objects", u->objects);
	json_u64_field(w, "objects_without_room", u->objects_no_room);
	json_u64_field(w, "kernel_bytes", u->kernel_bytes);
	json_object_end(w);
}

/* The report object, also nested inside other records (oom_kill). */
static void write_report(struct json_writer *wp, const struct report *r)
{
	struct json_writer w = *wp;  /* shorthand below; copied back at the end */
	char time_buf[UTC_TIME_BUF_LEN];
	size_t i;

	json_object_begin(&w);
	json_string_field(&w, "type", "report");
	json_string_field(&w, "time", format_time_utc(time_buf, sizeof(time_buf), r->time));
	json_double_field(&w, "interval_s", r->interval_s, 3);
	json_bool_field(&w, "final", r->final);
	json_string_field(&w, "mode", r->mode ? r->mode : "precise");
	json_u64_field(&w, "sample_bytes", r->sample_bytes);
	write_filters(&w, r);
	json_string_field(&w, "sort", sort_name(r->sort));

	json_array_begin_field(&w, "processes");
	for (i = 0; i < r->nprocs; i++)
		write_process(&w, &r->procs[i]);
	json_array_end(&w);

	json_array_begin_field(&w, "stacks");
	for (i = 0; i < r->nstacks; i++)
		write_stack(&w, &r->stacks[i]);
	json_array_end(&w);

	json_u64_field(&w, "stacks_matched", r->stacks_matched);
	write_stats(&w, r);
	write_tracer_cost(&w, &r->cost);
	write_unwind(&w, r);
	json_object_end(&w);
	*wp = w;
}

int render_json(FILE *out, const struct report *r)
{
	struct json_writer w;

	if (!out || !r)
		return -EINVAL;
	json_init(&w, out);
	write_report(&w, r);
	return json_finish(&w);
}

int render_json_oom(FILE *out, const struct oom_event *o, const struct report *r)
{
	struct json_writer w;
	char time_buf[UTC_TIME_BUF_LEN];

	if (!out || !o || !r)
		return -EINVAL;
	json_init(&w, out);
	json_object_begin(&w);
	json_string_field(&w, "type", "oom_kill");
	json_string_field(&w, "time", format_time_utc(time_buf, sizeof(time_buf), r->time));
	json_i64_field(&w, "pid", o->pid);
	json_string_field(&w, "comm", o->comm);
	json_u64_field(&w, "anon_rss_bytes", o->anon_rss_bytes);
	json_string_field(&w, "cgroup", o->cgroup);
	json_i64_or_null_field(&w, "cgroup_limit_bytes", o->cgroup_limit_bytes);
	json_i64_or_null_field(&w, "cgroup_usage_bytes", o->cgroup_usage_bytes);
	json_key(&w, "report");
	write_report(&w, r);
	json_object_end(&w);
	return json_finish(&w);
}

/* {"type":"process_exit",...}: one line per traced process that ended. */
int render_json_exit(FILE *out, const struct exit_event *e)
{
	struct json_writer w;
	char time_buf[UTC_TIME_BUF_LEN];

	json_init(&w, out);
	json_object_begin(&w);
	json_string_field(&w, "type", "process_exit");
	json_string_field(&w, "time", format_time_utc(time_buf, sizeof(time_buf), e->time));
	json_i64_field(&w, "pid", e->pid);
	json_i64_or_null_field(&w, "ppid", e->ppid > 0 ? e->ppid : -1);
	json_string_field(&w, "comm", e->comm);
	json_bool_field(&w, "respawn", e->respawn);
	json_u64_field(&w, "outstanding_bytes", e->outstanding_bytes);
	json_u64_field(&w, "outstanding_allocs", e->outstanding_allocs);
	json_i64_or_null_field(&w, "host_pid", e->host_pid > 0 ? e->host_pid : -1);
	write_k8s(&w, e->k8s);
	json_object_end(&w);
	return json_finish(&w);
}
