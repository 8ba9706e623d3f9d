/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pids as the tracer's pid namespace sees them ("view" pids) and as the
 * kernel's BPF side keys everything (host pids).
 *
 * The tracer may run in any pid namespace that sees its targets (a pod's,
 * with kubectl debug --target): options, /proc, probe attachment (the
 * kernel resolves a uprobe's pid in the caller's namespace) and every
 * output use view pids.  The BPF side keeps matching host tgids, so its
 * probes do no extra work: the pair of pids is learned once per process,
 * from a task iterator (bpf/pidns.bpf.c) for a process named by its pid,
 * from the fork or exec event itself for a process followed or matched.
 * Records and events from the kernel are translated at the boundary:
 * pidns_event(), pidns_view_of().
 *
 * In the host's pid namespace the two are the same: pidns_open() gives
 * NULL and every function takes NULL for "no translation".
 */
#ifndef MEMLEAK_PIDNS_H
#define MEMLEAK_PIDNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct pid_view;
struct memleak_event;

/* The tracer runs in the host's pid namespace. */
bool pidns_is_initial(void);

/*
 * This /proc shows the tracer's own pid namespace (its /proc/self is
 * getpid()): else the pids read there mean nothing to the kernel's
 * attachment, which resolves them in the tracer's namespace.
 */
bool pidns_proc_is_own(void);

/* Inode number of the tracer's pid namespace (for bpf/follow.bpf.c). */
uint32_t pidns_inum(void);

/*
 * Outside the host's namespace: load the iterator.  *out = NULL in the
 * host's namespace.  Returns 0 or -errno (the iterator cannot load).
 */
int pidns_open(struct pid_view **out);
void pidns_free(struct pid_view *pv);

/* Host pid of process view (looked up in the kernel if not known yet); 0: none. */
pid_t pidns_host_of(struct pid_view *pv, pid_t view);

/* View pid of host pid host, among the processes learned; 0: unknown. */
pid_t pidns_view_of(const struct pid_view *pv, pid_t host);

/* The pair is known (a new process's event carried it). -ENOSPC: table full. */
int pidns_learn(struct pid_view *pv, pid_t view, pid_t host);

/* Process view is no longer traced. */
void pidns_forget(struct pid_view *pv, pid_t view);

/*
 * A kernel event's pids into view pids (learning a new process's pair).
 * False: the event is about a process the tracer does not know or see.
 */
bool pidns_event(struct pid_view *pv, struct memleak_event *e);

#endif
