// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A report in the Prometheus text exposition format (version 0.0.4): what
 * --listen serves at /metrics, and --format prometheus writes for
 * node_exporter's textfile collector.  Names and units follow Prometheus's
 * conventions: base units (bytes, seconds), counters end in _total.
 *
 * Cardinality is bounded by the report: one series per traced process and
 * metric, and per process at most r->metrics_stacks of the report's
 * ranked stacks (themselves at most --top).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "analyze/stack_identity.h"
#include "cli/version.h"
#include "out/render.h"

/* A label value: backslash, double quote and newline escaped. */
static void put_label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			putc(*s, out);
	}
}

static void put_label(FILE *out, bool *first, const char *name, const char *value)
{
	fprintf(out, "%s%s=\"", *first ? "" : ",", name);
	put_label_value(out, value);
	putc('"', out);
	*first = false;
}

static void header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * The pod's UID in a Kubernetes cgroup path: "pod" followed by the UID
 * right after a '/' or a '-' (cgroupfs "/kubepods/burstable/pod<uid>",
 * systemd "kubepods-burstable-pod<uid with _>.slice").  False when the
 * path names no pod.
 */
bool metrics_pod_uid(const char *cgroup, char *uid, size_t len)
{
	const char *p;
	size_t n;

	for (p = cgroup; p && (p = strstr(p, "pod")); p += 3) {
		if (p == cgroup || (p[-1] != '/' && p[-1] != '-'))
			continue;
		for (n = 0; p[3 + n] && (strchr("0123456789abcdefABCDEF-_", p[3 + n])); n++)
			;
		if (n < 8 || n >= len || (p[3 + n] && p[3 + n] != '/' && p[3 + n] != '.'))
			continue;
		memcpy(uid, p + 3, n);
		uid[n] = '\0';
		/* systemd's slice names cannot hold '-': it wrote '_'. */
		for (n = 0; uid[n]; n++)
			if (uid[n] == '_')
				uid[n] = '-';
		return true;
	}
	return false;
}

/* A label unless its value is unknown (""): a Kubernetes one. */
static void put_known_label(FILE *out, bool *first, const char *name, const char *value)
{
	if (value[0])
		put_label(out, first, name, value);
}

/*
 * {pid="..",comm="..",cgroup="..",pod_uid="..",k8s_namespace="..",...} of
 * a process: the pod's names where the node's kubelet files give them
 * (procs/k8s.c), else at least the pod UID its cgroup path holds.
 */
static void process_labels(FILE *out, const struct process_report *p)
{
	char pid[16], uid[64];
	bool first = true;

	snprintf(pid, sizeof(pid), "%d", (int)p->pid);
	putc('{', out);
	put_label(out, &first, "pid", pid);
	put_label(out, &first, "comm", p->comm);
	if (p->cgroup) {
		put_label(out, &first, "cgroup", p->cgroup);
		if (metrics_pod_uid(p->cgroup, uid, sizeof(uid)))
			put_label(out, &first, "pod_uid", uid);
	}
	if (p->k8s) {
		put_known_label(out, &first, "k8s_namespace", p->k8s->ns);
		put_known_label(out, &first, "k8s_pod", p->k8s->pod);
		put_known_label(out, &first, "k8s_container", p->k8s->container);
		put_known_label(out, &first, "container_id", p->k8s->container_id);
		put_known_label(out, &first, "node", p->k8s->node);
	}
	putc('}', out);
}

/* One gauge per process; value < 0 (unknown) leaves the process out. */
static void process_gauge(FILE *out, const struct report *r, const char *name,
			  const char *help, int64_t (*value)(const struct process_report *),
			  double scale)
{
	size_t i;

	header(out, name, "gauge", help);
	for (i = 0; i < r->nprocs; i++) {
		int64_t v = value(&r->procs[i]);

		if (v < 0 && scale == 1)
			continue;
		fputs(name, out);
		process_labels(out, &r->procs[i]);
		if (scale == 1)
			fprintf(out, " %" PRId64 "\n", v);
		else
			fprintf(out, " %.17g\n", (double)v * scale);
	}
}

static int64_t outstanding_bytes(const struct process_report *p)
{
	return (int64_t)p->outstanding_bytes;
}

static int64_t outstanding_allocs(const struct process_report *p)
{
	return (int64_t)p->outstanding_allocs;
}

static int64_t growth_bytes(const struct process_report *p)
{
	return p->growth_bytes;
}

static int64_t rss_bytes(const struct process_report *p)
{
	return p->rss_bytes;
}

static int64_t backing_bytes(const struct process_report *p)
{
	return p->backing_bytes;
}

static int64_t mapped_bytes(const struct process_report *p)
{
	return p->mapped_bytes;
}

static void processes(FILE *out, const struct report *r)
{
	process_gauge(out, r, "memleakbpf_process_outstanding_bytes",
		      "Bytes allocated since attach and not freed (every live allocation).",
		      outstanding_bytes, 1);
	process_gauge(out, r, "memleakbpf_process_outstanding_allocations",
		      "Allocations made since attach and not freed.", outstanding_allocs, 1);
	process_gauge(out, r, "memleakbpf_process_growth_bytes_per_second",
		      "Change of outstanding bytes since the previous report, per second.",
		      growth_bytes, r->interval_s > 0 ? 1 / r->interval_s : 0);
	process_gauge(out, r, "memleakbpf_process_rss_bytes",
		      "Resident set size of the process.", rss_bytes, 1);
	process_gauge(out, r, "memleakbpf_process_allocator_heap_bytes",
		      "Heap and arenas the allocator mapped (brk, mmap inside malloc) since attach.",
		      backing_bytes, 1);
	process_gauge(out, r, "memleakbpf_process_mapped_bytes",
		      "Anonymous mappings and brk the program made itself since attach.",
		      mapped_bytes, 1);
}

/* The first frame outside the allocator: the libc wrapper of a mapping is not. */
static void function_name(const struct stack_report *s, char *buf, size_t len)
{
	const struct frame *f;
	const char *base;

	if (s->stack_lost || !s->nframes) {
		snprintf(buf, len, "[stack lost]");
		return;
	}
	f = &s->frames[s->kind != MEMLEAK_KIND_MALLOC && s->nframes > 1 ? 1 : 0];
	if (f->symbol)
		snprintf(buf, len, "%s", f->symbol);
	else if (f->module)
		snprintf(buf, len, "%s+0x%" PRIx64,
			 (base = strrchr(f->module, '/')) ? base + 1 : f->module,
			 f->module_offset);
	else
		snprintf(buf, len, "0x%" PRIx64, f->addr);
}

/* Per process, its first metrics_stacks stacks in the report's ranking. */
static void stacks(FILE *out, const struct report *r)
{
	unsigned int *shown = calloc(r->nprocs ? r->nprocs : 1, sizeof(*shown));
	char id[20], pid[16], fn[512];
	size_t i, j, k;

	header(out, "memleakbpf_stack_outstanding_bytes", "gauge",
	       "Outstanding bytes of one of the process's top stacks (the report's ranking).");
	for (i = 0; shown && i < r->nstacks; i++) {
		const struct stack_report *s = &r->stacks[i];

		snprintf(id, sizeof(id), "%016" PRIx64, stack_identity(s));
		function_name(s, fn, sizeof(fn));
		for (j = 0; j < s->npids; j++) {
			bool first = true;

			for (k = 0; k < r->nprocs && r->procs[k].pid != s->pids[j]; k++)
				;
			if (k < r->nprocs && shown[k]++ >= r->metrics_stacks)
				continue;
			snprintf(pid, sizeof(pid), "%d", (int)s->pids[j]);
			fputs("memleakbpf_stack_outstanding_bytes{", out);
			put_label(out, &first, "pid", pid);
			put_label(out, &first, "stack", id);
			put_label(out, &first, "function", fn);
			put_label(out, &first, "kind", kind_name(s->kind));
			fprintf(out, "} %" PRIu64 "\n",
				s->pid_bytes ? s->pid_bytes[j] : s->npids == 1 ? s->bytes : 0);
		}
	}
	free(shown);
}

static void counters(FILE *out, const struct report *r)
{
	static const unsigned int calls[] = {
		MEMLEAK_STAT_ALLOCS, MEMLEAK_STAT_FREES, MEMLEAK_STAT_UNKNOWN_FREES,
		MEMLEAK_STAT_FAILED_ALLOCS, MEMLEAK_STAT_NESTED_CALLS,
	};
	unsigned int i;

	header(out, "memleakbpf_calls_total", "counter",
	       "Allocator calls seen since attach, by what they were.");
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		fprintf(out, "memleakbpf_calls_total{call=\"%s\"} %" PRIu64 "\n",
			stat_name(calls[i]), r->stats[calls[i]]);
	header(out, "memleakbpf_lost_total", "counter",
	       "Events not accounted, by reason (README \"stats.lost\").");
	for (i = 0; i < MEMLEAK_STAT__MAX; i++) {
		if ((!stat_is_loss(i) && i != MEMLEAK_STAT_RETURNS_LOST) ||
		    i == MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES)
			continue;
		fprintf(out, "memleakbpf_lost_total{reason=\"%s\"} %" PRIu64 "\n",
			stat_name(i), r->stats[i]);
	}
	header(out, "memleakbpf_lost_bytes_total", "counter",
	       "Bytes of allocations not tracked, by reason.");
	fprintf(out, "memleakbpf_lost_bytes_total{reason=\"%s\"} %" PRIu64 "\n",
		stat_name(MEMLEAK_STAT_ALLOC_MAP_FULL), r->stats[MEMLEAK_STAT_ALLOC_MAP_FULL_BYTES]);
	header(out, "memleakbpf_aggregate_fallbacks_total", "counter",
	       "Age-filtered reports summed in user space (not a loss).");
	fprintf(out, "memleakbpf_aggregate_fallbacks_total %" PRIu64 "\n",
		r->stats[MEMLEAK_STAT_AGGREGATE_FULL]);
}

static void tracer(FILE *out, const struct report *r)
{
	const struct tracer_cost *c = &r->cost;

	header(out, "memleakbpf_build_info", "gauge", "The tracer's build: always 1.");
	fprintf(out, "memleakbpf_build_info{version=\"%s\",git=\"%s\",libbpf=\"%u.%u\","
		"mode=\"%s\"} 1\n", version_string(), version_git(), libbpf_major_version(),
		libbpf_minor_version(), r->mode ? r->mode : "precise");
	header(out, "memleakbpf_sample_period_bytes", "gauge",
	       "Sampled mode: one allocation recorded per this many bytes on average; 0 = every call.");
	fprintf(out, "memleakbpf_sample_period_bytes %" PRIu64 "\n", r->sample_bytes);
	if (c->user_cpu_s >= 0) {
		header(out, "memleakbpf_tracer_cpu_seconds_total", "counter",
		       "CPU time of the tracer process (user + system), HTTP server included.");
		fprintf(out, "memleakbpf_tracer_cpu_seconds_total %.6f\n", c->user_cpu_s);
	}
	if (c->rss_bytes >= 0) {
		header(out, "memleakbpf_tracer_resident_memory_bytes", "gauge",
		       "Resident set size of the tracer.");
		fprintf(out, "memleakbpf_tracer_resident_memory_bytes %" PRId64 "\n", c->rss_bytes);
	}
	if (c->bpf_cpu_s >= 0) {
		header(out, "memleakbpf_bpf_run_seconds_total", "counter",
		       "Run time of the tracer's BPF programs (kernel BPF stats).");
		fprintf(out, "memleakbpf_bpf_run_seconds_total %.9f\n", c->bpf_cpu_s);
		header(out, "memleakbpf_bpf_runs_total", "counter",
		       "Runs of the tracer's BPF programs.");
		fprintf(out, "memleakbpf_bpf_runs_total %" PRIu64 "\n", c->bpf_runs);
	}
	if (c->report_cpu_s >= 0) {
		header(out, "memleakbpf_report_cpu_seconds", "gauge",
		       "CPU time the last report took to build.");
		fprintf(out, "memleakbpf_report_cpu_seconds %.6f\n", c->report_cpu_s);
	}
	header(out, "memleakbpf_report_timestamp_seconds", "gauge",
	       "When the report these figures come from was taken (Unix time).");
	fprintf(out, "memleakbpf_report_timestamp_seconds %.3f\n",
		r->time.tv_sec + r->time.tv_nsec / 1e9);
	header(out, "memleakbpf_traced_processes", "gauge", "Processes in the report.");
	fprintf(out, "memleakbpf_traced_processes %zu\n", r->nprocs);
}

int render_metrics(FILE *out, const struct report *r)
{
	tracer(out, r);
	processes(out, r);
	stacks(out, r);
	counters(out, r);
	return fflush(out) == EOF || ferror(out) ? -(errno ? errno : EIO) : 0;
}
