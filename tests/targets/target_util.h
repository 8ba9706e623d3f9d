/* Helpers shared by the integration test targets.
 *
 * Nothing here allocates: the targets must make exactly the allocations the
 * tests count, so no stdio (the first printf allocates a 1 KiB buffer).
 */
#ifndef TARGET_UTIL_H
#define TARGET_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void t_msleep(unsigned long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static unsigned long long t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Numeric argument i, or def if absent; a bad number exits 64. */
static unsigned long long t_arg(int argc, char **argv, int i, unsigned long long def)
{
	char *end;
	unsigned long long v;

	if (i >= argc)
		return def;
	errno = 0;
	v = strtoull(argv[i], &end, 0);
	if (errno || *end || end == argv[i])
		_exit(64);
	return v;
}

/* Wait until path exists (the test's "go" signal); 20 s without it exits 65. */
static void t_wait_for_file(const char *path)
{
	unsigned long long deadline = t_now_ms() + 20000;

	while (access(path, F_OK)) {
		if (t_now_ms() > deadline)
			_exit(65);
		t_msleep(5);
	}
}

/* Write "a b\n" (decimal) to path, without stdio. */
static void t_write_pair(const char *path, unsigned long long a, unsigned long long b)
{
	char buf[64], tmp[24];
	size_t n = 0;
	int k, fd;
	unsigned long long v[2] = { a, b };

	for (k = 0; k < 2; k++) {
		int len = 0;

		do {
			tmp[len++] = (char)('0' + v[k] % 10);
			v[k] /= 10;
		} while (v[k]);
		while (len)
			buf[n++] = tmp[--len];
		buf[n++] = k ? '\n' : ' ';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
		_exit(66);
	close(fd);
}

#endif
