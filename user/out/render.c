// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The table of output formats, dispatch on it, and the names every renderer uses. */
#include <errno.h>
#include <string.h>
#include "out/render.h"

/* Profiles have no place for a record: the OOM kill goes to stderr as text. */
static int render_oom_to_stderr(FILE *out, const struct oom_event *o,
				const struct report *r)
{
	return render_text_oom(stderr, o, r);
}

/* In --help order. */
static const struct renderer renderers[FORMAT__MAX] = {
	[FORMAT_TEXT] = {
		.name = "text", .ext = ".txt",
		.report = render_text, .oom = render_text_oom, .exit = render_text_exit,
	},
	[FORMAT_JSON] = {
		.name = "json", .help = "(one object per line)", .ext = ".jsonl",
		.report = render_json, .oom = render_json_oom, .exit = render_json_exit,
	},
	[FORMAT_FOLDED] = {
		.name = "folded", .help = "(flame-graph input)", .ext = ".folded",
		.one_report_per_file = true,
		.report = render_folded, .oom = render_oom_to_stderr,
	},
	[FORMAT_PPROF] = {
		.name = "pprof", .help = "(profile.proto.gz)", .ext = ".pb.gz",
		.one_report_per_file = true,
		.report = render_pprof, .oom = render_oom_to_stderr,
	},
	[FORMAT_PROMETHEUS] = {
		.name = "prometheus", .help = "(text exposition, for a textfile collector)",
		.ext = ".prom", .one_report_per_file = true,
		.report = render_metrics, .oom = render_oom_to_stderr,
	},
};

const struct renderer *renderer_of(enum output_format fmt)
{
	return (unsigned int)fmt < FORMAT__MAX ? &renderers[fmt] : NULL;
}

bool renderer_by_name(const char *name, enum output_format *fmt)
{
	unsigned int f;

	for (f = 0; f < FORMAT__MAX; f++) {
		if (!strcmp(renderers[f].name, name)) {
			*fmt = f;
			return true;
		}
	}
	return false;
}

int render_report(FILE *out, enum output_format fmt, const struct report *r)
{
	const struct renderer *rd = renderer_of(fmt);

	return rd ? rd->report(out, r) : -EINVAL;
}

int render_oom(FILE *out, enum output_format fmt, const struct oom_event *o,
	       const struct report *r)
{
	const struct renderer *rd = renderer_of(fmt);

	return rd ? rd->oom(out, o, r) : -EINVAL;
}

int render_exit(FILE *out, enum output_format fmt, const struct exit_event *e)
{
	const struct renderer *rd = renderer_of(fmt);

	return rd && rd->exit ? rd->exit(out, e) : 0;
}

const char *kind_name(unsigned int kind)
{
	switch (kind) {
	case MEMLEAK_KIND_MALLOC:
		return "malloc";
	case MEMLEAK_KIND_MMAP:
		return "mmap";
	case MEMLEAK_KIND_BRK:
		return "brk";
	case MEMLEAK_KIND_KMALLOC:
		return "kmalloc";
	case MEMLEAK_KIND_SLAB:
		return "slab";
	case MEMLEAK_KIND_PAGE:
		return "page";
	case MEMLEAK_KIND_PERCPU:
		return "percpu";
	}
	return "unknown";
}

/* The --sort values, also the JSON "sort" field. */
const char *sort_name(enum stack_sort sort)
{
	switch (sort) {
	case SORT_GROWTH:
		return "growth";
	case SORT_BYTES:
		return "bytes";
	case SORT_COUNT:
		return "count";
	}
	return "unknown";
}

/* These are JSON keys: part of the output contract, never rename one. */
static const char *const stat_names[MEMLEAK_STAT__MAX] = {
	[MEMLEAK_STAT_ALLOCS] = "allocs",
	[MEMLEAK_STAT_FREES] = "frees",
	[MEMLEAK_STAT_UNKNOWN_FREES] = "unknown_frees",
	[MEMLEAK_STAT_FAILED_ALLOCS] = "failed_allocs",
	[MEMLEAK_STAT_ALLOC_MAP_FULL] = "alloc_map_full",
	[MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES] = "alloc_map_full_bytes",
	[MEMLEAK_STAT_STACK_MAP_FULL] = "stack_map_full",
	[MEMLEAK_STAT_STACK_COLLISION] = "stack_collision",
	[MEMLEAK_STAT_TOTALS_FULL] = "totals_full",
	[MEMLEAK_STAT_STALE_REPLACED] = "stale_replaced",
	[MEMLEAK_STAT_NESTED_CALLS] = "nested_calls",
	[MEMLEAK_STAT_PENDING_LOST] = "pending_lost",
	[MEMLEAK_STAT_EVENTS_LOST] = "events_lost",
	[MEMLEAK_STAT_RETURNS_LOST] = "returns_lost",
	[MEMLEAK_STAT_AGGREGATE_FULL] = "aggregate_full",
};

const char *stat_name(unsigned int stat)
{
	/* A stat added to the enum but not here shows up as "unknown" in tests. */
	if (stat >= MEMLEAK_STAT__MAX || !stat_names[stat])
		return "unknown";
	return stat_names[stat];
}

bool stat_is_loss(unsigned int stat)
{
	switch (stat) {
	case MEMLEAK_STAT_ALLOC_MAP_FULL:
	case MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES:
	case MEMLEAK_STAT_STACK_MAP_FULL:
	case MEMLEAK_STAT_STACK_COLLISION:
	case MEMLEAK_STAT_TOTALS_FULL:
	case MEMLEAK_STAT_STALE_REPLACED:
	case MEMLEAK_STAT_PENDING_LOST:
	case MEMLEAK_STAT_EVENTS_LOST:
		return true;
	}
	return false;
}
