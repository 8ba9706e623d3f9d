// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One-line diagnostics on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/errors.h"

int verbosity;

/* Lines held back by diag_hold(), in order, until released or dropped. */
static FILE *held;
static char *held_buf;
static size_t held_len;

static void emit(const char *fmt, va_list ap)
{
	FILE *to = held ? held : stderr;

	fputs("memleakbpf: ", to);
	vfprintf(to, fmt, ap);
	fputc('\n', to);
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

void verbose_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (verbosity < level)
		return;
	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

void diag_hold(void)
{
	if (!held)
		held = open_memstream(&held_buf, &held_len);
}

static void end_hold(bool print)
{
	if (!held)
		return;
	fclose(held);
	held = NULL;
	if (print && held_len)
		fwrite(held_buf, 1, held_len, stderr);
	free(held_buf);
	held_buf = NULL;
	held_len = 0;
}

void diag_release(void)
{
	end_hold(true);
}

void diag_drop(void)
{
	end_hold(false);
}
