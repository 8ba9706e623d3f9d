/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Strings numbered in order of first appearance (0, 1, 2...): the string
 * table of a profile, and the dedup of its locations, functions, mappings.
 */
#ifndef MEMLEAK_STRMAP_H
#define MEMLEAK_STRMAP_H

#include <stddef.h>

struct strmap {
	char **strs;       /* by number */
	size_t n, cap;
	size_t *slots;     /* open addressing: number + 1, 0 = empty */
	size_t nslots;
};

/*
 * The number of s (len bytes, may hold NULs), added if new; *added says
 * which.  Returns -1 when out of memory.
 */
long strmap_intern(struct strmap *m, const char *s, size_t len, int *added);
void strmap_free(struct strmap *m);

#endif
