/*
 * churn MS RESULT_FILE
 *
 * For MS milliseconds: malloc/free, calloc/free, realloc chains, realloc to 0,
 * posix_memalign and aligned_alloc, of many sizes (1 B .. 256 KiB, so some
 * blocks are mmapped), with up to SLOTS blocks live at once.  Everything is
 * freed before exit.  It counts what a tracer should see: every block
 * returned is an allocation, every block released (free, realloc moving or
 * resizing a block, realloc(p, 0)) is a free; "ALLOCS FREES" goes to
 * RESULT_FILE.  The churn functions are churn_step and churn_realloc.
 */
#include <malloc.h>
#include "target_util.h"

#define SLOTS 64

static void *slot[SLOTS];
static unsigned long long n_alloc, n_free;
static unsigned int seed = 12345;

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static size_t rnd_size(void)
{
	unsigned int shift = 1 + rnd() % 18; /* up to 256 KiB */

	return 1 + rnd() % (1u << shift);
}

static NOINLINE void *churn_realloc(void *p, size_t size)
{
	void *q = realloc(p, size);

	if (!q && size)
		_exit(70);
	if (p)
		n_free++;       /* the old block is gone (moved, resized or freed) */
	if (q)
		n_alloc++;
	return q;
}

static NOINLINE void churn_step(void)
{
	unsigned int i = rnd() % SLOTS;
	void *p = NULL;

	if (slot[i]) {
		if (rnd() % 4 == 0) {
			slot[i] = churn_realloc(slot[i], rnd() % 8 ? rnd_size() : 0);
			return;
		}
		free(slot[i]);
		slot[i] = NULL;
		n_free++;
		return;
	}
	switch (rnd() % 6) {
	case 0: case 1:
		p = malloc(rnd_size());
		break;
	case 2:
		p = calloc(1 + rnd() % 64, 1 + rnd() % 512);
		break;
	case 3:
		p = churn_realloc(NULL, rnd_size());
		n_alloc--; /* counted below */
		break;
	case 4:
		if (posix_memalign(&p, (size_t)16 << (rnd() % 8), rnd_size()))
			p = NULL;
		break;
	case 5:
		p = aligned_alloc(64, 64 * (1 + rnd() % 64));
		break;
	}
	if (!p)
		_exit(71);
	n_alloc++;
	slot[i] = p;
}

int main(int argc, char **argv)
{
	unsigned long long end = t_now_ms() + t_arg(argc, argv, 1, 1000);
	unsigned int i;

	if (argc < 3)
		return 64;
	while (t_now_ms() < end) {
		for (i = 0; i < 256; i++)
			churn_step();
	}
	for (i = 0; i < SLOTS; i++) {
		if (slot[i]) {
			free(slot[i]);
			n_free++;
		}
	}
	if (n_alloc != n_free)
		return 72;
	t_write_pair(argv[2], n_alloc, n_free);
	return 0;
}
