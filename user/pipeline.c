// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One report: maps -> snapshot -> analysis -> symbols (see pipeline.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "analyze/analysis.h"
#include "analyze/cost.h"
#include "cli/errors.h"
#include "collect/mappings.h"
#include "collect/snapshot.h"
#include "pipeline.h"
#include "procs/procfs.h"
#include "procs/targets.h"
#include "tracer.h"
#include "scripts/scripts.h"
#include "unwind/unwind_loader.h"
#include "memleak.skel.h"

/* (tgid, gen) is one of the targets reported on. */
static bool is_live_key(const struct target *tg, size_t n, const struct stack_key *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tg[i].pid == (pid_t)k->tgid && tg[i].gen == k->gen)
			return true;
	return false;
}

/*
 * A kernel record (malloc, or -k's kernel kinds) belongs to a report when
 * its generation is a reported target's: records of an exec'd image or of an exited process not yet
 * dropped are not.  Mapping stacks come from the region sets, which only
 * hold live processes' current images, so only their pid is checked.
 */
static bool keep_stack(const struct snap_stack *st, const struct target *tg, size_t n,
		       pid_t only_pid)
{
	if (only_pid > 0 && st->key.tgid != (uint32_t)only_pid)
		return false;
	if (st->key.kind == MEMLEAK_KIND_MMAP || st->key.kind == MEMLEAK_KIND_BRK)
		return true;
	return is_live_key(tg, n, &st->key);
}

static void snapshot_keep(struct snapshot *s, const struct target *tg, size_t n,
			  pid_t only_pid)
{
	size_t i, j;

	for (i = j = 0; i < s->nstacks; i++)
		if (keep_stack(&s->stacks[i], tg, n, only_pid))
			s->stacks[j++] = s->stacks[i];
	s->nstacks = j;
	for (i = j = 0; i < s->ntotals; i++)
		if (keep_stack(&s->totals[i], tg, n, only_pid))
			s->totals[j++] = s->totals[i];
	s->ntotals = j;
}

/*
 * Metrics and profiles label processes with their memory cgroup (a pod's,
 * a container's): read at each report, as a process may move.
 */
static void add_cgroups(struct report *r)
{
	char path[PATH_MAX];
	int64_t limit, usage;
	size_t i;

	for (i = 0; i < r->nprocs; i++) {
		if (r->procs[i].exited ||
		    procfs_memory_cgroup(r->procs[i].pid, path, sizeof(path), &limit, &usage) ||
		    !path[0])
			continue;
		r->procs[i].cgroup = strdup(path);
	}
}

/*
 * -k without a target: the processes are those holding kernel memory
 * (generation 0), kernel threads included, named as /proc names them now.
 */
static struct target *host_processes(const struct snapshot *snap, size_t *n)
{
	struct target *v = calloc(snap->ntotals + 1, sizeof(*v));
	size_t i, j;

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < snap->ntotals; i++) {
		pid_t pid = (pid_t)snap->totals[i].key.tgid;

		for (j = 0; j < *n && v[j].pid != pid; j++)
			;
		if (j < *n)
			continue;
		v[j].pid = pid;
		v[j].pidfd = -1;
		v[j].rss_at_attach = v[j].prev_bytes = -1;
		procfs_comm(pid, v[j].comm, sizeof(v[j].comm));
		v[j].exited = !procfs_alive(pid);
		(*n)++;
	}
	return v;
}

int pipeline_build_report(struct tracer *t, pid_t only_pid, struct report *r)
{
	struct snapshot_source src = {
		.allocs_fd = bpf_map__fd(t->skel->maps.allocs),
		.kallocs_fd = t->opts.kernel ? bpf_map__fd(t->skel->maps.kallocs) : 0,
		.kernel_sample_bytes = t->kernel_host ? t->opts.sample_bytes : 0,
		.totals_fd = bpf_map__fd(t->skel->maps.stack_totals),
		.stats_fd = bpf_map__fd(t->skel->maps.stats),
		.sample_bytes = t->opts.sample_bytes,
		.agg = t->agg,
		.view = t->view,
	};
	struct analysis_input in = {
		.sym = t->sym,
		.scripts = t->scripts,
		/* The kernel's walker has its stack map; ours has another. */
		.stack_map_fd = t->opts.unwind == MEMLEAK_UNWIND_FP_KERNEL
				? bpf_map__fd(t->skel->maps.stack_traces)
				: bpf_map__fd(t->skel->maps.unwound_stacks),
		.ksyms = t->ksyms,
		.kcache_fd = t->opts.kernel ? bpf_map__fd(t->skel->maps.kcache_names) : 0,
		.check_frame_pointers = t->opts.unwind == MEMLEAK_UNWIND_FP ||
					t->opts.unwind == MEMLEAK_UNWIND_FP_KERNEL,
		.top_n = t->opts.top_n,
		.min_age_ms = t->opts.min_age_ms,
		.min_size = t->opts.min_size,
		.max_size = t->opts.max_size,
		.interval_s = t->opts.interval_s,
		.maps = &t->maps,
		.sort = t->opts.sort,
		/* A report of one process (OOM) is not a point of the history. */
		.history = only_pid > 0 ? NULL : t->history,
	};
	double cpu_start = cost_cpu_s();
	struct target *live;
	struct snapshot snap;
	size_t i, n = 0;
	int err;

	/* Reported: targets not gone (and only the one asked for, if any). */
	live = calloc(t->ntargets ? t->ntargets : 1, sizeof(*live));
	if (!live)
		return -ENOMEM;
	for (i = 0; i < t->ntargets; i++)
		if (!t->targets[i].gone && (only_pid <= 0 || t->targets[i].pid == only_pid))
			live[n++] = t->targets[i];
	in.targets = live;
	in.ntargets = n;

	err = snapshot_take(&src, t->opts.min_age_ms, &snap);
	if (!err)
		err = mappings_add_to_snapshot(&t->maps, t->opts.min_age_ms, &snap);
	if (err) {
		err_msg("cannot read BPF maps: %s", strerror(-err));
		free(live);
		return err;
	}
	if (t->kernel_host) {
		free(live);
		live = host_processes(&snap, &n);
		if (!live) {
			snapshot_free(&snap);
			return -ENOMEM;
		}
		in.targets = live;
		in.ntargets = n;
	}
	snapshot_keep(&snap, live, n, only_pid);
	in.snap = &snap;
	scripts_begin_report(t->scripts);
	err = analysis_build(&in, r);
	if (!err) {
		size_t i;

		r->mode = t->opts.growth_mode ? "growth"
			  : t->opts.sample_bytes ? "sampled" : "precise";
		r->sample_bytes = t->opts.sample_bytes;
		for (i = 0; i < r->nstacks; i++)
			r->stacks[i].estimated = snap.estimated &&
				(r->stacks[i].kind == MEMLEAK_KIND_MALLOC ||
				 (t->kernel_host && MEMLEAK_KIND_IS_KERNEL(r->stacks[i].kind)));
		cost_measure(t->skel ? t->skel->obj : NULL, t->bpf_stats_fd, &r->cost);
		r->cost.report_cpu_s = cpu_start < 0 || r->cost.user_cpu_s < 0 ? -1
				       : r->cost.user_cpu_s - cpu_start;
		unwinder_usage(t->unw, &r->unwind);
		r->metrics_stacks = t->opts.metrics_stacks;
		if (t->opts.listen || t->opts.format == FORMAT_PROMETHEUS)
			add_cgroups(r);
	}
	snapshot_free(&snap);
	free(live);
	if (err)
		err_msg("cannot build report: %s", strerror(-err));
	return err;
}
