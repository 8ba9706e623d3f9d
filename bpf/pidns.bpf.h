/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A process's pid as another pid namespace sees it.  BPF sees host pids
 * (task->tgid, bpf_get_current_pid_tgid); a tracer running in a pod's pid
 * namespace names and prints its targets by the pids that namespace
 * shows.  The probes keep matching host pids (one map lookup, as before):
 * the pair is learned once per process, here, where a process starts
 * being traced (follow.bpf.c) or is looked up (pidns.bpf.c).
 */
#ifndef MEMLEAK_PIDNS_BPF_H
#define MEMLEAK_PIDNS_BPF_H

/* The kernel's MAX_PID_NS_LEVEL. */
#define PIDNS_MAX_LEVEL 32

/*
 * task's process as the pid namespace with inode number ns_inum numbers it
 * (an ancestor of the namespace task lives in, or that one), 0 when it does
 * not see it.  A namespace's inode number is unique on the one nsfs.
 */
static __always_inline __u32 pid_in_namespace(struct task_struct *task, __u32 ns_inum)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	__u64 numbers = bpf_core_field_offset(struct pid, numbers);
	unsigned int level, i;
	struct upid up;

	if (!pid)
		return 0;
	level = BPF_CORE_READ(pid, level);
	for (i = 0; i <= PIDNS_MAX_LEVEL && i <= level; i++) {
		if (bpf_probe_read_kernel(&up, sizeof(up),
					  (void *)pid + numbers + i * sizeof(struct upid)))
			return 0;
		if (BPF_CORE_READ(up.ns, ns.inum) == ns_inum)
			return (__u32)up.nr;
	}
	return 0;
}

#endif /* MEMLEAK_PIDNS_BPF_H */
