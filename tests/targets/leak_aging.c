/*
 * leak_aging N SIZE GAP_MS HOLD_MS
 *
 * leak_old_fn leaks N blocks of SIZE bytes, then GAP_MS later leak_young_fn
 * leaks N more; then it sleeps HOLD_MS and exits.  At exit the old blocks
 * are GAP_MS + HOLD_MS old, the young ones HOLD_MS: an age filter between
 * the two lists only the old ones.
 */
#include "target_util.h"

#define MAX_BLOCKS 10000

static void *kept[2][MAX_BLOCKS];

static NOINLINE void leak_old_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[0][i] = malloc(size); /* OLD_LINE */
}

static NOINLINE void leak_young_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[1][i] = malloc(size); /* YOUNG_LINE */
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 5);
	size_t size = t_arg(argc, argv, 2, 100);

	if (n > MAX_BLOCKS)
		return 64;
	leak_old_fn(n, size);
	t_msleep(t_arg(argc, argv, 3, 1200));
	leak_young_fn(n, size);
	t_msleep(t_arg(argc, argv, 4, 200));
	return 0;
}
