/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The few primitives every part of the tracer uses: one clock, one hash,
 * one growable array.  Kept here once so that no module grows its own.
 */
#ifndef MEMLEAK_UTIL_H
#define MEMLEAK_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * CLOCK_MONOTONIC, the clock bpf_ktime_get_ns() reads, so kernel
 * timestamps (allocation times) and user-space times compare directly.
 */
uint64_t mono_ns(void);

static inline uint64_t mono_ms(void)
{
	return mono_ns() / 1000000;
}

/*
 * User CPU time of a process (pid > 0, our child) or of the calling
 * thread (pid 0): what a time budget charges.  Not the wall clock, which
 * a loaded machine stretches, nor system time, which the traps of
 * system-wide uprobes on the C library add to every malloc (5x the
 * user time while building an unwind table).  0 when it cannot be read.
 */
uint64_t user_cpu_ns(pid_t pid);

/*
 * This process's mapped bytes (VmSize, /proc/self/statm): what a
 * sandboxed child's RLIMIT_AS is set relative to.  0 if unreadable.
 */
uint64_t own_mapped_bytes(void);

/*
 * FNV-1a, 64 bits: identities of stacks and strings, table slots.  Not a
 * defence against chosen collisions: nothing keyed by it trusts it alone.
 */
#define FNV1A_INIT 0xcbf29ce484222325ULL
#define FNV1A_PRIME 0x100000001b3ULL

static inline uint64_t fnv1a_bytes(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n--)
		h = (h ^ *p++) * FNV1A_PRIME;
	return h;
}

static inline uint64_t fnv1a_str(uint64_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * FNV1A_PRIME;
	return h;
}

/* One 64-bit word in a single step (addresses, kinds): cheaper than by byte. */
static inline uint64_t fnv1a_word(uint64_t h, uint64_t v)
{
	return (h ^ v) * FNV1A_PRIME;
}

/*
 * Make room for n elements of size bytes in *arr, whose capacity is *cap
 * elements: doubles (from 16), checks for overflow, keeps *arr on failure.
 * Returns 0 or -ENOMEM.
 *
 *	if (array_reserve((void **)&v->items, &v->cap, v->n + 1, sizeof(*v->items)))
 *		return -ENOMEM;
 */
int array_reserve(void **arr, size_t *cap, size_t n, size_t size);

#endif
