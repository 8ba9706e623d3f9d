// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --listen's HTTP server on libmicrohttpd (see http_server.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "serve/http_server.h"

#include <microhttpd.h>

#define DEFAULT_MAX_CONNECTIONS 32
#define DEFAULT_MAX_PER_CLIENT 8
#define DEFAULT_TIMEOUT_S 10
#define DEFAULT_MAX_BODY (32u << 20)
/* Request line and headers of one connection: a huge header gets 431. */
#define CONNECTION_MEMORY (32u << 10)

/* A published body: freed when the last response sending it is done. */
struct body {
	atomic_int refs;
	size_t len;
	char *data;
};

struct http_server {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;     /* guards the two pointers below */
	struct body *metrics;
	struct body *heap;
	size_t max_body;
};

static void body_unref(void *p)
{
	struct body *b = p;

	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		free(b->data);
		free(b);
	}
}

/* The current body of a route, with a reference for the response. */
static struct body *body_get(struct http_server *s, struct body **slot)
{
	struct body *b;

	pthread_mutex_lock(&s->lock);
	b = *slot;
	if (b)
		atomic_fetch_add(&b->refs, 1);
	pthread_mutex_unlock(&s->lock);
	return b;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned int status,
				 const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_body(struct http_server *s, struct MHD_Connection *c,
				 struct body **slot, const char *type, const char *disposition)
{
	struct body *b = body_get(s, slot);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!b)
		return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no report yet\n");
	r = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data,
								   body_unref, b);
	if (!r) {
		body_unref(b);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (disposition)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static const char index_text[] =
	"memleakbpf\n"
	"/metrics            Prometheus text format\n"
	"/debug/pprof/heap   heap profile (go tool pprof, pprof scrapers)\n"
	"/debug/pprof/allocs the same profile\n";

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n");
	if (!strcmp(url, "/metrics"))
		return send_body(s, c, &s->metrics, "text/plain; version=0.0.4; charset=utf-8",
				 NULL);
	/*
	 * As Go's net/http/pprof serves it; query parameters are ignored.
	 * Go's allocs is the same profile with alloc_space as its default
	 * view: the path profile scrapers ask for memory by default.
	 */
	if (!strcmp(url, "/debug/pprof/heap") || !strcmp(url, "/debug/pprof/allocs"))
		return send_body(s, c, &s->heap, "application/octet-stream",
				 "attachment; filename=\"heap\"");
	if (!strcmp(url, "/"))
		return send_text(c, MHD_HTTP_OK, index_text);
	return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

struct http_server *http_server_start(const struct http_server_opts *opts)
{
	struct http_server *s = calloc(1, sizeof(*s));
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	sigset_t all, old;
	int err;

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
	if (opts->addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * The server's thread takes no signal: SIGINT, SIGTERM, SIGUSR1 and
	 * SIGHUP are the loop's, read from its signalfd.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = 0;
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, s,
		MHD_OPTION_SOCK_ADDR, opts->addr,
		MHD_OPTION_CONNECTION_LIMIT,
		opts->max_connections ? opts->max_connections : DEFAULT_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		opts->max_per_client ? opts->max_per_client : DEFAULT_MAX_PER_CLIENT,
		MHD_OPTION_CONNECTION_TIMEOUT,
		opts->timeout_s ? opts->timeout_s : DEFAULT_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		/* No LISTENING_ADDRESS_REUSE: it sets SO_REUSEPORT, and a second
		 * tracer would then share the port instead of failing. */
		MHD_OPTION_END);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->daemon) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		errno = err ? err : EADDRNOTAVAIL;
		return NULL;
	}
	return s;
}

static int publish_one(struct http_server *s, struct body **slot, char *data, size_t len)
{
	struct body *b, *old;

	if (!data)
		return 0;
	if (len > s->max_body) {
		free(data);
		return -EFBIG;
	}
	b = malloc(sizeof(*b));
	if (!b) {
		free(data);
		return -ENOMEM;
	}
	atomic_init(&b->refs, 1);
	b->data = data;
	b->len = len;
	pthread_mutex_lock(&s->lock);
	old = *slot;
	*slot = b;
	pthread_mutex_unlock(&s->lock);
	body_unref(old);
	return 0;
}

int http_server_publish(struct http_server *s, char *metrics, size_t metrics_len,
			char *heap_profile, size_t heap_profile_len)
{
	int err = publish_one(s, &s->metrics, metrics, metrics_len);
	int err2 = publish_one(s, &s->heap, heap_profile, heap_profile_len);

	return err ? err : err2;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	/* Waits for the thread: every response is done and has dropped its body. */
	MHD_stop_daemon(s->daemon);
	body_unref(s->metrics);
	body_unref(s->heap);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
