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
 *
 * One run is one system call without a preemption point: on a kernel
 * without full preemption every other task on that CPU waits for it to
 * end (1 000 000 records: 140-240 ms).  So a run walks at most
 * MEMLEAK_AGG_MAX_RECORDS records and stops after budget_ns; a map with
 * more records is read out in batches instead (short system calls, the
 * same figures, more CPU).
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

/*
 * Records one run may visit, and the time it may take.  At 110-600 ns a
 * record (few stacks to tens of thousands, bench/aggbench.c) 8192 records
 * take 1-5 ms; the time limit bounds a run on a loaded or slower machine.
 */
#define MEMLEAK_AGG_MAX_RECORDS 8192
#define MEMLEAK_AGG_BUDGET_NS 2000000ULL

/* Why a run stopped before the end of the map (memleak_agg_args.cut). */
enum memleak_agg_cut {
	MEMLEAK_AGG_WHOLE,       /* every record was visited */
	MEMLEAK_AGG_TOO_MANY,    /* more than max_records */
	MEMLEAK_AGG_TOO_LONG,    /* past budget_ns */
};

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
	__u64 max_records;  /* in: stop after visiting this many */
	__u64 budget_ns;    /* in: stop after running this long */
	__u64 records;      /* in: 0; out: records seen */
	__u64 aged;         /* out: records summed */
	__u32 full;         /* out: aged_totals filled up, the sums are partial */
	__u32 cut;          /* out: enum memleak_agg_cut; not WHOLE: partial */
};

#endif /* MEMLEAK_AGGREGATE_TYPES_H */
