/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Human-readable sizes and durations for the text output (defined in render.c). */
#ifndef MEMLEAK_UNITS_H
#define MEMLEAK_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Large enough for any result of the two functions below. */
#define UNITS_BUF_LEN 24

/*
 * Bytes in binary units with one decimal ("1023 B", "1.0 KiB", "12.3 MiB"),
 * switching unit where rounding would show 1024.0.  Returns buf.
 */
const char *format_bytes_human(char *buf, size_t size, uint64_t bytes);

/* Milliseconds as "500 ms", "2.3 s", "5m03s", "2h10m", "3d04h".  Returns buf. */
const char *format_age_ms(char *buf, size_t size, uint64_t ms);

#endif
