/*
 * leak_exact N SIZE HOLD_MS [GO_FILE]
 *
 * Leaks exactly N blocks of SIZE bytes with malloc, all from one line of
 * leak_exact_fn (marked LEAK_LINE), then sleeps HOLD_MS and exits 0.
 * With GO_FILE it first waits until that file exists, so a tracer can attach
 * with -p before anything is allocated.  Nothing else allocates.
 */
#include "target_util.h"

#define MAX_BLOCKS 100000

static void *kept[MAX_BLOCKS];

static NOINLINE void leak_exact_fn(unsigned long n, size_t size)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		kept[i] = malloc(size); /* LEAK_LINE */
		if (!kept[i])
			_exit(70);
		memset(kept[i], 0xab, size);
	}
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 10);
	size_t size = t_arg(argc, argv, 2, 1000);
	unsigned long hold = t_arg(argc, argv, 3, 1000);

	if (n > MAX_BLOCKS)
		return 64;
	if (argc > 4)
		t_wait_for_file(argv[4]);
	leak_exact_fn(n, size);
	t_msleep(hold);
	return 0;
}
