/*
 * growth_leak KB_PER_TICK TICK_MS DURATION_MS
 *
 * A steady leak: every TICK_MS, grow_fn allocates KB_PER_TICK KiB in 16 KiB
 * blocks and touches every page (so the RSS grows with it), for DURATION_MS;
 * then exits 0.  Nothing is freed.
 */
#include "target_util.h"

#define BLOCK (16 * 1024)

static NOINLINE void grow_fn(unsigned long kb)
{
	unsigned long i;

	for (i = 0; i < kb * 1024 / BLOCK; i++) {
		char *p = malloc(BLOCK); /* LEAK_LINE */

		if (!p)
			_exit(70);
		memset(p, 0x5a, BLOCK);
	}
}

int main(int argc, char **argv)
{
	unsigned long kb = t_arg(argc, argv, 1, 64);
	unsigned long tick = t_arg(argc, argv, 2, 20);
	unsigned long long end = t_now_ms() + t_arg(argc, argv, 3, 5000);

	while (t_now_ms() < end) {
		grow_fn(kb);
		t_msleep(tick);
	}
	return 0;
}
