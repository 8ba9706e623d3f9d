/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --listen: an HTTP server (libmicrohttpd) in a thread of its own, serving
 * what the last completed report published: /metrics (Prometheus text)
 * and /debug/pprof/heap (Go heap profile).  The tracer's loop only swaps
 * pointers under a mutex when it publishes; a request only takes a
 * reference on the bodies it sends.  So no request, slow or malformed or
 * one of many, can stall tracing or a report, and every response is one
 * the tracer rendered whole.
 *
 * Bounded: connections at once (in all and per client address), time a
 * connection may take, memory per connection (request line and headers),
 * size of a published body.
 */
#ifndef MEMLEAK_HTTP_SERVER_H
#define MEMLEAK_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct http_server;

struct http_server_opts {
	const struct sockaddr *addr;  /* bound exactly here */
	socklen_t addr_len;
	unsigned int max_connections; /* at once; 0 = 32 */
	unsigned int max_per_client;  /* at once from one address; 0 = 8 */
	unsigned int timeout_s;       /* idle connection closed after; 0 = 10 */
	size_t max_body;              /* larger bodies are not published; 0 = 32 MiB */
};

/*
 * Bind and start serving (503 until the first publication).  NULL with
 * errno set: EADDRINUSE, EACCES...
 */
struct http_server *http_server_start(const struct http_server_opts *opts);

/*
 * Serve these bodies from now on (the server takes both malloc'd buffers,
 * NULL = keep the one published before).  A body larger than max_body is
 * freed, not served: returns -EFBIG (the previous one stays), else 0.
 */
int http_server_publish(struct http_server *s, char *metrics, size_t metrics_len,
			char *heap_profile, size_t heap_profile_len);

/* Close the socket, finish the thread, free what no response holds. */
void http_server_stop(struct http_server *s);

#endif
