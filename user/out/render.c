// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Format dispatch and the names and units shared by every renderer. */
#include <errno.h>
#include <inttypes.h>
#include "out/render.h"
#include "out/units.h"

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

const char *format_bytes_human(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double scaled = (double)bytes;
	uint64_t tenths = 0;
	size_t u;

	if (bytes < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", bytes);
		return buf;
	}
	/* Choose the unit on the rounded value, so 1048575 is 1.0 MiB, not 1024.0 KiB. */
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		scaled /= 1024;
		/* Round half up by hand: the build does not link libm. */
		tenths = (uint64_t)(scaled * 10 + 0.5);
		if (tenths < 10240)
			break;
	}
	if (u == sizeof(units) / sizeof(units[0]))
		u--; /* unreachable for 64-bit sizes; keeps the index valid */
	snprintf(buf, size, "%" PRIu64 ".%" PRIu64 " %s", tenths / 10, tenths % 10, units[u]);
	return buf;
}

const char *format_age_ms(char *buf, size_t size, uint64_t ms)
{
	uint64_t secs, mins, hours;

	if (ms < 1000) {
		snprintf(buf, size, "%" PRIu64 " ms", ms);
		return buf;
	}
	/* Below 59.95 s one decimal still reads as seconds; round, never truncate. */
	if (ms < 59950) {
		uint64_t tenths = (ms + 50) / 100;

		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 " s", tenths / 10, tenths % 10);
		return buf;
	}
	/* Rounded without ms + 500, which would wrap for absurd ages. */
	secs = ms / 1000 + (ms % 1000 >= 500);
	if (secs < 3600) {
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", secs / 60, secs % 60);
		return buf;
	}
	mins = (secs + 30) / 60;
	if (mins < 24 * 60) {
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", mins / 60, mins % 60);
		return buf;
	}
	hours = (mins + 30) / 60;
	snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", hours / 24, hours % 24);
	return buf;
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
