// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Batched walks over BPF hash maps (see map_batch.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "collect/map_batch.h"
#include "lib/util.h"

#define BATCH 4096

/* Fallback for kernels without batch ops: one key at a time, in batches. */
static int each_by_key(int fd, size_t ksz, size_t vsz, char *keys, char *values,
		       map_batch_fn fn, void *ctx)
{
	char prev[64], cur[64];
	void *pk = NULL;
	size_t n = 0;
	int err;

	if (ksz > sizeof(prev))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, pk, cur)) {
		if (!bpf_map_lookup_elem(fd, cur, values + n * vsz)) {
			memcpy(keys + n * ksz, cur, ksz);
			if (++n == BATCH) {
				err = fn(keys, values, n, ctx);
				if (err)
					return err;
				n = 0;
			}
		}
		memcpy(prev, cur, ksz);
		pk = prev;
	}
	return n ? fn(keys, values, n, ctx) : 0;
}

/* Batched lookups, or lookups that also delete (drain): one loop for both. */
static int each_batch(int fd, size_t ksz, size_t vsz, map_batch_fn fn, void *ctx, bool drain)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 in_batch = 0, out_batch = 0;
	char *keys, *values;
	bool first = true;
	int err;

	keys = malloc(BATCH * ksz);
	values = malloc(BATCH * vsz);
	if (!keys || !values) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = BATCH;
		bool last;

		if (drain)
			err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in_batch,
							      &out_batch, keys, values, &count,
							      &opts);
		else
			err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch,
						   keys, values, &count, &opts);
		if (err && errno != ENOENT) {
			err = -errno;
			/* Before 5.6, no batch ops: one key at a time.  Draining
			 * only serves the aggregate program (5.14+). */
			if (!drain && first &&
			    (err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP))
				err = each_by_key(fd, ksz, vsz, keys, values, fn, ctx);
			goto out;
		}
		last = err; /* ENOENT: that was the last batch */
		err = count ? fn(keys, values, count, ctx) : 0;
		if (err || last)
			goto out;
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(values);
	return err;
}

int map_for_each_batch(int fd, size_t ksz, size_t vsz, map_batch_fn fn, void *ctx)
{
	return each_batch(fd, ksz, vsz, fn, ctx, false);
}

int map_drain_batch(int fd, size_t ksz, size_t vsz, map_batch_fn fn, void *ctx)
{
	return each_batch(fd, ksz, vsz, fn, ctx, true);
}

/* Appends every batch to growing arrays (map_read_all). */
struct read_all {
	size_t ksz, vsz;
	char *keys, *values;
	size_t n, kcap, vcap;
};

static int append_batch(const void *keys, const void *values, size_t n, void *p)
{
	struct read_all *a = p;

	if (array_reserve((void **)&a->keys, &a->kcap, a->n + n, a->ksz) ||
	    array_reserve((void **)&a->values, &a->vcap, a->n + n, a->vsz))
		return -ENOMEM;
	memcpy(a->keys + a->n * a->ksz, keys, n * a->ksz);
	memcpy(a->values + a->n * a->vsz, values, n * a->vsz);
	a->n += n;
	return 0;
}

int map_read_all(int fd, size_t ksz, size_t vsz, void **keys, void **values, size_t *n)
{
	struct read_all a = { .ksz = ksz, .vsz = vsz };
	int err = map_for_each_batch(fd, ksz, vsz, append_batch, &a);

	if (err) {
		free(a.keys);
		free(a.values);
		a.keys = a.values = NULL;
		a.n = 0;
	}
	*keys = a.keys;
	*values = a.values;
	*n = a.n;
	return err;
}
