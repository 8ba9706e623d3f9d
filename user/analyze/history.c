// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-stack history and the leak score.
 *
 * Growth is the least-squares slope of outstanding bytes over time, over
 * the stack's whole history.  Size alone says nothing about a leak, and
 * neither does the slope alone: a cache that filled to its cap in the
 * first seconds has a large slope over a window that includes its filling.
 * So the score discounts the slope by two measures of steadiness:
 *
 *   score = max(slope, 0) * R^2 * freshness^2           (bytes per minute)
 *
 * R^2 (0..1) is how well a straight line explains the samples: about 1 for
 * a steady leak, low for a step (a cache that filled then stayed) or for
 * noise.  freshness (0..1) is how recently the stack reached its highest
 * value, as a fraction of the time it has been watched: 1 when it is at a
 * new high now, as a leak always is, and falling towards 0 the longer a
 * full cache stays flat.  It is squared so that a big cache drops below a
 * small leak within a few reports of going flat rather than a few dozen.
 * A leak growing in steps keeps a high R^2 and a freshness no lower than
 * one step's share of the watched time.
 *
 * For a steady leak the score is its growth rate.  A cache ten times what
 * a 40 KiB/s leak holds after a minute, filled in the first 3 of 60
 * one-second reports, has a steeper slope over the minute than the leak
 * but a score over 500 times lower (tests/unit/test_history.c).  With
 * fewer than HISTORY_MIN_FIT samples there is no score (0).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "analyze/history.h"
#include "lib/util.h"

struct history_entry {
	uint64_t id;
	uint64_t report;      /* number of the report that last showed it */
	uint32_t missed;      /* reports in a row without it */
	uint32_t n;           /* samples held */
	double peak;          /* highest bytes seen */
	float t_peak;         /* when first at peak */
	float t[HISTORY_SAMPLES];      /* seconds since the history began */
	double bytes[HISTORY_SAMPLES];
};

struct history {
	struct history_entry *entries;  /* dense */
	size_t n, cap, max;
	uint32_t *index;                /* open addressing: entry index + 1, 0 = free */
	size_t index_cap;               /* power of two, >= 2 * n */
	uint64_t t0_ns;
	bool started;
	float now;                      /* time of the report begun */
	uint64_t report;
	uint64_t untracked;
};

static size_t slot_of(uint64_t id, size_t cap)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id & (cap - 1);
}

/* Index capacity for n entries: a power of two, at most half full. */
static size_t index_cap_for(size_t n)
{
	size_t cap = 128;

	while (cap < 2 * n)
		cap *= 2;
	return cap;
}

/* On failure the index is dropped; the next insert rebuilds it. */
static int rebuild_index(struct history *h, size_t cap)
{
	uint32_t *idx = calloc(cap, sizeof(*idx));
	size_t i, s;

	if (!idx) {
		free(h->index);
		h->index = NULL;
		h->index_cap = 0;
		return -ENOMEM;
	}
	for (i = 0; i < h->n; i++) {
		for (s = slot_of(h->entries[i].id, cap); idx[s]; s = (s + 1) & (cap - 1))
			;
		idx[s] = (uint32_t)i + 1;
	}
	free(h->index);
	h->index = idx;
	h->index_cap = cap;
	return 0;
}

static struct history_entry *find(const struct history *h, uint64_t id)
{
	size_t s;

	if (!h->index_cap)
		return NULL;
	for (s = slot_of(id, h->index_cap); h->index[s]; s = (s + 1) & (h->index_cap - 1))
		if (h->entries[h->index[s] - 1].id == id)
			return &h->entries[h->index[s] - 1];
	return NULL;
}

static struct history_entry *insert(struct history *h, uint64_t id)
{
	struct history_entry *e;
	size_t s;

	if (h->n == h->max ||
	    array_reserve((void **)&h->entries, &h->cap, h->n + 1, sizeof(*h->entries)))
		return NULL;
	if ((h->n + 1) * 2 > h->index_cap && rebuild_index(h, index_cap_for(h->n + 1)))
		return NULL;
	e = &h->entries[h->n];
	memset(e, 0, offsetof(struct history_entry, t));
	e->id = id;
	for (s = slot_of(id, h->index_cap); h->index[s]; s = (s + 1) & (h->index_cap - 1))
		;
	h->index[s] = (uint32_t)h->n + 1;
	h->n++;
	return e;
}

struct history *history_new(size_t max_stacks)
{
	struct history *h = calloc(1, sizeof(*h));

	if (h)
		h->max = max_stacks ? max_stacks : 1;
	return h;
}

void history_free(struct history *h)
{
	if (!h)
		return;
	free(h->entries);
	free(h->index);
	free(h);
}

void history_begin(struct history *h, uint64_t now_ns)
{
	if (!h->started) {
		h->t0_ns = now_ns;
		h->started = true;
	}
	h->now = now_ns > h->t0_ns ? (float)((now_ns - h->t0_ns) / 1e9) : 0;
	h->report++;
}

/* Full: keep every other sample of the older half (coarser old history). */
static void downsample(struct history_entry *e)
{
	size_t i, j = 0, half = HISTORY_SAMPLES / 2;

	for (i = 0; i < HISTORY_SAMPLES; i++) {
		if (i < half && i % 2)
			continue;
		e->t[j] = e->t[i];
		e->bytes[j] = e->bytes[i];
		j++;
	}
	e->n = (uint32_t)j;
}

static void append(struct history_entry *e, float t, double bytes)
{
	if (e->n == HISTORY_SAMPLES)
		downsample(e);
	e->t[e->n] = t;
	e->bytes[e->n] = bytes;
	e->n++;
	if (e->n == 1 || bytes > e->peak) {
		e->peak = bytes;
		e->t_peak = t;
	}
}

void history_fit(const float *t, const double *bytes, size_t n, float t_peak,
		 struct growth *g)
{
	double tm = 0, bm = 0, sxx = 0, sxy = 0, syy = 0, slope, span;
	size_t i;

	memset(g, 0, sizeof(*g));
	if (n < 2)
		return;
	for (i = 0; i < n; i++) {
		tm += t[i];
		bm += bytes[i];
	}
	tm /= n;
	bm /= n;
	for (i = 0; i < n; i++) {
		double dt = t[i] - tm, db = bytes[i] - bm;

		sxx += dt * dt;
		sxy += dt * db;
		syy += db * db;
	}
	if (sxx <= 0)
		return;
	slope = sxy / sxx;
	g->bytes_per_min = slope * 60;
	g->r2 = syy > 0 ? sxy * sxy / (sxx * syy) : 0;
	span = (double)t[n - 1] - t[0];
	g->freshness = span > 0 ? 1 - ((double)t[n - 1] - t_peak) / span : 0;
	if (g->freshness < 0)
		g->freshness = 0;
	if (g->freshness > 1)
		g->freshness = 1;
	if (n >= HISTORY_MIN_FIT && slope > 0)
		g->score = g->bytes_per_min * g->r2 * g->freshness * g->freshness;
}

int history_record(struct history *h, uint64_t id, uint64_t bytes, struct growth *g)
{
	struct history_entry *e;

	memset(g, 0, sizeof(*g));
	if (!h->index_cap && h->n && rebuild_index(h, index_cap_for(h->n)))
		return -ENOMEM;
	e = find(h, id);
	if (!e) {
		e = insert(h, id);
		if (!e) {
			h->untracked++;
			return -ENOSPC;
		}
	}
	/* Two stacks of one identity (a 64-bit hash collision): first one wins. */
	if (e->report != h->report) {
		e->report = h->report;
		e->missed = 0;
		append(e, h->now, (double)bytes);
	}
	history_fit(e->t, e->bytes, e->n, e->t_peak, g);
	return 0;
}

void history_end(struct history *h)
{
	size_t i, j = 0;

	for (i = 0; i < h->n; i++) {
		struct history_entry *e = &h->entries[i];

		if (e->report != h->report) {
			/* Not shown: it holds nothing that passes the filters now. */
			if (++e->missed > HISTORY_GRACE)
				continue;
			append(e, h->now, 0);
		}
		if (i != j)
			h->entries[j] = *e;
		j++;
	}
	if (j != h->n) {
		h->n = j;
		rebuild_index(h, index_cap_for(j));
	}
}

size_t history_size(const struct history *h)
{
	return h->n;
}

uint64_t history_untracked(const struct history *h)
{
	return h->untracked;
}
