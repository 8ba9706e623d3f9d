// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live allocations for the tracer-cost benchmark: holder N GO_FILE READY_FILE
 * waits for GO_FILE, makes N allocations of 32 bytes (a service's many small
 * objects), keeps them all, creates READY_FILE, and sleeps until killed.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	long i, n = argc > 3 ? atol(argv[1]) : 0;
	void **kept;
	int fd;

	if (n <= 0)
		return 64;
	kept = calloc(n, sizeof(*kept));
	if (!kept)
		return 1;
	while (access(argv[2], F_OK))
		pause_ms(10);
	for (i = 0; i < n; i++)
		kept[i] = malloc(32);
	fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 1;
	close(fd);
	for (;;)
		pause(); /* holds everything until killed */
}
