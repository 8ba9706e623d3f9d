// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Mapping events -> per-process region sets -> stacks for the report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "collect/mappings.h"
#include "procs/pidns.h"
#include "lib/util.h"
#include "memleak.h"

static struct region_set *set_of(struct mapping_tracker *m, pid_t pid)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->pids[i] == pid)
			return &m->sets[i];
	return NULL;
}

const struct region_set *mappings_get(const struct mapping_tracker *m, pid_t pid)
{
	return set_of((struct mapping_tracker *)m, pid);
}

int mappings_add_pid(struct mapping_tracker *m, pid_t pid)
{
	if (set_of(m, pid))
		return 0;
	if (array_reserve((void **)&m->pids, &m->cap_pids, m->n + 1, sizeof(*m->pids)) ||
	    array_reserve((void **)&m->sets, &m->cap_sets, m->n + 1, sizeof(*m->sets)))
		return -ENOMEM;
	m->pids[m->n] = pid;
	regions_init(&m->sets[m->n], 0);
	m->n++;
	return 0;
}

void mappings_remove_pid(struct mapping_tracker *m, pid_t pid)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->pids[i] != pid)
			continue;
		regions_free(&m->sets[i]);
		m->n--;
		m->pids[i] = m->pids[m->n];
		m->sets[i] = m->sets[m->n];
		return;
	}
}

void mappings_apply(struct mapping_tracker *m, const struct memleak_event *e)
{
	struct region_set *s;
	struct region r;

	m->events++;
	if (e->type >= MEMLEAK_EV_OOM_VICTIM) {
		/*
		 * Process events are acted on after the batch, but the region
		 * sets follow them here, in event order: a new image's or a
		 * child's first mmaps may come in this same batch.
		 */
		s = set_of(m, (pid_t)e->tgid);
		if (e->type == MEMLEAK_EV_EXEC && s) {
			regions_free(s);
			regions_init(s, 0);
		} else if (e->type == MEMLEAK_EV_FORK || e->type == MEMLEAK_EV_MATCHED) {
			mappings_add_pid(m, (pid_t)e->tgid);
		}
		if (m->on_process)
			m->on_process(m->ctx, e);
		return;
	}
	s = set_of(m, (pid_t)e->tgid);
	if (!s)
		return;
	memset(&r, 0, sizeof(r));
	r.stack_id = e->stack_id;
	r.caller = e->caller;
	r.backing = e->backing;
	r.ts_ns = e->ts_ns;
	r.kind = MEMLEAK_KIND_MMAP;
	switch (e->type) {
	case MEMLEAK_EV_MMAP:
		r.start = e->addr;
		r.end = e->addr + e->len;
		regions_map(s, &r);
		break;
	case MEMLEAK_EV_MUNMAP:
		regions_unmap(s, e->addr, e->len);
		break;
	case MEMLEAK_EV_MREMAP:
		/* An untracked range (file mapping, made before attach) stays untracked. */
		regions_remap(s, e->old_addr, e->old_len, e->addr, e->len, NULL);
		break;
	case MEMLEAK_EV_BRK:
		r.kind = MEMLEAK_KIND_BRK;
		regions_brk(s, e->old_addr, e->addr, &r);
		break;
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct mapping_tracker *m = ctx;
	struct memleak_event e;

	if (size < sizeof(e))
		return 0;
	/* Host pids into the tracer's: every consumer keys by those. */
	memcpy(&e, data, sizeof(e));
	if (pidns_event(m->view, &e))
		mappings_apply(m, &e);
	return 0;
}

int mappings_open(struct mapping_tracker *m, int fd, process_event_cb cb, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->on_process = cb;
	m->ctx = ctx;
	m->rb = ring_buffer__new(fd, on_event, m, NULL);
	return m->rb ? 0 : -errno;
}

void mappings_close(struct mapping_tracker *m)
{
	size_t i;

	ring_buffer__free(m->rb);
	m->rb = NULL;
	for (i = 0; i < m->n; i++)
		regions_free(&m->sets[i]);
	free(m->pids);
	free(m->sets);
	m->pids = NULL;
	m->sets = NULL;
	m->n = m->cap_pids = m->cap_sets = 0;
}

int mappings_fd(const struct mapping_tracker *m)
{
	return m->rb ? ring_buffer__epoll_fd(m->rb) : -1;
}

int mappings_consume(struct mapping_tracker *m)
{
	int n = m->rb ? ring_buffer__consume(m->rb) : 0;

	return n < 0 ? n : 0;
}

/* Aggregation of one process's regions by (stack, caller, kind). */
struct agg_ctx {
	pid_t pid;
	uint64_t min_ts;      /* regions created after this are too young */
	struct snap_stack *v;
	size_t n, cap;
	int err;
};

static int agg_region(const struct region *r, void *p)
{
	struct agg_ctx *a = p;
	struct snap_stack *s;
	size_t i;

	if (r->backing || r->ts_ns > a->min_ts)
		return 0;
	for (i = 0; i < a->n; i++) {
		s = &a->v[i];
		if (s->key.tgid == (uint32_t)a->pid && s->key.stack_id == r->stack_id &&
		    s->key.kind == r->kind && s->caller == r->caller)
			goto add;
	}
	if (array_reserve((void **)&a->v, &a->cap, a->n + 1, sizeof(*a->v)))
		return a->err = -ENOMEM;
	s = &a->v[a->n++];
	memset(s, 0, sizeof(*s));
	s->key.tgid = a->pid;
	s->key.stack_id = r->stack_id;
	s->key.kind = r->kind;
	s->caller = r->caller;
	s->oldest_ts_ns = r->ts_ns;
add:
	s->bytes += r->end - r->start;
	s->count++;
	if (r->ts_ns < s->oldest_ts_ns)
		s->oldest_ts_ns = r->ts_ns;
	return 0;
}

int mappings_add_to_snapshot(const struct mapping_tracker *m, uint64_t min_age_ms,
			     struct snapshot *s)
{
	struct agg_ctx a = { 0 };
	struct snap_stack *v;
	size_t i;

	a.min_ts = s->now_ns - min_age_ms * 1000000ULL;
	for (i = 0; i < m->n; i++) {
		a.pid = m->pids[i];
		regions_foreach(&m->sets[i], agg_region, &a);
		if (a.err)
			break;
	}
	if (a.err || !a.n) {
		free(a.v);
		return a.err;
	}
	v = realloc(s->stacks, (s->nstacks + a.n) * sizeof(*v));
	if (!v) {
		free(a.v);
		return -ENOMEM;
	}
	memcpy(v + s->nstacks, a.v, a.n * sizeof(*v));
	s->stacks = v;
	s->nstacks += a.n;
	free(a.v);
	return 0;
}
