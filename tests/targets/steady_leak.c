/*
 * steady_leak MS
 *
 * For MS milliseconds, without pause: steady_churn_fn allocates and frees
 * blocks of varying sizes (addresses are reused at once), and every 64th
 * round steady_leak_fn leaks one 40-byte block from one line (LEAK_LINE).
 * A tracer attached with -p meanwhile must list that leak once, with its
 * whole stack, and never see a block whose free it missed.
 */
#include "target_util.h"

static NOINLINE void *steady_leak_fn(void)
{
	return malloc(40); /* LEAK_LINE */
}

static NOINLINE int steady_churn_fn(unsigned int i)
{
	char *p = malloc(16 + (i * 37u) % 4000);

	if (!p)
		return 1;
	p[0] = (char)i;
	free(p);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long end = t_now_ms() + t_arg(argc, argv, 1, 2000);
	volatile void *sink;
	unsigned int i;

	for (i = 0; t_now_ms() < end; i++) {
		if (steady_churn_fn(i))
			return 1;
		if (!(i % 64))
			sink = steady_leak_fn();
	}
	(void)sink;
	return 0;
}
