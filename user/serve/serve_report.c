// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A report rendered for the HTTP server (see serve_report.h). */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "out/render.h"
#include "serve/http_server.h"
#include "serve/serve_report.h"

/* The whole output of a renderer in a malloc'd buffer; NULL on failure. */
static char *render_to_buffer(int (*render)(FILE *, const struct report *),
			      const struct report *r, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int err;

	if (!f)
		return NULL;
	err = render(f, r);
	if (fclose(f) || err) {
		free(buf);
		return NULL;
	}
	return buf;
}

int serve_report(struct http_server *s, const struct report *r)
{
	size_t metrics_len = 0, heap_len = 0;
	char *metrics, *heap;

	if (!s)
		return 0;
	metrics = render_to_buffer(render_metrics, r, &metrics_len);
	heap = render_to_buffer(render_pprof, r, &heap_len);
	if (!metrics || !heap) {
		free(metrics);
		free(heap);
		return -ENOMEM;
	}
	return http_server_publish(s, metrics, metrics_len, heap, heap_len);
}
