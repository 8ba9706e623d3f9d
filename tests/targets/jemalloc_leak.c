/*
 * jemalloc_leak N SIZE HOLD_MS
 *
 * Linked with -ljemalloc: malloc is jemalloc's.  Leaks N blocks of SIZE
 * bytes from jemalloc_leak_fn (JE_LEAK_LINE), frees N more from
 * jemalloc_churn_fn, then sleeps HOLD_MS.  mallctl is referenced so the
 * program cannot link against anything but jemalloc.
 */
#include "target_util.h"

#define MAX_BLOCKS 10000

int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

static void *kept[MAX_BLOCKS];
int (*volatile jemalloc_ctl)(const char *, void *, size_t *, void *, size_t) = mallctl;

static NOINLINE void jemalloc_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[i] = malloc(size); /* JE_LEAK_LINE */
}

static NOINLINE void jemalloc_churn_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++) {
		void *p = malloc(size);

		if (!p)
			_exit(71);
		free(p);
	}
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 10);
	size_t size = t_arg(argc, argv, 2, 1000);

	if (n > MAX_BLOCKS)
		return 64;
	jemalloc_leak_fn(n, size);
	jemalloc_churn_fn(n, size);
	for (unsigned long i = 0; i < n; i++)
		if (!kept[i])
			return 70;
	t_msleep(t_arg(argc, argv, 3, 1000));
	return 0;
}
