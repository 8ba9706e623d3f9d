// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Sizes, durations and times as people read them (units.h). */
#include <inttypes.h>
#include <stdio.h>
#include "out/units.h"

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
		/* Round half up to tenths (sizes are never negative). */
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

const char *format_time_utc(char *buf, size_t size, struct timespec ts)
{
	long ms = ts.tv_nsec / 1000000;
	struct tm tm;
	size_t n;

	if (ms < 0 || ms > 999)
		ms = 0;
	if (!gmtime_r(&ts.tv_sec, &tm)) {
		snprintf(buf, size, "1970-01-01T00:00:00.000Z");
		return buf;
	}
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ldZ", ms);
	return buf;
}
