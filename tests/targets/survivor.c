/*
 * survivor MS CODE
 *
 * Allocates, fills, checks and frees blocks (malloc, calloc, realloc) without
 * pause for MS milliseconds, so probes are hit constantly and a tracer that
 * dies leaves it in the middle of allocator calls.  Exits CODE if every block
 * held what was written into it, 99 otherwise.
 */
#include "target_util.h"

static NOINLINE int survivor_round(unsigned int i)
{
	size_t size = 16 + (i * 7919u) % 20000;
	unsigned char *p = malloc(size), *q;
	size_t k;
	int bad = 0;

	if (!p)
		return 1;
	memset(p, (int)(i & 0xff), size);
	q = realloc(p, size * 2);
	if (!q)
		return 1;
	for (k = 0; k < size; k++)
		bad |= q[k] != (unsigned char)(i & 0xff);
	free(q);
	p = calloc(1, size);
	if (!p)
		return 1;
	for (k = 0; k < size; k += 64)
		bad |= p[k] != 0;
	free(p);
	return bad;
}

int main(int argc, char **argv)
{
	unsigned long long end = t_now_ms() + t_arg(argc, argv, 1, 2000);
	int code = (int)t_arg(argc, argv, 2, 42);
	unsigned int i = 0;

	while (t_now_ms() < end)
		if (survivor_round(i++))
			return 99;
	return code;
}
