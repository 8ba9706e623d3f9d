// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bundled demo: a small "service" handling a request every 50 ms.
 * Most memory is freed, but each request leaks its copied header, and a
 * cache grows without bound.  memleakbpf run without a pid traces it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

struct cache_entry {
	struct cache_entry *next;
	char data[1000];
};

static struct cache_entry *cache;

static NOINLINE char *copy_header(const char *raw)
{
	char *h = malloc(strlen(raw) + 1);	/* the caller forgets to free it */

	if (h)
		strcpy(h, raw);
	return h;
}

static NOINLINE void cache_insert(int key)
{
	struct cache_entry *e = calloc(1, sizeof(*e));	/* never evicted */

	if (!e)
		return;
	snprintf(e->data, sizeof(e->data), "value %d", key);
	e->next = cache;
	cache = e;
}

static NOINLINE size_t handle_request(int i)
{
	char *body = malloc(4096);
	char *header = copy_header("GET /index.html HTTP/1.1");
	size_t n;

	if (!body || !header)
		return 0;
	n = (size_t)snprintf(body, 4096, "%s #%d", header, i);
	if (i % 4 == 0)
		cache_insert(i);
	free(body);	/* the body is freed, the header is not */
	return n;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 30;
	size_t total = 0;
	int i;

	for (i = 0; i < seconds * 20; i++) {
		total += handle_request(i);
		usleep(50 * 1000);
	}
	return total == 0;
}
