// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report for a person at a terminal: a header saying what was filtered,
 * the traced processes, the ranked stacks, then the counters and every loss.
 * Losses are printed in every report, "lost: none" included, so that a
 * quiet report can be trusted to be complete.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "out/render.h"
#include "out/units.h"

/* Past this many pids a stack line lists the count only. */
#define MAX_PIDS_SHOWN 8

/*
 * Names come from the traced program (comm, symbols, paths): a control
 * character in one must not move the cursor or recolour the terminal.
 */
static char clean_char(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f ? '?' : c;
}

static void put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		putc(clean_char(*s), out);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_header(FILE *out, const struct report *r)
{
	char clock[16] = "??:??:??", age[UNITS_BUF_LEN];
	time_t sec = r->time.tv_sec;
	struct tm tm;

	if (localtime_r(&sec, &tm))
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	fprintf(out, "[%s] memleakbpf %s (", clock, r->final ? "final report" : "report");

	if (r->min_age_ms)
		fprintf(out, "allocations older than %s",
			format_age_ms(age, sizeof(age), r->min_age_ms));
	else
		fputs("all outstanding allocations", out);

	if (r->min_size && r->max_size != UINT64_MAX)
		fprintf(out, ", sizes %" PRIu64 "-%" PRIu64 " bytes", r->min_size, r->max_size);
	else if (r->min_size)
		fprintf(out, ", sizes >= %" PRIu64 " bytes", r->min_size);
	else if (r->max_size != UINT64_MAX)
		fprintf(out, ", sizes <= %" PRIu64 " bytes", r->max_size);
	if (r->sample_bytes)
		fprintf(out, ", sampled every %s: ~ marks estimates",
			format_bytes_human(age, sizeof(age), r->sample_bytes));

	if (r->nstacks < r->stacks_matched)
		fprintf(out, ", top %zu of %zu stacks)\n", r->nstacks, r->stacks_matched);
	else
		fprintf(out, ", %zu %s)\n", r->nstacks, plural(r->nstacks, "stack", "stacks"));
}

/* A size that may be unknown (-1): "-" then. */
static void format_optional(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		format_bytes_human(buf, len, (uint64_t)v);
}

/* A signed size: "+1.2 KiB", "-4.0 KiB", "0 B". */
static void format_signed(char *buf, size_t len, int64_t v)
{
	char abs[UNITS_BUF_LEN];

	format_bytes_human(abs, sizeof(abs), v < 0 ? (uint64_t)-v : (uint64_t)v);
	snprintf(buf, len, "%s%s", v > 0 ? "+" : v < 0 ? "-" : "", abs);
}

/* "  pod NS/NAME container C": names checked by procs/k8s.c (DNS names only). */
static void put_pod(FILE *out, const struct k8s_identity *k)
{
	if (!k || !*k->pod)
		return;
	fprintf(out, "  pod %s/%s", k->ns, k->pod);
	if (*k->container)
		fprintf(out, " container %s", k->container);
}

static void print_process(FILE *out, const struct process_report *p)
{
	/* One more than comm, which need not hold its own NUL. */
	char comm[sizeof(p->comm) + 1], rss[UNITS_BUF_LEN], outstanding[UNITS_BUF_LEN];
	char backing[UNITS_BUF_LEN], mapped[UNITS_BUF_LEN];
	char growth[UNITS_BUF_LEN + 1], rss_growth[UNITS_BUF_LEN + 1];
	size_t i, len = strnlen(p->comm, sizeof(p->comm));

	/* Cleaned into a buffer rather than streamed, so the column pads. */
	for (i = 0; i < len; i++)
		comm[i] = clean_char(p->comm[i]);
	comm[len] = '\0';

	if (p->rss_bytes < 0)
		snprintf(rss, sizeof(rss), "-");
	else
		format_bytes_human(rss, sizeof(rss), (uint64_t)p->rss_bytes);
	format_bytes_human(outstanding, sizeof(outstanding), p->outstanding_bytes);
	format_optional(backing, sizeof(backing), p->backing_bytes);
	format_optional(mapped, sizeof(mapped), p->mapped_bytes);
	format_signed(growth, sizeof(growth), p->growth_bytes);
	format_signed(rss_growth, sizeof(rss_growth), p->rss_growth_bytes);

	fprintf(out, "  %-8d %-16s %-10s %-11s %-12s %-11s %-9" PRIu64 " %-12s %s",
		(int)p->pid, comm, rss, rss_growth, outstanding, growth,
		p->outstanding_allocs, backing, mapped);
	if (p->ns_pid > 0)
		fprintf(out, "  ns-pid %d", (int)p->ns_pid);
	/* The tracer runs in a pid namespace of its own: the kernel's pid too. */
	if (p->host_pid > 0 && p->host_pid != p->pid)
		fprintf(out, "  host-pid %d", (int)p->host_pid);
	put_pod(out, p->k8s);
	if (p->ppid > 0)
		fprintf(out, "  child of %d", (int)p->ppid);
	if (p->respawn)
		fputs("  respawn", out);
	fputs(p->exited ? "  exited\n" : "\n", out);
}

static void print_processes(FILE *out, const struct report *r)
{
	size_t i;

	if (!r->nprocs) {
		fputs("  no traced processes\n", out);
		return;
	}
	/*
	 * What the RSS is made of: live malloc blocks, the allocator's own
	 * heap and arenas, and mappings the program made itself; growth of
	 * the RSS since attach and of the live blocks since the last report.
	 */
	fprintf(out, "  %-8s %-16s %-10s %-11s %-12s %-11s %-9s %-12s %s\n", "PID", "COMM",
		"RSS", "RSS-GROWTH", "MALLOC-LIVE", "GROWTH", "ALLOCS", "ALLOC-HEAP", "MAPPED");
	for (i = 0; i < r->nprocs; i++)
		print_process(out, &r->procs[i]);
}

static void print_pids(FILE *out, const struct stack_report *s)
{
	size_t i;

	if (!s->npids)
		return;
	if (s->npids > MAX_PIDS_SHOWN) {
		fprintf(out, " from %zu processes", s->npids);
		return;
	}
	fprintf(out, " from %s ", plural(s->npids, "pid", "pids"));
	for (i = 0; i < s->npids; i++)
		fprintf(out, "%s%d", i ? ", " : "", (int)s->pids[i]);
}

static void print_frame(FILE *out, size_t n, const struct frame *f)
{
	/* A script frame: its runtime where the address goes, no offset. */
	if (f->runtime != MEMLEAK_RUNTIME_NATIVE) {
		fprintf(out, "      #%-2zu %-18s ", n, frame_runtime_name(f));
		put_clean(out, f->symbol ? f->symbol : "[unknown]");
		if (f->file) {
			putc(' ', out);
			put_clean(out, f->file);
			if (f->line > 0)
				fprintf(out, ":%d", f->line);
		}
		putc('\n', out);
		return;
	}
	fprintf(out, "      #%-2zu 0x%016" PRIx64 " ", n, f->addr);
	if (f->symbol) {
		put_clean(out, f->symbol);
		fprintf(out, "+0x%" PRIx64, f->offset);
	} else {
		fputs("[unknown]", out);
	}
	if (f->module) {
		fputs(" (", out);
		put_clean(out, f->module);
		/* Without a symbol, where in the module: addr2line -e takes it. */
		if (!f->symbol)
			fprintf(out, "+0x%" PRIx64, f->module_offset);
		putc(')', out);
	}
	if (f->file) {
		putc(' ', out);
		put_clean(out, f->file);
		if (f->line > 0)
			fprintf(out, ":%d", f->line);
	}
	if (f->inlined)
		fputs(" (inlined)", out);
	putc('\n', out);
}

/* A rate in bytes per minute: "+40.0 KiB/min", "-1.2 MiB/min". */
static void format_rate(char *buf, size_t len, double bytes_per_min)
{
	format_signed(buf, len, (int64_t)(bytes_per_min + (bytes_per_min < 0 ? -0.5 : 0.5)));
}

/* Growth and leak score, once the history has something to say. */
static void print_growth(FILE *out, const struct stack_report *s)
{
	char rate[UNITS_BUF_LEN + 1], score[UNITS_BUF_LEN + 1];

	if (s->growth_bytes_per_min == 0 && s->score == 0)
		return;
	format_rate(rate, sizeof(rate), s->growth_bytes_per_min);
	format_rate(score, sizeof(score), s->score);
	/* The score is a rate too: the growth that looks sustained. */
	fprintf(out, ", growth %s/min, score %s/min", rate, score[0] == '+' ? score + 1 : score);
}

static void print_stack(FILE *out, const struct stack_report *s)
{
	char age[UNITS_BUF_LEN];
	size_t i;

	fprintf(out, "  %s%" PRIu64 " %s in %" PRIu64 " %s (%s%s%s)", s->estimated ? "~" : "",
		s->bytes, plural(s->bytes, "byte", "bytes"), s->allocs,
		plural(s->allocs, "allocation", "allocations"), kind_name(s->kind),
		s->slab_cache[0] ? " " : "", s->slab_cache);
	print_pids(out, s);
	if (s->oldest_age_ms >= 0)
		fprintf(out, ", oldest %s",
			format_age_ms(age, sizeof(age), (uint64_t)s->oldest_age_ms));
	print_growth(out, s);
	putc('\n', out);

	if (s->stack_lost) {
		fputs("      [stack not recorded]\n", out);
		return;
	}
	if (!s->nframes)
		fputs("      [empty stack]\n", out);
	for (i = 0; i < s->nframes; i++)
		print_frame(out, i, &s->frames[i]);
	if (s->truncated)
		fputs("      [stack may be truncated: the unwinder stopped before the outermost frame]\n",
		      out);
}

/* Every loss counter, in words; each non-zero one gets its own line. */
static const struct {
	unsigned int stat;
	const char *one, *many; /* what was lost */
	const char *why;
} losses[] = {
	{ MEMLEAK_STAT_ALLOC_MAP_FULL, "allocation", "allocations",
	  "not recorded: allocation map full" },
	{ MEMLEAK_STAT_STACK_MAP_FULL, "stack", "stacks", "not recorded: stack map full" },
	{ MEMLEAK_STAT_STACK_COLLISION, "stack", "stacks", "not recorded: stack hash collision" },
	{ MEMLEAK_STAT_TOTALS_FULL, "allocation", "allocations",
	  "not ranked: stack totals map full" },
	{ MEMLEAK_STAT_STALE_REPLACED, "allocation", "allocations",
	  "dropped: address reused before the free was seen" },
	{ MEMLEAK_STAT_PENDING_LOST, "allocator call", "allocator calls",
	  "not followed: no per-thread state" },
	{ MEMLEAK_STAT_EVENTS_LOST, "mapping event", "mapping events",
	  "dropped: event ring buffer full" },
	{ MEMLEAK_STAT_RETURNS_LOST, "sampled allocation", "sampled allocations",
	  "not recorded: the function's return was never seen" },
};

#define NLOSSES (sizeof(losses) / sizeof(losses[0]))

static bool any_loss(const struct report *r)
{
	size_t i;

	if (r->stats[MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES])
		return true;
	for (i = 0; i < NLOSSES; i++)
		if (r->stats[losses[i].stat])
			return true;
	return false;
}

static void print_loss(FILE *out, const struct report *r, size_t i)
{
	uint64_t n = r->stats[losses[i].stat];
	uint64_t bytes = r->stats[MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES];
	/* The byte count has no line of its own: it qualifies the count. */
	bool with_bytes = losses[i].stat == MEMLEAK_STAT_ALLOC_MAP_FULL;

	if (!n && !(with_bytes && bytes))
		return;
	fprintf(out, "  lost: %" PRIu64 " %s", n, plural(n, losses[i].one, losses[i].many));
	if (with_bytes)
		fprintf(out, " (%" PRIu64 " %s)", bytes, plural(bytes, "byte", "bytes"));
	fprintf(out, " %s\n", losses[i].why);
}

static void print_stats(FILE *out, const struct report *r)
{
	const uint64_t *st = r->stats;
	size_t i;

	fprintf(out, "  stats: %" PRIu64 " allocs, %" PRIu64 " frees, %" PRIu64 " unknown frees",
		st[MEMLEAK_STAT_ALLOCS], st[MEMLEAK_STAT_FREES], st[MEMLEAK_STAT_UNKNOWN_FREES]);
	if (st[MEMLEAK_STAT_FAILED_ALLOCS])
		fprintf(out, ", %" PRIu64 " failed allocs", st[MEMLEAK_STAT_FAILED_ALLOCS]);
	/* Not a loss: those reports read every record instead. */
	if (st[MEMLEAK_STAT_AGGREGATE_FULL])
		fprintf(out, ", %" PRIu64 " age-filtered %s summed in user space (kernel map full)",
			st[MEMLEAK_STAT_AGGREGATE_FULL],
			plural(st[MEMLEAK_STAT_AGGREGATE_FULL], "report", "reports"));
	if (!any_loss(r)) {
		fputs("; lost: none\n", out);
		return;
	}
	putc('\n', out);
	for (i = 0; i < NLOSSES; i++)
		print_loss(out, r, i);
}

/* Seconds as "1.234 s", or "-" when unknown. */
static void format_seconds(char *buf, size_t len, double s)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.3f s", s);
}

/*
 * What tracing costs: the tracer's CPU time, its BPF programs' run time
 * (spent in the traced processes, not counting the uprobe traps), its RSS
 * and the CPU time this report took to build.
 */
static void print_cost(FILE *out, const struct tracer_cost *c)
{
	char cpu[32], bpf[32], report[32], rss[UNITS_BUF_LEN];

	format_seconds(cpu, sizeof(cpu), c->user_cpu_s);
	format_seconds(bpf, sizeof(bpf), c->bpf_cpu_s);
	format_seconds(report, sizeof(report), c->report_cpu_s);
	format_optional(rss, sizeof(rss), c->rss_bytes);
	fprintf(out, "  tracer: cpu %s, bpf %s", cpu, bpf);
	if (c->bpf_cpu_s >= 0)
		fprintf(out, " in %" PRIu64 " %s", c->bpf_runs, plural(c->bpf_runs, "run", "runs"));
	fprintf(out, ", rss %s; this report %s cpu\n", rss, report);
}

/* Only when tables are in use: their kernel memory, and what did not fit. */
static void print_unwind(FILE *out, const struct report *r)
{
	const struct unwind_usage *u = &r->unwind;
	char kb[UNITS_BUF_LEN];

	if (!u->rows_capacity)
		return;
	format_bytes_human(kb, sizeof(kb), u->kernel_bytes);
	fprintf(out, "  unwind: %s, %" PRIu64 " of %" PRIu64 " table rows, %" PRIu64
		" %s, %s of kernel memory", u->mode, u->rows_used, u->rows_capacity,
		u->objects, plural(u->objects, "object", "objects"), kb);
	if (u->objects_no_room)
		fprintf(out, "; %" PRIu64 " %s did not fit (frame pointers there)",
			u->objects_no_room, plural(u->objects_no_room, "table", "tables"));
	putc('\n', out);
}

int render_text(FILE *out, const struct report *r)
{
	size_t i;

	if (!out || !r)
		return -EINVAL;
	print_header(out, r);
	print_processes(out, r);
	if (!r->nstacks)
		fputs("  no outstanding allocations match the filters\n", out);
	for (i = 0; i < r->nstacks; i++)
		print_stack(out, &r->stacks[i]);
	print_stats(out, r);
	print_cost(out, &r->cost);
	print_unwind(out, r);
	/* A blank line between periodic reports, and out now, not at exit. */
	putc('\n', out);
	if (fflush(out) == EOF)
		return errno ? -errno : -EIO;
	return ferror(out) ? -EIO : 0;
}

int render_text_oom(FILE *out, const struct oom_event *o, const struct report *r)
{
	char rss[UNITS_BUF_LEN], lim[UNITS_BUF_LEN], use[UNITS_BUF_LEN];

	format_bytes_human(rss, sizeof(rss), o->anon_rss_bytes);
	format_optional(lim, sizeof(lim), o->cgroup_limit_bytes);
	format_optional(use, sizeof(use), o->cgroup_usage_bytes);
	fputs("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n", out);
	fprintf(out, "!!! OOM KILL: pid %d (", (int)o->pid);
	put_clean(out, o->comm);
	fprintf(out, ") chosen by the OOM killer, anon RSS %s\n", rss);
	if (o->cgroup) {
		fputs("!!! memory cgroup ", out);
		put_clean(out, o->cgroup);
		fprintf(out, ": limit %s, usage %s\n", lim, use);
	}
	fputs("!!! what it held, by allocation stack:\n", out);
	return render_text(out, r);
}

int render_text_exit(FILE *out, const struct exit_event *e)
{
	struct tm tm;
	char when[16];

	localtime_r(&e->time.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out, "[%s] pid %d (", when, (int)e->pid);
	put_clean(out, e->comm);
	fprintf(out, ")%s", e->respawn ? " [respawned worker]" : "");
	put_pod(out, e->k8s);
	fprintf(out, " exited holding %" PRIu64 " bytes in %" PRIu64 " allocations\n",
		e->outstanding_bytes, e->outstanding_allocs);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
