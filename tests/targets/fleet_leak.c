/*
 * fleet_leak N SIZE STEP_MS HOLD_MS
 *
 * N times, every STEP_MS: two blocks of SIZE bytes from one line of
 * leak_half (marked HALF_LINE), called from one place, the second freed
 * at once.  So the stack
 * has allocated 2N blocks (2N * SIZE bytes: pprof's alloc_* view) and
 * holds N of them (inuse_*, outstanding), growing steadily for
 * N * STEP_MS ms.  Then it sleeps HOLD_MS and exits 0.  Nothing else
 * allocates.
 */
#include "target_util.h"

#define MAX_BLOCKS 100000

static void *kept[MAX_BLOCKS];

static NOINLINE void *leak_half(size_t size)
{
	return malloc(size); /* HALF_LINE */
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 10);
	size_t size = t_arg(argc, argv, 2, 1000);
	unsigned long step = t_arg(argc, argv, 3, 10);
	unsigned long hold = t_arg(argc, argv, 4, 1000);
	unsigned long i;

	if (n > MAX_BLOCKS)
		return 64;
	for (i = 0; i < 2 * n; i++) {
		void *p = leak_half(size);

		if (!p)
			_exit(70);
		memset(p, 0xab, size);
		if (i % 2) {
			free(p);
			t_msleep(step);
		} else {
			kept[i / 2] = p;
		}
	}
	t_msleep(hold);
	return 0;
}
