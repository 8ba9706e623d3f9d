// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memleakbpf: outstanding allocations of running processes, by call stack.
 *
 * main() parses the options, checks what the system must provide, loads
 * the BPF programs, attaches them to the targets, runs the event loop
 * (loop.c), and cleans up.  Each report follows the data flow
 *   bpf/ -> collect/ -> analyze/ -> symbols/ -> out/   (pipeline.c).
 * The targets are never stopped: reports read maps only.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/libbpf.h>
#include "analyze/cost.h"
#include "analyze/history.h"
#include "cli/errors.h"
#include "collect/aggregate.h"
#include "loop.h"
#include "probes/attach.h"
#include "probes/probe_place.h"
#include "probes/uprobe_links.h"
#include "procs/k8s.h"
#include "procs/pidns.h"
#include "procs/privileges.h"
#include "procs/proc_maps.h"
#include "procs/procfs.h"
#include "procs/targets.h"
#include "serve/http_server.h"
#include "symbols/kallsyms.h"
#include "scripts/scripts.h"
#include "symbols/symbolize.h"
#include "tracer.h"
#include "unwind/unwind_loader.h"
#include "memleak.skel.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG ? verbosity < 3 : verbosity < 2)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* With no target, trace the bundled demo leaker next to the binary. */
static const char *demo_command(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *slash;

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	strcpy(slash, "/demo/leaky");
	if (access(path, X_OK))
		return NULL;
	/* The demo serves for 12 s, then exits: a few reports and a final one. */
	strcat(path, " 12");
	return path;
}

static int check_environment(struct tracer *t, const char **btf)
{
	struct options *o = &t->opts;
	const char *missing, *why = NULL;
	int i;

	missing = missing_tracing_capabilities();
	if (missing) {
		err_msg("not privileged: missing %s (uprobes need CAP_SYS_ADMIN, other "
			"processes' /proc files CAP_SYS_PTRACE): run as root", missing);
		return EXIT_NOT_PRIVILEGED;
	}
	/* Pids are those of the tracer's namespace, so /proc must show them. */
	if (!pidns_is_initial() && !pidns_proc_is_own()) {
		err_msg("the /proc mounted here shows another pid namespace than the "
			"tracer's: mount this namespace's /proc (unshare --mount-proc, "
			"nsenter -p -m) or run memleakbpf on the host");
		return EXIT_PID_NAMESPACE;
	}
	*btf = find_kernel_btf(o->btf_path, &why);
	if (!*btf) {
		if (o->btf_path)
			err_msg("cannot use BTF file '%s': %s", o->btf_path, why);
		else
			err_msg("no kernel BTF at /sys/kernel/btf/vmlinux (kernel without "
				"CONFIG_DEBUG_INFO_BTF?): pass --btf PATH");
		return EXIT_NO_BTF;
	}
	for (i = 0; i < o->npids; i++) {
		if (!procfs_alive(o->pids[i])) {
			err_msg("no such process: %d", (int)o->pids[i]);
			return EXIT_NO_SUCH_PID;
		}
	}
	targets_resolve_threads(o->pids, &o->npids);
	return EXIT_OK;
}

/*
 * libbpf resolves BTF tracepoints (tp_btf) against the running kernel's
 * BTF only, not against --btf: without it, the mapping, OOM and process
 * programs cannot load, and malloc tracing goes on alone.
 */
static void without_btf_programs(struct memleak_bpf *skel)
{
	struct bpf_program *progs[] = {
		skel->progs.sys_enter, skel->progs.sys_exit, skel->progs.oom_victim,
		skel->progs.on_fork, skel->progs.on_exec, skel->progs.on_exit,
	};
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_autoload(progs[i], false);
	verbose_msg(1, "--btf: mmap/brk, OOM and process tracking are off "
		    "(they need /sys/kernel/btf/vmlinux)");
}

/*
 * Sampled mode: the session program where the kernel has uprobe sessions
 * (entry decides, unsampled calls pay no return probe), else an entry and
 * a return program.  Precise mode loads neither.
 */
static bool use_sessions(const struct options *o)
{
	return o->sample_bytes && !o->no_sessions && uprobe_session_supported();
}

/*
 * -k: the kernel's symbols, for the reports and for the BPF side's check
 * for interrupt context (the entry code's and softirq's text ranges).
 */
static int load_kernel_symbols(struct tracer *t)
{
	char err[256];

	if (!t->opts.kernel)
		return EXIT_OK;
	t->ksyms = kallsyms_load(NULL, err, sizeof(err));
	if (!t->ksyms) {
		err_msg("-k: %s", err);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static void set_interrupt_ranges(struct tracer *t, struct memleak_bpf *skel)
{
	uint64_t a, b;

	if (kallsyms_addr(t->ksyms, "__irqentry_text_start", &a) &&
	    kallsyms_addr(t->ksyms, "__irqentry_text_end", &b)) {
		skel->rodata->irq_text_start = a;
		skel->rodata->irq_text_end = b;
	} else {
		verbose_msg(0, "-k: no __irqentry_text_start in /proc/kallsyms: "
			    "allocations in hard interrupts may be counted for the "
			    "interrupted process");
	}
	{
		/* Pages counted already, or user memory (bpf/kernel.bpf.c). */
		static const char *const backers[] = {
			"allocate_slab", "___kmalloc_large_node", "pcpu_populate_chunk",
			"handle_mm_fault",
		};
		size_t i, r = 0;

		size_t room = sizeof(skel->rodata->page_skip_start) /
			      sizeof(skel->rodata->page_skip_start[0]);

		for (i = 0; i < sizeof(backers) / sizeof(backers[0]) && r < room; i++) {
			if (!kallsyms_range(t->ksyms, backers[i], &a, &b))
				continue;
			skel->rodata->page_skip_start[r] = a;
			skel->rodata->page_skip_end[r++] = b;
		}
	}
	if (kallsyms_range(t->ksyms, "handle_softirqs", &a, &b) ||
	    kallsyms_range(t->ksyms, "__do_softirq", &a, &b)) {
		skel->rodata->softirq_text_start = a;
		skel->rodata->softirq_text_end = b;
	}
}

/* -k: the kernel allocation programs load only when asked for. */
static void choose_kernel_programs(struct tracer *t, struct memleak_bpf *skel)
{
	struct bpf_program *progs[] = {
		skel->progs.k_kmalloc, skel->progs.k_kfree, skel->progs.k_cache_alloc,
		skel->progs.k_cache_free, skel->progs.k_page_alloc, skel->progs.k_page_free,
		skel->progs.k_page_free_batched, skel->progs.k_percpu_alloc,
		skel->progs.k_percpu_free,
	};
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_autoload(progs[i], t->opts.kernel);
	bpf_map__set_max_entries(skel->maps.kallocs, t->opts.kernel ? t->opts.max_allocs : 1);
	bpf_map__set_max_entries(skel->maps.kcache_names,
				 t->opts.kernel ? MEMLEAK_MAX_SLAB_CACHES : 1);
	skel->rodata->kernel_host = t->kernel_host;
	skel->rodata->tracer_tgid = getpid();
	if (t->opts.kernel)
		set_interrupt_ranges(t, skel);
}

static void choose_sampled_programs(struct tracer *t, struct memleak_bpf *skel,
				    bool sessions)
{
	size_t j;

	if (t->opts.sample_bytes && !sessions)
		verbose_msg(0, "no uprobe sessions%s: sampled calls still pay a return probe",
			    t->opts.no_sessions ? " (--no-sessions)" : " in this kernel");
	bpf_program__set_autoload(skel->progs.sampled_alloc, sessions);
	bpf_program__set_autoload(skel->progs.sampled_enter,
				  t->opts.sample_bytes && !sessions);
	bpf_program__set_autoload(skel->progs.sampled_return,
				  t->opts.sample_bytes && !sessions);
	if (sessions)
		bpf_program__set_expected_attach_type(skel->progs.sampled_alloc,
						      MEMLEAK_ATTACH_UPROBE_SESSION);
	skel->rodata->sample_bytes = t->opts.sample_bytes;
	skel->rodata->sample_seed = t->opts.sample_seed;
	for (j = 0; j < 256; j++)
		skel->rodata->log2_mant[j] = (uint32_t)(log2(1.0 + (j + 0.5) / 256.0) * 65536.0 + 0.5);
}

/*
 * Age-filtered reports sum the records in the kernel where it can load the
 * aggregate program (a syscall program: 5.14+), else copy every record out:
 * same figures, more CPU.  Sampled mode weights each record in user space,
 * so it keeps the copy.  MEMLEAKBPF_USER_WALK=1 forces the copy (tests).
 */
static void load_aggregator(struct tracer *t)
{
	const char *walk = getenv("MEMLEAKBPF_USER_WALK");

	if (!t->opts.min_age_ms || t->opts.sample_bytes)
		return;
	if (walk && *walk && strcmp(walk, "0")) {
		verbose_msg(1, "MEMLEAKBPF_USER_WALK: the age filter reads every record");
		return;
	}
	/* As many sums as stack_totals has entries. */
	t->agg = aggregator_new(bpf_map__fd(t->skel->maps.allocs),
				bpf_map__fd(t->skel->maps.stats), t->opts.max_stacks * 4);
	if (t->agg)
		verbose_msg(1, "age filter: records summed in the kernel");
	else
		verbose_msg(1, "no in-kernel sums for the age filter (%s): reports read "
			    "every record", strerror(errno));
}

/* Rows of the unwind tables (8 bytes each, preallocated): 8 MiB. */
#define UNWIND_ROWS (1u << 20)

static uint32_t unwind_rows_capacity(const struct options *o)
{
	return o->unwind == MEMLEAK_UNWIND_DWARF || o->unwind == MEMLEAK_UNWIND_AUTO
	       ? UNWIND_ROWS : 1;
}

static int open_bpf(struct tracer *t, const char *btf)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);

	if (t->opts.btf_path)
		oo.btf_custom_path = btf;
	t->skel = memleak_bpf__open_opts(&oo);
	if (!t->skel) {
		err_msg("cannot open BPF object: %s", strerror(errno));
		return EXIT_BPF;
	}
	return EXIT_OK;
}

static int load_bpf(struct tracer *t, bool sessions)
{
	struct memleak_bpf *skel = t->skel;
	int err;

	skel->rodata->min_size = t->opts.min_size;
	skel->rodata->max_size = t->opts.max_size;
	skel->rodata->follow_forks = t->opts.follow;
	if (t->opts.comm)
		strncpy((char *)skel->rodata->match_comm, t->opts.comm,
			sizeof(skel->rodata->match_comm) - 1);
	skel->rodata->match_cgroup_id = t->cgroup_id;
	skel->rodata->view_pidns_inum = pidns_is_initial() ? 0 : pidns_inum();
	if (t->opts.btf_path)
		without_btf_programs(skel);
	choose_sampled_programs(t, skel, sessions);
	choose_kernel_programs(t, skel);
	bpf_map__set_max_entries(skel->maps.allocs, t->opts.max_allocs);
	skel->rodata->unwind_mode = t->opts.unwind;
	skel->rodata->no_script_frames = t->opts.no_script_frames;
	/* Only one of the two stack maps is used: the other stays minimal. */
	bpf_map__set_max_entries(skel->maps.stack_traces,
				 t->opts.unwind == MEMLEAK_UNWIND_FP_KERNEL ? t->opts.max_stacks : 1);
	bpf_map__set_max_entries(skel->maps.unwound_stacks,
				 t->opts.unwind == MEMLEAK_UNWIND_FP_KERNEL ? 1 : t->opts.max_stacks);
	bpf_map__set_max_entries(skel->maps.unwind_rows, unwind_rows_capacity(&t->opts));
	/* Per-process totals: a stack seen in several processes has one entry each. */
	bpf_map__set_max_entries(skel->maps.stack_totals, t->opts.max_stacks * 4);
	err = memleak_bpf__load(skel);
	if (err) {
		err_msg("cannot load BPF programs: %s (run with -vv for the verifier log)",
			strerror(-err));
		return EXIT_BPF;
	}
	load_aggregator(t);
	err = pidns_open(&t->view);
	if (err) {
		err_msg("running in a pid namespace other than the host's, and cannot load "
			"the task iterator that finds the host pids of its processes: %s",
			strerror(-err));
		return EXIT_PID_NAMESPACE;
	}
	if (t->view)
		verbose_msg(1, "pid namespace %u: pids are this namespace's, the kernel's "
			    "host pids are looked up", pidns_inum());
	/*
	 * Kernel BPF run-time stats cost every BPF program of the host two
	 * clock reads per run: growth mode, the one meant to cost nothing,
	 * leaves them off.  Without them the reports say the BPF cost is unknown.
	 */
	t->bpf_stats_fd = t->opts.growth_mode ? -EOPNOTSUPP : cost_enable_bpf_stats();
	if (t->bpf_stats_fd < 0)
		verbose_msg(1, "BPF run-time stats unavailable: %s", strerror(-t->bpf_stats_fd));
	t->unw = unwinder_new(t->opts.unwind, bpf_map__fd(skel->maps.unwind_rows),
			      unwind_rows_capacity(&t->opts), bpf_map__fd(skel->maps.unwind_objects));
	if (!t->unw) {
		err_msg("cannot map the unwind tables: %s", strerror(errno));
		return EXIT_BPF;
	}
	t->scripts = scripts_new(&(struct scripts_opts){
		.procs_map_fd = bpf_map__fd(skel->maps.script_procs),
		.disabled = t->opts.no_script_frames,
		.entered = &skel->bss->script_procs_entered,
	});
	if (!t->scripts) {
		err_msg("cannot allocate memory");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*
 * Mapping calls, OOM kills and process events are followed through the
 * ring buffer, except with --probe-floor (the benchmark's empty probes)
 * and --btf (no BTF tracepoints).
 */
static bool follows_events(const struct options *o)
{
	return !o->probe_floor && !o->btf_path;
}

static int attach_event_probes(struct tracer *t)
{
	int err;

	if (!follows_events(&t->opts))
		return EXIT_OK;
	err = mappings_open(&t->maps, bpf_map__fd(t->skel->maps.events), targets_on_event, t);
	t->maps.view = t->view;
	if (!err)
		err = attach_tracepoints(t->att);
	if (!err && t->opts.syscalls)
		err = attach_syscall_tracepoints(t->att);
	if (!err && t->opts.kernel)
		err = attach_kernel_tracepoints(t->att);
	if (err) {
		err_msg("cannot attach the mapping and OOM tracepoints: %s", strerror(-err));
		return EXIT_BPF;
	}
	return EXIT_OK;
}

static int attach_error(const struct tracer *t, int err, pid_t pid)
{
	const char *cap = missing_tracing_capabilities();

	if (cap && (err == -ENOENT || err == -EACCES || err == -EPERM)) {
		err_msg("cannot probe process %d: missing %s (probes need CAP_SYS_ADMIN "
			"and CAP_SYS_PTRACE)", (int)pid, cap);
		return EXIT_NOT_PRIVILEGED;
	}
	if (err == -ESRCH) {
		err_msg("process %d exited before probes were attached", (int)pid);
		return EXIT_PID_GONE;
	}
	if (err == -ENOENT && t->opts.allocator_object) {
		err_msg("no allocation functions found in --allocator-object %s",
			t->opts.allocator_object);
		return EXIT_NO_ALLOCATOR;
	}
	if (err == -ENOENT) {
		err_msg("no allocation functions (malloc/free) found in process %d "
			"(stripped static binary?)", (int)pid);
		return EXIT_NO_ALLOCATOR;
	}
	err_msg("cannot attach probes to process %d: %s", (int)pid, strerror(-err));
	return EXIT_BPF;
}

/*
 * A production tracer makes no network calls: libdw would ask debuginfod
 * servers for missing debug info if the environment names some.  Called
 * after a -c child was forked, so the command keeps its environment.
 */
static void no_debuginfod(void)
{
	unsetenv("DEBUGINFOD_URLS");
}

/* Symbolization keeps one or two files open per module and process. */
static void raise_nofile_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Every --alloc-fn/--free-fn must exist somewhere in the target. */
static int check_custom_found(struct tracer *t, const char *target)
{
	const char *missing = attach_missing_custom(t->att);

	if (!missing)
		return EXIT_OK;
	err_msg("function '%s' (--alloc-fn/--free-fn) not found in %s or its libraries",
		missing, target);
	return EXIT_NO_ALLOCATOR;
}

/*
 * The unwind tables of a target's objects, before any probe is on: once
 * probes go on objects system-wide (--follow, --comm...), every malloc of
 * the child that builds a table traps too, and a table cost 5x the CPU
 * (libc: 0.2 s of its own, 1 s of traps).  Built here, the probing that
 * follows finds them done; objects seen later are built under the probes.
 */
static void prebuild_tables(struct tracer *t, pid_t pid)
{
	unwinder_update_process(t->unw, pid);
}

static int attach_pids(struct tracer *t)
{
	char what[64];
	int i, idx, err;

	no_debuginfod();
	for (i = 0; i < t->opts.npids; i++) {
		pid_t pid = t->opts.pids[i];

		idx = target_add_unarmed(t, pid, 0, 0);
		if (idx < 0)
			return EXIT_BPF;
		prebuild_tables(t, pid);
		/* A target exiting now fails each probe: its exit is the one line. */
		diag_hold();
		err = target_update(t, &t->targets[idx], true);
		if (err == -ESRCH)
			diag_drop();
		diag_release();
		if (err < 0)
			return attach_error(t, err, pid);
		t->targets[idx].maps_sig = procfs_maps_signature(pid);
	}
	/*
	 * Armed once every probe and unwind table is in place: a call seen
	 * earlier would be recorded with a stack cut short where a table was
	 * missing (the same leak twice in the report), or without its free.
	 */
	for (i = 0; i < (int)t->ntargets; i++)
		if (target_arm(t, &t->targets[i]))
			return EXIT_BPF;
	if (t->opts.npids == 1)
		snprintf(what, sizeof(what), "process %d", (int)t->opts.pids[0]);
	else
		snprintf(what, sizeof(what), "any of the %d processes", t->opts.npids);
	return check_custom_found(t, what);
}

static int start_command(struct tracer *t)
{
	char err[512];
	int e, idx;

	if (launch_prepare(&t->launch, t->opts.command, err, sizeof(err))) {
		err_msg("%s", err);
		launch_free(&t->launch);
		return EXIT_COMMAND;
	}
	t->launched = true;
	no_debuginfod();
	idx = target_add(t, t->launch.pid, 0, 0);
	if (idx < 0)
		return EXIT_BPF;
	e = attach_paths(t->att, t->launch.pid, t->launch.objects, t->launch.nobjects);
	/* Checked again at exec, from /proc: the same program, as it runs. */
	if (e >= 0)
		target_cover_mapping_calls(t, &t->targets[idx], t->launch.exe);
	if (e == -ENOENT && t->opts.allocator_object)
		return attach_error(t, e, t->launch.pid);
	/* Its tables too: the walker finds them from its first instruction. */
	for (size_t i = 0; !e && i < t->launch.nobjects; i++)
		unwinder_add_file(t->unw, t->launch.objects[i]);
	if (e && e != -ESRCH && missing_tracing_capabilities())
		return attach_error(t, e, t->launch.pid);
	if (e == -ENOENT) {
		err_msg("no allocation functions (malloc/free) found in '%s' or its libraries "
			"(stripped static binary?)", t->launch.exe);
		return EXIT_NO_ALLOCATOR;
	}
	if (e) {
		err_msg("cannot attach probes for '%s': %s", t->launch.exe, strerror(-e));
		return EXIT_BPF;
	}
	e = check_custom_found(t, t->launch.exe);
	if (e)
		return e;
	if (launch_release(&t->launch, err, sizeof(err))) {
		err_msg("%s", err);
		t->launched = false;
		return EXIT_COMMAND;
	}
	/* Before exec the child was a copy of the tracer: its RSS is no baseline. */
	target_rebase_rss(&t->targets[idx]);
	return EXIT_OK;
}

/*
 * --pod: its cgroup directory (or its container's), found on this node,
 * then matched as --cgroup's.  Its processes, and on a kubelet's node every
 * process, are labelled with their pod and container.
 */
static int find_pod(struct tracer *t)
{
	char path[PATH_MAX], err[1024];

	t->k8s = t->opts.pod || k8s_on_node();
	if (!t->opts.pod)
		return EXIT_OK;
	if (k8s_find_pod(t->opts.pod, t->opts.container, path, sizeof(path), err, sizeof(err))) {
		err_msg("%s", err);
		return EXIT_NO_SUCH_PID;
	}
	t->pod_cgroup = strdup(path);
	if (!t->pod_cgroup) {
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	verbose_msg(1, "pod %s%s%s: cgroup %s", t->opts.pod, t->opts.container ? ", container " : "",
		    t->opts.container ? t->opts.container : "", path);
	t->opts.cgroup = t->pod_cgroup;
	return EXIT_OK;
}

/* --cgroup: the kernel side matches processes by the directory's id. */
static int find_cgroup(struct tracer *t)
{
	if (t->opts.cgroup) {
		int err = procfs_cgroup_id(t->opts.cgroup, &t->cgroup_id);

		if (err) {
			err_msg("'%s' is not a cgroup directory: %s", t->opts.cgroup,
				strerror(-err));
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

/*
 * --comm/--cgroup: a matching process may start any time, and its first
 * allocations come right after exec.  The probes go now on the allocator
 * objects this host's processes share (those the tracer itself maps) and
 * on those of the processes matching already; an object seen first in a
 * new process (another container image's libc) is probed when it shows up.
 */
static int start_matching_targets(struct tracer *t)
{
	size_t i;
	int err;

	no_debuginfod();
	targets_scan_matching(t);
	for (i = 0; i < t->ntargets; i++)
		prebuild_tables(t, t->targets[i].pid);
	err = attach_process(t->att, getpid());
	if (err < 0)
		return attach_error(t, err, getpid());
	for (i = 0; i < t->ntargets; i++) {
		target_update(t, &t->targets[i], false);
		t->targets[i].maps_sig = procfs_maps_signature(t->targets[i].pid);
	}
	return EXIT_OK;
}

/*
 * What to probe: every known allocator, --alloc-prefix, custom functions;
 * how (sampled, growth mode...), and for which processes: system-wide when
 * processes are followed or matched (service mode).
 */
static int setup_attacher(struct tracer *t, bool sessions)
{
	struct options *o = &t->opts;
	struct attach_opts ao = {
		.skel = t->skel,
		.table = &t->alloc_table,
		.only_path = o->allocator_object,
		.system_wide = t->service,
		.probe_floor = o->probe_floor,
		.probe_at_entry = o->probe_at_entry,
		.sample_bytes = o->sample_bytes,
		.sessions = sessions,
		.growth_only = o->growth_mode,
		.map_wrappers = follows_events(o) && !o->syscalls,
	};

	if (alloc_table_build(&t->alloc_table, o->alloc_prefix, o->custom, o->ncustom)) {
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	t->att = attacher_new(&ao);
	if (!t->att && errno == ENOMEM) {
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	if (!t->att) {
		err_msg("cannot open allocator object '%s': %s", o->allocator_object,
			strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*
 * The BPF programs, opened, set up and loaded, and the probes that do not
 * depend on the targets.  The attacher takes the opened programs, and is
 * set up before the load so that a bad --allocator-object, a usage error,
 * is reported before the verifier's work.
 */
static int start_bpf(struct tracer *t, const char *btf)
{
	bool sessions;
	int rc;

	rc = open_bpf(t, btf);
	if (rc)
		return rc;
	sessions = use_sessions(&t->opts);
	rc = setup_attacher(t, sessions);
	if (!rc)
		rc = load_bpf(t, sessions);
	if (!rc)
		rc = attach_event_probes(t);
	return rc;
}

/*
 * -k without a target: no process is attached, so no object's unwind
 * table is loaded on the way; the host's C library (the one the tracer
 * maps) gets its table, so the system call wrappers of every process using
 * it are unwound to their callers.  Other objects are walked by frame
 * pointers.
 */
static int add_own_object(const struct proc_map *m, void *ctx)
{
	struct tracer *t = ctx;

	if (proc_map_is_file(m) && proc_map_is_exec(m) && !m->deleted &&
	    strstr(m->path, "/libc"))
		unwinder_add_file(t->unw, m->path);
	return 0;
}

static int start_targets(struct tracer *t)
{
	if (t->kernel_host)	/* the tracepoints are all there is */
		return proc_maps_for_each(getpid(), add_own_object, t) < 0 ? EXIT_RUNTIME : EXIT_OK;
	if (t->opts.command)
		return start_command(t);
	if (t->opts.npids)
		return attach_pids(t);
	return start_matching_targets(t);
}

/*
 * --listen: bound before anything is attached, so a taken port is one
 * line and an exit, not a run without the endpoint.
 */
static int start_http(struct tracer *t)
{
	struct http_server_opts ho = {
		.addr = (const struct sockaddr *)&t->opts.listen_addr,
		.addr_len = t->opts.listen_addr_len,
	};

	if (!t->opts.listen)
		return EXIT_OK;
	t->http = http_server_start(&ho);
	if (t->http)
		return EXIT_OK;
	err_msg("cannot listen on %s: %s", t->opts.listen, strerror(errno));
	return EXIT_RUNTIME;
}

static void cleanup(struct tracer *t)
{
	size_t i;

	/* No request is answered from a tracer shutting down. */
	http_server_stop(t->http);
	t->http = NULL;

	/* Probes first: the targets run unprobed from here on. */
	attacher_free(t->att);
	t->att = NULL;
	mappings_close(&t->maps);
	if (t->launched && t->launch.release_fd >= 0)
		launch_abort(&t->launch);
	launch_free(&t->launch);
	unwinder_free(t->unw);
	scripts_free(t->scripts);
	aggregator_free(t->agg);
	pidns_free(t->view);
	memleak_bpf__destroy(t->skel);
	if (t->bpf_stats_fd >= 0)
		close(t->bpf_stats_fd);
	history_free(t->history);
	alloc_table_free(&t->alloc_table);
	symbolizer_free(t->sym);
	kallsyms_free(t->ksyms);
	for (i = 0; i < t->ntargets; i++) {
		if (t->targets[i].pidfd >= 0)
			close(t->targets[i].pidfd);
		free(t->targets[i].k8s);
	}
	free(t->targets);
	free(t->pod_cgroup);
	free(t->drops);
	output_close(&t->output);
	if (t->sigfd >= 0)
		close(t->sigfd);
}

int main(int argc, char **argv)
{
	struct tracer t = { .sigfd = -1, .bpf_stats_fd = -1, .output.dirfd = -1 };
	const char *btf = NULL;
	char err[512];
	int rc;

	t.launch.release_fd = t.launch.exec_err_fd = -1;
	libbpf_set_print(libbpf_print); /* --btf is parsed before the load */
	switch (options_parse(&t.opts, argc, argv, err, sizeof(err))) {
	case PARSE_EXIT_OK:
		return EXIT_OK;
	case PARSE_ERROR:
		err_msg("%s (see --help)", err);
		return EXIT_USAGE;
	default:
		break;
	}
	verbosity = t.opts.verbose;
	t.open_ended = t.opts.comm || t.opts.cgroup || t.opts.pod;
	t.service = t.open_ended || t.opts.follow;
	t.kernel_host = t.opts.kernel && !t.opts.npids && !t.opts.command && !t.open_ended;
	if (t.kernel_host)
		fprintf(stderr, "memleakbpf: -k without a target: kernel allocations of the "
			"whole host%s\n", t.opts.sample_bytes ? ", sampled" : "");
	if (!t.opts.npids && !t.opts.command && !t.open_ended && !t.kernel_host) {
		t.opts.command = demo_command();
		if (!t.opts.command) {
			err_msg("no target: give -p PID or -c \"CMD ARGS\" (see --help)");
			return EXIT_USAGE;
		}
		fprintf(stderr, "memleakbpf: no pid given, tracing the demo: %s\n",
			t.opts.command);
	}
	if (t.opts.format == FORMAT_PPROF && !t.opts.output_path && !t.opts.output_dir &&
	    isatty(STDOUT_FILENO)) {
		err_msg("pprof output is binary: give --output FILE or --output-dir DIR");
		return EXIT_USAGE;
	}
	rc = check_environment(&t, &btf);
	if (!rc && t.service && t.opts.btf_path) {
		err_msg("--follow, --comm, --cgroup and --pod need /sys/kernel/btf/vmlinux, "
			"not --btf");
		rc = EXIT_NO_BTF;
	}
	if (!rc)
		rc = find_pod(&t);
	if (!rc)
		rc = find_cgroup(&t);
	if (rc)
		return rc;
	if (output_open(&t.output, &t.opts)) {
		output_close(&t.output);
		return EXIT_RUNTIME;
	}
	t.out = t.output.stream;
	rc = start_http(&t);
	if (rc) {
		output_close(&t.output);
		return rc;
	}
	raise_nofile_limit();
	t.sym = symbolizer_new();
	if (t.sym)
		symbolizer_use_debug_files(t.sym, t.opts.debug_files);
	/* Every stack the kernel can record, of every kind, fits in the history. */
	t.history = history_new((size_t)t.opts.max_stacks * MEMLEAK_KIND__MAX);
	rc = t.sym && t.history ? load_kernel_symbols(&t) : EXIT_RUNTIME;
	if (!rc)
		rc = start_bpf(&t, btf);
	if (!rc)
		rc = start_targets(&t);
	probe_place_unload();	/* loaded again for objects attached later */
	if (!rc)
		rc = loop_run(&t);
	cleanup(&t);
	return rc;
}
