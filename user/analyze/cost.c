// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tracer's own cost, for the footer of every report. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "analyze/cost.h"
#include "procs/procfs.h"

int cost_enable_bpf_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

double cost_cpu_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return -1;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void cost_measure(const struct bpf_object *obj, int stats_fd, struct tracer_cost *c)
{
	struct bpf_program *prog;
	uint64_t ns = 0, runs = 0;

	c->user_cpu_s = cost_cpu_s();
	c->rss_bytes = procfs_rss_bytes(getpid());
	c->bpf_cpu_s = -1;
	c->bpf_runs = 0;
	if (stats_fd < 0 || !obj)
		return;
	/* Only our programs: the kernel counts every program while stats are on. */
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		ns += info.run_time_ns;
		runs += info.run_cnt;
	}
	c->bpf_cpu_s = ns / 1e9;
	c->bpf_runs = runs;
}
