// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command line: the input's NUL-separated words are the arguments
 * after the program's name.  Parsing must end with a result and, on an
 * error, a terminated one-line message; --help output goes to /dev/null.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/options.h"

#define MAX_ARGS 32

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

/* Each word in a buffer of its own, so that reads past it are seen. */
static int split_args(const uint8_t *data, size_t size, char **argv)
{
	size_t off = 0;
	int argc = 1;

	argv[0] = strdup("memleakbpf");
	while (off <= size && argc < MAX_ARGS) {
		const uint8_t *nul = memchr(data + off, '\0', size - off);
		size_t len = nul ? (size_t)(nul - (data + off)) : size - off;

		argv[argc] = malloc(len + 1);
		if (!argv[argc])
			abort();
		memcpy(argv[argc], data + off, len);
		argv[argc++][len] = '\0';
		off += len + 1;
	}
	argv[argc] = NULL;
	return argc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 1], err[512];
	struct options o;
	enum parse_result res;
	int argc = split_args(data, size, argv), i;

	memset(err, 'x', sizeof(err));
	err[0] = '\0';
	res = options_parse(&o, argc, argv, err, sizeof(err));
	if (res == PARSE_ERROR && (!err[0] || !memchr(err, '\0', sizeof(err)) || strchr(err, '\n')))
		abort();
	for (i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
