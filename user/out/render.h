/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Renderers: one file each, all reading the same struct report, and the
 * table of output formats (render.c) that --format, the output files and
 * the dispatch below all go by.  A new format is a value here, its
 * functions in a file of its own and one row of the table.
 */
#ifndef MEMLEAK_RENDER_H
#define MEMLEAK_RENDER_H

#include <stdio.h>
#include "analyze/report.h"

enum output_format {
	FORMAT_TEXT = 0,
	FORMAT_JSON,
	FORMAT_FOLDED,  /* one line per stack: frames outermost first, bytes */
	FORMAT_PPROF,   /* gzipped profile.proto */
	FORMAT_PROMETHEUS, /* Prometheus text exposition (--listen's /metrics) */
	FORMAT__MAX,
};

/* Human-readable report. */
int render_text(FILE *out, const struct report *r);
/* One JSON object on one line (the documented contract, README "JSON output"). */
int render_json(FILE *out, const struct report *r);
/* Folded stacks (flame-graph input): "outer;...;inner BYTES" per stack. */
int render_folded(FILE *out, const struct report *r);
/* A gzipped pprof profile.proto of the report. */
int render_pprof(FILE *out, const struct report *r);
/* Prometheus text format: processes, top stacks per process, losses, cost. */
int render_metrics(FILE *out, const struct report *r);
/* The Kubernetes pod UID in a cgroup path (the pod_uid label); false if none. */
bool metrics_pod_uid(const char *cgroup, char *uid, size_t len);

/* The OOM killer chose a traced process. Unknown strings NULL, sizes -1. */
struct oom_event {
	pid_t pid;
	char comm[17];
	uint64_t anon_rss_bytes;
	const char *cgroup;          /* memory cgroup path */
	int64_t cgroup_limit_bytes;
	int64_t cgroup_usage_bytes;
};

/* {"type":"oom_kill",...,"report":{...the victim's report...}} */
int render_json_oom(FILE *out, const struct oom_event *o, const struct report *r);
/* A banner, then the victim's report. */
int render_text_oom(FILE *out, const struct oom_event *o, const struct report *r);
int render_oom(FILE *out, enum output_format fmt, const struct oom_event *o,
	       const struct report *r);

/* A traced process exited (--follow, --comm, --cgroup): what it still held. */
struct exit_event {
	struct timespec time;
	pid_t pid;
	pid_t ppid;          /* traced parent, 0 = none */
	char comm[17];
	uint64_t outstanding_bytes;
	uint64_t outstanding_allocs;
	bool respawn;
	pid_t host_pid;      /* as the host's pid namespace numbers it; 0 = unknown */
	const struct k8s_identity *k8s; /* its pod and container; NULL = none known */
};

int render_json_exit(FILE *out, const struct exit_event *e);
int render_text_exit(FILE *out, const struct exit_event *e);
int render_exit(FILE *out, enum output_format fmt, const struct exit_event *e);

/* One row of the format table. */
struct renderer {
	const char *name;      /* the --format value */
	const char *help;      /* for --help, after the name; NULL = none */
	const char *ext;       /* file name extension in --output-dir */
	/*
	 * A profile (folded, pprof) holds exactly one report: one file per
	 * report in --output-dir, --output FILE replaced at each report, only
	 * the final report on stdout (concatenated profiles are no profile).
	 * Other formats are streams of records appended as they come.
	 */
	bool one_report_per_file;
	int (*report)(FILE *out, const struct report *r);
	/* The OOM killer chose a traced process: its record and report. */
	int (*oom)(FILE *out, const struct oom_event *o, const struct report *r);
	/* A traced process exited; NULL: the format keeps no such record. */
	int (*exit)(FILE *out, const struct exit_event *e);
};

/* The row of fmt; NULL past the last one (for (f = 0; renderer_of(f); f++)). */
const struct renderer *renderer_of(enum output_format fmt);

/* The format named name (--format); false if there is none. */
bool renderer_by_name(const char *name, enum output_format *fmt);

/* Dispatch on format; returns 0 or -errno from the stream. */
int render_report(FILE *out, enum output_format fmt, const struct report *r);

/* Names of kinds and stats as used in every output. */
const char *kind_name(unsigned int kind);
const char *stat_name(unsigned int stat);
const char *sort_name(enum stack_sort sort);
/* The stat counts something lost (README "stats.lost"). */
bool stat_is_loss(unsigned int stat);

#endif
