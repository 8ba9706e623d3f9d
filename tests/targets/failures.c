/*
 * failures KEEP HOLD_MS
 *
 * keep_fn keeps malloc(KEEP).  Then five allocations fail, each in its own
 * function: realloc of the kept block to an impossible size (the block stays
 * valid and outstanding), malloc and calloc (overflowing) of impossible
 * sizes, posix_memalign with an invalid alignment, and an overflowing
 * reallocarray.  Sleeps HOLD_MS.  Exits 80+ if a call unexpectedly succeeds.
 */
#include <stdint.h>
#include "target_util.h"

static void *kept;
static volatile size_t huge = SIZE_MAX / 2, quarter = SIZE_MAX / 4;
static volatile size_t bad_alignment = 3;

static NOINLINE void keep_fn(size_t size)
{
	kept = malloc(size); /* KEEP_LINE */
	if (!kept)
		_exit(70);
}

static NOINLINE void fail_realloc(void)
{
	if (realloc(kept, huge))
		_exit(80);
}

static NOINLINE void fail_malloc(void)
{
	if (malloc(huge))
		_exit(81);
}

static NOINLINE void fail_calloc(void)
{
	if (calloc(quarter, 16))
		_exit(82);
}

static NOINLINE void fail_posix_memalign(void)
{
	void *p = NULL;

	if (!posix_memalign(&p, bad_alignment, 10))
		_exit(83);
}

static NOINLINE void fail_reallocarray(void)
{
	if (reallocarray(NULL, quarter, 16))
		_exit(84);
}

int main(int argc, char **argv)
{
	keep_fn(t_arg(argc, argv, 1, 4321));
	fail_realloc();
	fail_malloc();
	fail_calloc();
	fail_posix_memalign();
	fail_reallocarray();
	t_msleep(t_arg(argc, argv, 2, 300));
	return 0;
}
