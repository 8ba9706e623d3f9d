// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The values of --alloc-fn/--free-fn NAME:ARG, --alloc-prefix and the size
 * options, straight into their parsers (faster than through getopt).  The
 * first byte picks the parser, the rest is the value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/options.h"
#include "probes/allocators.h"
#include "fuzz_lines.h"

/* What a function name may hold (alloc_parse_custom's symbol_char). */
#define SYMBOL_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$"

static void check_custom(const char *text, bool is_free)
{
	struct custom_fn_spec spec;
	char err[256];

	memset(&spec, 0, sizeof(spec));
	if (!alloc_parse_custom(text, is_free, &spec, err, sizeof(err)))
		return;
	if (!spec.name[0] || strnlen(spec.name, sizeof(spec.name)) == sizeof(spec.name) ||
	    spec.arg < 1 || spec.arg > ALLOC_ARG_MAX || spec.is_free != is_free ||
	    strspn(spec.name, SYMBOL_CHARS) != strlen(spec.name))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	uint64_t v;

	if (!size)
		return 0;
	text = fuzz_string(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		check_custom(text, data[0] & 0x80);
		break;
	case 1:
		alloc_prefix_valid(text);
		break;
	case 2:
		parse_size(text, &v);
		break;
	}
	free(text);
	return 0;
}
