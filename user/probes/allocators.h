/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the tracer knows about allocators: the functions of each family
 * (glibc and musl's standard names, C++ operators, jemalloc, tcmalloc,
 * mimalloc), which BPF program each takes by the position of its size or
 * pointer argument, and how to tell from an object's symbols which
 * allocator it holds.  attach.c only attaches what this table says.
 */
#ifndef MEMLEAK_ALLOCATORS_H
#define MEMLEAK_ALLOCATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a function is probed: the argument layout its entry program reads. */
enum alloc_role {
	ROLE_MALLOC,          /* (size, ...) */
	ROLE_CALLOC,          /* (nmemb, size, ...) */
	ROLE_REALLOC,         /* (ptr, size, ...) */
	ROLE_REALLOCARRAY,    /* (ptr, nmemb, size, ...) */
	ROLE_POSIX_MEMALIGN,  /* (memptr, alignment, size) */
	ROLE_ALIGNED,         /* (alignment, size) */
	ROLE_FREE,            /* (ptr, ...): entry only */
	ROLE_DELETE,          /* (ptr, ...): a call of its own (C++ delete) */
	ROLE_CUSTOM_ALLOC,    /* size in argument `arg` (--alloc-fn) */
	ROLE_CUSTOM_FREE,     /* pointer in argument `arg` (--free-fn) */
	ROLE_MARKER,          /* never probed: says which allocator this is */
};

/* Whose function it is; an object may hold several (static binaries). */
enum alloc_family {
	FAM_STANDARD,   /* malloc, free...: whoever defines them */
	FAM_CXX,        /* operator new/delete */
	FAM_GLIBC,
	FAM_MUSL,
	FAM_JEMALLOC,
	FAM_TCMALLOC,
	FAM_MIMALLOC,
	FAM_PREFIX,     /* --alloc-prefix */
	FAM_CUSTOM,     /* --alloc-fn / --free-fn */
	FAM__MAX,
};

#define ALLOC_NAME_MAX 128
#define ALLOC_ARG_MAX 6        /* x86-64 passes six arguments in registers */
#define ALLOC_MAX_CUSTOM 16    /* --alloc-fn and --free-fn together */
#define ALLOC_PREFIX_MAX 32

struct alloc_fn {
	char name[ALLOC_NAME_MAX];
	enum alloc_role role;
	enum alloc_family family;
	uint8_t arg;          /* custom roles: 1-based argument position */
	bool core;            /* -v says when an allocator object lacks it */
};

/* A --alloc-fn / --free-fn request, as parsed from the command line. */
struct custom_fn_spec {
	char name[ALLOC_NAME_MAX];
	uint8_t arg;          /* 1..ALLOC_ARG_MAX */
	bool is_free;
};

struct alloc_table {
	struct alloc_fn *fns;
	size_t n;
};

/*
 * The functions to look for: every known family, PREFIX+name for each
 * standard and jemalloc name if prefix is set, and the custom functions.
 * Returns 0 or -ENOMEM.
 */
int alloc_table_build(struct alloc_table *t, const char *prefix,
		      const struct custom_fn_spec *custom, size_t ncustom);
void alloc_table_free(struct alloc_table *t);

/*
 * How many leading arguments (1 = rdi, 2 = rdi and rsi...) the entry
 * program of f reads: what a probe moved past the entry must leave alone
 * (probe_place.h).
 */
unsigned int alloc_fn_args(const struct alloc_fn *f);

/* Entries that make an object an allocator (not markers, not frees). */
bool alloc_role_allocates(enum alloc_role role);

/*
 * Name the allocator(s) an object holds, from which entries of t were found
 * in it (found[i] for t->fns[i]) and its path: "jemalloc", "glibc, jemalloc",
 * "tcmalloc", "C++ operators"...  Writes into buf (always terminated).
 */
void alloc_describe_families(const struct alloc_table *t, const bool *found,
			     const char *path, char *buf, size_t len);

/* "name:ARG" -> spec; false with a reason in err on a bad value. */
bool alloc_parse_custom(const char *text, bool is_free, struct custom_fn_spec *out,
			char *err, size_t errlen);

/* A symbol prefix: letters, digits and '_', 1..ALLOC_PREFIX_MAX-1 bytes. */
bool alloc_prefix_valid(const char *prefix);

#endif
