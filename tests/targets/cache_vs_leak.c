/*
 * cache_vs_leak RUN_MS GO_FILE TRUTH_FILE
 *
 * Once GO_FILE exists, on one clock (a tick every 20 ms, absolute times so
 * that rates are exact over the run):
 *   - cache_insert fills a cache of CACHE_BLOCKS blocks of CACHE_SIZE bytes,
 *     one per tick (full after ~1.9 s), and then keeps it as it is;
 *   - leak_fn leaks LEAK_PER_BURST blocks of LEAK_SIZE bytes every 5 ticks:
 *     4 KiB per 100 ms = 40960 bytes/s = 2457600 bytes/min, from go to exit.
 * After RUN_MS it writes "LEAKED_BLOCKS CACHE_BLOCKS" to TRUTH_FILE and exits.
 * The cache ends 6 MiB, about ten times what the leak holds after 15 s,
 * in fewer allocations (96 against 600).
 */
#include "target_util.h"

#define TICK_MS 20
#define CACHE_BLOCKS 96
#define CACHE_SIZE 65536
#define LEAK_EVERY_TICKS 5
#define LEAK_PER_BURST 4
#define LEAK_SIZE 1024
#define MAX_LEAKS 100000

static void *cache[CACHE_BLOCKS];
static void *leaked[MAX_LEAKS];

static NOINLINE void cache_insert(unsigned long i)
{
	cache[i] = malloc(CACHE_SIZE); /* CACHE_LINE */
}

static NOINLINE void leak_fn(unsigned long i)
{
	leaked[i] = malloc(LEAK_SIZE); /* LEAK_LINE */
}

static void tick_sleep(const struct timespec *start, unsigned long tick)
{
	unsigned long long ns = (unsigned long long)start->tv_nsec +
				(unsigned long long)tick * TICK_MS * 1000000ULL;
	struct timespec at = {
		.tv_sec = start->tv_sec + (time_t)(ns / 1000000000ULL),
		.tv_nsec = (long)(ns % 1000000000ULL),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	unsigned long long run_ms = t_arg(argc, argv, 1, 15000);
	unsigned long tick, ticks = run_ms / TICK_MS, nleak = 0, ncache = 0, j;
	struct timespec start;

	if (argc != 4)
		return 64;
	t_wait_for_file(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (tick = 0; tick < ticks; tick++) {
		tick_sleep(&start, tick);
		if (ncache < CACHE_BLOCKS)
			cache_insert(ncache++);
		if (tick % LEAK_EVERY_TICKS == 0)
			for (j = 0; j < LEAK_PER_BURST && nleak < MAX_LEAKS; j++)
				leak_fn(nleak++);
	}
	t_write_pair(argv[3], nleak, ncache);
	return 0;
}
