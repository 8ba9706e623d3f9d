// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The OOM killer chose a victim among the traced processes: an event tells
 * user space, which reports what the process holds before it is gone.
 */
#include "shared.bpf.h"
#include "events.bpf.h"

SEC("tp_btf/mark_victim")
int BPF_PROG(oom_victim, struct task_struct *task, uid_t uid)
{
	__u32 tgid = task->tgid;
	__u64 memcg;
	long anon;

	if (!pid_traced(tgid))
		return 0;
	/* MM_ANONPAGES; the percpu counter's central value, close enough. */
	anon = BPF_CORE_READ(task, mm, rss_stat[1].count);
	/*
	 * The victim's memory cgroup, as a kernfs id: by the time user space
	 * handles the event the process may be gone with its /proc entry.
	 */
	memcg = BPF_CORE_READ(task, cgroups, subsys[memory_cgrp_id], cgroup, kn, id);
	send_event(ctx, NULL, MEMLEAK_EV_OOM_VICTIM, tgid, 0,
		   anon > 0 ? (__u64)anon * PAGE_SIZE_ : 0, memcg, 0);
	return 0;
}
