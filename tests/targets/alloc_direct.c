/*
 * alloc_direct N SIZE HOLD_MS
 *
 * Calls an allocator's own API and the standard names side by side, built
 * twice: linked with mimalloc (-DDIRECT_MIMALLOC: mi_malloc, mi_zalloc,
 * mi_free) and with tcmalloc (-DDIRECT_TCMALLOC: tc_malloc, tc_calloc,
 * tc_free).  There malloc and mi_malloc / tc_malloc are one function under
 * several names: every call must count once.
 *
 * Leaks N blocks of SIZE bytes through the allocator's malloc
 * (DIRECT_LEAK_LINE), N through its zeroing allocation (ZERO_LEAK_LINE) and
 * N through the standard malloc (STD_LEAK_LINE); 3N blocks are allocated
 * with one name and freed with the other (mixed_churn_fn), then it sleeps.
 */
#include "target_util.h"

#ifdef DIRECT_MIMALLOC
#include <mimalloc.h>
#define direct_malloc(n) mi_malloc(n)
#define direct_zalloc(n) mi_zalloc(n)
#define direct_free(p) mi_free(p)
#else
#include <gperftools/tcmalloc.h>
#define direct_malloc(n) tc_malloc(n)
#define direct_zalloc(n) tc_calloc(1, n)
#define direct_free(p) tc_free(p)
#endif

#define MAX_BLOCKS 10000

static void *kept[3][MAX_BLOCKS];

static NOINLINE void direct_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[0][i] = direct_malloc(size); /* DIRECT_LEAK_LINE */
}

static NOINLINE void zero_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[1][i] = direct_zalloc(size); /* ZERO_LEAK_LINE */
}

static NOINLINE void std_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[2][i] = malloc(size); /* STD_LEAK_LINE */
}

static NOINLINE void mixed_churn_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++) {
		void *a = direct_malloc(size), *b = malloc(size), *c = direct_zalloc(size);

		if (!a || !b || !c)
			_exit(71);
		free(a);
		direct_free(b);
		free(c);
	}
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 10);
	size_t size = t_arg(argc, argv, 2, 1000);

	if (n > MAX_BLOCKS)
		return 64;
	direct_leak_fn(n, size);
	zero_leak_fn(n, size);
	std_leak_fn(n, size);
	mixed_churn_fn(n, size);
	for (unsigned long i = 0; i < n; i++)
		if (!kept[0][i] || !kept[1][i] || !kept[2][i])
			return 70;
	t_msleep(t_arg(argc, argv, 3, 1000));
	return 0;
}
