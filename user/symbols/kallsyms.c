// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/kallsyms: kernel text symbols, sorted, for the frames of -k. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/util.h"
#include "symbols/kallsyms.h"

/* A line longer than this is no symbol line (names are < 512 bytes). */
#define LINE_MAX_ 1024

struct ksym {
	uint64_t addr;
	uint32_t name;    /* offset in names */
	uint32_t module;  /* offset in names of "[kernel]" or "[mod]" */
};

struct kallsyms {
	struct ksym *syms;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
	uint32_t last_module;   /* the module string entered last (lines come grouped) */
};

static int add_name(struct kallsyms *k, const char *s, uint32_t *at)
{
	size_t n = strlen(s) + 1;

	if (k->names_len + n > UINT32_MAX)
		return -E2BIG;
	if (array_reserve((void **)&k->names, &k->names_cap, k->names_len + n, 1))
		return -ENOMEM;
	memcpy(k->names + k->names_len, s, n);
	*at = (uint32_t)k->names_len;
	k->names_len += n;
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* One line: "ffffffff81000000 T _stext" or "... t name\t[module]". */
static int add_line(struct kallsyms *k, char *line, bool *nonzero)
{
	char type, name[LINE_MAX_], module[LINE_MAX_] = "[kernel]";
	unsigned long long addr;
	struct ksym sym;
	int err;

	if (sscanf(line, "%llx %c %1023s %1023s", &addr, &type, name, module) < 3)
		return 0;
	if (addr)
		*nonzero = true;
	/* Text only: frames are code; the section markers are 'T' too. */
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	if (array_reserve((void **)&k->syms, &k->cap, k->n + 1, sizeof(*k->syms)))
		return -ENOMEM;
	sym.addr = addr;
	err = add_name(k, name, &sym.name);
	if (err)
		return err;
	if (k->names_len && strcmp(k->names + k->last_module, module)) {
		err = add_name(k, module, &k->last_module);
		if (err)
			return err;
	}
	sym.module = k->last_module;
	k->syms[k->n++] = sym;
	return 0;
}

struct kallsyms *kallsyms_load(const char *path, char *err, size_t len)
{
	struct kallsyms *k = calloc(1, sizeof(*k));
	char line[LINE_MAX_];
	bool nonzero = false;
	FILE *f;
	int e = 0;

	if (!k) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	f = fopen(path ? path : "/proc/kallsyms", "re");
	if (!f) {
		snprintf(err, len, "cannot read %s: %s", path ? path : "/proc/kallsyms",
			 strerror(errno));
		free(k);
		return NULL;
	}
	if (add_name(k, "[kernel]", &k->last_module))
		e = -ENOMEM;
	while (!e && fgets(line, sizeof(line), f))
		e = add_line(k, line, &nonzero);
	fclose(f);
	if (e || !k->n || !nonzero) {
		if (e)
			snprintf(err, len, "cannot read kernel symbols: %s", strerror(-e));
		else
			snprintf(err, len, "kernel symbol addresses are hidden (all zero in "
				 "/proc/kallsyms): set kernel.kptr_restrict to 0 or 1 "
				 "(sysctl -w kernel.kptr_restrict=1) and run as root");
		kallsyms_free(k);
		return NULL;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), by_addr);
	return k;
}

void kallsyms_free(struct kallsyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->names);
	free(k);
}

/* Index of the last symbol at or below addr, or -1. */
static ssize_t floor_index(const struct kallsyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ssize_t)lo - 1;
}

/*
 * Symbols sharing an address: prefer the function over the padding
 * (__pfx_) and section markers (_stext, __irqentry_text_start).
 */
static bool is_marker(const char *name)
{
	return !strncmp(name, "__pfx_", 6) || strstr(name, "_text_start") ||
	       strstr(name, "_text_end") || !strcmp(name, "_stext") || !strcmp(name, "_text");
}

bool kallsyms_resolve(const struct kallsyms *k, uint64_t addr, const char **name,
		      uint64_t *offset, const char **module)
{
	ssize_t i = k ? floor_index(k, addr) : -1;
	ssize_t j;

	if (i < 0)
		return false;
	/* A module's last function has no end: 1 MiB is past any. */
	if (addr - k->syms[i].addr > (1u << 20))
		return false;
	for (j = i; j > 0 && k->syms[j - 1].addr == k->syms[i].addr &&
		    is_marker(k->names + k->syms[j].name); j--)
		;
	if (is_marker(k->names + k->syms[j].name))
		j = i;
	*name = k->names + k->syms[j].name;
	*offset = addr - k->syms[j].addr;
	*module = k->names + k->syms[j].module;
	return true;
}

bool kallsyms_addr(const struct kallsyms *k, const char *name, uint64_t *addr)
{
	size_t i;

	for (i = 0; k && i < k->n; i++) {
		if (!strcmp(k->names + k->syms[i].name, name)) {
			*addr = k->syms[i].addr;
			return true;
		}
	}
	return false;
}

bool kallsyms_range(const struct kallsyms *k, const char *name, uint64_t *start,
		    uint64_t *end)
{
	ssize_t i;

	if (!kallsyms_addr(k, name, start))
		return false;
	for (i = floor_index(k, *start); i >= 0 && (size_t)i < k->n; i++) {
		if (k->syms[i].addr > *start) {
			*end = k->syms[i].addr;
			return true;
		}
	}
	return false;
}
