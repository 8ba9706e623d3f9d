/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Memory that does not go through malloc: the mmap/munmap/mremap/brk and
 * OOM-victim events of the BPF ring buffer, applied in order to one
 * region set per traced process.
 */
#ifndef MEMLEAK_MAPPINGS_H
#define MEMLEAK_MAPPINGS_H

#include <stdint.h>
#include <sys/types.h>
#include "collect/regions.h"
#include "collect/snapshot.h"
#include "memleak.h"

struct ring_buffer;

/*
 * Process events (OOM victim, fork, exec, matched, exit) are handed to the
 * owner as they are drained: e is the raw struct memleak_event.
 */
typedef void (*process_event_cb)(void *ctx, const struct memleak_event *e);

struct mapping_tracker {
	struct ring_buffer *rb;
	pid_t *pids;               /* sets[i] is the region set of pids[i] */
	struct region_set *sets;
	size_t n, cap_pids, cap_sets;
	process_event_cb on_process;
	void *ctx;
	uint64_t events;
	/* The tracer's pid namespace when not the host's (procs/pidns.h). */
	struct pid_view *view;
};

/* Start consuming the ring buffer map at fd.  Returns 0 or -errno. */
int mappings_open(struct mapping_tracker *m, int ringbuf_fd, process_event_cb cb,
		  void *ctx);
void mappings_close(struct mapping_tracker *m);

/* Follow pid's mappings from now on. */
int mappings_add_pid(struct mapping_tracker *m, pid_t pid);

/* File descriptor to poll for events, and the call that drains them. */
int mappings_fd(const struct mapping_tracker *m);
int mappings_consume(struct mapping_tracker *m);

/*
 * One event, as the ring buffer delivers them: mapping events change the
 * process's regions; process events reset (exec) or create (fork, match)
 * its region set in event order, then go to the process callback.
 */
void mappings_apply(struct mapping_tracker *m, const struct memleak_event *e);

/* Stop following pid (it exited or exec'd): its regions are dropped. */
void mappings_remove_pid(struct mapping_tracker *m, pid_t pid);

/* pid's region set, or NULL. */
const struct region_set *mappings_get(const struct mapping_tracker *m, pid_t pid);

/*
 * Append the program's own mappings (not the allocator's backing memory),
 * aggregated by stack, to s->stacks: those at least min_age_ms old.
 */
int mappings_add_to_snapshot(const struct mapping_tracker *m, uint64_t min_age_ms,
			     struct snapshot *s);

#endif
