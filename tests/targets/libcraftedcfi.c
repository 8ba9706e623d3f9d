/*
 * libcraftedcfi.so: lib_leak(n, size) as in libleakshared.so, but its CFI
 * (.eh_frame) says register 80 000 000 is undefined: a file any user can
 * write, on which libdw zeroes a 1.3 GB register file for every row of
 * the function (tests/integration/test_hostile.sh).
 */
#include <stdlib.h>

#define MAX_BLOCKS 10000

static void *kept[MAX_BLOCKS];

int lib_leak(unsigned long n, size_t size)
{
	unsigned long i;

	asm volatile(".cfi_undefined 80000000");
	if (n > MAX_BLOCKS)
		return -1;
	for (i = 0; i < n; i++) {
		kept[i] = malloc(size);
		if (!kept[i])
			return -1;
	}
	return 0;
}
