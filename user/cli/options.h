/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command line: parsing and validation only, no side effects. */
#ifndef MEMLEAK_OPTIONS_H
#define MEMLEAK_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/socket.h>
#include "probes/allocators.h"
#include "out/render.h"
#include "memleak.h"

#define MAX_TARGET_PIDS 64    /* pids on the command line */

struct options {
	pid_t pids[MAX_TARGET_PIDS];
	int npids;
	const char *command;      /* -c: command line to start held, or NULL */
	double interval_s;        /* positional INTERVAL (5) */
	long count;               /* positional COUNT, 0 = until stopped */
	unsigned int top_n;       /* -T (10) */
	enum stack_sort sort;     /* --sort (growth) */
	uint64_t min_age_ms;      /* -o (500) */
	uint64_t min_size;        /* -z (0) */
	uint64_t max_size;        /* -Z (UINT64_MAX) */
	enum output_format format;
	const char *output_path;  /* --output, NULL = stdout */
	const char *output_dir;   /* --output-dir: continuous mode, rotated files */
	uint64_t rotate_interval_s; /* --rotate-interval: a new file per period */
	uint64_t rotate_size;     /* --rotate-size: or when a file reaches this */
	unsigned int rotate_keep; /* --rotate-keep: files kept per kind */
	const char *html_path;    /* --html: self-contained page, NULL = none */
	bool live;                /* --live: top-like screen on a terminal */
	const char *btf_path;     /* --btf, NULL = /sys/kernel/btf/vmlinux */
	uint32_t max_allocs;      /* --max-allocs */
	uint32_t max_stacks;      /* --max-stacks */
	bool probe_floor;         /* --probe-floor: empty probes (benchmark) */
	bool probe_at_entry;      /* --probe-at-entry: no probe placement */
	uint64_t sample_bytes;    /* --sample-bytes: mean bytes between samples, 0 = all */
	uint64_t sample_seed;     /* --sample-seed: reproducible sampling, 0 = random */
	bool no_sessions;         /* --no-sessions: sampled without uprobe sessions */
	bool growth_mode;         /* --mode growth: mappings and brk only, no malloc probes */
	bool syscalls;            /* --syscalls: mapping calls at the syscall tracepoints */
	double escalate_mb_per_min;   /* --escalate: 0 = never */
	double escalate_window_s;     /* --escalate-window (60) */
	bool follow;              /* -f: trace children from fork */
	const char *comm;         /* --comm: trace processes with this name */
	const char *cgroup;       /* --cgroup: trace processes in this cgroup */
	const char *pod;          /* --pod NAMESPACE/NAME: a pod of this node (procs/k8s.h) */
	const char *container;    /* --container: only this container of the pod */
	enum memleak_unwind_mode unwind; /* --unwind (auto) */
	int verbose;              /* -v, repeatable */
	const char *alloc_prefix;     /* --alloc-prefix: also probe PREFIXmalloc... */
	const char *allocator_object; /* --allocator-object: probe only this file */
	struct custom_fn_spec custom[ALLOC_MAX_CUSTOM]; /* --alloc-fn, --free-fn */
	int ncustom;
	bool no_script_frames;    /* --no-script-frames: native frames only */
	bool debug_files;         /* --debug-files: lines from separate debug files */
	const char *listen;       /* --listen ADDR:PORT as given, NULL = no HTTP server */
	struct sockaddr_storage listen_addr; /* --listen, parsed (IPv4 or [IPv6]) */
	socklen_t listen_addr_len;
	unsigned int metrics_stacks; /* --metrics-stacks: stacks per process in /metrics */
	bool kernel;              /* -k: kernel allocations made for the targets too */
};

/* Outcome of parsing: go on, stop successfully (--help), or usage error. */
enum parse_result {
	PARSE_OK = 0,
	PARSE_EXIT_OK,
	PARSE_ERROR,
};

/*
 * One option: a row of the table in options.c that getopt_long, the
 * defaults and --help are made from.  A row without a name is a line of
 * --help text (a section title, a note).
 */
struct cli_option {
	const char *name;         /* long name, without "--" */
	char short_name;          /* 0 = none */
	const char *arg;          /* the value's name in --help; NULL = takes none */
	const char *def;          /* default, as --help shows it and set parses it */
	const char *help;         /* '\n' between lines; NULL = help_of makes it */
	/* Check arg and store it; a one-line message in err on PARSE_ERROR. */
	enum parse_result (*set)(struct options *o, const char *arg, char *err,
				 size_t len);
	const char *(*help_of)(char *buf, size_t len); /* help made from elsewhere */
};

/* The table, in --help order (for tests). */
const struct cli_option *options_table(size_t *n);

/*
 * Parse argv into opts.  On PARSE_ERROR a one-line message is in err.
 * --help prints usage to stdout and returns PARSE_EXIT_OK.
 */
enum parse_result options_parse(struct options *opts, int argc, char **argv,
				char *err, size_t errlen);

void options_usage(FILE *out);

/* Parse "12", "4k", "1M", "2G" (powers of 1024); false on garbage/overflow. */
bool parse_size(const char *s, uint64_t *out);

#endif
