/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --html FILE: one self-contained page (no network) with a flame graph of
 * the latest report's outstanding bytes, a timeline of the whole run and the
 * ranked table.  The page keeps the run's history itself, bounded: past
 * HTML_MAX_POINTS the timeline is halved (every other point dropped).
 */
#ifndef MEMLEAK_HTML_PAGE_H
#define MEMLEAK_HTML_PAGE_H

#include <stdio.h>
#include "analyze/report.h"

#define HTML_MAX_POINTS 512  /* timeline points kept */
#define HTML_MAX_SERIES 8    /* stacks whose bytes are followed over time */

struct html_page;

struct html_page *html_page_new(void);
/* Record r in the timeline and keep it as the page's current report. */
int html_page_add(struct html_page *p, const struct report *r);
/* Write the whole page to f (out/output.c replaces the file atomically). */
int html_page_write(FILE *f, const struct html_page *p);
void html_page_free(struct html_page *p);

#endif
