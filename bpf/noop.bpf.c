// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Empty programs for the benchmark's floor (--probe-floor): the same
 * probes at the same places doing nothing, so their cost is the trap alone.
 */
#include "shared.bpf.h"

SEC("uprobe")
int BPF_KPROBE(noop_enter)
{
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(noop_return)
{
	return 0;
}
