// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-process record maintenance on the kernel maps. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "collect/map_batch.h"
#include "collect/records.h"
#include "memleak.h"

static bool dropped(const struct proc_id *ids, size_t n, uint32_t tgid, uint32_t gen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i].tgid == tgid && ids[i].gen == gen)
			return true;
	return false;
}

/* One map's walk: the map, and the process generations whose entries go. */
struct drop_walk {
	int fd;
	const struct proc_id *ids;
	size_t nids;
	long deleted;
};

/* Batch callbacks, one per key type (alloc_key, stack_key). */
static int drop_allocs(const void *keys, const void *values, size_t n, void *p)
{
	const struct alloc_key *k = keys;
	struct drop_walk *w = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (dropped(w->ids, w->nids, k[i].tgid, k[i].gen) &&
		    !bpf_map_delete_elem(w->fd, &k[i]))
			w->deleted++;
	return 0;
}

static int drop_totals(const void *keys, const void *values, size_t n, void *p)
{
	const struct stack_key *k = keys;
	struct drop_walk *w = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (dropped(w->ids, w->nids, k[i].tgid, k[i].gen) &&
		    !bpf_map_delete_elem(w->fd, &k[i]))
			w->deleted++;
	return 0;
}

/*
 * A batch at a time, deleting as it goes: memory of one batch whatever the
 * number of live records (a service's children exit by the thousand), and
 * each batch a short system call.  Deleting entries already returned does
 * not disturb the walk: it resumes at the next bucket.
 */
long records_drop(int allocs_fd, int totals_fd, const struct proc_id *ids, size_t nids)
{
	struct drop_walk a = { .fd = allocs_fd, .ids = ids, .nids = nids };
	struct drop_walk t = { .fd = totals_fd, .ids = ids, .nids = nids };
	int err;

	err = map_for_each_batch(allocs_fd, sizeof(struct alloc_key), sizeof(struct alloc_info),
				 drop_allocs, &a);
	if (!err)
		err = map_for_each_batch(totals_fd, sizeof(struct stack_key),
					 sizeof(struct stack_total), drop_totals, &t);
	return err ? err : a.deleted + t.deleted;
}

int records_totals(int totals_fd, uint32_t tgid, uint32_t gen, uint64_t *bytes,
		   uint64_t *allocs)
{
	struct stack_key *sk;
	struct stack_total *sv;
	size_t i, n;
	int err;

	*bytes = *allocs = 0;
	err = map_read_all(totals_fd, sizeof(*sk), sizeof(*sv), (void **)&sk, (void **)&sv, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (sk[i].tgid != tgid || sk[i].gen != gen)
			continue;
		*bytes += sv[i].bytes;
		*allocs += sv[i].count;
	}
	free(sk);
	free(sv);
	return 0;
}
