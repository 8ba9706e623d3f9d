/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Events for user space through the events ring buffer: mapping changes
 * (mappings.bpf.c), the OOM killer's victim (oom.bpf.c) and the lives of
 * traced processes (follow.bpf.c).  They are rare next to malloc, and what
 * they carry (address ranges, new processes) is kept in user space.
 */
#ifndef MEMLEAK_EVENTS_BPF_H
#define MEMLEAK_EVENTS_BPF_H

#include "shared.bpf.h"

/*
 * Send an event about process tgid.  m: the mapping call it finishes (its
 * caller, flags, stack, whether an allocator made it), or NULL.  view_tgid:
 * a new process's pid in the tracer's pid namespace (pidns.bpf.h), or 0.
 */
static __always_inline void send_event_as(void *ctx, const struct map_call *m, __u32 type,
					  __u32 tgid, __u32 view_tgid, __u64 addr, __u64 len,
					  __u64 old_addr, __u64 old_len)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct memleak_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(MEMLEAK_STAT_EVENTS_LOST, 1);
		return;
	}
	e->type = type;
	e->tgid = tgid;
	e->tid = (__u32)id;
	e->addr = addr;
	e->len = len;
	e->old_addr = old_addr;
	e->old_len = old_len;
	e->caller = m ? m->caller : 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->flags = m ? m->flags : 0;
	e->backing = m ? m->backing : 0;
	e->stack_id = m ? m->stack : MEMLEAK_STACK_LOST;
	e->view_tgid = view_tgid;
	{
		__u32 *gen = bpf_map_lookup_elem(&traced_pids, &tgid);

		e->gen = gen ? *gen : 0;
	}
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void send_event(void *ctx, const struct map_call *m, __u32 type,
				       __u32 tgid, __u64 addr, __u64 len, __u64 old_addr,
				       __u64 old_len)
{
	send_event_as(ctx, m, type, tgid, 0, addr, len, old_addr, old_len);
}

#endif /* MEMLEAK_EVENTS_BPF_H */
