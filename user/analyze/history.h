/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-stack history over reports: how the outstanding bytes of each merged
 * stack evolved, so that stacks can be ranked by sustained growth (a leak)
 * rather than by size (a full cache).
 *
 * A stack is known by its 64-bit identity (stack_identity.h: kind and
 * module-relative frames, the same in every process).  Each keeps at most
 * HISTORY_SAMPLES (time, bytes) samples covering its whole life: when they
 * are full, every other sample of the older half is dropped, so old
 * behaviour stays in the window at a coarser resolution.  A stack absent
 * from a report holds 0 bytes then; absent from more than HISTORY_GRACE
 * reports in a row, it is forgotten.  The table holds at most max_stacks
 * stacks; one more finds no room and gets no growth (history_untracked).
 */
#ifndef MEMLEAK_HISTORY_H
#define MEMLEAK_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#define HISTORY_SAMPLES 32
#define HISTORY_GRACE 4
/* A score needs this many samples: two points always lie on a line. */
#define HISTORY_MIN_FIT 3

struct history;

/* What the history says about one stack, as of its latest sample. */
struct growth {
	double bytes_per_min; /* least-squares slope; 0 with fewer than 2 samples */
	double r2;            /* how well a line explains the samples, 0..1 */
	double freshness;     /* 1 = at its highest now, 0 = peaked at first sight */
	double score;         /* max(slope, 0) * r2 * freshness^2, in bytes/min */
};

struct history *history_new(size_t max_stacks);
void history_free(struct history *h);

/* A report taken at now_ns (CLOCK_MONOTONIC) begins. */
void history_begin(struct history *h, uint64_t now_ns);

/*
 * Stack id holds bytes in the report begun: record it and fill g.  A stack
 * the full table cannot take gets an empty g (no growth known); returns
 * -ENOSPC then, else 0.
 */
int history_record(struct history *h, uint64_t id, uint64_t bytes, struct growth *g);

/* The report ends: stacks it did not show get a 0 sample or are forgotten. */
void history_end(struct history *h);

/* Stacks tracked now, and stacks that found the table full (since start). */
size_t history_size(const struct history *h);
uint64_t history_untracked(const struct history *h);

/*
 * The fit itself, over n samples (times in seconds, ascending); t_peak is
 * when the bytes first reached their highest value.  Exposed for tests.
 */
void history_fit(const float *t, const double *bytes, size_t n, float t_peak,
		 struct growth *g);

#endif
