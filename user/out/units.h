/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sizes, durations and times as people read them, for every output. */
#ifndef MEMLEAK_UNITS_H
#define MEMLEAK_UNITS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Large enough for any result of the two functions below. */
#define UNITS_BUF_LEN 24

/*
 * Bytes in binary units with one decimal ("1023 B", "1.0 KiB", "12.3 MiB"),
 * switching unit where rounding would show 1024.0.  Returns buf.
 */
const char *format_bytes_human(char *buf, size_t size, uint64_t bytes);

/* Milliseconds as "500 ms", "2.3 s", "5m03s", "2h10m", "3d04h".  Returns buf. */
const char *format_age_ms(char *buf, size_t size, uint64_t ms);

/* Large enough for format_time_utc. */
#define UTC_TIME_BUF_LEN 64

/*
 * ISO 8601 in UTC with milliseconds, "2026-11-23T11:40:02.123Z": sortable,
 * and the same on every host (the JSON records and the --html page).
 */
const char *format_time_utc(char *buf, size_t size, struct timespec ts);

#endif
