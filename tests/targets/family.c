/*
 * family CALLOC_N CALLOC_M PM_SIZE AA_SIZE MA_SIZE VA_SIZE PVA_SIZE HOLD_MS
 *
 * One leak per allocation function, each from its own function:
 *   leak_calloc          calloc(CALLOC_N, CALLOC_M)
 *   leak_posix_memalign  posix_memalign(&p, 64, PM_SIZE)
 *   leak_aligned_alloc   aligned_alloc(4096, AA_SIZE)
 *   leak_memalign        memalign(256, MA_SIZE)
 *   leak_valloc          valloc(VA_SIZE)
 *   leak_pvalloc         pvalloc(PVA_SIZE)
 * Then sleeps HOLD_MS.
 */
#include <malloc.h>
#include "target_util.h"

static void *kept[6];

static NOINLINE void leak_calloc(size_t n, size_t m)
{
	kept[0] = calloc(n, m);
}

static NOINLINE void leak_posix_memalign(size_t size)
{
	if (posix_memalign(&kept[1], 64, size))
		kept[1] = NULL;
}

static NOINLINE void leak_aligned_alloc(size_t size)
{
	kept[2] = aligned_alloc(4096, size);
}

static NOINLINE void leak_memalign(size_t size)
{
	kept[3] = memalign(256, size);
}

static NOINLINE void leak_valloc(size_t size)
{
	kept[4] = valloc(size);
}

static NOINLINE void leak_pvalloc(size_t size)
{
	kept[5] = pvalloc(size);
}

int main(int argc, char **argv)
{
	int i;

	leak_calloc(t_arg(argc, argv, 1, 7), t_arg(argc, argv, 2, 13));
	leak_posix_memalign(t_arg(argc, argv, 3, 1000));
	leak_aligned_alloc(t_arg(argc, argv, 4, 8192));
	leak_memalign(t_arg(argc, argv, 5, 3000));
	leak_valloc(t_arg(argc, argv, 6, 5000));
	leak_pvalloc(t_arg(argc, argv, 7, 6000));
	for (i = 0; i < 6; i++)
		if (!kept[i])
			return 70 + i;
	t_msleep(t_arg(argc, argv, 8, 1000));
	return 0;
}
