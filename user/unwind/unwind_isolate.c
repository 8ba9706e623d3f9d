// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unwind tables built in a child process.
 *
 * An object's file is the target's to craft, and libdw trusts it: one CFA
 * instruction naming a huge register number makes libdw allocate and zero
 * a register file of that size, again for every row (1.3 GB and 8 s for
 * one row of a 9 KB file, found by tests/fuzz/fuzz_unwind.c).  In a child
 * with an address-space limit that allocation fails instead (libdw then
 * skips the row) and a child past its time budget is killed, so the tracer
 * keeps its memory bound and its report timer whatever the file holds;
 * the object then unwinds by frame pointers.  A fork per object, at
 * attach and at dlopen: ~1 ms next to the table's own 20-500 ms.
 *
 * The child sends a struct wire_head, then the rows.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "lib/util.h"
#include "unwind/unwind_tables.h"

/* After the budget, how long the parent still waits for the child's own
 * -ETIME (the child checks its deadline between rows, not within one). */
#define GRACE_NS 1000000000ull
/*
 * The budget is the child's user CPU time (unwind_tables.c); the wall
 * clock still bounds a child that gets no CPU at all, at this many budgets.
 */
#define WALL_BUDGETS 8
/* How often the parent looks at the child's CPU clock while it waits. */
#define POLL_SLICE_MS 100

/* No object has more rows than this (libjvm: 230 000). */
#define MAX_ROWS (1u << 24)

struct wire_head {
	int32_t err;
	uint32_t nsegs;
	uint64_t nrows, covered_bytes, rbp_bytes;
	struct unwind_segment segs[8];
};

_Static_assert(sizeof(((struct wire_head *)0)->segs) == sizeof(((struct unwind_table *)0)->segs),
	       "wire segments match the table's");

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void __attribute__((noreturn)) child(int fd, int out, pid_t parent, uint64_t limit)
{
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };
	struct wire_head h = {};
	struct unwind_table t;
	sigset_t none;

	/* Never outlive the tracer; die of the signals it handles through
	 * its signalfd (blocked, inherited) rather than ignore them. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setrlimit(RLIMIT_AS, &rl))
		_exit(1);
	h.err = unwind_table_build(fd, &t);
	if (!h.err) {
		h.nrows = t.nrows;
		h.nsegs = (uint32_t)t.nsegs;
		h.covered_bytes = t.covered_bytes;
		h.rbp_bytes = t.rbp_bytes;
		memcpy(h.segs, t.segs, sizeof(h.segs));
	}
	if (write_all(out, &h, sizeof(h)) ||
	    (!h.err && write_all(out, t.rows, t.nrows * sizeof(*t.rows))))
		_exit(1);
	_exit(0);
}

/* When the parent gives up on the child: its CPU time or the wall clock. */
struct child_limit {
	pid_t pid;
	uint64_t cpu_ns, wall_deadline;
};

static bool past_limit(const struct child_limit *l)
{
	return mono_ns() >= l->wall_deadline || user_cpu_ns(l->pid) >= l->cpu_ns;
}

/* n bytes from the child within its limit; -ETIME, or -EPIPE if it died. */
static int read_full(int fd, void *buf, size_t n, const struct child_limit *l)
{
	char *p = buf;

	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int rc;

		if (past_limit(l))
			return -ETIME;
		rc = poll(&pfd, 1, POLL_SLICE_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			continue;
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int receive(int fd, const struct child_limit *l, struct unwind_table *t)
{
	struct wire_head h;
	int err;

	err = read_full(fd, &h, sizeof(h), l);
	if (err)
		return err;
	if (h.err)
		return h.err < 0 ? h.err : -EPROTO;
	if (!h.nrows || h.nrows > MAX_ROWS || !h.nsegs || h.nsegs > 8)
		return -EPROTO;
	t->rows = malloc(h.nrows * sizeof(*t->rows));
	if (!t->rows)
		return -ENOMEM;
	t->nrows = t->cap = h.nrows;
	t->nsegs = h.nsegs;
	t->covered_bytes = h.covered_bytes;
	t->rbp_bytes = h.rbp_bytes;
	memcpy(t->segs, h.segs, sizeof(t->segs));
	return read_full(fd, t->rows, h.nrows * sizeof(*t->rows), l);
}

int unwind_table_build_isolated(int fd, uint64_t mem_bytes, struct unwind_table *t)
{
	pid_t parent = getpid(), pid;
	struct child_limit cl;
	uint64_t budget, limit;
	int pipefd[2], status, err;
	struct stat st;

	memset(t, 0, sizeof(*t));
	if (fstat(fd, &st))
		return -errno;
	/* libelf reads the whole file (ELF_C_READ): room for it, and mem_bytes. */
	limit = own_mapped_bytes() + (uint64_t)st.st_size + mem_bytes;
	budget = unwind_table_budget_ns((uint64_t)st.st_size) + GRACE_NS;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(fd, pipefd[1], parent, limit);
	}
	close(pipefd[1]);
	/* A fresh child's clock starts at 0. */
	cl = (struct child_limit){
		.pid = pid,
		.cpu_ns = budget,
		.wall_deadline = mono_ns() + WALL_BUDGETS * budget,
	};
	err = receive(pipefd[0], &cl, t);
	close(pipefd[0]);
	if (err)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		err = -EPIPE;
	if (err)
		unwind_table_free(t);
	return err;
}
