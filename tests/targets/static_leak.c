/*
 * static_leak N SIZE HOLD_MS
 *
 * Linked -static: malloc lives in the executable.  Leaks N blocks of SIZE
 * bytes from static_leak_fn (STATIC_LEAK_LINE), sleeps HOLD_MS.  The
 * Makefile also makes static_leak_stripped from it (strip -s): no symbols,
 * so no allocator can be found.
 */
#include "target_util.h"

#define MAX_BLOCKS 10000

static void *kept[MAX_BLOCKS];

static NOINLINE void static_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[i] = malloc(size); /* STATIC_LEAK_LINE */
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 10);

	if (n > MAX_BLOCKS)
		return 64;
	static_leak_fn(n, t_arg(argc, argv, 2, 1000));
	for (unsigned long i = 0; i < n; i++)
		if (!kept[i])
			return 70;
	t_msleep(t_arg(argc, argv, 3, 1000));
	return 0;
}
