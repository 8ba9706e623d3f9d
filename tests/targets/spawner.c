/*
 * Many short-lived children, as a pre-forking service makes them
 * (tests/integration/test_soak.sh).
 *
 * Usage: spawner DIR LIFE_MS PARALLEL CHECKPOINT...
 *
 * Waits for DIR/go-0, then forks children, PARALLEL alive at a time,
 * until the last CHECKPOINT of them have exited (checkpoints in increasing
 * order).  Each child leaks CHILD_BLOCKS blocks of CHILD_SIZE
 * bytes from child_leak_fn, lives LIFE_MS and exits 0.  When the number of
 * children reaped reaches a checkpoint the spawner creates DIR/at-N and
 * waits for DIR/go-N before forking more (the test looks at the tracer
 * meanwhile).  A child that ends otherwise makes it exit 2.  The spawner
 * itself allocates nothing.
 */
#include <stdio.h>
#include <sys/wait.h>
#include "target_util.h"

#define CHILD_BLOCKS 10
#define CHILD_SIZE 100

static NOINLINE void child_leak_fn(void)
{
	for (int i = 0; i < CHILD_BLOCKS; i++)
		memset(malloc(CHILD_SIZE), 1, CHILD_SIZE); /* CHILD_LEAK_LINE */
}

static void child(unsigned long long life_ms)
{
	child_leak_fn();
	t_msleep(life_ms);
	_exit(0);
}

/* Tell the test N children were reaped and wait for its go (go-0: start). */
static void checkpoint(const char *dir, unsigned long long n)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/at-%llu", dir, n);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		_exit(1);
	close(fd);
	snprintf(path, sizeof(path), "%s/go-%llu", dir, n);
	while (access(path, F_OK))
		t_msleep(5);
}

/* Reap one child; any end but exit 0 is a failure. */
static void reap(void)
{
	int status;

	if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		_exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long life = t_arg(argc, argv, 2, 20), parallel = t_arg(argc, argv, 3, 4);
	unsigned long long forked = 0, reaped = 0, alive = 0, upto;
	int c;

	if (argc < 5 || !parallel)
		return 64;
	checkpoint(argv[1], 0);
	for (c = 4; c < argc; c++) {
		/* Never beyond the checkpoint: none is alive when it is reached. */
		upto = t_arg(argc, argv, c, 0);
		while (reaped < upto) {
			while (alive < parallel && forked < upto) {
				pid_t pid = fork();

				if (pid < 0)
					return 1;
				if (pid == 0)
					child(life);
				forked++;
				alive++;
			}
			reap();
			alive--;
			reaped++;
		}
		checkpoint(argv[1], upto);
	}
	return 0;
}
