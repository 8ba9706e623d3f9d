/*
 * kernel_leak NPIPES NSOCKS NFILES DIR GO CLOSE
 *
 * Kernel memory held on behalf of a process (memleakbpf -k): once the file
 * GO exists, leak_pipes() makes NPIPES pipes, leak_sockets() NSOCKS Unix
 * socketpairs and leak_files() NFILES files of one page each in DIR (a
 * tmpfs), and keeps them all open.  Once CLOSE exists, another thread
 * (closer_main) closes every descriptor and unlinks the files, so the
 * kernel frees that memory from a thread other than the one that made it.
 * Then it waits to be killed.
 */
#define _GNU_SOURCE /* pipe2 */
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "target_util.h"

#define MAX_FDS 4096

static int fds[MAX_FDS];
static int nfds;
static char paths[256][256];
static int npaths;

static NOINLINE void leak_pipes(int n)
{
	int i, p[2];

	for (i = 0; i < n; i++) {
		if (pipe2(p, O_CLOEXEC)) /* KPIPE_LINE */
			_exit(70);
		fds[nfds++] = p[0];
		fds[nfds++] = p[1];
	}
}

static NOINLINE void leak_sockets(int n)
{
	int i, s[2];

	for (i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s)) /* KSOCK_LINE */
			_exit(71);
		fds[nfds++] = s[0];
		fds[nfds++] = s[1];
	}
}

static NOINLINE void leak_files(const char *dir, int n)
{
	static char page[4096];
	int i, fd;

	for (i = 0; i < n; i++) {
		snprintf(paths[npaths], sizeof(paths[0]), "%s/leak-%d", dir, i);
		fd = open(paths[npaths], O_CREAT | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, page, sizeof(page)) != sizeof(page)) /* KFILE_LINE */
			_exit(72);
		npaths++;
		fds[nfds++] = fd;
	}
}

static NOINLINE void *closer_main(void *arg)
{
	int i;

	for (i = 0; i < nfds; i++)
		close(fds[i]);
	for (i = 0; i < npaths; i++)
		unlink(paths[i]);
	return arg;
}

int main(int argc, char **argv)
{
	int npipes = t_arg(argc, argv, 1, 8), nsocks = t_arg(argc, argv, 2, 8);
	int nfiles = t_arg(argc, argv, 3, 8);
	pthread_t th;

	if (argc < 7 || npipes * 2 + nsocks * 2 + nfiles > MAX_FDS || nfiles > 256)
		_exit(64);
	t_wait_for_file(argv[5]);
	leak_pipes(npipes);
	leak_sockets(nsocks);
	leak_files(argv[4], nfiles);
	for (;;) {
		if (!access(argv[6], F_OK))
			break;
		t_msleep(5);
	}
	if (pthread_create(&th, NULL, closer_main, NULL) || pthread_join(th, NULL))
		_exit(73);
	for (;;)
		pause();
}
