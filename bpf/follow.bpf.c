// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Following processes: which processes are traced (traced_pids, under a
 * generation per image) as they fork, exec and exit.
 *
 * Children of traced processes are traced from fork (follow_forks), and
 * processes exec'ing into a matching command name or cgroup are picked up
 * at exec; uprobes are then attached system-wide and traced_pids is the
 * filter.  Every change is an event for user space (events.bpf.h).
 */
#include "shared.bpf.h"
#include "events.bpf.h"
#include "pidns.bpf.h"
#include "script.bpf.h"

const volatile bool follow_forks = false;
const volatile char match_comm[16] = {};
const volatile __u64 match_cgroup_id = 0;   /* kernfs id of a cgroup directory */
/* The tracer's pid namespace (inode number) when not the host's, else 0. */
const volatile __u32 view_pidns_inum = 0;

/* Next generation; user space takes numbers from it too (skeleton .data). */
__u32 next_gen = 1;

static __always_inline bool comm_matches(struct task_struct *task)
{
	char comm[16];
	int i;

	if (!match_comm[0])
		return false;
	bpf_probe_read_kernel(comm, sizeof(comm), task->comm);
	for (i = 0; i < 16; i++) {
		if (comm[i] != match_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* cgrp or one of its ancestors is the cgroup asked for. */
static __always_inline bool cgroup_within(struct cgroup *cgrp)
{
	int level, i;

	if (!cgrp)
		return false;
	level = BPF_CORE_READ(cgrp, level);
	for (i = 0; i < 32 && i <= level; i++) {
		struct cgroup *anc = BPF_CORE_READ(cgrp, ancestors[i]);

		if (anc && BPF_CORE_READ(anc, kn, id) == match_cgroup_id)
			return true;
	}
	return false;
}

/* In the cgroup asked for, on the v2 hierarchy or any v1 controller's. */
static __always_inline bool cgroup_matches(struct task_struct *task)
{
	struct css_set *cset;
	int i;

	if (!match_cgroup_id)
		return false;
	cset = BPF_CORE_READ(task, cgroups);
	if (cgroup_within(BPF_CORE_READ(cset, dfl_cgrp)))
		return true;
	for (i = 0; i < 12; i++) {
		struct cgroup_subsys_state *css = BPF_CORE_READ(cset, subsys[i]);

		if (css && cgroup_within(BPF_CORE_READ(css, cgroup)))
			return true;
	}
	return false;
}

/* Start (or restart, at exec) tracing tgid under a new generation. */
static __always_inline __u32 trace_pid(__u32 tgid)
{
	__u32 gen = __sync_fetch_and_add(&next_gen, 1);

	bpf_map_update_elem(&traced_pids, &tgid, &gen, BPF_ANY);
	return gen;
}

/*
 * p's pid as the tracer sees it: the host's when the tracer runs there;
 * 0 when the tracer's pid namespace does not see p (not to be traced).
 */
static __always_inline __u32 view_tgid(struct task_struct *p)
{
	return view_pidns_inum ? pid_in_namespace(p, view_pidns_inum) : p->tgid;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, view, gen;

	/* A new thread shares its process's tgid: nothing to add. */
	if (ptgid == ctgid || !pid_traced(ptgid))
		return 0;
	if (!follow_forks && !match_comm[0] && !match_cgroup_id)
		return 0;
	view = view_tgid(child);
	if (!view)
		return 0;
	gen = trace_pid(ctgid);
	script_inherit(ptgid, ctgid, gen);
	send_event_as(ctx, NULL, MEMLEAK_EV_FORK, ctgid, view, 0, 0, ptgid, gen);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;

	__u32 *old = bpf_map_lookup_elem(&traced_pids, &tgid);

	/* A new image: its records start over under a new generation. */
	if (old) {
		__u32 was = *old;

		send_event(ctx, NULL, MEMLEAK_EV_EXEC, tgid, 0, 0, was, trace_pid(tgid));
		return 0;
	}
	if (comm_matches(p) || cgroup_matches(p)) {
		__u32 view = view_tgid(p);

		/* A process the tracer's namespace does not show is not its to trace. */
		if (view)
			send_event_as(ctx, NULL, MEMLEAK_EV_MATCHED, tgid, view, 0, 0, 0,
				      trace_pid(tgid));
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	__u32 tgid = p->tgid;

	__u32 *gen;

	if (!group_dead || !(gen = bpf_map_lookup_elem(&traced_pids, &tgid)))
		return 0;
	send_event(ctx, NULL, MEMLEAK_EV_EXIT, tgid, 0, 0, *gen, 0);
	/* A later process with this pid is another one. */
	bpf_map_delete_elem(&traced_pids, &tgid);
	return 0;
}
