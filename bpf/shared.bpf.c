// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one definition of everything shared.bpf.h declares: the maps and
 * settings more than one file of memleak.bpf.o uses, and the object's
 * license.  No programs: each concern has its own file.
 *
 * memleakbpf's kernel side keeps an exact account of live allocations per
 * process and stack: uprobes on the allocation family (alloc.bpf.c, or
 * sampled.bpf.c), mapping calls (mappings.bpf.c), the OOM killer's choice
 * (oom.bpf.c) and the traced processes' lives (follow.bpf.c), with user
 * stacks walked in BPF (unwind.bpf.c).
 */
#include "shared.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;
const volatile __u64 sample_bytes = 0;
const volatile __u32 unwind_mode = MEMLEAK_UNWIND_AUTO;
const volatile __u32 no_script_frames = 0;

struct traced_pids_map traced_pids SEC(".maps");
struct allocs_map allocs SEC(".maps");
struct stack_totals_map stack_totals SEC(".maps");
struct stack_traces_map stack_traces SEC(".maps");
struct stats_map stats SEC(".maps");
struct pending_map pending SEC(".maps");
struct events_map events SEC(".maps");
struct script_scratch_map script_scratch SEC(".maps");
