// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The --html page: the template user/out/html/report.html (embedded at build
 * time) with the run's data injected as one JSON value where it says
 * MEMLEAK_DATA.  The page's own script draws everything; nothing is loaded
 * from the network.
 *
 * History is bounded: at most HTML_MAX_POINTS timeline points (when full,
 * every other point is dropped and from then on every other report is
 * kept), and the bytes of at most HTML_MAX_SERIES stacks, chosen among the
 * top ones; a stack that enters later replaces the one that held least.
 */
#define _GNU_SOURCE /* memmem, fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "out/html_page.h"
#include "out/json_writer.h"
#include "analyze/stack_identity.h"
#include "out/render.h"
#include "out/units.h"

/* Generated from user/out/html/report.html by xxd -i (Makefile). */
extern unsigned char report_html[];
extern unsigned int report_html_len;

#define DATA_MARKER "/*@MEMLEAK_DATA@*/null"

struct series {
	uint64_t key;                 /* identity of the stack, 0 = slot free */
	char label[160];
	int64_t bytes[HTML_MAX_POINTS]; /* -1 = not among the top stacks then */
	int64_t max;
};

struct html_page {
	int64_t t_ms[HTML_MAX_POINTS];  /* wall clock, ms since the epoch */
	int64_t total[HTML_MAX_POINTS]; /* outstanding bytes, all processes */
	int64_t rss[HTML_MAX_POINTS];   /* RSS of the live processes, -1 unknown */
	size_t npoints;
	unsigned int stride;            /* keep one report in stride */
	uint64_t reports;
	struct series series[HTML_MAX_SERIES];
	char *current;                  /* JSON of the latest report's view */
	size_t current_len;
};

struct html_page *html_page_new(void)
{
	struct html_page *p = calloc(1, sizeof(*p));

	if (p)
		p->stride = 1;
	return p;
}

void html_page_free(struct html_page *p)
{
	if (!p)
		return;
	free(p->current);
	free(p);
}

static void label_of(const struct stack_report *s, char *buf, size_t len)
{
	const struct frame *f = s->nframes ? &s->frames[0] : NULL;

	if (!f) {
		snprintf(buf, len, "[%s, stack lost]", kind_name(s->kind));
		return;
	}
	if (f->file)
		snprintf(buf, len, "%s (%s:%d)", f->symbol ? f->symbol : "?", f->file, f->line);
	else
		snprintf(buf, len, "%s", f->symbol ? f->symbol : "?");
}

static struct series *series_for(struct html_page *p, const struct stack_report *s)
{
	uint64_t key = stack_identity(s);
	struct series *least = NULL;
	size_t i;

	for (i = 0; i < HTML_MAX_SERIES; i++) {
		struct series *se = &p->series[i];

		if (se->key == key)
			return se;
		if (!least || !se->key || (least->key && se->max < least->max))
			least = se;
	}
	if (least->key && (int64_t)s->bytes <= least->max)
		return NULL;
	memset(least, 0, sizeof(*least));
	least->key = key;
	for (i = 0; i < HTML_MAX_POINTS; i++)
		least->bytes[i] = -1;
	label_of(s, least->label, sizeof(least->label));
	return least;
}

static void halve_history(struct html_page *p)
{
	size_t i, k;

	for (i = 0; 2 * i < p->npoints; i++) {
		p->t_ms[i] = p->t_ms[2 * i];
		p->total[i] = p->total[2 * i];
		p->rss[i] = p->rss[2 * i];
		for (k = 0; k < HTML_MAX_SERIES; k++)
			p->series[k].bytes[i] = p->series[k].bytes[2 * i];
	}
	p->npoints = i;
	for (k = 0; k < HTML_MAX_SERIES; k++)
		for (i = p->npoints; i < HTML_MAX_POINTS; i++)
			p->series[k].bytes[i] = -1;
	p->stride *= 2;
}

static void add_point(struct html_page *p, const struct report *r)
{
	int64_t total = 0, rss = -1;
	size_t i, n;

	if (p->npoints == HTML_MAX_POINTS)
		halve_history(p);
	n = p->npoints++;
	for (i = 0; i < r->nprocs; i++) {
		total += (int64_t)r->procs[i].outstanding_bytes;
		if (r->procs[i].rss_bytes >= 0)
			rss = (rss < 0 ? 0 : rss) + r->procs[i].rss_bytes;
	}
	p->t_ms[n] = (int64_t)r->time.tv_sec * 1000 + r->time.tv_nsec / 1000000;
	p->total[n] = total;
	p->rss[n] = rss;
	for (i = 0; i < r->nstacks && i < HTML_MAX_SERIES; i++) {
		struct series *se = series_for(p, &r->stacks[i]);

		if (!se)
			continue;
		se->bytes[n] = (int64_t)r->stacks[i].bytes;
		if (se->bytes[n] > se->max)
			se->max = se->bytes[n];
	}
}

static void write_frames(struct json_writer *w, const struct stack_report *s)
{
	size_t j;

	json_array_begin_field(w, "frames");
	for (j = 0; j < s->nframes; j++) {
		const struct frame *f = &s->frames[j];
		char addr[24];

		snprintf(addr, sizeof(addr), "0x%" PRIx64, f->addr);
		json_object_begin(w);
		json_string_field(w, "addr", addr);
		json_string_field(w, "symbol", f->symbol);
		json_string_field(w, "runtime", frame_runtime_name(f));
		json_string_field(w, "module", f->module);
		json_u64_field(w, "module_offset", f->module_offset);
		json_string_field(w, "file", f->file);
		json_i64_or_null_field(w, "line", f->line > 0 ? f->line : -1);
		json_object_end(w);
	}
	json_array_end(w);
}

static void write_stacks(struct json_writer *w, const struct report *r)
{
	size_t i, j;

	json_array_begin_field(w, "stacks");
	for (i = 0; i < r->nstacks; i++) {
		const struct stack_report *s = &r->stacks[i];

		json_object_begin(w);
		json_u64_field(w, "bytes", s->bytes);
		json_u64_field(w, "allocs", s->allocs);
		json_string_field(w, "kind", kind_name(s->kind));
		json_array_begin_field(w, "pids");
		for (j = 0; j < s->npids; j++)
			json_i64(w, s->pids[j]);
		json_array_end(w);
		json_i64_or_null_field(w, "oldest_age_ms", s->oldest_age_ms);
		json_double_field(w, "growth_bytes_per_min", s->growth_bytes_per_min, 1);
		json_double_field(w, "score", s->score, 3);
		json_bool_field(w, "estimated", s->estimated);
		json_bool_field(w, "truncated", s->truncated);
		json_bool_field(w, "stack_lost", s->stack_lost);
		write_frames(w, s);
		json_object_end(w);
	}
	json_array_end(w);
}

static void write_meta(struct json_writer *w, const struct report *r)
{
	char time[UTC_TIME_BUF_LEN];

	json_object_begin_field(w, "meta");
	json_string_field(w, "time", format_time_utc(time, sizeof(time), r->time));
	json_bool_field(w, "final", r->final);
	json_double_field(w, "interval_s", r->interval_s, 3);
	json_string_field(w, "mode", r->mode);
	json_u64_field(w, "sample_bytes", r->sample_bytes);
	json_u64_field(w, "min_age_ms", r->min_age_ms);
	json_u64_field(w, "top", r->top_n);
	json_u64_field(w, "stacks_matched", r->stacks_matched);
	json_object_end(w);
}

static void write_report_view(struct json_writer *w, const struct report *r)
{
	size_t i;

	write_meta(w, r);

	json_array_begin_field(w, "processes");
	for (i = 0; i < r->nprocs; i++) {
		const struct process_report *pr = &r->procs[i];

		json_object_begin(w);
		json_i64_field(w, "pid", pr->pid);
		json_string_field(w, "comm", pr->comm);
		json_i64_or_null_field(w, "rss_bytes", pr->rss_bytes);
		json_u64_field(w, "outstanding_bytes", pr->outstanding_bytes);
		json_u64_field(w, "outstanding_allocs", pr->outstanding_allocs);
		json_object_end(w);
	}
	json_array_end(w);
	write_stacks(w, r);
	json_object_begin_field(w, "stats");
	json_u64_field(w, "allocs", r->stats[MEMLEAK_STAT_ALLOCS]);
	json_u64_field(w, "frees", r->stats[MEMLEAK_STAT_FREES]);
	json_object_begin_field(w, "lost");
	for (i = 0; i < MEMLEAK_STAT__MAX; i++)
		if (stat_is_loss(i))
			json_u64_field(w, stat_name(i), r->stats[i]);
	json_object_end(w);
	json_object_end(w);
}

/* The latest report as one JSON object, kept until the next one. */
static int serialize_current(struct html_page *p, const struct report *r)
{
	struct json_writer w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	json_init(&w, f);
	json_object_begin(&w);
	write_report_view(&w, r);
	json_object_end(&w);
	err = json_finish(&w);
	if (fclose(f) && !err)
		err = -errno;
	if (err) {
		free(buf);
		return err;
	}
	free(p->current);
	p->current = buf;
	p->current_len = len;
	return 0;
}

int html_page_add(struct html_page *p, const struct report *r)
{
	/* The final report is always a point: the page ends where the run did. */
	if (p->reports++ % p->stride == 0 || r->final)
		add_point(p, r);
	return serialize_current(p, r);
}

/* "key":[...], a negative value (unknown, or not among the top then) as null. */
static void write_series_values(struct json_writer *w, const char *key, const int64_t *v,
				size_t n)
{
	size_t i;

	json_array_begin_field(w, key);
	for (i = 0; i < n; i++) {
		if (v[i] < 0)
			json_null(w);
		else
			json_i64(w, v[i]);
	}
	json_array_end(w);
}

static void write_timeline(struct json_writer *w, const struct html_page *p)
{
	size_t k;

	json_object_begin(w);
	json_u64_field(w, "reports", p->reports);
	write_series_values(w, "t", p->t_ms, p->npoints);
	write_series_values(w, "total", p->total, p->npoints);
	write_series_values(w, "rss", p->rss, p->npoints);
	json_array_begin_field(w, "series");
	for (k = 0; k < HTML_MAX_SERIES; k++) {
		if (!p->series[k].key)
			continue;
		json_object_begin(w);
		json_string_field(w, "label", p->series[k].label);
		write_series_values(w, "bytes", p->series[k].bytes, p->npoints);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

/*
 * '<' only occurs inside JSON strings, where \u003c means the same: the
 * data can then never close the <script> element it sits in.
 */
static void put_script_safe(FILE *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '<')
			fputs("\\u003c", out);
		else
			putc(s[i], out);
	}
}

static ssize_t script_safe_write(void *cookie, const char *buf, size_t len)
{
	FILE *out = cookie;

	put_script_safe(out, buf, len);
	return ferror(out) ? -1 : (ssize_t)len;
}

/*
 * {"timeline": ..., "report": ...}: the timeline is written straight into
 * the page through an escaping stream (no copy of it in memory).
 */
static int write_data(FILE *out, const struct html_page *p)
{
	cookie_io_functions_t io = { .write = script_safe_write };
	struct json_writer w;
	FILE *f = fopencookie(out, "w", io);
	int err;

	if (!f)
		return -errno;
	fputs("{\"timeline\":", out);
	json_init(&w, f);
	write_timeline(&w, p);
	err = json_finish(&w);
	if (fclose(f) && !err)
		err = -EIO;
	fputs(",\"report\":", out);
	if (p->current_len)
		put_script_safe(out, p->current, p->current_len);
	else
		fputs("null", out);
	putc('}', out);
	return err;
}

static int write_page(FILE *out, const struct html_page *p)
{
	const char *tpl = (const char *)report_html;
	size_t len = report_html_len, at;
	const char *mark = memmem(tpl, len, DATA_MARKER, strlen(DATA_MARKER));
	int err;

	if (!mark)
		return -EINVAL; /* the template lost its marker: a build error */
	at = (size_t)(mark - tpl);
	fwrite(tpl, 1, at, out);
	err = write_data(out, p);
	if (err)
		return err;
	at += strlen(DATA_MARKER);
	fwrite(tpl + at, 1, len - at, out);
	return fflush(out) == EOF || ferror(out) ? -(errno ? errno : EIO) : 0;
}

int html_page_write(FILE *f, const struct html_page *p)
{
	return write_page(f, p);
}
