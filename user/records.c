// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-process record maintenance on the kernel maps. */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "memleak.h"
#include "records.h"
#include "snapshot.h"

long records_drop(int allocs_fd, int totals_fd, uint32_t tgid, uint32_t gen)
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
		if (ak[i].tgid == tgid && ak[i].gen == gen && !bpf_map_delete_elem(allocs_fd, &ak[i]))
			deleted++;
	free(ak);
	free(av);
	err = map_read_all(totals_fd, sizeof(*sk), sizeof(*sv), (void **)&sk, (void **)&sv, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (sk[i].tgid == tgid && sk[i].gen == gen && !bpf_map_delete_elem(totals_fd, &sk[i]))
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
