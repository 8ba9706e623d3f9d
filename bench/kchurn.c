/*
 * kchurn ITERS GO [DIR]: a system-call-heavy loop for bench/kernel.sh.
 * Once the file GO exists, ITERS rounds of: a pipe made and closed, a Unix
 * socketpair made and closed, and (with DIR, a tmpfs) a file created in
 * DIR, one page written, closed and unlinked.  Prints the mean time of a
 * round in nanoseconds.  The kernel allocates and frees a few dozen
 * objects per round: what -k traces.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static char page[4096];
	char path[4096];
	long i, iters;
	int p[2], fd;
	double t0;

	if (argc < 3)
		return 64;
	iters = atol(argv[1]);
	while (access(argv[2], F_OK))
		usleep(2000);
	if (argc > 3)
		snprintf(path, sizeof(path), "%s/kchurn-%d", argv[3], (int)getpid());
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		if (pipe2(p, O_CLOEXEC))
			return 70;
		close(p[0]);
		close(p[1]);
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p))
			return 71;
		close(p[0]);
		close(p[1]);
		if (argc > 3) {
			fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
			if (fd < 0 || write(fd, page, sizeof(page)) != sizeof(page))
				return 72;
			close(fd);
			unlink(path);
		}
	}
	printf("%.0f\n", (now_ns() - t0) / iters);
	return 0;
}
