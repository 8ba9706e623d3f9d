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

long records_drop(int allocs_fd, int totals_fd, const struct proc_id *ids, size_t nids)
{
	struct alloc_key *ak;
	struct alloc_info *av;
	struct stack_key *sk;
	struct stack_total *sv;
	size_t i, n;
	long deleted = 0;
	int err;

	err = map_read_all(allocs_fd, sizeof(*ak), sizeof(*av), (void **)&ak, (void **)&av, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (dropped(ids, nids, ak[i].tgid, ak[i].gen) &&
		    !bpf_map_delete_elem(allocs_fd, &ak[i]))
			deleted++;
	free(ak);
	free(av);
	err = map_read_all(totals_fd, sizeof(*sk), sizeof(*sv), (void **)&sk, (void **)&sv, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (dropped(ids, nids, sk[i].tgid, sk[i].gen) &&
		    !bpf_map_delete_elem(totals_fd, &sk[i]))
			deleted++;
	free(sk);
	free(sv);
	return deleted;
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
