/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Script frames in allocation stacks (Python 3.11, PHP 8.2): which traced
 * processes run an interpreter, what the BPF side needs to read its frames
 * (the script_procs map), and turning the frames it stored with a stack
 * (bpf/memleak.h) into function names, files and lines, interleaved with
 * the native frames where the interpreter's eval loop is.
 *
 * Opaque; one per tracer.  Per process: the interpreter found once per
 * generation, /proc/PID/mem kept open, and a bounded cache of the code
 * objects seen, revalidated once per report (a code object may be freed
 * and its memory reused).
 */
#ifndef MEMLEAK_SCRIPTS_H
#define MEMLEAK_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct scripts;

struct scripts_opts {
	int procs_map_fd;   /* the BPF side's script_procs */
	bool disabled;      /* --no-script-frames: never look */
	/* The BPF side's script_procs_entered: set when the first interpreter is entered. */
	volatile uint32_t *entered;
};

struct scripts *scripts_new(const struct scripts_opts *opts);
void scripts_free(struct scripts *s);

/*
 * pid (generation gen) maps what it maps now: look for an interpreter,
 * once per generation (a new image at exec looks again), and enter it for
 * the BPF side.  An interpreter of an unknown version is said once, on
 * one line, and gets native frames.
 */
void scripts_update_process(struct scripts *s, pid_t pid, uint32_t gen);

/* pid is gone: its interpreter, cache and BPF entry go. */
void scripts_forget(struct scripts *s, pid_t pid);

/* A new report: cached code objects are checked again before use. */
void scripts_begin_report(struct scripts *s);

/* One frame of a stack, native or script. */
struct mixed_frame {
	uint64_t addr;           /* native: the return address; script: 0 */
	unsigned int runtime;    /* enum memleak_runtime */
	const char *symbol;      /* script: the function's qualified name */
	const char *file;        /* script: its source file */
	int line;                /* script: the line running; 0 = unknown */
};

/*
 * The frames of a stack as stored (ips: MEMLEAK_MAX_STACK_DEPTH words),
 * whose native part is the n addresses of native (already normalized):
 * each script frame goes before the eval-loop frame running it, innermost
 * first; those the native walk did not reach go outermost.  Writes at most
 * cap frames to out and returns how many; *script_truncated: frames were
 * left unread (depth limit).  Strings belong to s (interned, kept).
 */
size_t scripts_merge(struct scripts *s, pid_t pid, const uint64_t *ips, const uint64_t *native,
		     size_t n, struct mixed_frame *out, size_t cap, bool *script_truncated);

/*
 * The order of a merged stack, from the script words (count, innermost
 * first) and the n native addresses: before each native frame in_eval says
 * is the eval loop's, the script frames up to the next entry frame; the
 * rest outermost.  At most cap slots; returns how many.  (Exposed for tests.)
 */
struct interleave_slot {
	bool script;     /* words[index], else native[index] */
	size_t index;
};

size_t scripts_interleave(const uint64_t *words, size_t count, const uint64_t *native, size_t n,
			  bool (*in_eval)(uint64_t addr, void *ctx), void *ctx,
			  struct interleave_slot *out, size_t cap);

/* The script frames stored after a stack's native part: their count (0: none). */
size_t scripts_stored_count(const uint64_t *ips);

#endif
