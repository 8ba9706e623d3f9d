// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Escalation from growth mode to precise probes (see escalate.h). */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "collect/records.h"
#include "probes/attach.h"
#include "procs/escalate.h"
#include "procs/procfs.h"
#include "procs/targets.h"
#include "symbols/symbolize.h"
#include "tracer.h"
#include "memleak.skel.h"

/* RSS growth is judged over this much time, so one burst is not a trend. */
#define ESCALATE_SPAN_MS 3000
/*
 * After a window, the process runs unprobed for this many windows before
 * it may be escalated again: a steady leaker is probed at most a fifth of
 * the time, which bounds what escalation costs it.
 */
#define ESCALATE_COOLDOWN_WINDOWS 4

static void escalate_start(struct tracer *t, struct target *tg, uint64_t now_ms,
			   double mb_per_min)
{
	int err;

	err = attach_escalate(t->att, tg->pid, &tg->esc_probes);
	if (err < 0) {
		verbose_msg(0, "pid %d: cannot escalate to precise probes: %s", (int)tg->pid,
			    strerror(-err));
		return;
	}
	tg->esc_until_ms = now_ms + (uint64_t)(t->opts.escalate_window_s * 1000);
	tg->escalations++;
	symbolizer_add_process(t->sym, tg->pid);
	verbose_msg(0, "pid %d (%s): RSS grows %.1f MB/min: precise probes for %.0f s",
		    (int)tg->pid, tg->comm, mb_per_min, t->opts.escalate_window_s);
}

static void escalate_stop(struct tracer *t, struct target *tg, uint64_t now_ms)
{
	struct proc_id id = { .tgid = (uint32_t)tg->host_pid, .gen = tg->gen };

	attach_deescalate(t->att, tg->pid, &tg->esc_probes);
	/* Its frees go unseen from now on: what was recorded would turn stale. */
	records_drop(bpf_map__fd(t->skel->maps.allocs),
		     bpf_map__fd(t->skel->maps.stack_totals), &id, 1);
	tg->esc_until_ms = 0;
	tg->esc_rss_ms = 0;
	tg->esc_quiet_until_ms = now_ms + (uint64_t)(ESCALATE_COOLDOWN_WINDOWS *
						     t->opts.escalate_window_s * 1000);
	verbose_msg(0, "pid %d (%s): escalation window over, probes detached", (int)tg->pid,
		    tg->comm);
}

void escalate_check(struct tracer *t, uint64_t now_ms)
{
	size_t i;

	if (!t->opts.escalate_mb_per_min)
		return;
	for (i = 0; i < t->ntargets; i++) {
		struct target *tg = &t->targets[i];
		int64_t rss;
		double rate;

		if (tg->gone || tg->exited) {
			if (tg->esc_until_ms)
				escalate_stop(t, tg, now_ms);
			continue;
		}
		if (tg->esc_until_ms) {
			if (now_ms >= tg->esc_until_ms)
				escalate_stop(t, tg, now_ms);
			continue;
		}
		if (now_ms < tg->esc_quiet_until_ms)
			continue;
		rss = procfs_rss_bytes(tg->pid);
		if (rss < 0)
			continue;
		if (!tg->esc_rss_ms || rss < tg->esc_rss) {
			tg->esc_rss = rss;
			tg->esc_rss_ms = now_ms;
			continue;
		}
		if (now_ms - tg->esc_rss_ms < ESCALATE_SPAN_MS)
			continue;
		rate = (double)(rss - tg->esc_rss) / 1e6 * 60000.0 /
		       (double)(now_ms - tg->esc_rss_ms);
		tg->esc_rss = rss;
		tg->esc_rss_ms = now_ms;
		if (rate >= t->opts.escalate_mb_per_min)
			escalate_start(t, tg, now_ms, rate);
	}
}
