/*
 * prefixed_jemalloc N SIZE HOLD_MS
 *
 * jemalloc linked statically with its API renamed PREFIX (je_ by default,
 * as --with-jemalloc-prefix=je_ builds it; the Makefile renames Debian's
 * libjemalloc_pic.a with objcopy), next to glibc's own malloc.  Leaks N
 * blocks of SIZE bytes through PREFIXmalloc (PJE_MALLOC_LINE) and N through
 * PREFIXmallocx (PJE_MALLOCX_LINE); N blocks go through PREFIXrallocx and
 * PREFIXsdallocx, N through PREFIXcalloc and PREFIXdallocx, N through
 * PREFIXrealloc and PREFIXfree; then it sleeps HOLD_MS.  Built with an
 * empty PREFIX against the shared libjemalloc too (jemalloc_extended).
 */
#include "target_util.h"

#ifndef PREFIX
#define PREFIX je_
#endif
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define P(name) CAT(PREFIX, name)

void *P(malloc)(size_t size);
void *P(calloc)(size_t n, size_t size);
void *P(realloc)(void *ptr, size_t size);
void P(free)(void *ptr);
void *P(mallocx)(size_t size, int flags);
void *P(rallocx)(void *ptr, size_t size, int flags);
void P(sdallocx)(void *ptr, size_t size, int flags);
void P(dallocx)(void *ptr, int flags);

#define MAX_BLOCKS 10000
#define MALLOCX_ZERO 0x40

static void *kept[2][MAX_BLOCKS];

static NOINLINE void pje_malloc_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[0][i] = P(malloc)(size); /* PJE_MALLOC_LINE */
}

static NOINLINE void pje_mallocx_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[1][i] = P(mallocx)(size, MALLOCX_ZERO); /* PJE_MALLOCX_LINE */
}

static NOINLINE void pje_churn_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++) {
		void *a = P(mallocx)(size, 0), *b = P(calloc)(2, size), *c = P(malloc)(size);

		if (!a || !b || !c)
			_exit(71);
		a = P(rallocx)(a, 3 * size, 0);
		c = P(realloc)(c, 5 * size);
		if (!a || !c)
			_exit(72);
		P(sdallocx)(a, 3 * size, 0);
		P(dallocx)(b, 0);
		P(free)(c);
	}
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 10);
	size_t size = t_arg(argc, argv, 2, 1000);

	if (n > MAX_BLOCKS)
		return 64;
	pje_malloc_leak_fn(n, size);
	pje_mallocx_leak_fn(n, size);
	pje_churn_fn(n, size);
	for (unsigned long i = 0; i < n; i++)
		if (!kept[0][i] || !kept[1][i])
			return 70;
	t_msleep(t_arg(argc, argv, 3, 1000));
	return 0;
}
