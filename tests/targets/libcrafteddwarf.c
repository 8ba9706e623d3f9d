/*
 * libcrafteddwarf.c: lib_leak(n, size) as in libleakshared.so, built
 * without -g and linked with DWARF written by hand that any user could put
 * in a library of theirs (tests/targets/crafted_*.S; hostile tests):
 *   libcrafteddies.so   50 000 nested lexical blocks around lib_leak
 *   libcraftedlines.so  a compressed .debug_line of 20 million rows
 */
#include <stdlib.h>

#define MAX_BLOCKS 10000

static void *kept[MAX_BLOCKS];

int lib_leak(unsigned long n, size_t size)
{
	unsigned long i;

	if (n > MAX_BLOCKS)
		return -1;
	for (i = 0; i < n; i++) {
		kept[i] = malloc(size);
		if (!kept[i])
			return -1;
	}
	return 0;
}
