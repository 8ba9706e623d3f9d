// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The event loop (see loop.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include "analyze/report.h"
#include "cli/errors.h"
#include "collect/mappings.h"
#include "lib/util.h"
#include "loop.h"
#include "out/output.h"
#include "pipeline.h"
#include "probes/attach.h"
#include "probes/probe_place.h"
#include "procs/escalate.h"
#include "procs/procfs.h"
#include "procs/targets.h"
#include "serve/serve_report.h"
#include "tracer.h"

#define MAINT_FAST_MS 100   /* look for new mappings often right after start */
#define MAINT_SLOW_MS 1000
#define MAINT_FAST_PERIOD_MS 3000
#define INPUT_POLL (SIZE_MAX - 1) /* pollfd index of the live view's keys */

static int setup_signals(struct tracer *t)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);  /* report now */
	sigaddset(&set, SIGHUP);   /* reopen output files */
	sigaddset(&set, SIGWINCH); /* the live view's terminal was resized */
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	t->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return t->sigfd < 0 ? -errno : 0;
}

/* New mappings (dlopen, exec, new processes): probe and learn them. */
static void maintain(struct tracer *t)
{
	size_t i;

	targets_drop_records(t);
	if (t->open_ended)
		targets_scan_matching(t);
	for (i = 0; i < t->ntargets; i++) {
		struct target *tg = &t->targets[i];
		uint64_t sig;

		if (tg->exited)
			continue;
		if (!procfs_alive(tg->pid)) {
			/* Service mode hears of exits from the kernel (with the gen). */
			if (!t->service)
				target_exited(t, i);
			continue;
		}
		sig = procfs_maps_signature(tg->pid);
		if (!sig || sig == tg->maps_sig)
			continue;
		tg->maps_sig = sig;
		target_update(t, tg, false);
	}
	escalate_check(t, mono_ms());
}

/* Drain mapping and process events, then act on the process events. */
static void drain_events(struct tracer *t)
{
	if (mappings_fd(&t->maps) < 0)
		return;
	mappings_consume(&t->maps);
	targets_flush_events(t);
}

static int report(struct tracer *t, bool final)
{
	struct report r;
	size_t i, j;
	int err;

	drain_events(t);
	/* The disassembler placed the probes attached since the last report. */
	probe_place_unload();
	err = pipeline_build_report(t, 0, &r);
	if (err)
		return err;
	r.final = final;
	err = output_report(&t->output, &r);
	t->out = t->output.stream;
	/* --listen: served from now on; a failure keeps the previous one there. */
	if (t->http && serve_report(t->http, &r))
		verbose_msg(0, "--listen: report not published (too large or out of memory)");
	/* Growth per report is measured against this one. */
	for (i = 0; i < r.nprocs; i++)
		for (j = 0; j < t->ntargets; j++)
			if (t->targets[j].pid == r.procs[i].pid && !t->targets[j].gone)
				t->targets[j].prev_bytes = (int64_t)r.procs[i].outstanding_bytes;
	report_free(&r);
	return err;
}

static bool handle_signal(struct tracer *t, const struct signalfd_siginfo *si)
{
	switch (si->ssi_signo) {
	case SIGUSR1:
		t->report_now = true;
		return false;
	case SIGHUP:
		/* A file that cannot be reopened was reported; the others go on. */
		output_reopen(&t->output);
		t->out = t->output.stream;
		return false;
	case SIGWINCH:
		output_resize(&t->output);
		return false;
	}
	return true;
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
			stop |= handle_signal(t, &si);
	}
	for (i = 1; i < npfd; i++) {
		if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (idx[i] == INPUT_POLL)
			stop |= output_handle_input(&t->output);
		else if (idx[i] == SIZE_MAX)
			drain_events(t);
		else
			target_exited(t, idx[i]);
	}
	/* A pidfd may say "exited" before the kernel's exit event is drained. */
	drain_events(t);
	return stop || targets_done(t);
}

static size_t fill_pollfds(struct tracer *t, struct pollfd *pfds, size_t *idx, size_t max)
{
	size_t i, n = 1;

	pfds[0] = (struct pollfd){ .fd = t->sigfd, .events = POLLIN };
	if (mappings_fd(&t->maps) >= 0) {
		idx[n] = SIZE_MAX;
		pfds[n++] = (struct pollfd){ .fd = mappings_fd(&t->maps), .events = POLLIN };
	}
	if (output_input_fd(&t->output) >= 0) {
		idx[n] = INPUT_POLL;
		pfds[n++] = (struct pollfd){ .fd = output_input_fd(&t->output), .events = POLLIN };
	}
	for (i = 0; i < t->ntargets && n < max; i++) {
		if (t->targets[i].pidfd < 0)
			continue;
		idx[n] = i;
		pfds[n++] = (struct pollfd){ .fd = t->targets[i].pidfd, .events = POLLIN };
	}
	return n;
}

static int run(struct tracer *t)
{
	uint64_t next_report, next_maint, interval_ms, start;
	long reports = 0;

	interval_ms = (uint64_t)(t->opts.interval_s * 1000);
	start = mono_ms();
	next_report = start + interval_ms;
	next_maint = start + MAINT_FAST_MS;
	for (;;) {
		struct pollfd pfds[MAX_TARGET_PIDS + 3];
		size_t idx[MAX_TARGET_PIDS + 3], npfd;
		uint64_t now = mono_ms(), wake;
		bool stop;

		wake = next_report < next_maint ? next_report : next_maint;
		npfd = fill_pollfds(t, pfds, idx, MAX_TARGET_PIDS + 3);
		if (poll(pfds, npfd, wake > now ? (int)(wake - now) : 0) < 0 && errno != EINTR)
			return EXIT_RUNTIME;
		stop = handle_events(t, pfds, npfd, idx);
		now = mono_ms();
		if (t->maintain_soon) {
			t->maintain_soon = false;
			next_maint = now;
		}
		if (!stop && now >= next_maint) {
			maintain(t);
			next_maint = now + (now - start < MAINT_FAST_PERIOD_MS
					    ? MAINT_FAST_MS : MAINT_SLOW_MS);
			stop = targets_done(t);
		}
		if (stop)
			return report(t, true) ? EXIT_RUNTIME : EXIT_OK;
		if (t->report_now) {
			/* Out of turn: neither counted in COUNT nor moving the schedule. */
			t->report_now = false;
			if (report(t, false))
				return EXIT_RUNTIME;
		}
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

int loop_run(struct tracer *t)
{
	struct attach_counts c;

	if (setup_signals(t))
		return EXIT_RUNTIME;
	attach_counts(t->att, &c);
	verbose_msg(1, "tracing %zu process(es), %zu allocator probes, %zu mapping and "
		    "process probes; reports every %g s", t->ntargets, c.allocator_probes,
		    c.mapping_probes, t->opts.interval_s);
	return run(t);
}
