// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Workload for the unwinding benchmark: malloc and free ITERATIONS times at
 * the bottom of DEPTH nested calls, so every allocation stack has DEPTH
 * frames of this program above libc's start code.  bench/unwind.sh builds
 * it twice, with and without frame pointers.
 *
 *   unwindbench ITERATIONS DEPTH GO_FILE
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void work(long iters)
{
	long i;

	for (i = 0; i < iters; i++) {
		void *p = malloc(64);

		sink += (unsigned long)p;
		/* The last block stays: the report shows the stack taken. */
		if (i < iters - 1)
			free(p);
	}
}

__attribute__((noinline)) static void nest(int depth, long iters)
{
	volatile char pad[32];

	pad[0] = (char)depth;
	if (depth <= 1)
		work(iters);
	else
		nest(depth - 1, iters);
	sink += pad[0];
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 100000;
	int depth = argc > 2 ? atoi(argv[2]) : 10;
	struct timespec ms = { 0, 10 * 1000 * 1000 };

	/* Wait for the tracer: the tables are loaded when it attaches. */
	while (argc > 3 && access(argv[3], F_OK))
		nanosleep(&ms, NULL);
	nest(depth, iters);
	return 0;
}
