// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-process interval set of tracked mappings (see regions.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "collect/regions.h"

/* First allocation; small, as many traced processes map little. */
#define REGIONS_MIN_CAP 16

static size_t limit(const struct region_set *s)
{
	return s->max_regions ? s->max_regions : REGIONS_DEFAULT_MAX;
}

/* start + len, saturated: a bogus length must not wrap below start. */
static uint64_t range_end(uint64_t start, uint64_t len)
{
	return len > UINT64_MAX - start ? UINT64_MAX : start + len;
}

/* The kernel's PAGE_ALIGN, saturated at the last page. */
static uint64_t page_align(uint64_t x)
{
	long v = sysconf(_SC_PAGESIZE);
	uint64_t pg = v > 0 ? (uint64_t)v : 4096;

	if (x > UINT64_MAX - (pg - 1))
		return UINT64_MAX & ~(pg - 1);
	return (x + pg - 1) & ~(pg - 1);
}

/*
 * Room for need regions.  Never beyond the bound: past it nothing is
 * stored, so the array never grows unbounded whatever the events say.
 */
static int reserve(struct region_set *s, size_t need)
{
	size_t max = limit(s), ncap;
	struct region *v;

	if (need > max)
		need = max;
	if (need <= s->cap)
		return 0;
	ncap = s->cap ? s->cap : REGIONS_MIN_CAP;
	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	v = realloc(s->v, ncap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = ncap;
	return 0;
}

/*
 * Index of the first region ending after addr (n if none).  Regions do not
 * overlap, so their ends are sorted like their starts.
 */
static size_t first_after(const struct region_set *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->v[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Everything but the range: neighbours equal in this are one mapping. */
static bool same_attr(const struct region *a, const struct region *b)
{
	return a->stack_id == b->stack_id && a->caller == b->caller &&
	       a->kind == b->kind && a->backing == b->backing &&
	       a->ts_ns == b->ts_ns;
}

static void drop(struct region_set *s, const struct region *r)
{
	s->dropped++;
	s->dropped_bytes += r->end - r->start;
}

/*
 * Store r in a hole of the set (nothing overlaps it).  An identical
 * neighbour touching it is extended instead, which costs no slot, so an
 * in-place grow or a re-joined split does not count against the bound.
 * Returns 0 or -ENOMEM; a region not stored is counted as dropped.
 */
static int insert(struct region_set *s, const struct region *r)
{
	size_t i = first_after(s, r->start);
	bool left = i > 0 && s->v[i - 1].end == r->start &&
		    same_attr(&s->v[i - 1], r);
	bool right = i < s->n && s->v[i].start == r->end &&
		     same_attr(&s->v[i], r);

	if (left && right) {
		s->v[i - 1].end = s->v[i].end;
		memmove(&s->v[i], &s->v[i + 1],
			(s->n - i - 1) * sizeof(*s->v));
		s->n--;
		return 0;
	}
	if (left) {
		s->v[i - 1].end = r->end;
		return 0;
	}
	if (right) {
		s->v[i].start = r->start;
		return 0;
	}
	if (s->n >= limit(s)) {
		drop(s, r);
		return 0;
	}
	if (reserve(s, s->n + 1)) {
		drop(s, r);
		return -ENOMEM;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = *r;
	s->n++;
	return 0;
}

static void emit(struct region *out, size_t *nout, const struct region *r,
		 uint64_t start, uint64_t end)
{
	if (!out)
		return;
	out[*nout] = *r;
	out[*nout].start = start;
	out[*nout].end = end;
	(*nout)++;
}

/*
 * Remove [start, end).  When out is given, the removed pieces (clipped to
 * the range, in address order) are appended to it; it needs one slot per
 * region meeting the range.  Returns the bytes removed.
 */
static uint64_t cut(struct region_set *s, uint64_t start, uint64_t end,
		    struct region *out, size_t *nout)
{
	uint64_t bytes = 0;
	struct region *r, tail;
	size_t i, j;

	if (start >= end)
		return 0;
	i = first_after(s, start);
	if (i == s->n || s->v[i].start >= end)
		return 0;
	r = &s->v[i];
	if (r->start < start && r->end > end) {
		/* A hole inside one region: keep both sides. */
		emit(out, nout, r, start, end);
		tail = *r;
		tail.start = end;
		r->end = start;
		insert(s, &tail);
		return end - start;
	}
	if (r->start < start) {
		emit(out, nout, r, start, r->end);
		bytes += r->end - start;
		r->end = start;
		i++;
	}
	for (j = i; j < s->n && s->v[j].end <= end; j++) {
		emit(out, nout, &s->v[j], s->v[j].start, s->v[j].end);
		bytes += s->v[j].end - s->v[j].start;
	}
	if (j < s->n && s->v[j].start < end) {
		emit(out, nout, &s->v[j], s->v[j].start, end);
		bytes += end - s->v[j].start;
		s->v[j].start = end;
	}
	memmove(&s->v[i], &s->v[j], (s->n - j) * sizeof(*s->v));
	s->n -= j - i;
	return bytes;
}

void regions_init(struct region_set *s, size_t max_regions)
{
	memset(s, 0, sizeof(*s));
	s->max_regions = max_regions ? max_regions : REGIONS_DEFAULT_MAX;
}

void regions_free(struct region_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}

int regions_map(struct region_set *s, const struct region *r)
{
	if (r->start >= r->end)
		return 0;
	/* Worst case: a split around the new range, plus the range itself. */
	if (reserve(s, s->n + 2))
		return -ENOMEM;
	cut(s, r->start, r->end, NULL, NULL);
	return insert(s, r);
}

uint64_t regions_unmap(struct region_set *s, uint64_t start, uint64_t len)
{
	return cut(s, start, range_end(start, len), NULL, NULL);
}

int regions_remap(struct region_set *s, uint64_t old, uint64_t old_len,
		  uint64_t new_addr, uint64_t new_len,
		  const struct region *grow_attr)
{
	uint64_t old_end = range_end(old, old_len);
	uint64_t new_end = range_end(new_addr, new_len);
	uint64_t keep = old_len < new_len ? old_len : new_len;
	struct region *pieces = NULL, grow, p;
	size_t i, k = 0, npieces = 0;
	bool have_grow = false;
	int err = 0;

	/* All allocation first, so that -ENOMEM leaves the set as it was. */
	for (i = first_after(s, old); i < s->n && s->v[i].start < old_end; i++)
		k++;
	if (k) {
		pieces = malloc(k * sizeof(*pieces));
		if (!pieces)
			return -ENOMEM;
	}
	/* A split at each of the two cuts, each piece again, the growth. */
	if (reserve(s, s->n + k + 3)) {
		free(pieces);
		return -ENOMEM;
	}

	cut(s, old, old_end, pieces, &npieces);
	if (new_len > old_len) {
		if (npieces) {
			grow = pieces[npieces - 1];
			have_grow = true;
		} else if (grow_attr) {
			grow = *grow_attr;
			have_grow = true;
		}
		grow.start = range_end(new_addr, old_len);
		grow.end = new_end;
	}
	/* The destination is replaced, as with MAP_FIXED. */
	cut(s, new_addr, new_end, NULL, NULL);

	for (i = 0; i < npieces; i++) {
		p = pieces[i];
		/* Pieces are in address order: the rest is past a shrink. */
		if (p.start - old >= keep)
			break;
		p.end = new_addr + (p.end - old < keep ? p.end - old : keep);
		p.start = new_addr + (p.start - old);
		if (insert(s, &p))
			err = -ENOMEM;
	}
	if (have_grow && grow.start < grow.end && insert(s, &grow))
		err = -ENOMEM;
	free(pieces);
	return err;
}

int regions_brk(struct region_set *s, uint64_t old_brk, uint64_t new_brk,
		const struct region *attr)
{
	uint64_t a = page_align(old_brk), b = page_align(new_brk);
	struct region r;

	if (b > a) {
		r = *attr;
		r.start = a;
		r.end = b;
		r.kind = MEMLEAK_KIND_BRK;
		return regions_map(s, &r);
	}
	if (b < a)
		cut(s, b, a, NULL, NULL);
	return 0;
}

uint64_t regions_bytes(const struct region_set *s, uint32_t kind, bool backing)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].kind == kind && s->v[i].backing == backing)
			sum += s->v[i].end - s->v[i].start;
	return sum;
}

int regions_foreach(const struct region_set *s,
		    int (*cb)(const struct region *r, void *ctx), void *ctx)
{
	size_t i;
	int ret;

	for (i = 0; i < s->n; i++) {
		ret = cb(&s->v[i], ctx);
		if (ret)
			return ret;
	}
	return 0;
}
