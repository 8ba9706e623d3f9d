// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* String numbering with a linear-probing hash table that doubles at 1/2 load. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/util.h"
#include "out/strmap.h"

/* Strings are stored with their length in front, so NULs may be inside. */
static size_t stored_len(const char *p)
{
	size_t len;

	memcpy(&len, p - sizeof(len), sizeof(len));
	return len;
}

static size_t find_slot(const struct strmap *m, const char *s, size_t len)
{
	size_t i = fnv1a_bytes(FNV1A_INIT, s, len) & (m->nslots - 1);

	for (;; i = (i + 1) & (m->nslots - 1)) {
		const char *t;

		if (!m->slots[i])
			return i;
		t = m->strs[m->slots[i] - 1];
		if (stored_len(t) == len && !memcmp(t, s, len))
			return i;
	}
}

static int grow(struct strmap *m)
{
	size_t nslots = m->nslots ? m->nslots * 2 : 64, i;
	size_t *old = m->slots, oldn = m->nslots;

	m->slots = calloc(nslots, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -1;
	}
	m->nslots = nslots;
	for (i = 0; i < oldn; i++) {
		const char *t;

		if (!old[i])
			continue;
		t = m->strs[old[i] - 1];
		m->slots[find_slot(m, t, stored_len(t))] = old[i];
	}
	free(old);
	return 0;
}

long strmap_intern(struct strmap *m, const char *s, size_t len, int *added)
{
	size_t slot;
	char *copy;

	*added = 0;
	if ((m->n + 1) * 2 > m->nslots && grow(m))
		return -1;
	slot = find_slot(m, s, len);
	if (m->slots[slot])
		return (long)(m->slots[slot] - 1);
	if (array_reserve((void **)&m->strs, &m->cap, m->n + 1, sizeof(*m->strs)))
		return -1;
	copy = malloc(sizeof(len) + len + 1);
	if (!copy)
		return -1;
	memcpy(copy, &len, sizeof(len));
	memcpy(copy + sizeof(len), s, len);
	copy[sizeof(len) + len] = '\0';
	m->strs[m->n] = copy + sizeof(len);
	m->slots[slot] = ++m->n;
	*added = 1;
	return (long)(m->n - 1);
}

void strmap_free(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->strs[i] - sizeof(size_t));
	free(m->strs);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
