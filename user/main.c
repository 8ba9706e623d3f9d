// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memleakbpf: outstanding allocations of running processes, by call stack.
 *
 * main() checks what the system must provide, loads the BPF programs,
 * attaches them to the targets, and runs the loop:
 *   BPF maps -> snapshot -> analysis (filter, merge, rank) -> symbolize -> render.
 * The targets are never stopped: reports read maps only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "analysis.h"
#include "attach.h"
#include "errors.h"
#include "launch.h"
#include "mappings.h"
#include "options.h"
#include "privileges.h"
#include "procfs.h"
#include "render.h"
#include "snapshot.h"
#include "symbolize.h"
#include "memleak.skel.h"

#define MAINT_FAST_MS 100   /* look for new mappings often right after start */
#define MAINT_SLOW_MS 1000
#define MAINT_FAST_PERIOD_MS 3000

struct tracer {
	struct options opts;
	struct memleak_bpf *skel;
	struct attach_state att;
	struct symbolizer *sym;
	struct mapping_tracker maps;
	struct oom_event ooms[8];    /* victims seen while draining events */
	size_t nooms;
	struct target targets[MAX_TARGET_PIDS];
	int pidfds[MAX_TARGET_PIDS];
	uint64_t maps_sig[MAX_TARGET_PIDS];
	size_t ntargets;
	struct launch launch;
	bool launched;
	FILE *out;
	int sigfd;
	uint64_t start_ms;
};

static void on_oom(void *ctx, pid_t pid, uint64_t anon_rss);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	return access(path, X_OK) ? NULL : path;
}

static int check_environment(struct tracer *t, const char **btf)
{
	struct options *o = &t->opts;
	int i;

	if (!have_tracing_privileges()) {
		err_msg("not privileged: run as root (needs CAP_BPF, CAP_PERFMON and "
			"CAP_SYS_PTRACE, or CAP_SYS_ADMIN)");
		return EXIT_NOT_PRIVILEGED;
	}
	*btf = find_kernel_btf(o->btf_path);
	if (!*btf) {
		if (o->btf_path)
			err_msg("cannot read BTF file '%s'", o->btf_path);
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
	return EXIT_OK;
}

static int load_bpf(struct tracer *t, const char *btf)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct memleak_bpf *skel;
	int err;

	libbpf_set_print(libbpf_print);
	if (t->opts.btf_path)
		oo.btf_custom_path = btf;
	skel = memleak_bpf__open_opts(&oo);
	if (!skel) {
		err_msg("cannot open BPF object: %s", strerror(errno));
		return EXIT_BPF;
	}
	skel->rodata->min_size = t->opts.min_size;
	skel->rodata->max_size = t->opts.max_size;
	bpf_map__set_max_entries(skel->maps.allocs, t->opts.max_allocs);
	bpf_map__set_max_entries(skel->maps.stack_traces, t->opts.max_stacks);
	/* Per-process totals: a stack seen in several processes has one entry each. */
	bpf_map__set_max_entries(skel->maps.stack_totals, t->opts.max_stacks * 4);
	err = memleak_bpf__load(skel);
	if (err) {
		err_msg("cannot load BPF programs: %s (run with -vv for the verifier log)",
			strerror(-err));
		memleak_bpf__destroy(skel);
		return EXIT_BPF;
	}
	t->skel = skel;
	t->att.skel = skel;
	t->att.probe_floor = t->opts.probe_floor;
	if (t->opts.probe_floor)
		return EXIT_OK;
	err = mappings_open(&t->maps, bpf_map__fd(skel->maps.events), on_oom, t);
	if (!err)
		err = attach_tracepoints(&t->att);
	if (err) {
		err_msg("cannot attach the mapping and OOM tracepoints: %s", strerror(-err));
		return EXIT_BPF;
	}
	return EXIT_OK;
}

static int add_target(struct tracer *t, pid_t pid)
{
	__u8 one = 1;
	__u32 key = pid;
	struct target *tg = &t->targets[t->ntargets];

	if (bpf_map__update_elem(t->skel->maps.traced_pids, &key, sizeof(key), &one,
				 sizeof(one), BPF_ANY)) {
		err_msg("cannot trace pid %d: %s", (int)pid, strerror(errno));
		return EXIT_BPF;
	}
	if (mappings_add_pid(&t->maps, pid)) {
		err_msg("too many processes to follow mappings of (at most %d)",
			MAPPINGS_MAX_PIDS);
		return EXIT_USAGE;
	}
	memset(tg, 0, sizeof(*tg));
	tg->pid = pid;
	procfs_comm(pid, tg->comm, sizeof(tg->comm));
	t->pidfds[t->ntargets] = (int)syscall(SYS_pidfd_open, pid, 0);
	t->ntargets++;
	return EXIT_OK;
}

static int attach_error(int err, pid_t pid)
{
	if (err == -ESRCH) {
		err_msg("process %d exited before probes were attached", (int)pid);
		return EXIT_PID_GONE;
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

static int attach_pids(struct tracer *t)
{
	int i, rc, err;

	no_debuginfod();
	for (i = 0; i < t->opts.npids; i++) {
		pid_t pid = t->opts.pids[i];

		rc = add_target(t, pid);
		if (rc)
			return rc;
		err = attach_process(&t->att, pid);
		if (err < 0)
			return attach_error(err, pid);
		symbolizer_add_process(t->sym, pid);
		t->maps_sig[t->ntargets - 1] = procfs_maps_signature(pid);
	}
	return EXIT_OK;
}

static int start_command(struct tracer *t)
{
	char err[512];
	int rc, e;

	if (launch_prepare(&t->launch, t->opts.command, err, sizeof(err))) {
		err_msg("%s", err);
		launch_free(&t->launch);
		return EXIT_COMMAND;
	}
	t->launched = true;
	no_debuginfod();
	rc = add_target(t, t->launch.pid);
	if (rc)
		return rc;
	e = attach_paths(&t->att, t->launch.pid, t->launch.objects, t->launch.nobjects);
	if (e == -ENOENT) {
		err_msg("no allocation functions (malloc/free) found in '%s' or its libraries "
			"(stripped static binary?)", t->launch.exe);
		return EXIT_NO_ALLOCATOR;
	}
	if (e) {
		err_msg("cannot attach probes for '%s': %s", t->launch.exe, strerror(-e));
		return EXIT_BPF;
	}
	if (launch_release(&t->launch, err, sizeof(err))) {
		err_msg("%s", err);
		t->launched = false;
		return EXIT_COMMAND;
	}
	return EXIT_OK;
}

static int setup_signals(struct tracer *t)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	t->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return t->sigfd < 0 ? -errno : 0;
}

static void mark_exited(struct tracer *t, size_t i)
{
	struct target *tg = &t->targets[i];

	if (tg->exited)
		return;
	tg->exited = true;
	verbose_msg(1, "pid %d (%s) exited", (int)tg->pid, tg->comm);
	if (t->launched && tg->pid == t->launch.pid)
		waitpid(tg->pid, NULL, WNOHANG);
	if (t->pidfds[i] >= 0) {
		close(t->pidfds[i]);
		t->pidfds[i] = -1;
	}
}

static bool all_exited(const struct tracer *t)
{
	size_t i;

	for (i = 0; i < t->ntargets; i++)
		if (!t->targets[i].exited)
			return false;
	return true;
}

/* New mappings (dlopen, exec of a -c child): probe and learn them. */
static void maintain(struct tracer *t)
{
	size_t i;

	for (i = 0; i < t->ntargets; i++) {
		struct target *tg = &t->targets[i];
		uint64_t sig;
		int err;

		if (tg->exited)
			continue;
		if (!procfs_alive(tg->pid)) {
			mark_exited(t, i);
			continue;
		}
		sig = procfs_maps_signature(tg->pid);
		if (!sig || sig == t->maps_sig[i])
			continue;
		t->maps_sig[i] = sig;
		err = attach_process(&t->att, tg->pid);
		if (err < 0 && err != -ESRCH && err != -ENOENT)
			verbose_msg(0, "pid %d: cannot probe new objects: %s", (int)tg->pid,
				    strerror(-err));
		symbolizer_add_process(t->sym, tg->pid);
		procfs_comm(tg->pid, tg->comm, sizeof(tg->comm));
	}
}

/* Keep only pid's entries (the OOM report is about the victim alone). */
static void snapshot_keep_pid(struct snapshot *s, pid_t pid)
{
	size_t i, j;

	for (i = j = 0; i < s->nstacks; i++)
		if (s->stacks[i].key.tgid == (uint32_t)pid)
			s->stacks[j++] = s->stacks[i];
	s->nstacks = j;
	for (i = j = 0; i < s->ntotals; i++)
		if (s->totals[i].key.tgid == (uint32_t)pid)
			s->totals[j++] = s->totals[i];
	s->ntotals = j;
}

/*
 * Build the report of every target, or of one (only_pid > 0), and hand it
 * to emit.  Mapping events are drained first so the report is current.
 */
static int build_report(struct tracer *t, pid_t only_pid, struct report *r)
{
	struct snapshot_source src = {
		.allocs_fd = bpf_map__fd(t->skel->maps.allocs),
		.totals_fd = bpf_map__fd(t->skel->maps.stack_totals),
		.stats_fd = bpf_map__fd(t->skel->maps.stats),
	};
	struct analysis_input in = {
		.targets = t->targets,
		.ntargets = t->ntargets,
		.sym = t->sym,
		.stack_map_fd = bpf_map__fd(t->skel->maps.stack_traces),
		.top_n = t->opts.top_n,
		.min_age_ms = t->opts.min_age_ms,
		.min_size = t->opts.min_size,
		.max_size = t->opts.max_size,
		.interval_s = t->opts.interval_s,
	};
	struct snapshot snap;
	size_t i;
	int err;

	if (!t->opts.probe_floor)
		mappings_consume(&t->maps);
	err = snapshot_take(&src, t->opts.min_age_ms, &snap);
	if (!err)
		err = mappings_add_to_snapshot(&t->maps, t->opts.min_age_ms, &snap);
	if (err) {
		err_msg("cannot read BPF maps: %s", strerror(-err));
		return err;
	}
	in.maps = &t->maps;
	if (only_pid > 0) {
		snapshot_keep_pid(&snap, only_pid);
		for (i = 0; i < t->ntargets; i++)
			if (t->targets[i].pid == only_pid) {
				in.targets = &t->targets[i];
				in.ntargets = 1;
			}
	}
	in.snap = &snap;
	err = analysis_build(&in, r);
	snapshot_free(&snap);
	if (err)
		err_msg("cannot build report: %s", strerror(-err));
	return err;
}

static int report(struct tracer *t, bool final)
{
	struct report r;
	int err;

	err = build_report(t, 0, &r);
	if (err)
		return err;
	r.final = final;
	err = render_report(t->out, t->opts.format, &r);
	report_free(&r);
	if (err)
		err_msg("cannot write report: %s", strerror(-err));
	return err;
}

/*
 * The OOM killer chose a traced process (called while draining events):
 * note it, with what /proc still says; flush_ooms() reports it.
 */
static void on_oom(void *ctx, pid_t pid, uint64_t anon_rss)
{
	static char cgroups[8][PATH_MAX];
	struct tracer *t = ctx;
	struct oom_event *o;
	size_t i;

	for (i = 0; i < t->ntargets && t->targets[i].pid != pid; i++)
		;
	if (i == t->ntargets || t->nooms == sizeof(t->ooms) / sizeof(t->ooms[0]))
		return;
	o = &t->ooms[t->nooms];
	memset(o, 0, sizeof(*o));
	o->pid = pid;
	o->anon_rss_bytes = anon_rss;
	memcpy(o->comm, t->targets[i].comm, sizeof(o->comm));
	if (!procfs_memory_cgroup(pid, cgroups[t->nooms], PATH_MAX,
				  &o->cgroup_limit_bytes, &o->cgroup_usage_bytes))
		o->cgroup = cgroups[t->nooms];
	t->nooms++;
}

/* Report each OOM victim now, before its exit, from the maps. */
static void flush_ooms(struct tracer *t)
{
	size_t i;

	for (i = 0; i < t->nooms; i++) {
		struct report r;

		if (build_report(t, t->ooms[i].pid, &r))
			continue;
		if (render_oom(t->out, t->opts.format, &t->ooms[i], &r))
			err_msg("cannot write OOM report: %s", strerror(errno));
		report_free(&r);
	}
	t->nooms = 0;
}

/* Handle whatever woke poll(); returns true when it is time to stop. */
static bool handle_events(struct tracer *t, struct pollfd *pfds, size_t npfd,
			  size_t *idx)
{
	struct signalfd_siginfo si;
	bool stop = false;
	size_t i;

	if (pfds[0].revents & POLLIN) {
		while (read(t->sigfd, &si, sizeof(si)) == sizeof(si))
			stop = true;
	}
	for (i = 1; i < npfd; i++) {
		if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (idx[i] == SIZE_MAX) {
			mappings_consume(&t->maps);
			flush_ooms(t);
		} else
			mark_exited(t, idx[i]);
	}
	return stop || all_exited(t);
}

static int run_loop(struct tracer *t)
{
	uint64_t next_report, next_maint, interval_ms;
	long reports = 0;

	interval_ms = (uint64_t)(t->opts.interval_s * 1000);
	t->start_ms = now_ms();
	next_report = t->start_ms + interval_ms;
	next_maint = t->start_ms + MAINT_FAST_MS;
	for (;;) {
		struct pollfd pfds[MAX_TARGET_PIDS + 2];
		size_t idx[MAX_TARGET_PIDS + 2], npfd = 1, i;
		uint64_t now = now_ms(), wake;
		bool stop;

		wake = next_report < next_maint ? next_report : next_maint;
		pfds[0] = (struct pollfd){ .fd = t->sigfd, .events = POLLIN };
		if (mappings_fd(&t->maps) >= 0) {
			/* Mapping events first: an OOM victim's exit follows its event. */
			idx[npfd] = SIZE_MAX;
			pfds[npfd++] = (struct pollfd){ .fd = mappings_fd(&t->maps),
							.events = POLLIN };
		}
		for (i = 0; i < t->ntargets; i++) {
			if (t->pidfds[i] < 0)
				continue;
			idx[npfd] = i;
			pfds[npfd++] = (struct pollfd){ .fd = t->pidfds[i], .events = POLLIN };
		}
		if (poll(pfds, npfd, wake > now ? (int)(wake - now) : 0) < 0 && errno != EINTR)
			return EXIT_RUNTIME;
		stop = handle_events(t, pfds, npfd, idx);
		now = now_ms();
		if (!stop && now >= next_maint) {
			maintain(t);
			next_maint = now + (now - t->start_ms < MAINT_FAST_PERIOD_MS
					    ? MAINT_FAST_MS : MAINT_SLOW_MS);
			stop = all_exited(t);
		}
		if (stop)
			return report(t, true) ? EXIT_RUNTIME : EXIT_OK;
		if (now >= next_report) {
			reports++;
			if (report(t, t->opts.count && reports >= t->opts.count))
				return EXIT_RUNTIME;
			if (t->opts.count && reports >= t->opts.count)
				return EXIT_OK;
			next_report += interval_ms;
			if (next_report <= now)
				next_report = now + interval_ms;
		}
	}
}

static void cleanup(struct tracer *t)
{
	size_t i;

	/* Probes first: the targets run unprobed from here on. */
	attach_destroy(&t->att);
	mappings_close(&t->maps);
	if (t->launched && t->launch.release_fd >= 0)
		launch_abort(&t->launch);
	launch_free(&t->launch);
	memleak_bpf__destroy(t->skel);
	symbolizer_free(t->sym);
	for (i = 0; i < t->ntargets; i++)
		if (t->pidfds[i] >= 0)
			close(t->pidfds[i]);
	if (t->out && t->out != stdout)
		fclose(t->out);
	if (t->sigfd >= 0)
		close(t->sigfd);
}

int main(int argc, char **argv)
{
	struct tracer t = { .sigfd = -1 };
	const char *btf = NULL;
	char err[512];
	int rc;

	t.launch.release_fd = t.launch.exec_err_fd = -1;
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
	if (!t.opts.npids && !t.opts.command) {
		t.opts.command = demo_command();
		if (!t.opts.command) {
			err_msg("no target: give -p PID or -c \"CMD ARGS\" (see --help)");
			return EXIT_USAGE;
		}
		fprintf(stderr, "memleakbpf: no pid given, tracing the demo: %s\n",
			t.opts.command);
	}
	rc = check_environment(&t, &btf);
	if (rc)
		return rc;
	t.out = stdout;
	if (t.opts.output_path) {
		t.out = fopen(t.opts.output_path, "we");
		if (!t.out) {
			err_msg("cannot open output '%s': %s", t.opts.output_path,
				strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	raise_nofile_limit();
	t.sym = symbolizer_new();
	rc = t.sym ? load_bpf(&t, btf) : EXIT_RUNTIME;
	if (!rc)
		rc = t.opts.command ? start_command(&t) : attach_pids(&t);
	if (!rc && setup_signals(&t))
		rc = EXIT_RUNTIME;
	if (!rc) {
		verbose_msg(1, "tracing %zu process(es), %zu probes; reports every %g s",
			    t.ntargets, t.att.nlinks, t.opts.interval_s);
		rc = run_loop(&t);
	}
	cleanup(&t);
	return rc;
}
