/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --live: a top-like screen redrawn at every report.  Keys: s cycles the
 * sort (bytes, growth, allocations), 0-9 or up/down + Enter expand a stack,
 * q quits.  The terminal is restored by live_view_free on every exit path
 * (signals reach the main loop through a signalfd, never a handler).
 */
#ifndef MEMLEAK_LIVE_VIEW_H
#define MEMLEAK_LIVE_VIEW_H

#include <stdbool.h>
#include "analyze/report.h"

struct live_view;

/* NULL when stdin/stdout is not a terminal (the caller prints plain text). */
struct live_view *live_view_new(void);
/* Keep what the screen shows of r, then redraw. */
int live_view_update(struct live_view *lv, const struct report *r);
/*
 * Text records written between reports (process exits, OOM kills): their
 * headlines go on the screen, the text itself is printed after the screen
 * is left (the last LIVE_BACKLOG bytes of it).
 */
#define LIVE_BACKLOG (64 * 1024)
void live_view_events(struct live_view *lv, const char *text, size_t len);
/* Read the keys typed; returns true on q. */
bool live_view_input(struct live_view *lv);
void live_view_redraw(struct live_view *lv);
/* Leave the screen, restore the terminal, print the events' text. */
void live_view_free(struct live_view *lv);

#endif
