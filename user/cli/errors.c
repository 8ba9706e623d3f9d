// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One-line diagnostics on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include "cli/errors.h"

int verbosity;

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("memleakbpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void verbose_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (verbosity < level)
		return;
	fputs("memleakbpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
