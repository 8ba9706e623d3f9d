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
#include "regions.h"
#include "snapshot.h"

#define MAPPINGS_MAX_PIDS 64

struct ring_buffer;

typedef void (*oom_cb)(void *ctx, pid_t pid, uint64_t anon_rss_bytes);

struct mapping_tracker {
	struct ring_buffer *rb;
	pid_t pids[MAPPINGS_MAX_PIDS];
	struct region_set sets[MAPPINGS_MAX_PIDS];
	size_t n;
	oom_cb on_oom;
	void *oom_ctx;
	uint64_t events;
};

/* Start consuming the ring buffer map at fd.  Returns 0 or -errno. */
int mappings_open(struct mapping_tracker *m, int ringbuf_fd, oom_cb on_oom, void *ctx);
void mappings_close(struct mapping_tracker *m);

/* Follow pid's mappings from now on. */
int mappings_add_pid(struct mapping_tracker *m, pid_t pid);

/* File descriptor to poll for events, and the call that drains them. */
int mappings_fd(const struct mapping_tracker *m);
int mappings_consume(struct mapping_tracker *m);

/* Apply one event (exposed for tests). */
void mappings_apply(struct mapping_tracker *m, const void *event);

/* pid's region set, or NULL. */
const struct region_set *mappings_get(const struct mapping_tracker *m, pid_t pid);

/*
 * Append the program's own mappings (not the allocator's backing memory),
 * aggregated by stack, to s->stacks: those at least min_age_ms old.
 */
int mappings_add_to_snapshot(const struct mapping_tracker *m, uint64_t min_age_ms,
			     struct snapshot *s);

#endif
