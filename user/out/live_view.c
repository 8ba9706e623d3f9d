// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The --live screen, drawn with plain ANSI escapes on the alternate screen:
 * processes (RSS and growth), the top stacks (bytes, growth per minute,
 * innermost frames; expanded ones show every frame with file:line), and the
 * loss counters.  It keeps its own copy of what it shows, since a key may
 * ask for a redraw long after the report it came from was freed.
 */
#define _GNU_SOURCE /* asprintf, qsort_r */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "analyze/stack_identity.h"
#include "out/live_view.h"
#include "out/render.h"
#include "out/units.h"

#define MAX_EXPANDED 32
#define INNER_FRAMES 3 /* frames shown on a collapsed stack's line */
#define HEADLINES 4    /* event headlines shown */

enum sort_order { LV_SORT_BYTES, LV_SORT_GROWTH, LV_SORT_ALLOCS, LV_SORT__MAX };

static const char *const sort_names[LV_SORT__MAX] = { "bytes", "growth", "allocations" };

struct lv_stack {
	uint64_t key;         /* identity across reports (modules and offsets) */
	uint64_t bytes, allocs;
	double growth_per_min, score;
	bool estimated;
	const char *kind;
	pid_t pid;            /* first pid */
	size_t npids;
	char **frames;        /* "symbol  file:line", innermost first */
	size_t nframes;
};

struct lv_proc {
	pid_t pid;
	char comm[17];
	int64_t rss, rss_growth, growth;
	uint64_t outstanding;
	bool exited;
};

struct live_view {
	struct termios saved;
	bool raw, on_screen;
	enum sort_order sort;
	size_t cursor;
	uint64_t expanded[MAX_EXPANDED];
	size_t nexpanded;
	struct timespec time;
	struct lv_stack *stacks;
	size_t nstacks;
	struct lv_proc *procs;
	size_t nprocs;
	uint64_t stats[MEMLEAK_STAT__MAX];
	uint64_t reports;
	char esc[4];          /* a partial escape sequence between reads */
	size_t nesc;
	char *headlines[HEADLINES]; /* latest events' first lines, oldest first */
	char *backlog;        /* the events' text, at most LIVE_BACKLOG bytes */
	size_t nbacklog;
	bool backlog_cut;     /* older text was dropped */
};

struct live_view *live_view_new(void)
{
	struct live_view *lv;
	struct termios raw;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return NULL;
	lv = calloc(1, sizeof(*lv));
	if (!lv)
		return NULL;
	if (!tcgetattr(STDIN_FILENO, &lv->saved)) {
		raw = lv->saved;
		/* Keys one by one, unechoed; ISIG stays so Ctrl-C still stops cleanly. */
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		/* Ctrl-Z would stop us with the terminal still raw: it is ignored. */
		raw.c_cc[VSUSP] = _POSIX_VDISABLE;
		lv->raw = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	return lv;
}

static void free_content(struct live_view *lv)
{
	size_t i, j;

	for (i = 0; i < lv->nstacks; i++) {
		for (j = 0; j < lv->stacks[i].nframes; j++)
			free(lv->stacks[i].frames[j]);
		free(lv->stacks[i].frames);
	}
	free(lv->stacks);
	free(lv->procs);
	lv->stacks = NULL;
	lv->procs = NULL;
	lv->nstacks = lv->nprocs = 0;
}

void live_view_free(struct live_view *lv)
{
	size_t i;

	if (!lv)
		return;
	if (lv->on_screen) {
		/* Cursor back, leave the alternate screen: the shell is as it was. */
		fputs("\033[?25h\033[?1049l", stdout);
		fflush(stdout);
	}
	if (lv->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &lv->saved);
	if (lv->nbacklog) {
		if (lv->backlog_cut)
			fputs("(earlier events dropped)\n", stdout);
		fwrite(lv->backlog, 1, lv->nbacklog, stdout);
		fflush(stdout);
	}
	for (i = 0; i < HEADLINES; i++)
		free(lv->headlines[i]);
	free(lv->backlog);
	free_content(lv);
	free(lv);
}

static void add_headline(struct live_view *lv, const char *line, size_t len)
{
	char *copy = strndup(line, len);

	if (!copy)
		return;
	free(lv->headlines[0]);
	memmove(lv->headlines, lv->headlines + 1, (HEADLINES - 1) * sizeof(char *));
	lv->headlines[HEADLINES - 1] = copy;
}

static void add_backlog(struct live_view *lv, const char *text, size_t len)
{
	size_t keep;

	if (!lv->backlog) {
		lv->backlog = malloc(LIVE_BACKLOG);
		if (!lv->backlog)
			return;
	}
	if (len > LIVE_BACKLOG) {
		text += len - LIVE_BACKLOG;
		len = LIVE_BACKLOG;
		lv->backlog_cut = true;
	}
	if (lv->nbacklog + len > LIVE_BACKLOG) {
		/* Drop the oldest text, up to a line start. */
		const char *nl;

		keep = LIVE_BACKLOG - len;
		nl = memchr(lv->backlog + lv->nbacklog - keep, '\n', keep);
		keep = nl ? (size_t)(lv->backlog + lv->nbacklog - nl - 1) : 0;
		memmove(lv->backlog, lv->backlog + lv->nbacklog - keep, keep);
		lv->nbacklog = keep;
		lv->backlog_cut = true;
	}
	memcpy(lv->backlog + lv->nbacklog, text, len);
	lv->nbacklog += len;
}

void live_view_events(struct live_view *lv, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	if (!len)
		return;
	add_backlog(lv, text, len);
	/* Headlines are the lines that are not indented (the text format's). */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n && *p != ' ')
			add_headline(lv, p, n);
		p += n + 1;
	}
}

static char *frame_text(const struct frame *f)
{
	char *s = NULL;
	int n;

	if (f->file)
		n = asprintf(&s, "%s  %s:%d", f->symbol ? f->symbol : "?", f->file, f->line);
	else if (f->symbol)
		n = asprintf(&s, "%s  (%s)", f->symbol, f->module ? f->module : "?");
	else
		n = asprintf(&s, "0x%" PRIx64 "  (%s)", f->addr, f->module ? f->module : "?");
	return n < 0 ? NULL : s;
}

static int copy_stack(struct lv_stack *d, const struct stack_report *s)
{
	size_t j;

	d->key = stack_identity(s);
	d->bytes = s->bytes;
	d->allocs = s->allocs;
	d->growth_per_min = s->growth_bytes_per_min;
	d->score = s->score;
	d->estimated = s->estimated;
	d->kind = kind_name(s->kind);
	d->pid = s->npids ? s->pids[0] : 0;
	d->npids = s->npids;
	d->frames = calloc(s->nframes ? s->nframes : 1, sizeof(char *));
	if (!d->frames)
		return -ENOMEM;
	for (j = 0; j < s->nframes; j++) {
		d->frames[j] = frame_text(&s->frames[j]);
		if (!d->frames[j])
			return -ENOMEM;
		d->nframes = j + 1;
	}
	return 0;
}

static int cmp_stacks(const void *pa, const void *pb, void *order)
{
	const struct lv_stack *a = pa, *b = pb;

	switch (*(enum sort_order *)order) {
	case LV_SORT_GROWTH:
		if (a->growth_per_min != b->growth_per_min)
			return a->growth_per_min > b->growth_per_min ? -1 : 1;
		break;
	case LV_SORT_ALLOCS:
		if (a->allocs != b->allocs)
			return a->allocs > b->allocs ? -1 : 1;
		break;
	default:
		break;
	}
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	return 0;
}

static void sort_stacks(struct live_view *lv)
{
	if (lv->nstacks > 1)
		qsort_r(lv->stacks, lv->nstacks, sizeof(*lv->stacks), cmp_stacks, &lv->sort);
}

int live_view_update(struct live_view *lv, const struct report *r)
{
	size_t i;
	int err = 0;

	free_content(lv);
	lv->time = r->time;
	lv->reports++;
	memcpy(lv->stats, r->stats, sizeof(lv->stats));
	lv->procs = calloc(r->nprocs ? r->nprocs : 1, sizeof(*lv->procs));
	lv->stacks = calloc(r->nstacks ? r->nstacks : 1, sizeof(*lv->stacks));
	if (!lv->procs || !lv->stacks)
		return -ENOMEM;
	for (i = 0; i < r->nprocs; i++) {
		const struct process_report *p = &r->procs[i];
		struct lv_proc *d = &lv->procs[i];

		d->pid = p->pid;
		memcpy(d->comm, p->comm, sizeof(d->comm));
		d->rss = p->rss_bytes;
		d->rss_growth = p->rss_growth_bytes;
		d->growth = p->growth_bytes;
		d->outstanding = p->outstanding_bytes;
		d->exited = p->exited;
	}
	lv->nprocs = r->nprocs;
	for (i = 0; i < r->nstacks && !err; i++) {
		err = copy_stack(&lv->stacks[i], &r->stacks[i]);
		lv->nstacks = i + 1;
	}
	sort_stacks(lv);
	if (lv->cursor >= lv->nstacks)
		lv->cursor = lv->nstacks ? lv->nstacks - 1 : 0;
	live_view_redraw(lv);
	return err;
}

/* ---------------------------------------------------------------- drawing */

struct screen {
	int rows, cols, row;
};

/* One line, cut to the width, control characters shown as '?'. */
static void put_line(struct screen *sc, bool highlight, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_line(struct screen *sc, bool highlight, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int i;

	if (sc->row >= sc->rows)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	if (sc->cols > 0 && sc->cols < (int)sizeof(buf))
		buf[sc->cols] = '\0';
	/* No newline on the last row: it would scroll the screen by one. */
	printf("%s%s\033[K%s%s", highlight ? "\033[7m" : "", buf, highlight ? "\033[m" : "",
	       sc->row + 1 < sc->rows ? "\r\n" : "");
	sc->row++;
}

static const char *signed_bytes(char *buf, size_t len, int64_t v)
{
	char h[UNITS_BUF_LEN];

	format_bytes_human(h, sizeof(h), (uint64_t)(v < 0 ? -v : v));
	snprintf(buf, len, "%s%s", v < 0 ? "-" : "+", h);
	return buf;
}

static bool is_expanded(const struct live_view *lv, uint64_t key)
{
	size_t i;

	for (i = 0; i < lv->nexpanded; i++)
		if (lv->expanded[i] == key)
			return true;
	return false;
}

static void draw_processes(struct live_view *lv, struct screen *sc)
{
	char rss[UNITS_BUF_LEN], rg[32], out[UNITS_BUF_LEN], g[32];
	size_t i;

	put_line(sc, false, "  %-8s %-16s %10s %11s %12s %11s", "PID", "COMM", "RSS",
		 "RSS-GROWTH", "OUTSTANDING", "GROWTH");
	for (i = 0; i < lv->nprocs && sc->row < sc->rows / 3; i++) {
		const struct lv_proc *p = &lv->procs[i];

		put_line(sc, false, "  %-8d %-16s %10s %11s %12s %11s%s", (int)p->pid, p->comm,
			 p->rss < 0 ? "-" : format_bytes_human(rss, sizeof(rss), (uint64_t)p->rss),
			 signed_bytes(rg, sizeof(rg), p->rss_growth),
			 format_bytes_human(out, sizeof(out), p->outstanding),
			 signed_bytes(g, sizeof(g), p->growth), p->exited ? "  (exited)" : "");
	}
	if (i < lv->nprocs)
		put_line(sc, false, "  ... %zu more processes", lv->nprocs - i);
}

static void draw_stack(struct live_view *lv, struct screen *sc, size_t i)
{
	const struct lv_stack *s = &lv->stacks[i];
	char bytes[UNITS_BUF_LEN], growth[32] = "-", score[16] = "-", inner[512] = "";
	size_t j, n = 0;

	if (s->growth_per_min != 0)
		signed_bytes(growth, sizeof(growth), (int64_t)s->growth_per_min);
	if (s->score != 0)
		snprintf(score, sizeof(score), "%.2f", s->score);
	for (j = 0; j < s->nframes && j < INNER_FRAMES; j++) {
		size_t len = strcspn(s->frames[j], " ");

		n += snprintf(inner + n, sizeof(inner) - n, "%s%.*s", j ? " < " : "",
			      (int)len, s->frames[j]);
		if (n >= sizeof(inner))
			break;
	}
	put_line(sc, i == lv->cursor, "%c%-2zu %10s%s %8" PRIu64 " %11s %6s %-6s %-7d %s",
		 is_expanded(lv, s->key) ? '-' : '+', i, format_bytes_human(bytes, sizeof(bytes), s->bytes),
		 s->estimated ? "~" : " ", s->allocs, growth, score, s->kind, (int)s->pid,
		 s->nframes ? inner : "[stack lost]");
	if (!is_expanded(lv, s->key))
		return;
	for (j = 0; j < s->nframes; j++)
		put_line(sc, false, "        #%-2zu %s", j, s->frames[j]);
}

static void draw_losses(struct live_view *lv, struct screen *sc)
{
	char buf[512];
	size_t n = 0, i;

	for (i = 0; i < MEMLEAK_STAT__MAX; i++) {
		if (!stat_is_loss(i) || !lv->stats[i])
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s %" PRIu64, n ? ", " : "",
			      stat_name(i), lv->stats[i]);
		if (n >= sizeof(buf))
			break;
	}
	while (sc->row < sc->rows - 1)
		put_line(sc, false, "%s", "");
	put_line(sc, false, "allocs %" PRIu64 ", frees %" PRIu64 "; lost: %s",
		 lv->stats[MEMLEAK_STAT_ALLOCS], lv->stats[MEMLEAK_STAT_FREES], n ? buf : "none");
}

void live_view_redraw(struct live_view *lv)
{
	struct screen sc = { .rows = 24, .cols = 80 };
	char clock[16] = "??:??:??";
	struct winsize ws;
	struct tm tm;
	size_t i;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		sc.rows = ws.ws_row;
		sc.cols = ws.ws_col;
	}
	if (!lv->on_screen) {
		/* Alternate screen, cursor hidden: the shell's screen comes back at exit. */
		fputs("\033[?1049h\033[?25l", stdout);
		lv->on_screen = true;
	}
	if (localtime_r(&lv->time.tv_sec, &tm))
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	fputs("\033[H", stdout);
	put_line(&sc, true, "memleakbpf live  %s  report %" PRIu64 "  sort: %s", clock,
		 lv->reports, sort_names[lv->sort]);
	put_line(&sc, false, "keys: s sort  0-9 or up/down+Enter expand  q quit");
	draw_processes(lv, &sc);
	put_line(&sc, false, "%s", "");
	put_line(&sc, false, " %-2s %10s  %8s %11s %6s %-6s %-7s %s", "#", "BYTES", "ALLOCS",
		 "GROWTH/MIN", "SCORE", "KIND", "PID", "INNERMOST FRAMES");
	for (i = 0; i < lv->nstacks && sc.row < sc.rows - 1; i++)
		draw_stack(lv, &sc, i);
	if (!lv->nstacks)
		put_line(&sc, false, "  (no stack holds memory)");
	for (i = 0; i < HEADLINES; i++) {
		if (!lv->headlines[i])
			continue;
		/* At the bottom, above the counters. */
		while (sc.row < sc.rows - 1 - (int)(HEADLINES - i))
			put_line(&sc, false, "%s", "");
		put_line(&sc, false, "%s", lv->headlines[i]);
	}
	draw_losses(lv, &sc);
	fputs("\033[J", stdout);
	fflush(stdout);
}

/* ---------------------------------------------------------------- keys */

static void toggle(struct live_view *lv, size_t i)
{
	uint64_t key;
	size_t k;

	if (i >= lv->nstacks)
		return;
	key = lv->stacks[i].key;
	lv->cursor = i;
	for (k = 0; k < lv->nexpanded; k++) {
		if (lv->expanded[k] == key) {
			lv->expanded[k] = lv->expanded[--lv->nexpanded];
			return;
		}
	}
	if (lv->nexpanded == MAX_EXPANDED)
		lv->nexpanded--; /* forget the last one rather than refuse */
	lv->expanded[lv->nexpanded++] = key;
}

/* One key; returns true on quit. */
static bool handle_key(struct live_view *lv, unsigned char c)
{
	if (lv->nesc || c == 0x1b) {
		/* ESC [ A / ESC [ B: cursor up / down; anything else is dropped. */
		lv->esc[lv->nesc++] = (char)c;
		if (lv->nesc == 2 && c != '[')
			lv->nesc = 0;
		if (lv->nesc == 3) {
			if (c == 'A' && lv->cursor > 0)
				lv->cursor--;
			else if (c == 'B' && lv->cursor + 1 < lv->nstacks)
				lv->cursor++;
			lv->nesc = 0;
		}
		return false;
	}
	switch (c) {
	case 'q':
	case 'Q':
		return true;
	case 's':
	case 'S':
		lv->sort = (lv->sort + 1) % LV_SORT__MAX;
		sort_stacks(lv);
		break;
	case 'k':
		if (lv->cursor > 0)
			lv->cursor--;
		break;
	case 'j':
		if (lv->cursor + 1 < lv->nstacks)
			lv->cursor++;
		break;
	case '\r':
	case '\n':
	case ' ':
		toggle(lv, lv->cursor);
		break;
	default:
		if (c >= '0' && c <= '9')
			toggle(lv, (size_t)(c - '0'));
		break;
	}
	return false;
}

bool live_view_input(struct live_view *lv)
{
	unsigned char buf[64];
	ssize_t n, i;

	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0)
		return true; /* the terminal hung up: stop, with a final report */
	for (i = 0; i < n; i++)
		if (handle_key(lv, buf[i]))
			return true;
	if (lv->on_screen)
		live_view_redraw(lv);
	return false;
}
