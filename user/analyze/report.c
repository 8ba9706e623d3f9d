// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "analyze/report.h"

/*
 * The struct itself is the caller's (often on the stack); it is left empty
 * but reusable, so freeing twice is harmless.  Frame strings are not freed:
 * they belong to the symbolizer and outlive the report.
 */
void report_free(struct report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nstacks && r->stacks; i++) {
		free(r->stacks[i].pids);
		free(r->stacks[i].pid_bytes);
		free(r->stacks[i].frames);
	}
	for (i = 0; i < r->nprocs && r->procs; i++)
		free(r->procs[i].cgroup);
	free(r->stacks);
	free(r->procs);
	r->stacks = NULL;
	r->nstacks = 0;
	r->procs = NULL;
	r->nprocs = 0;
}

const char *frame_runtime_name(const struct frame *f)
{
	switch (f->runtime) {
	case MEMLEAK_RUNTIME_PYTHON:
		return "python";
	case MEMLEAK_RUNTIME_PHP:
		return "php";
	case MEMLEAK_RUNTIME_LUA:
		return "lua";
	default:
		return "native";
	}
}
