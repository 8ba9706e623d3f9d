/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where reports go: stdout, --output FILE, or --output-dir DIR with files
 * rotated by time and size and bounded in number (continuous mode); plus
 * the --html page and the --live screen, which follow every report.
 *
 * Stream formats (text, json) append records to one file per period.
 * Profiles (folded, pprof: one_report_per_file in the format table,
 * render.h) hold one report per file: one file per report in DIR, FILE
 * replaced at each report, or the final report alone on stdout
 * (concatenated profiles would not be a profile).
 */
#ifndef MEMLEAK_OUTPUT_H
#define MEMLEAK_OUTPUT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cli/options.h"
#include "analyze/report.h"
#include "out/render.h"

struct html_page;
struct live_view;

/*
 * --output FILE or --html FILE: reached through its directory, held open
 * from the start, so the file is always made or replaced in the directory
 * checked then, and never through a symbolic link at FILE.
 */
struct out_path {
	const char *path;         /* as given, for messages */
	int dirfd;                /* its directory, or -1 */
	char name[NAME_MAX + 1];  /* its last component */
};

struct output {
	const struct options *opts;
	const struct renderer *format; /* the row of opts->format */
	FILE *stream;            /* records (reports, events) go here now */
	bool stream_owned;       /* stream is a file we opened */
	int dirfd;               /* --output-dir, or -1 */
	uint64_t period_start_ms; /* CLOCK_MONOTONIC start of the current file */
	unsigned int seq;        /* file sequence number in this run */
	char name[NAME_MAX + 1]; /* current file in dirfd */
	struct out_path file;    /* --output */
	struct out_path html_file; /* --html */
	struct html_page *html;  /* --html, or NULL */
	struct live_view *live;  /* --live on a terminal, or NULL */
	char *events;            /* --live: records written since the last report */
	size_t nevents;
};

/*
 * Open what opts ask for, and check now that every output can be written
 * (a bad --html path fails here, not after the run); on failure prints one
 * line and returns -errno.
 */
int output_open(struct output *o, const struct options *opts);

/*
 * Render r everywhere it goes; rotates first when the period is over or the
 * file is full.  Returns 0 or -errno (after printing why).
 */
int output_report(struct output *o, const struct report *r);

/* SIGHUP: close and reopen the output files (after logrotate moved them). */
int output_reopen(struct output *o);

/* Terminal input of the live view: the fd to poll, or -1. */
int output_input_fd(const struct output *o);

/* Keys were typed: true when the user asked to quit. */
bool output_handle_input(struct output *o);

/* The terminal changed size: redraw the live view. */
void output_resize(struct output *o);

/* Close files, restore the terminal.  Safe to call twice. */
void output_close(struct output *o);

#endif
