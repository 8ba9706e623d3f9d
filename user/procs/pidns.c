// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* View pids and host pids (see pidns.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "procs/pidns.h"
#include "memleak.h"
#include "pidns.skel.h"

/*
 * The initial pid namespace has a fixed inode number (PROC_PID_INIT_INO
 * in the kernel's proc_ns.h, since Linux 3.8).  Comparing with
 * /proc/1/ns/pid would not do: inside a namespace with its own /proc,
 * pid 1 is that namespace's init, in the same namespace as we are.
 */
#define PID_NS_INIT_INO 0xEFFFFFFCu

/* Pairs of the processes traced: as many as the kernel side traces. */
#define PAIRS_MAX MEMLEAK_MAX_PIDS

struct pid_view {
	struct pidns_bpf *skel;
	struct bpf_link *iter;
	struct memleak_pid_pair pairs[PAIRS_MAX];
	size_t npairs;
};

uint32_t pidns_inum(void)
{
	struct stat st;

	/* No /proc at all: the checks that need it say so. */
	if (stat("/proc/self/ns/pid", &st))
		return PID_NS_INIT_INO;
	return (uint32_t)st.st_ino;
}

bool pidns_is_initial(void)
{
	return pidns_inum() == PID_NS_INIT_INO;
}

bool pidns_proc_is_own(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return atol(buf) == (long)getpid();
}

void pidns_free(struct pid_view *pv)
{
	if (!pv)
		return;
	bpf_link__destroy(pv->iter);
	pidns_bpf__destroy(pv->skel);
	free(pv);
}

int pidns_open(struct pid_view **out)
{
	struct pid_view *pv;
	int err;

	*out = NULL;
	if (pidns_is_initial())
		return 0;
	pv = calloc(1, sizeof(*pv));
	if (!pv)
		return -ENOMEM;
	pv->skel = pidns_bpf__open();
	if (!pv->skel) {
		err = -errno;
		goto fail;
	}
	pv->skel->rodata->view_pidns_inum = pidns_inum();
	err = pidns_bpf__load(pv->skel);
	if (err)
		goto fail;
	pv->iter = bpf_program__attach_iter(pv->skel->progs.view_pids, NULL);
	if (!pv->iter) {
		err = -errno;
		goto fail;
	}
	*out = pv;
	return 0;
fail:
	pidns_free(pv);
	return err ? err : -EINVAL;
}

static struct memleak_pid_pair *find_view(const struct pid_view *pv, pid_t view)
{
	size_t i;

	for (i = 0; i < pv->npairs; i++)
		if (pv->pairs[i].view == (uint32_t)view)
			return (struct memleak_pid_pair *)&pv->pairs[i];
	return NULL;
}

pid_t pidns_view_of(const struct pid_view *pv, pid_t host)
{
	size_t i;

	if (!pv)
		return host;
	/* Newest first: a host pid reused by a later process is that one. */
	for (i = pv->npairs; i-- > 0;)
		if (pv->pairs[i].host == (uint32_t)host)
			return (pid_t)pv->pairs[i].view;
	return 0;
}

void pidns_forget(struct pid_view *pv, pid_t view)
{
	struct memleak_pid_pair *p;

	if (!pv || !(p = find_view(pv, view)))
		return;
	memmove(p, p + 1, (size_t)(pv->pairs + pv->npairs - (p + 1)) * sizeof(*p));
	pv->npairs--;
}

int pidns_learn(struct pid_view *pv, pid_t view, pid_t host)
{
	size_t i;

	if (!pv)
		return 0;
	/* Either pid met again belongs to a new process now. */
	for (i = pv->npairs; i-- > 0;)
		if (pv->pairs[i].view == (uint32_t)view || pv->pairs[i].host == (uint32_t)host)
			pidns_forget(pv, (pid_t)pv->pairs[i].view);
	if (pv->npairs == PAIRS_MAX)
		return -ENOSPC;
	pv->pairs[pv->npairs++] = (struct memleak_pid_pair){ .host = host, .view = view };
	return 0;
}

/* One walk over the host's processes: the pair of view, if it sees it. */
static pid_t iterate_host_of(struct pid_view *pv, pid_t view)
{
	struct memleak_pid_pair buf[256];
	pid_t host = 0;
	ssize_t n;
	int fd;

	fd = bpf_iter_create(bpf_link__fd(pv->iter));
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t i;

		for (i = 0; i < (size_t)n / sizeof(buf[0]); i++)
			if (buf[i].view == (uint32_t)view)
				host = (pid_t)buf[i].host;
	}
	close(fd);
	return host;
}

pid_t pidns_host_of(struct pid_view *pv, pid_t view)
{
	struct memleak_pid_pair *p;
	pid_t host;

	if (!pv)
		return view;
	p = find_view(pv, view);
	if (p)
		return (pid_t)p->host;
	host = iterate_host_of(pv, view);
	if (host && pidns_learn(pv, view, host))
		return 0;
	return host;
}

bool pidns_event(struct pid_view *pv, struct memleak_event *e)
{
	pid_t view;

	if (!pv)
		return true;
	if (e->type == MEMLEAK_EV_FORK || e->type == MEMLEAK_EV_MATCHED) {
		/* The kernel side traces only processes the namespace sees. */
		if (!e->view_tgid || pidns_learn(pv, (pid_t)e->view_tgid, (pid_t)e->tgid))
			return false;
		if (e->type == MEMLEAK_EV_FORK)
			e->old_addr = (uint64_t)pidns_view_of(pv, (pid_t)e->old_addr);
		e->tgid = e->view_tgid;
		return true;
	}
	view = pidns_view_of(pv, (pid_t)e->tgid);
	if (!view)
		return false;
	e->tgid = (uint32_t)view;
	return true;
}
