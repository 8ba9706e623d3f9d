// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/PID/maps lines: the kernel writes them, but the paths in them are
 * file names the target chose (spaces, "(deleted)", any byte but '\n').
 * Lines longer than the reader's buffer never reach the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "procs/proc_maps.h"
#include "fuzz_lines.h"

static void one_line(const char *line, size_t len)
{
	struct proc_map m;

	if (len >= PROC_MAPS_LINE_MAX || !proc_maps_parse_line(line, &m))
		return;
	if (m.start >= m.end || strnlen(m.path, sizeof(m.path)) == sizeof(m.path) ||
	    strchr(m.path, '\n') || strlen(m.perms) != 4)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_each_line(data, size, one_line);
	return 0;
}
