/*
 * leak_sizes N SMALL MEDIUM LARGE HOLD_MS
 *
 * Three leaks of different sizes, each from its own function: N blocks of
 * SMALL bytes (leak_small), N of MEDIUM (leak_medium), N of LARGE
 * (leak_large).  For the size filters (-z/-Z) and the top-N cut (-T).
 */
#include "target_util.h"

#define MAX_BLOCKS 10000

static void *kept[3][MAX_BLOCKS];

static NOINLINE void leak_small(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[0][i] = malloc(size); /* SMALL_LINE */
}

static NOINLINE void leak_medium(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[1][i] = malloc(size); /* MEDIUM_LINE */
}

static NOINLINE void leak_large(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[2][i] = malloc(size); /* LARGE_LINE */
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 4);

	if (n > MAX_BLOCKS)
		return 64;
	leak_small(n, t_arg(argc, argv, 2, 100));
	leak_medium(n, t_arg(argc, argv, 3, 1000));
	leak_large(n, t_arg(argc, argv, 4, 10000));
	t_msleep(t_arg(argc, argv, 5, 1000));
	return 0;
}
