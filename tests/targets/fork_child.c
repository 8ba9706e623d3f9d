/*
 * fork_child N SIZE GO_FILE HOLD_MS
 *
 * Waits for GO_FILE, leaks N blocks of SIZE bytes from parent_leak_fn, then
 * forks.  The child (a copy of the traced image, probes' breakpoints
 * included) churns malloc/free, checks its blocks, leaks from
 * child_leak_fn and exits 7.  The parent waits for it, sleeps HOLD_MS and
 * exits 0 if the child exited 7, 90 otherwise.
 */
#include <sys/wait.h>
#include "target_util.h"

#define MAX_BLOCKS 10000

static void *kept[MAX_BLOCKS];

static NOINLINE void parent_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[i] = malloc(size); /* PARENT_LINE */
}

static NOINLINE void child_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n; i++)
		kept[i] = malloc(size);
}

static NOINLINE int child_work_fn(void)
{
	for (unsigned int i = 0; i < 20000; i++) {
		size_t size = 1 + i % 5000;
		unsigned char *p = malloc(size);

		if (!p)
			return 1;
		memset(p, 0x5a, size);
		if (p[size - 1] != 0x5a)
			return 1;
		free(p);
	}
	child_leak_fn(5, 777);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 4);
	int status;
	pid_t pid;

	if (argc < 4 || n > MAX_BLOCKS)
		return 64;
	t_wait_for_file(argv[3]);
	parent_leak_fn(n, t_arg(argc, argv, 2, 100));
	pid = fork();
	if (pid < 0)
		return 91;
	if (pid == 0)
		_exit(child_work_fn() ? 8 : 7);
	if (waitpid(pid, &status, 0) != pid)
		return 92;
	t_msleep(t_arg(argc, argv, 4, 300));
	return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 90;
}
