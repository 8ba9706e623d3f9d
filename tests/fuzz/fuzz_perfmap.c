// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /tmp/perf-PID.map, written by the target: every line through the parser
 * the tracer uses (perfmap_parse_line), with what a parsed line promises
 * checked: a non-empty name inside the line, a non-zero size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "symbols/perfmap.h"
#include "fuzz_lines.h"

static void one_line(const char *line, size_t len)
{
	uint64_t start, size;
	const char *name;

	if (!perfmap_parse_line(line, &start, &size, &name))
		return;
	if (name <= line || name >= line + len || !*name || *name == '\n' || !size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_each_line(data, size, one_line);
	return 0;
}
