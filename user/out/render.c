// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Format dispatch and the names shared by every renderer. */
#include <errno.h>
#include <inttypes.h>
#include "out/render.h"

int render_report(FILE *out, enum output_format fmt, const struct report *r)
{
	switch (fmt) {
	case FORMAT_TEXT:
		return render_text(out, r);
	case FORMAT_JSON:
		return render_json(out, r);
	case FORMAT_FOLDED:
		return render_folded(out, r);
	case FORMAT_PPROF:
		return render_pprof(out, r);
	}
	return -EINVAL;
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

int render_oom(FILE *out, enum output_format fmt, const struct oom_event *o,
	       const struct report *r)
{
	switch (fmt) {
	case FORMAT_TEXT:
		return render_text_oom(out, o, r);
	case FORMAT_JSON:
		return render_json_oom(out, o, r);
	case FORMAT_FOLDED:
	case FORMAT_PPROF:
		/* Profiles have no place for a record: the OOM kill goes to stderr. */
		return render_text_oom(stderr, o, r);
	}
	return -EINVAL;
}

int render_exit(FILE *out, enum output_format fmt, const struct exit_event *e)
{
	switch (fmt) {
	case FORMAT_TEXT:
		return render_text_exit(out, e);
	case FORMAT_JSON:
		return render_json_exit(out, e);
	case FORMAT_FOLDED:
	case FORMAT_PPROF:
		break; /* profiles only hold reports */
	}
	return 0;
}
