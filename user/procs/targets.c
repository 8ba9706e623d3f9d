// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The traced processes (see targets.h).  Kernel events are handled after
 * the ring buffer's drain, not during it, because handling them reads the
 * maps again (an OOM report drains the ring buffer itself).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "analyze/report.h"
#include "cli/errors.h"
#include "collect/records.h"
#include "lib/util.h"
#include "out/render.h"
#include "pipeline.h"
#include "probes/attach.h"
#include "procs/k8s.h"
#include "procs/pidns.h"
#include "procs/procfs.h"
#include "procs/targets.h"
#include "scripts/scripts.h"
#include "symbols/symbolize.h"
#include "tracer.h"
#include "unwind/unwind_loader.h"
#include "memleak.skel.h"

/* Pid in its innermost pid namespace (NSpid's last field); 0 if the same. */
static pid_t ns_pid_of(pid_t pid)
{
	char path[64], line[256];
	pid_t last = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (p = line + 6;; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			last = (pid_t)v;
		}
	}
	fclose(f);
	return last == pid ? 0 : last;
}

/* The Tgid: line of /proc/PID/status, the process of a thread; 0 if unknown. */
static pid_t thread_group_of(pid_t pid)
{
	char path[64], line[256];
	long tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			break;
	fclose(f);
	return tgid > 0 && tgid <= INT32_MAX ? (pid_t)tgid : 0;
}

void targets_resolve_threads(pid_t *pids, int *npids)
{
	int i, j, n = 0;

	for (i = 0; i < *npids; i++) {
		pid_t tgid = thread_group_of(pids[i]);

		if (tgid && tgid != pids[i]) {
			verbose_msg(0, "%d is a thread of %d; tracing process %d",
				    (int)pids[i], (int)tgid, (int)tgid);
			pids[i] = tgid;
		}
		/* A process named twice, directly or by a thread, is traced once. */
		for (j = 0; j < n && pids[j] != pids[i]; j++)
			;
		if (j == n)
			pids[n++] = pids[i];
	}
	*npids = n;
}

void target_rebase_rss(struct target *tg)
{
	tg->rss_at_attach = procfs_rss_bytes(tg->pid);
}

int target_find(const struct tracer *t, pid_t pid)
{
	size_t i;

	for (i = t->ntargets; i-- > 0;)
		if (t->targets[i].pid == pid && !t->targets[i].gone)
			return (int)i;
	return -1;
}

static int grow_targets(struct tracer *t)
{
	if (t->ntargets < t->cap_targets)
		return 0;
	if (t->ntargets >= MEMLEAK_MAX_PIDS)
		return -ENOSPC; /* as many as the kernel side can trace */
	return array_reserve((void **)&t->targets, &t->cap_targets, t->ntargets + 1,
			     sizeof(*t->targets));
}

int target_arm(struct tracer *t, const struct target *tg)
{
	__u32 key = tg->host_pid, gen = tg->gen;

	if (bpf_map__update_elem(t->skel->maps.traced_pids, &key, sizeof(key), &gen,
				 sizeof(gen), BPF_ANY)) {
		err_msg("cannot trace pid %d: %s", (int)tg->pid, strerror(errno));
		return -1;
	}
	return 0;
}

int target_add(struct tracer *t, pid_t pid, uint32_t gen, pid_t ppid)
{
	int idx = target_add_unarmed(t, pid, gen, ppid);

	/* A generation given: the kernel side entered pid already. */
	if (idx < 0 || gen || !target_arm(t, &t->targets[idx]))
		return idx;
	if (t->targets[idx].pidfd >= 0)
		close(t->targets[idx].pidfd);
	t->ntargets--;
	return -1;
}

static struct k8s_identity *identify_pod(pid_t pid);

int target_add_unarmed(struct tracer *t, pid_t pid, uint32_t gen, pid_t ppid)
{
	struct target *tg;
	int pi;

	pid_t host = pidns_host_of(t->view, pid);

	/* Never a silent empty report: a pid the kernel side cannot match. */
	if (!host) {
		err_msg("pid %d: not found among the kernel's processes as this pid "
			"namespace sees them (exited?): cannot trace it", (int)pid);
		return -1;
	}
	if (grow_targets(t) || mappings_add_pid(&t->maps, pid)) {
		err_msg("cannot trace more processes (pid %d not traced)", (int)pid);
		return -1;
	}
	/* Shared with the kernel side, which numbers forks and execs. */
	if (!gen)
		gen = __atomic_fetch_add(&t->skel->data->next_gen, 1, __ATOMIC_SEQ_CST);
	tg = &t->targets[t->ntargets];
	memset(tg, 0, sizeof(*tg));
	tg->pid = pid;
	tg->host_pid = host;
	tg->gen = gen;
	tg->ppid = ppid;
	tg->ns_pid = ns_pid_of(pid);
	tg->prev_bytes = -1;
	tg->rss_at_attach = procfs_rss_bytes(pid);
	if (t->k8s)
		tg->k8s = identify_pod(pid);
	procfs_comm(pid, tg->comm, sizeof(tg->comm));
	/* Service mode learns of exits from the kernel; saves a descriptor each. */
	tg->pidfd = t->service ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
	pi = ppid ? target_find(t, ppid) : -1;
	/* A child gone before its event was handled: a fork keeps the name. */
	if (pi >= 0 && !strcmp(tg->comm, "?"))
		memcpy(tg->comm, t->targets[pi].comm, sizeof(tg->comm));
	if (pi >= 0 && t->targets[pi].exited_children)
		tg->respawn = true;
	return (int)t->ntargets++;
}

/* pid's pod and container, kept while it is traced; NULL if none. */
static struct k8s_identity *identify_pod(pid_t pid)
{
	struct k8s_identity id, *copy;

	if (!k8s_identify(pid, &id))
		return NULL;
	copy = malloc(sizeof(*copy));
	if (copy)
		*copy = id;
	return copy;
}

void target_cover_mapping_calls(struct tracer *t, struct target *tg, const char *exe)
{
	char path[64];
	int err;

	/*
	 * Such a program (Go, a static binary making its own syscalls) is
	 * followed at the syscall tracepoints, which every syscall of the
	 * host then pays for.
	 */
	if (!attach_wrappers_only(t->att) || tg->exe_checked)
		return;
	tg->exe_checked = true;
	if (!exe) {
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)tg->pid);
		exe = path;
	}
	if (!attach_maps_without_wrappers(exe))
		return;
	verbose_msg(0, "pid %d: maps memory without C library wrappers (Go or static): "
		    "following mmap/brk at the syscall tracepoints", (int)tg->pid);
	err = attach_syscall_tracepoints(t->att);
	if (err)
		verbose_msg(0, "cannot attach the syscall tracepoints: %s", strerror(-err));
}

int target_update(struct tracer *t, struct target *tg, bool must_probe)
{
	int err = attach_process(t->att, tg->pid);

	if (err < 0 && must_probe)
		return err;
	if (err < 0 && err != -ESRCH && err != -ENOENT)
		verbose_msg(0, "pid %d: cannot probe new objects: %s", (int)tg->pid,
			    strerror(-err));
	/* A program without allocator (Go) may still map memory its own way. */
	if (err >= 0 || err == -ENOENT)
		target_cover_mapping_calls(t, tg, NULL);
	symbolizer_add_process(t->sym, tg->pid);
	procfs_comm(tg->pid, tg->comm, sizeof(tg->comm));
	/* Last: a new object's table takes milliseconds to build. */
	unwinder_update_process(t->unw, tg->pid);
	scripts_update_process(t->scripts, tg->pid, tg->gen);
	return err;
}

/*
 * The BPF side never touches an old generation again, so its records can
 * go whenever convenient: queued here, dropped in one pass.
 */
static void queue_drop(struct tracer *t, pid_t pid, uint32_t gen)
{
	if (array_reserve((void **)&t->drops, &t->cap_drops, t->ndrops + 1,
			  sizeof(*t->drops))) {
		targets_drop_records(t); /* no room: drop now */
		if (t->ndrops == t->cap_drops)
			return;
	}
	t->drops[t->ndrops++] = (struct proc_id){ .tgid = pid, .gen = gen };
}

void targets_drop_records(struct tracer *t)
{
	long n;

	if (!t->ndrops)
		return;
	n = records_drop(bpf_map__fd(t->skel->maps.allocs),
			 bpf_map__fd(t->skel->maps.stack_totals), t->drops, t->ndrops);
	if (n < 0)
		verbose_msg(0, "cannot drop records of ended processes: %s", strerror((int)-n));
	t->ndrops = 0;
}

static void report_exit(struct tracer *t, struct target *tg)
{
	struct exit_event e = { .pid = tg->pid, .ppid = tg->ppid, .respawn = tg->respawn,
				.host_pid = tg->host_pid, .k8s = tg->k8s };
	int totals_fd = bpf_map__fd(t->skel->maps.stack_totals);

	clock_gettime(CLOCK_REALTIME, &e.time);
	memcpy(e.comm, tg->comm, sizeof(e.comm));
	records_totals(totals_fd, tg->host_pid, tg->gen, &e.outstanding_bytes,
		       &e.outstanding_allocs);
	if (render_exit(t->out, t->opts.format, &e))
		err_msg("cannot write: %s", strerror(errno));
}

void target_exited(struct tracer *t, size_t i)
{
	struct target *tg = &t->targets[i];
	int pi;

	if (tg->exited)
		return;
	tg->exited = true;
	verbose_msg(1, "pid %d (%s) exited", (int)tg->pid, tg->comm);
	if (t->launched && tg->pid == t->launch.pid)
		waitpid(tg->pid, NULL, WNOHANG);
	if (tg->pidfd >= 0) {
		close(tg->pidfd);
		tg->pidfd = -1;
	}
	if (!t->service)
		return; /* kept: the final report shows what it held */
	report_exit(t, tg);
	queue_drop(t, tg->host_pid, tg->gen);
	mappings_remove_pid(&t->maps, tg->pid);
	pidns_forget(t->view, tg->pid);
	/* No report shows its stacks again: its modules and frames can go. */
	symbolizer_forget(t->sym, tg->pid);
	scripts_forget(t->scripts, tg->pid);
	tg->gone = true;
	pi = tg->ppid ? target_find(t, tg->ppid) : -1;
	if (pi >= 0)
		t->targets[pi].exited_children++;
	/* Forgotten, so memory stays flat with workers coming and going. */
	free(tg->k8s);
	t->ntargets--;
	memmove(&t->targets[i], &t->targets[i + 1], (t->ntargets - i) * sizeof(*tg));
}

/* pid runs now and matches --comm or --cgroup: trace it from here on. */
static void add_match(pid_t pid, void *ctx)
{
	struct tracer *t = ctx;

	if (pid <= 0 || pid == getpid() || target_find(t, pid) >= 0 || !procfs_alive(pid))
		return;
	if (target_add(t, pid, 0, 0) >= 0)
		verbose_msg(1, "pid %d (%s) matches: traced", (int)pid,
			    t->targets[t->ntargets - 1].comm);
}

void targets_scan_matching(struct tracer *t)
{
	struct dirent *de;
	char comm[17];
	DIR *d;

	if (t->opts.cgroup) {
		procfs_cgroup_pids(t->opts.cgroup, add_match, t);
		return;
	}
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0)
			continue;
		procfs_comm(pid, comm, sizeof(comm));
		if (!strcmp(comm, t->opts.comm))
			add_match(pid, t);
	}
	closedir(d);
}

bool targets_done(const struct tracer *t)
{
	size_t i;

	if (t->open_ended || t->kernel_host)
		return false;
	for (i = 0; i < t->ntargets; i++)
		if (!t->targets[i].exited)
			return false;
	return true;
}

void targets_on_event(void *ctx, const struct memleak_event *e)
{
	struct tracer *t = ctx;

	if (t->nevq == EVENT_QUEUE) {
		t->evq_lost++;
		return;
	}
	t->evq[t->nevq++] = *e;
}

/* Report an OOM victim now, before its exit, from the maps. */
static void report_oom(struct tracer *t, const struct memleak_event *e)
{
	struct oom_event o = { .pid = e->tgid, .anon_rss_bytes = e->len };
	char cgroup[PATH_MAX];
	struct report r;
	int i = target_find(t, e->tgid);

	if (i < 0)
		return;
	memcpy(o.comm, t->targets[i].comm, sizeof(o.comm));
	/* By the id the kernel gave: the victim's /proc may be gone already. */
	if (!procfs_memory_cgroup_by_id(e->old_addr, cgroup, sizeof(cgroup),
					&o.cgroup_limit_bytes, &o.cgroup_usage_bytes) ||
	    !procfs_memory_cgroup(e->tgid, cgroup, sizeof(cgroup), &o.cgroup_limit_bytes,
				  &o.cgroup_usage_bytes))
		o.cgroup = cgroup;
	if (pipeline_build_report(t, e->tgid, &r))
		return;
	if (render_oom(t->out, t->opts.format, &o, &r))
		err_msg("cannot write OOM report: %s", strerror(errno));
	report_free(&r);
}

/* A new image: the old one's records go, the new one is probed afresh. */
static void renew_at_exec(struct tracer *t, const struct memleak_event *e)
{
	int i = target_find(t, e->tgid);
	struct target *tg;

	if (i < 0)
		return;
	tg = &t->targets[i];
	/* Its mapped regions were reset in event order (mappings.c). */
	queue_drop(t, tg->host_pid, tg->gen);
	tg->gen = e->gen;
	tg->maps_sig = 0; /* the next maintenance probes and symbolizes it */
	tg->exe_checked = false;
	t->maintain_soon = true;
	tg->prev_bytes = -1;
	procfs_comm(tg->pid, tg->comm, sizeof(tg->comm));
	verbose_msg(1, "pid %d exec'd %s", (int)tg->pid, tg->comm);
}

static void handle_event(struct tracer *t, const struct memleak_event *e)
{
	int i;

	switch (e->type) {
	case MEMLEAK_EV_OOM_VICTIM:
		report_oom(t, e);
		break;
	case MEMLEAK_EV_FORK:
	case MEMLEAK_EV_MATCHED:
		if (target_find(t, e->tgid) >= 0)
			break;
		i = target_add(t, e->tgid, e->gen,
			       e->type == MEMLEAK_EV_FORK ? (pid_t)e->old_addr : 0);
		t->maintain_soon = true;
		if (i >= 0)
			verbose_msg(1, "pid %d (%s) %s", (int)e->tgid, t->targets[i].comm,
				    e->type == MEMLEAK_EV_FORK ? "forked: traced" : "matched: traced");
		break;
	case MEMLEAK_EV_EXEC:
		renew_at_exec(t, e);
		break;
	case MEMLEAK_EV_EXIT:
		i = target_find(t, e->tgid);
		if (i >= 0 && t->targets[i].gen == e->gen)
			target_exited(t, i);
		break;
	}
}

void targets_flush_events(struct tracer *t)
{
	struct memleak_event e;
	size_t i;

	/* Handling may drain the ring buffer again and queue more: loop. */
	for (i = 0; i < t->nevq; i++) {
		e = t->evq[i];
		handle_event(t, &e);
	}
	t->nevq = 0;
	if (t->evq_lost) {
		err_msg("%llu process events dropped (queue full)",
			(unsigned long long)t->evq_lost);
		t->evq_lost = 0;
	}
}
