/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Renderers: one file each, all reading the same struct report. */
#ifndef MEMLEAK_RENDER_H
#define MEMLEAK_RENDER_H

#include <stdio.h>
#include "report.h"

enum output_format {
	FORMAT_TEXT = 0,
	FORMAT_JSON,
};

/* Human-readable report. */
int render_text(FILE *out, const struct report *r);
/* One JSON object on one line (the documented contract, README "JSON output"). */
int render_json(FILE *out, const struct report *r);

/* Dispatch on format; returns 0 or -errno from the stream. */
int render_report(FILE *out, enum output_format fmt, const struct report *r);

/* Names of kinds and stats as used in every output. */
const char *kind_name(unsigned int kind);
const char *stat_name(unsigned int stat);

#endif
