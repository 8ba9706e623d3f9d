/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The analysed, symbolized view of one report.  Every renderer reads only
 * this structure: adding an output format is its own file, a value of
 * enum output_format and a row of the format table (out/render.h),
 * nothing else.
 */
#ifndef MEMLEAK_REPORT_H
#define MEMLEAK_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>
#include <linux/types.h>
#include "memleak.h"

/* One frame of a stack, innermost first. Unknown strings are NULL. */
struct frame {
	uint64_t addr;      /* absolute address in the process (a return address) */
	const char *symbol; /* function name */
	uint64_t offset;    /* addr - start of symbol */
	const char *module; /* path of the object as the process maps it */
	const char *build_id; /* the module's GNU build id in hex, from the
			       * object the process maps; NULL = none */
	uint64_t module_offset; /* addr relative to the module's load bias
				 * (what addr2line -e MODULE takes) */
	const char *file;   /* source file of the call */
	int line;           /* source line of the call; 0 = unknown */
	bool inlined;       /* a function inlined at this address into the
			     * next frame (same addr); file:line are in it */
	unsigned int runtime; /* enum memleak_runtime: a script frame (Python
			       * function: symbol, file, line; no address or
			       * module) or MEMLEAK_RUNTIME_NATIVE */
};

/* "native", "python", "php": the frame's runtime as outputs name it. */
const char *frame_runtime_name(const struct frame *f);

struct stack_report {
	uint64_t bytes;        /* outstanding bytes (after the age/size filters) */
	uint64_t allocs;       /* outstanding allocations */
	uint32_t kind;         /* enum memleak_kind */
	pid_t *pids;           /* processes holding memory from this stack */
	uint64_t *pid_bytes;   /* bytes of each of pids[], same order */
	size_t npids;
	uint64_t alloc_bytes;  /* allocated since attach, freed or not (malloc
				* kind; mappings: what is mapped now) */
	uint64_t alloc_allocs;
	int64_t oldest_age_ms; /* -1 = unknown (no per-allocation walk) */
	bool stack_lost;       /* the kernel could not record the stack */
	bool truncated;        /* the unwinder stopped before the outermost frame */
	bool estimated;        /* bytes/allocs are scaled estimates (--sample-bytes) */
	double growth_bytes_per_min; /* sustained growth of outstanding bytes over
				      * the run's history; 0 until known */
	double score;          /* leak score: higher = more leak-like (ranking) */
	char slab_cache[MEMLEAK_SLAB_NAME_LEN]; /* kind slab: the cache's name; "" = none */
	struct frame *frames;
	size_t nframes;
};

/*
 * Where a process runs in Kubernetes (procs/k8s.h): from the pod UID and
 * container id in its cgroup path and the kubelet's files.  "" = unknown.
 */
struct k8s_identity {
	char ns[64];            /* namespace (a DNS label: at most 63) */
	char pod[254];          /* pod name (a DNS subdomain: at most 253) */
	char container[64];     /* container name */
	char container_id[65];  /* the runtime's id, 64 hex digits */
	char node[65];          /* the node's name (NODE_NAME, else the hostname) */
};

struct process_report {
	pid_t pid;
	pid_t ns_pid;                /* pid inside its pid namespace; 0 = same */
	pid_t host_pid;              /* pid in the host's pid namespace (what the
				      * kernel sees); pid is the tracer's; 0 = unknown */
	pid_t ppid;                  /* traced parent (--follow), 0 = none */
	bool respawn;                /* replaces an exited child of the same parent */
	int64_t growth_bytes;        /* outstanding change since the previous report */
	int64_t rss_growth_bytes;    /* RSS change since tracing began; 0 if unknown */
	char comm[17];
	int64_t rss_bytes;           /* -1 = unknown (process gone) */
	char *cgroup;                /* memory cgroup path; NULL = not asked or
				      * unknown (pipeline_build_report, want_cgroups) */
	uint64_t outstanding_bytes;  /* all live allocations, no filter */
	uint64_t outstanding_allocs;
	int64_t backing_bytes;       /* allocator's heap and arenas (brk, mmap inside
				      * malloc) made since attach; -1 = not followed */
	int64_t mapped_bytes;        /* anonymous mappings and brk made directly by
				      * the program since attach; -1 = not followed */
	bool exited;
	bool escalated;              /* --escalate: precise probes on it right now */
	const struct k8s_identity *k8s; /* its pod and container; NULL = none known */
};

/* Stack unwinding (--unwind): what its tables take in the kernel. */
struct unwind_usage {
	const char *mode;          /* "fp", "dwarf", "auto"; NULL = unknown */
	uint64_t rows_used, rows_capacity;
	uint64_t objects;          /* objects whose table is loaded */
	uint64_t objects_no_room;  /* tables that did not fit: frame pointers there */
	uint64_t kernel_bytes;     /* rows array + per-process mapping lists */
};

/* What the tracer itself costs, since it started. -1 = unknown. */
struct tracer_cost {
	double user_cpu_s;     /* tracer process, user + system time */
	double bpf_cpu_s;      /* time spent in our BPF programs (kernel stats) */
	uint64_t bpf_runs;     /* BPF program invocations */
	int64_t rss_bytes;     /* tracer's own RSS */
	double report_cpu_s;   /* CPU time building this report */
};

/* How the stacks of a report are ranked (--sort). */
enum stack_sort {
	SORT_GROWTH = 0,       /* leak score, then bytes */
	SORT_BYTES,
	SORT_COUNT,
};

struct report {
	struct timespec time;       /* CLOCK_REALTIME when taken */
	double interval_s;
	bool final;                 /* last report before exit */
	struct process_report *procs;
	size_t nprocs;
	struct stack_report *stacks; /* ranked, at most top_n */
	size_t nstacks;
	size_t stacks_matched;      /* stacks passing the filters, before the cut */
	uint64_t stats[MEMLEAK_STAT__MAX]; /* summed over CPUs, since attach */
	/* The filters this report was made with, for the header. */
	uint64_t min_age_ms;
	uint64_t min_size, max_size;
	unsigned int top_n;
	unsigned int metrics_stacks; /* --metrics-stacks: stacks per process in metrics */
	const char *mode;           /* "precise", "sampled" or "growth" */
	uint64_t sample_bytes;      /* --sample-bytes period, 0 = every call */
	enum stack_sort sort;       /* order of stacks[] */
	struct tracer_cost cost;
	struct unwind_usage unwind;
};

/* Frees everything a report owns (frames' strings belong to the symbolizer). */
void report_free(struct report *r);

#endif
