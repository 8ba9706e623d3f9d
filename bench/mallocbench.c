// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Malloc-heavy workload for the overhead benchmark: ITERATIONS rounds of
 * malloc into a ring of live blocks, freeing the block it replaces, so the
 * tracer sees both allocations and frees and holds RING live records.
 * Prints "<iterations per second>" on stdout.
 *
 *   mallocbench [ITERATIONS [GO_FILE]]   (GO_FILE: wait until it exists,
 *   so a tracer attached by -p sees every call; bench/hotpath.sh)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define RING 1024

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static void *ring[RING];
	long i, iters = argc > 1 ? atol(argv[1]) : 200000;
	struct timespec ms = { 0, 10 * 1000 * 1000 };
	double t0, t1;

	while (argc > 2 && access(argv[2], F_OK))
		nanosleep(&ms, NULL);
	t0 = now();
	for (i = 0; i < iters; i++) {
		size_t slot = (size_t)i % RING;

		free(ring[slot]);
		ring[slot] = malloc(16 + (size_t)(i % 61) * 8);
		if (!ring[slot])
			return 1;
		*(volatile char *)ring[slot] = 1;
	}
	t1 = now();
	for (i = 0; i < RING; i++)
		free(ring[i]);
	printf("%.0f\n", iters / (t1 - t0));
	return 0;
}
