// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host pid of a process named by the tracer's pid namespace: a task
 * iterator writes (host tgid, pid in that namespace) for every process the
 * namespace sees.  Read by user/procs/pidns.c once per process that starts
 * being traced by its pid (-p, -c, --comm and --cgroup scans), never on a
 * probe's path.  An object of its own, loaded only when the tracer runs
 * outside the host's pid namespace.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "memleak.h"
#include "pidns.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Inode number of the tracer's pid namespace (/proc/self/ns/pid). */
const volatile __u32 view_pidns_inum = 0;

SEC("iter/task")
int view_pids(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct memleak_pid_pair p;

	/* Threads share their process's pids: leaders only. */
	if (!task || task->pid != task->tgid)
		return 0;
	p.host = task->tgid;
	p.view = pid_in_namespace(task, view_pidns_inum);
	if (p.view)
		bpf_seq_write(ctx->meta->seq, &p, sizeof(p));
	return 0;
}
