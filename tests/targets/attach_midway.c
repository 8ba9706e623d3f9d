/*
 * attach_midway K N SIZE GO_FILE HOLD_MS
 *
 * before_attach_fn allocates K blocks of SIZE bytes; then it waits for
 * GO_FILE (the tracer attaches meanwhile), frees those K blocks (frees of
 * memory the tracer never saw), and after_attach_fn leaks N blocks of SIZE
 * bytes.  Sleeps HOLD_MS.
 */
#include "target_util.h"

#define MAX_BLOCKS 10000

static void *early[MAX_BLOCKS], *late[MAX_BLOCKS];

static NOINLINE void before_attach_fn(unsigned long k, size_t size)
{
	for (unsigned long i = 0; i < k; i++)
		if (!(early[i] = malloc(size)))
			_exit(70);
}

static NOINLINE void after_attach_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		late[i] = malloc(size); /* LATE_LINE */
}

int main(int argc, char **argv)
{
	unsigned long k = t_arg(argc, argv, 1, 5), n = t_arg(argc, argv, 2, 5);
	size_t size = t_arg(argc, argv, 3, 100);

	if (k > MAX_BLOCKS || n > MAX_BLOCKS || argc < 5)
		return 64;
	before_attach_fn(k, size);
	t_wait_for_file(argv[4]);
	for (unsigned long i = 0; i < k; i++)
		free(early[i]);
	after_attach_fn(n, size);
	t_msleep(t_arg(argc, argv, 5, 300));
	return 0;
}
