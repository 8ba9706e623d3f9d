/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Walking a BPF hash map a batch at a time: a few system calls for a
 * million entries, and memory of one batch.  Every reader of the kernel
 * maps (snapshot, aggregate, records) goes through these.
 */
#ifndef MEMLEAK_MAP_BATCH_H
#define MEMLEAK_MAP_BATCH_H

#include <stddef.h>

/* Called with up to one batch of a map's entries; non-zero stops the walk. */
typedef int (*map_batch_fn)(const void *keys, const void *values, size_t n, void *ctx);

/*
 * Call fn on every entry of a hash map, a batch at a time, in memory of
 * one batch (batched lookups, with a one-key-at-a-time fallback).
 * Returns 0, fn's non-zero return, or -errno.
 */
int map_for_each_batch(int fd, size_t key_size, size_t value_size, map_batch_fn fn,
		       void *ctx);

/*
 * The same, deleting the entries as they are read (a hash map's batched
 * lookup-and-delete): the map is empty after a complete walk.  No fallback
 * for kernels without batch ops.
 */
int map_drain_batch(int fd, size_t key_size, size_t value_size, map_batch_fn fn, void *ctx);

/* Read every entry of a hash map into arrays the caller frees. Exposed for tests. */
int map_read_all(int fd, size_t key_size, size_t value_size, void **keys,
		 void **values, size_t *n);

#endif
