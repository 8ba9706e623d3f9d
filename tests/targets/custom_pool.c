/*
 * custom_pool N SIZE HOLD_MS
 *
 * A custom allocator in the executable, on top of malloc:
 * pool_alloc(pool, size) and pool_free(pool, ptr) keep a 16-byte header
 * before each block; tagged_alloc(tag, a, b, c, d, size) takes its size
 * in the sixth argument.  Leaks N blocks of SIZE bytes from pool_leak_fn
 * (POOL_LEAK_LINE) and N from tagged_leak_fn (TAGGED_LEAK_LINE), then
 * allocates and frees 2N through the pool, then sleeps HOLD_MS.
 * Traced with --alloc-fn pool_alloc:2 --alloc-fn tagged_alloc:6
 * --free-fn pool_free:2: each call counts once, with its requested size,
 * and the malloc and free inside are nested (3N + 2N + 2N calls).
 */
#include "target_util.h"

#define MAX_BLOCKS 10000
#define HEADER 16

struct pool {
	unsigned long live;
};

static struct pool the_pool;
static void *kept[2][MAX_BLOCKS];

NOINLINE void *pool_alloc(struct pool *pool, size_t size)
{
	char *p = malloc(size + HEADER);

	if (!p)
		return NULL;
	pool->live++;
	return p + HEADER;
}

NOINLINE void pool_free(struct pool *pool, void *ptr)
{
	if (!ptr)
		return;
	pool->live--;
	free((char *)ptr - HEADER);
}

NOINLINE void *tagged_alloc(int tag, int a, int b, int c, int d, size_t size)
{
	return pool_alloc(&the_pool, size + 0 * (tag + a + b + c + d));
}

static NOINLINE void pool_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[0][i] = pool_alloc(&the_pool, size); /* POOL_LEAK_LINE */
}

static NOINLINE void tagged_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[1][i] = tagged_alloc(7, 1, 2, 3, 4, size); /* TAGGED_LEAK_LINE */
}

static NOINLINE void pool_churn_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < 2 * n; i++) {
		void *p = pool_alloc(&the_pool, size);

		if (!p)
			_exit(71);
		pool_free(&the_pool, p);
	}
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 10);
	size_t size = t_arg(argc, argv, 2, 1000);

	if (n > MAX_BLOCKS)
		return 64;
	pool_leak_fn(n, size);
	tagged_leak_fn(n, size);
	pool_churn_fn(n, size);
	for (unsigned long i = 0; i < n; i++)
		if (!kept[0][i] || !kept[1][i])
			return 70;
	t_msleep(t_arg(argc, argv, 3, 1000));
	return 0;
}
