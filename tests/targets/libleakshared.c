/*
 * libleakshared.so: a leak inside a shared library.  lib_leak(n, size) makes
 * n blocks of size bytes from lib_leak_fn (LIB_LEAK_LINE) and keeps them.
 * Built with -shared -fPIC by the Makefile; used by shared_leak (linked) and
 * dlopen_leak (dlopen'ed).
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define MAX_BLOCKS 10000

static void *lib_kept[MAX_BLOCKS];

NOINLINE void *lib_leak_fn(size_t size)
{
	return malloc(size); /* LIB_LEAK_LINE */
}

int lib_leak(unsigned long n, size_t size)
{
	unsigned long i;

	if (n > MAX_BLOCKS)
		return -1;
	for (i = 0; i < n; i++) {
		lib_kept[i] = lib_leak_fn(size);
		if (!lib_kept[i])
			return -1;
	}
	return 0;
}
