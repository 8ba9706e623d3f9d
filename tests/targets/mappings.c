/*
 * Memory that does not go through malloc, with known truth:
 *   - a thread maps BLOCKS anonymous blocks of 16 MiB and never unmaps them;
 *   - another maps 8 MiB and unmaps it in two halves (nothing left), then
 *     maps 8 MiB and unmaps one half (4 MiB left);
 *   - an mremap grows 1 MiB to 3 MiB, moving it (3 MiB left, still
 *     attributed to the mmap that made it);
 *   - sbrk grows the heap by 5 pages;
 *   - a 1 MiB malloc is the allocator's backing memory, not a mapping leak.
 * Usage: mappings BLOCKS HOLD_MS [GO_FILE]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include "target_util.h"

#define MIB (1024UL * 1024)

static void *anon(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static NOINLINE void *map_block(void)
{
	return mmap(NULL, 16 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0); /* MAP_LINE */
}

static void *mapper(void *arg)
{
	unsigned long i, n = (unsigned long)arg;

	for (i = 0; i < n; i++)
		if (map_block() == MAP_FAILED)
			_exit(2);
	return NULL;
}

static NOINLINE void *map_halves(void)
{
	return mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0); /* HALVES_LINE */
}

static void *halver(void *arg)
{
	char *p = map_halves();

	munmap(p, 4 * MIB);
	munmap(p + 4 * MIB, 4 * MIB);
	p = map_halves();
	munmap(p + 4 * MIB, 4 * MIB);
	return NULL;
}

static NOINLINE void *map_to_grow(void)
{
	return anon(1 * MIB);
}

static NOINLINE void grow_heap(void)
{
	sbrk(5 * 4096);
}

int main(int argc, char **argv)
{
	unsigned long blocks = t_arg(argc, argv, 1, 3), hold = t_arg(argc, argv, 2, 500);
	pthread_t a, b;
	void *p, *q;

	if (argc > 3)
		t_wait_for_file(argv[3]);
	pthread_create(&a, NULL, mapper, (void *)blocks);
	pthread_create(&b, NULL, halver, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	p = map_to_grow();
	/* Block the neighbourhood so the grow has to move. */
	q = mmap((char *)p + MIB, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	p = mremap(p, 1 * MIB, 3 * MIB, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		_exit(3);
	if (q != MAP_FAILED)
		munmap(q, 4096);
	grow_heap();
	p = malloc(MIB);
	if (!p)
		_exit(4);
	t_msleep(hold);
	return 0;
}
