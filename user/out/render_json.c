// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One report as one JSON object on one line (README "JSON output").  Every
 * field is always present; what is unknown is null, so consumers never have
 * to tell "missing" from "zero".
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "out/json_writer.h"
#include "out/render.h"

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

static void kv_u64(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

/* Negative means unknown in the report model. */
static void kv_i64_or_null(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	if (v < 0)
		json_null(w);
	else
		json_i64(w, v);
}

static void kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

static void kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

/* ISO-8601 UTC with milliseconds: sortable, and the same on every host. */
static void format_time_utc(char *buf, size_t size, struct timespec ts)
{
	long ms = ts.tv_nsec / 1000000;
	struct tm tm;
	size_t n;

	if (ms < 0 || ms > 999)
		ms = 0;
	if (!gmtime_r(&ts.tv_sec, &tm)) {
		snprintf(buf, size, "1970-01-01T00:00:00.000Z");
		return;
	}
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ldZ", ms);
}

static void write_filters(struct json_writer *w, const struct report *r)
{
	json_key(w, "filters");
	json_object_begin(w);
	kv_u64(w, "min_age_ms", r->min_age_ms);
	kv_u64(w, "min_size", r->min_size);
	json_key(w, "max_size");
	if (r->max_size == UINT64_MAX)
		json_null(w);
	else
		json_u64(w, r->max_size);
	kv_u64(w, "top", r->top_n);
	json_object_end(w);
}

static void write_process(struct json_writer *w, const struct process_report *p)
{
	json_object_begin(w);
	json_key(w, "pid");
	json_i64(w, p->pid);
	/* comm comes from the kernel's 16-byte field: never read past it. */
	json_key(w, "comm");
	json_string_n(w, p->comm, strnlen(p->comm, sizeof(p->comm)));
	kv_i64_or_null(w, "rss_bytes", p->rss_bytes);
	kv_u64(w, "outstanding_bytes", p->outstanding_bytes);
	kv_u64(w, "outstanding_allocs", p->outstanding_allocs);
	json_key(w, "growth_bytes");
	json_i64(w, p->growth_bytes);
	json_key(w, "rss_growth_bytes");
	json_i64(w, p->rss_growth_bytes);
	kv_i64_or_null(w, "ns_pid", p->ns_pid > 0 ? p->ns_pid : -1);
	kv_i64_or_null(w, "ppid", p->ppid > 0 ? p->ppid : -1);
	kv_bool(w, "respawn", p->respawn);
	kv_i64_or_null(w, "allocator_backing_bytes", p->backing_bytes);
	kv_i64_or_null(w, "direct_mapped_bytes", p->mapped_bytes);
	kv_bool(w, "exited", p->exited);
	kv_bool(w, "escalated", p->escalated);
	json_object_end(w);
}

static void write_frame(struct json_writer *w, const struct frame *f)
{
	char addr[24];

	snprintf(addr, sizeof(addr), "0x%" PRIx64, f->addr);
	json_object_begin(w);
	kv_string(w, "addr", addr);
	kv_string(w, "symbol", f->symbol);
	/* An offset from no symbol means nothing. */
	json_key(w, "offset");
	if (f->symbol)
		json_u64(w, f->offset);
	else
		json_null(w);
	kv_string(w, "module", f->module);
	json_key(w, "module_offset");
	if (f->module)
		json_u64(w, f->module_offset);
	else
		json_null(w);
	kv_string(w, "file", f->file);
	kv_i64_or_null(w, "line", f->line > 0 ? f->line : -1);
	kv_bool(w, "inlined", f->inlined);
	json_object_end(w);
}

static void write_stack(struct json_writer *w, const struct stack_report *s)
{
	size_t i;

	json_object_begin(w);
	kv_u64(w, "bytes", s->bytes);
	kv_u64(w, "allocs", s->allocs);
	json_key(w, "pids");
	json_array_begin(w);
	for (i = 0; i < s->npids; i++)
		json_i64(w, s->pids[i]);
	json_array_end(w);
	kv_string(w, "kind", kind_name(s->kind));
	kv_i64_or_null(w, "oldest_age_ms", s->oldest_age_ms);
	kv_bool(w, "stack_lost", s->stack_lost);
	kv_bool(w, "estimated", s->estimated);
	json_key(w, "growth_bytes_per_min");
	json_double(w, s->growth_bytes_per_min, 1);
	json_key(w, "score");
	json_double(w, s->score, 1);
	kv_bool(w, "truncated", s->truncated);
	json_key(w, "frames");
	json_array_begin(w);
	for (i = 0; i < s->nframes; i++)
		write_frame(w, &s->frames[i]);
	json_array_end(w);
	json_object_end(w);
}

/* Negative means unknown. */
static void kv_seconds_or_null(struct json_writer *w, const char *key, double v)
{
	json_key(w, key);
	if (v < 0)
		json_null(w);
	else
		json_double(w, v, 6);
}

/* What the tracer itself cost so far (README "JSON output"). */
static void write_tracer_cost(struct json_writer *w, const struct tracer_cost *c)
{
	json_key(w, "tracer");
	json_object_begin(w);
	kv_seconds_or_null(w, "cpu_s", c->user_cpu_s);
	kv_seconds_or_null(w, "bpf_cpu_s", c->bpf_cpu_s);
	kv_i64_or_null(w, "bpf_runs", c->bpf_cpu_s < 0 ? -1 : (int64_t)c->bpf_runs);
	kv_i64_or_null(w, "rss_bytes", c->rss_bytes);
	kv_seconds_or_null(w, "report_cpu_s", c->report_cpu_s);
	json_object_end(w);
}

static void write_stats(struct json_writer *w, const struct report *r)
{
	size_t i;

	json_key(w, "stats");
	json_object_begin(w);
	for (i = 0; i < ARRAY_LEN(counted_stats); i++)
		kv_u64(w, stat_name(counted_stats[i]), r->stats[counted_stats[i]]);
	json_key(w, "lost");
	json_object_begin(w);
	for (i = 0; i < ARRAY_LEN(lost_stats); i++)
		kv_u64(w, stat_name(lost_stats[i]), r->stats[lost_stats[i]]);
	json_object_end(w);
	json_object_end(w);
}

/* How stacks were unwound and what the tables take in the kernel. */
static void write_unwind(struct json_writer *w, const struct report *r)
{
	const struct unwind_usage *u = &r->unwind;

	json_key(w, "unwind");
	json_object_begin(w);
	kv_string(w, "mode", u->mode);
	kv_u64(w, "table_rows", u->rows_used);
	kv_u64(w, "table_rows_capacity", u->rows_capacity);
	kv_u64(w, "objects", u->objects);
	kv_u64(w, "objects_without_room", u->objects_no_room);
	kv_u64(w, "kernel_bytes", u->kernel_bytes);
	json_object_end(w);
}

/* The report object, also nested inside other records (oom_kill). */
static void write_report(struct json_writer *wp, const struct report *r)
{
	struct json_writer w = *wp;  /* shorthand below; copied back at the end */
	char time_buf[64];
	size_t i;

	format_time_utc(time_buf, sizeof(time_buf), r->time);
	json_object_begin(&w);
	kv_string(&w, "type", "report");
	kv_string(&w, "time", time_buf);
	json_key(&w, "interval_s");
	json_double(&w, r->interval_s, 3);
	kv_bool(&w, "final", r->final);
	kv_string(&w, "mode", r->mode ? r->mode : "precise");
	kv_u64(&w, "sample_bytes", r->sample_bytes);
	write_filters(&w, r);
	kv_string(&w, "sort", sort_name(r->sort));

	json_key(&w, "processes");
	json_array_begin(&w);
	for (i = 0; i < r->nprocs; i++)
		write_process(&w, &r->procs[i]);
	json_array_end(&w);

	json_key(&w, "stacks");
	json_array_begin(&w);
	for (i = 0; i < r->nstacks; i++)
		write_stack(&w, &r->stacks[i]);
	json_array_end(&w);

	kv_u64(&w, "stacks_matched", r->stacks_matched);
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
	char time_buf[64];

	if (!out || !o || !r)
		return -EINVAL;
	format_time_utc(time_buf, sizeof(time_buf), r->time);
	json_init(&w, out);
	json_object_begin(&w);
	kv_string(&w, "type", "oom_kill");
	kv_string(&w, "time", time_buf);
	json_key(&w, "pid");
	json_i64(&w, o->pid);
	kv_string(&w, "comm", o->comm);
	kv_u64(&w, "anon_rss_bytes", o->anon_rss_bytes);
	kv_string(&w, "cgroup", o->cgroup);
	kv_i64_or_null(&w, "cgroup_limit_bytes", o->cgroup_limit_bytes);
	kv_i64_or_null(&w, "cgroup_usage_bytes", o->cgroup_usage_bytes);
	json_key(&w, "report");
	write_report(&w, r);
	json_object_end(&w);
	return json_finish(&w);
}

/* {"type":"process_exit",...}: one line per traced process that ended. */
int render_json_exit(FILE *out, const struct exit_event *e)
{
	struct json_writer w;
	char time_buf[64];

	format_time_utc(time_buf, sizeof(time_buf), e->time);
	json_init(&w, out);
	json_object_begin(&w);
	kv_string(&w, "type", "process_exit");
	kv_string(&w, "time", time_buf);
	json_key(&w, "pid");
	json_i64(&w, e->pid);
	kv_i64_or_null(&w, "ppid", e->ppid > 0 ? e->ppid : -1);
	kv_string(&w, "comm", e->comm);
	kv_bool(&w, "respawn", e->respawn);
	kv_u64(&w, "outstanding_bytes", e->outstanding_bytes);
	kv_u64(&w, "outstanding_allocs", e->outstanding_allocs);
	json_object_end(&w);
	return json_finish(&w);
}
