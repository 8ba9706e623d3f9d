// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The output of "ld.so --list EXE" for -c: the dynamic linker prints it,
 * but the names in it come from the program's DT_NEEDED entries, its
 * RPATH and LD_LIBRARY_PATH.  Every path kept must be absolute.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "procs/launch.h"
#include "fuzz_lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), **paths;
	size_t n, i;

	if (!launch_parse_ldlist(text, &paths, &n)) {
		for (i = 0; i < n; i++) {
			if (paths[i][0] != '/' || strchr(paths[i], '\n'))
				abort();
			free(paths[i]);
		}
		free(paths);
	}
	free(text);
	return 0;
}
