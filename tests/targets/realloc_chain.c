/*
 * realloc_chain FINAL RA_N RA_SIZE HOLD_MS
 *
 * grow_chain:      p = realloc(NULL, 10) -> 100 -> 5000 -> FINAL, p kept
 *                  (FINAL = 200000 moves the block into its own mapping).
 * realloc_to_zero: q = malloc(777); realloc(q, 0) frees q (glibc): nothing kept.
 * leak_reallocarray: reallocarray(NULL, RA_N, RA_SIZE), kept.
 * Then sleeps HOLD_MS.
 */
#include "target_util.h"

static void *kept_chain, *kept_array;

static NOINLINE void *grow_chain(size_t final)
{
	void *p = realloc(NULL, 10);

	p = realloc(p, 100);
	p = realloc(p, 5000);
	p = realloc(p, final); /* CHAIN_LAST_LINE */
	return p;
}

static NOINLINE void realloc_to_zero(void)
{
	void *q = malloc(777); /* ZERO_LINE */
	void *r;

	if (!q)
		_exit(70);
	r = realloc(q, 0);
	if (r) /* not glibc's behaviour: keep the test honest */
		_exit(73);
}

static NOINLINE void *leak_reallocarray(size_t n, size_t size)
{
	return reallocarray(NULL, n, size); /* REALLOCARRAY_LINE */
}

int main(int argc, char **argv)
{
	size_t final = t_arg(argc, argv, 1, 200000);

	kept_chain = grow_chain(final);
	realloc_to_zero();
	kept_array = leak_reallocarray(t_arg(argc, argv, 2, 12), t_arg(argc, argv, 3, 300));
	if (!kept_chain || !kept_array)
		return 70;
	t_msleep(t_arg(argc, argv, 4, 1000));
	return 0;
}
