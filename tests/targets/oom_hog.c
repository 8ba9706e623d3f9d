/*
 * Grows until the memory cgroup's OOM killer stops it: BLOCK-byte blocks
 * from hog_block, touched so they are resident.  Usage: oom_hog BLOCK GO_FILE
 */
#include "target_util.h"

static NOINLINE void *hog_block(size_t n)
{
	char *p = malloc(n); /* HOG_LINE */

	if (p)
		memset(p, 1, n);
	return p;
}

int main(int argc, char **argv)
{
	size_t n = t_arg(argc, argv, 1, 1 << 20);

	if (argc > 2)
		t_wait_for_file(argv[2]);
	for (;;) {
		hog_block(n);
		t_msleep(2);
	}
}
