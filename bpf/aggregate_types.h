/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the in-kernel aggregation (bpf/aggregate.bpf.c) and user
 * space (user/collect/aggregate.c).
 *
 * An age-filtered report needs, per (process, stack), the bytes, count and
 * oldest time of the live allocations at least min_age old.  Copying every
 * record to user space costs ~250 ns each; the aggregate program sums them
 * where they are, on demand (BPF_PROG_TEST_RUN of a syscall program), and
 * user space reads back one entry per stack.
 */
#ifndef MEMLEAK_AGGREGATE_TYPES_H
#define MEMLEAK_AGGREGATE_TYPES_H

/*
 * Slots of the program's direct-mapped cache in front of aged_totals: a
 * power of two, 40 bytes each (640 KiB).  Measured (bench/aggbench.c): up
 * to a few thousand stacks nearly every record hits its stack's slot;
 * 4096 slots cost 60% more per record at 10 000 stacks, 65 536 no less.
 */
#define MEMLEAK_AGG_SLOTS 16384

/* Value of aged_totals, keyed by struct stack_key. */
struct memleak_aged {
	__u64 bytes;
	__u64 count;
	__u64 oldest_ts_ns;
};

/* The program's context: read by it, written back by the kernel. */
struct memleak_agg_args {
	__u64 now_ns;       /* in: the snapshot's CLOCK_MONOTONIC time */
	__u64 min_age_ns;   /* in: younger records are left out */
	__u64 records;      /* out: records seen */
	__u64 aged;         /* out: records summed */
	__u32 full;         /* out: aged_totals filled up, the sums are partial */
	__u32 pad;
};

#endif /* MEMLEAK_AGGREGATE_TYPES_H */
