/*
 * OOM-kill and respawn, over and over (tests/integration/test_soak.sh).
 *
 * Usage: oom_cycles CYCLES SECONDS BLOCK CGROUP_PROCS DIR
 *
 * Waits for DIR/go, then forks hogs one after another, CYCLES of them or
 * for SECONDS, whichever
 * ends first (0: no limit).  Each hog joins the memory cgroup (writes its
 * pid to CGROUP_PROCS; the parent stays outside), waits for DIR/go-PID (the
 * test sees the tracer follow it), then takes BLOCK-byte blocks from
 * soak_hog_fn and touches them until the cgroup's OOM killer kills it.
 * A page shared with the parent counts the blocks: the count goes up right
 * after malloc returns, with no system call or page fault in between, so
 * it is exactly the blocks the tracer saw returned.  After each kill the
 * parent appends "PID BLOCKS" to DIR/victims; a hog that ends otherwise
 * makes it exit 2.  Nothing here allocates but the hogs' blocks.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "target_util.h"

static volatile unsigned long *blocks;

static NOINLINE void soak_hog_fn(size_t block)
{
	for (;;) {
		char *p = malloc(block); /* SOAK_HOG_LINE */

		if (!p)
			continue;
		++*blocks;
		memset(p, 1, block);
	}
}

/* Write the whole string to path (append or create), without stdio. */
static int write_str(const char *path, const char *s, int flags)
{
	size_t n = strlen(s);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	int ok = fd >= 0 && write(fd, s, n) == (ssize_t)n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static void hog(const char *cgroup_procs, const char *dir, size_t block)
{
	char buf[4200];

	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write_str(cgroup_procs, buf, 0))
		_exit(3);
	snprintf(buf, sizeof(buf), "%s/go-%d", dir, (int)getpid());
	t_wait_for_file(buf);
	soak_hog_fn(block);
}

int main(int argc, char **argv)
{
	unsigned long long cycles = t_arg(argc, argv, 1, 100), seconds = t_arg(argc, argv, 2, 0);
	size_t block = t_arg(argc, argv, 3, 1 << 20);
	unsigned long long end, i;
	char victims[4200], line[64];
	int status;

	if (argc < 6)
		return 64;
	blocks = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (blocks == MAP_FAILED)
		return 1;
	snprintf(victims, sizeof(victims), "%s/go", argv[5]);
	t_wait_for_file(victims);
	snprintf(victims, sizeof(victims), "%s/victims", argv[5]);
	end = t_now_ms() + seconds * 1000;
	for (i = 0; (!cycles || i < cycles) && (!seconds || t_now_ms() < end); i++) {
		pid_t pid;

		*blocks = 0;
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			hog(argv[4], argv[5], block);
		if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) ||
		    WTERMSIG(status) != SIGKILL)
			return 2;
		snprintf(line, sizeof(line), "%d %lu\n", (int)pid, *blocks);
		if (write_str(victims, line, O_APPEND))
			return 1;
	}
	return 0;
}
