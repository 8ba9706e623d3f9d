/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A completed report, rendered for --listen: the Prometheus text
 * (out/render_metrics.c) and the heap profile (out/render_pprof.c, the one
 * pprof encoder), published to the HTTP server whole.  Runs in the
 * tracer's loop, after the report's own outputs.
 */
#ifndef MEMLEAK_SERVE_REPORT_H
#define MEMLEAK_SERVE_REPORT_H

#include "analyze/report.h"

struct http_server;

/* Returns 0 or -errno (the server keeps serving the previous report then). */
int serve_report(struct http_server *s, const struct report *r);

#endif
