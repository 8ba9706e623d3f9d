/*
 * A service master, as in the nginx-in-a-pod story: it forks two workers.
 * Worker "steady" leaks STEADY blocks of 1000 bytes from steady_leak_fn
 * and waits.  Worker "hog" touches 1 MiB blocks from hog_fn until the
 * memory cgroup's OOM killer kills it.  The master respawns the dead
 * worker once; the replacement leaks 5 blocks of 100000 bytes from
 * respawn_leak_fn and waits.  Then the master stops both workers
 * (SIGTERM), reaps them and exits 0.  It writes "steady hog respawned"
 * pids to PIDS_FILE.
 *
 * Usage: master GO_FILE PIDS_FILE
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include "target_util.h"

static NOINLINE void steady_leak_fn(void)
{
	for (int i = 0; i < 10; i++)
		memset(malloc(1000), 1, 1000); /* STEADY_LINE */
}

static NOINLINE void hog_fn(void)
{
	for (;;) {
		memset(malloc(1 << 20), 1, 1 << 20); /* HOG_LINE */
		t_msleep(1);
	}
}

static NOINLINE void respawn_leak_fn(void)
{
	for (int i = 0; i < 5; i++)
		memset(malloc(100000), 1, 100000); /* RESPAWN_LINE */
}

static pid_t worker(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		for (;;)
			pause();
	}
	return pid;
}

int main(int argc, char **argv)
{
	pid_t steady, hog, respawned;
	char buf[96];
	int status, fd, n;

	if (argc < 3)
		return 64;
	t_wait_for_file(argv[1]);
	steady = worker(steady_leak_fn);
	hog = worker(hog_fn);
	if (waitpid(hog, &status, 0) != hog || !WIFSIGNALED(status))
		return 2;
	respawned = worker(respawn_leak_fn);
	t_msleep(1500);
	kill(steady, SIGTERM);
	kill(respawned, SIGTERM);
	waitpid(steady, NULL, 0);
	waitpid(respawned, NULL, 0);
	n = snprintf(buf, sizeof(buf), "%d %d %d\n", (int)steady, (int)hog, (int)respawned);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, n) != n)
		return 3;
	close(fd);
	return 0;
}
