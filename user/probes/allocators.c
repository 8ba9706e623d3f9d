// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The allocator families and their functions.  Entry order matters: where
 * an allocator exports several names for one address (tcmalloc's malloc is
 * tc_malloc, mimalloc's free is mi_free and operator delete), attach.c
 * probes the address once, under the first name listed here.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/util.h"
#include "probes/allocators.h"

struct known_fn {
	const char *name;
	enum alloc_role role;
	bool core;
};

/* glibc, musl, and every allocator that replaces them. */
static const struct known_fn standard_fns[] = {
	{ "malloc", ROLE_MALLOC, true },
	{ "calloc", ROLE_CALLOC, true },
	{ "realloc", ROLE_REALLOC, true },
	{ "reallocarray", ROLE_REALLOCARRAY, true },
	{ "posix_memalign", ROLE_POSIX_MEMALIGN, true },
	{ "aligned_alloc", ROLE_ALIGNED, true },
	{ "memalign", ROLE_ALIGNED, true },
	{ "valloc", ROLE_MALLOC, true },
	{ "pvalloc", ROLE_MALLOC, true },
	{ "free", ROLE_FREE, true },
	{ "cfree", ROLE_FREE, false },
};

/*
 * C++ operators, probed directly: jemalloc and tcmalloc serve them without
 * calling their own malloc, and libstdc++'s own, built without frame
 * pointers, would hide their caller from a malloc stack.  The malloc they
 * may call is nested, so nothing counts twice.
 */
static const struct known_fn cxx_fns[] = {
	/* new / new[]: size first; nothrow and aligned variants too. */
	{ "_Znwm", ROLE_MALLOC, false },
	{ "_Znam", ROLE_MALLOC, false },
	{ "_ZnwmRKSt9nothrow_t", ROLE_MALLOC, false },
	{ "_ZnamRKSt9nothrow_t", ROLE_MALLOC, false },
	{ "_ZnwmSt11align_val_t", ROLE_MALLOC, false },
	{ "_ZnamSt11align_val_t", ROLE_MALLOC, false },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", ROLE_MALLOC, false },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", ROLE_MALLOC, false },
	/* delete / delete[]: pointer first; sized and aligned variants. */
	{ "_ZdlPv", ROLE_DELETE, false },
	{ "_ZdaPv", ROLE_DELETE, false },
	{ "_ZdlPvm", ROLE_DELETE, false },
	{ "_ZdaPvm", ROLE_DELETE, false },
	{ "_ZdlPvRKSt9nothrow_t", ROLE_DELETE, false },
	{ "_ZdaPvRKSt9nothrow_t", ROLE_DELETE, false },
	{ "_ZdlPvSt11align_val_t", ROLE_DELETE, false },
	{ "_ZdaPvSt11align_val_t", ROLE_DELETE, false },
	{ "_ZdlPvmSt11align_val_t", ROLE_DELETE, false },
	{ "_ZdaPvmSt11align_val_t", ROLE_DELETE, false },
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", ROLE_DELETE, false },
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t", ROLE_DELETE, false },
};

/*
 * jemalloc's non-standard API (arguments line up with malloc, realloc and
 * free).  xallocx resizes in place and is not followed: a block it grows
 * keeps the size it was allocated with.
 */
static const struct known_fn jemalloc_fns[] = {
	{ "mallocx", ROLE_MALLOC, false },      /* (size, flags) */
	{ "rallocx", ROLE_REALLOC, false },     /* (ptr, size, flags) */
	{ "sdallocx", ROLE_FREE, false },       /* (ptr, size, flags) */
	{ "dallocx", ROLE_FREE, false },        /* (ptr, flags) */
	{ "mallctl", ROLE_MARKER, false },
};

/* Names a jemalloc built with --with-jemalloc-prefix=je_ exports. */
static const char *const je_prefix = "je_";

static const struct known_fn tcmalloc_fns[] = {
	{ "tc_malloc", ROLE_MALLOC, false },
	{ "tc_malloc_skip_new_handler", ROLE_MALLOC, false },
	{ "tc_calloc", ROLE_CALLOC, false },
	{ "tc_realloc", ROLE_REALLOC, false },
	{ "tc_memalign", ROLE_ALIGNED, false },
	{ "tc_posix_memalign", ROLE_POSIX_MEMALIGN, false },
	{ "tc_valloc", ROLE_MALLOC, false },
	{ "tc_pvalloc", ROLE_MALLOC, false },
	{ "tc_free", ROLE_FREE, false },
	{ "tc_free_sized", ROLE_FREE, false },
	{ "tc_cfree", ROLE_FREE, false },
	{ "tc_new", ROLE_MALLOC, false },
	{ "tc_newarray", ROLE_MALLOC, false },
	{ "tc_new_nothrow", ROLE_MALLOC, false },
	{ "tc_newarray_nothrow", ROLE_MALLOC, false },
	{ "tc_new_aligned", ROLE_MALLOC, false },                 /* (size, align) */
	{ "tc_newarray_aligned", ROLE_MALLOC, false },
	{ "tc_new_aligned_nothrow", ROLE_MALLOC, false },
	{ "tc_newarray_aligned_nothrow", ROLE_MALLOC, false },
	{ "tc_delete", ROLE_DELETE, false },
	{ "tc_deletearray", ROLE_DELETE, false },
	{ "tc_delete_sized", ROLE_DELETE, false },
	{ "tc_deletearray_sized", ROLE_DELETE, false },
	{ "tc_delete_nothrow", ROLE_DELETE, false },
	{ "tc_deletearray_nothrow", ROLE_DELETE, false },
	{ "tc_delete_aligned", ROLE_DELETE, false },
	{ "tc_deletearray_aligned", ROLE_DELETE, false },
	{ "tc_delete_sized_aligned", ROLE_DELETE, false },
	{ "tc_deletearray_sized_aligned", ROLE_DELETE, false },
	{ "tc_delete_aligned_nothrow", ROLE_DELETE, false },
	{ "tc_deletearray_aligned_nothrow", ROLE_DELETE, false },
	{ "tc_version", ROLE_MARKER, false },
};

/*
 * mimalloc's own API.  The mi_heap_* functions (an explicit heap, which
 * mi_heap_destroy frees wholesale) and mi_strdup/mi_realpath are not
 * followed.
 */
static const struct known_fn mimalloc_fns[] = {
	{ "mi_malloc", ROLE_MALLOC, false },
	{ "mi_malloc_small", ROLE_MALLOC, false },
	{ "mi_zalloc", ROLE_MALLOC, false },
	{ "mi_zalloc_small", ROLE_MALLOC, false },
	{ "mi_calloc", ROLE_CALLOC, false },
	{ "mi_mallocn", ROLE_CALLOC, false },                     /* (count, size) */
	{ "mi_realloc", ROLE_REALLOC, false },
	{ "mi_rezalloc", ROLE_REALLOC, false },
	{ "mi_reallocn", ROLE_REALLOCARRAY, false },              /* (p, count, size) */
	{ "mi_recalloc", ROLE_REALLOCARRAY, false },
	{ "mi_reallocarray", ROLE_REALLOCARRAY, false },
	{ "mi_malloc_aligned", ROLE_MALLOC, false },              /* (size, align) */
	{ "mi_malloc_aligned_at", ROLE_MALLOC, false },
	{ "mi_zalloc_aligned", ROLE_MALLOC, false },
	{ "mi_zalloc_aligned_at", ROLE_MALLOC, false },
	{ "mi_calloc_aligned", ROLE_CALLOC, false },              /* (count, size, align) */
	{ "mi_calloc_aligned_at", ROLE_CALLOC, false },
	{ "mi_realloc_aligned", ROLE_REALLOC, false },            /* (p, size, align) */
	{ "mi_realloc_aligned_at", ROLE_REALLOC, false },
	{ "mi_rezalloc_aligned", ROLE_REALLOC, false },
	{ "mi_rezalloc_aligned_at", ROLE_REALLOC, false },
	{ "mi_recalloc_aligned", ROLE_REALLOCARRAY, false },
	{ "mi_recalloc_aligned_at", ROLE_REALLOCARRAY, false },
	{ "mi_posix_memalign", ROLE_POSIX_MEMALIGN, false },
	{ "mi_memalign", ROLE_ALIGNED, false },
	{ "mi_aligned_alloc", ROLE_ALIGNED, false },
	{ "mi_valloc", ROLE_MALLOC, false },
	{ "mi_pvalloc", ROLE_MALLOC, false },
	{ "mi_new", ROLE_MALLOC, false },
	{ "mi_new_nothrow", ROLE_MALLOC, false },
	{ "mi_new_aligned", ROLE_MALLOC, false },                 /* (size, align) */
	{ "mi_new_aligned_nothrow", ROLE_MALLOC, false },
	{ "mi_new_n", ROLE_CALLOC, false },                       /* (count, size) */
	{ "mi_new_realloc", ROLE_REALLOC, false },
	{ "mi_new_reallocn", ROLE_REALLOCARRAY, false },
	{ "mi_free", ROLE_FREE, false },
	{ "mi_cfree", ROLE_FREE, false },
	{ "mi_free_size", ROLE_FREE, false },
	{ "mi_free_aligned", ROLE_FREE, false },
	{ "mi_free_size_aligned", ROLE_FREE, false },
	{ "mi_version", ROLE_MARKER, false },
};

/* Symbols only one libc defines: they name the object, nothing is probed. */
static const struct known_fn glibc_markers[] = {
	{ "gnu_get_libc_version", ROLE_MARKER, false },
	{ "malloc_trim", ROLE_MARKER, false },
};

static const struct known_fn musl_markers[] = {
	{ "__libc_malloc_impl", ROLE_MARKER, false },   /* mallocng */
	{ "__simple_malloc", ROLE_MARKER, false },      /* static programs that never free */
	{ "__malloc_donate", ROLE_MARKER, false },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int push(struct alloc_table *t, size_t *cap, const char *prefix, const char *name,
		enum alloc_role role, enum alloc_family family, uint8_t arg, bool core)
{
	struct alloc_fn *f;

	if (array_reserve((void **)&t->fns, cap, t->n + 1, sizeof(*t->fns)))
		return -ENOMEM;
	f = &t->fns[t->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s%s", prefix, name);
	f->role = role;
	f->family = family;
	f->arg = arg;
	f->core = core;
	return 0;
}

static int push_list(struct alloc_table *t, size_t *cap, const char *prefix,
		     const struct known_fn *list, size_t n, enum alloc_family family)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = push(t, cap, prefix, list[i].name, list[i].role, family, 0,
			   list[i].core && !*prefix);
		if (err)
			return err;
	}
	return 0;
}

int alloc_table_build(struct alloc_table *t, const char *prefix,
		      const struct custom_fn_spec *custom, size_t ncustom)
{
	size_t cap = 0, i;
	int err;

	memset(t, 0, sizeof(*t));
	err = push_list(t, &cap, "", standard_fns, ARRAY_LEN(standard_fns), FAM_STANDARD) ?:
	      push_list(t, &cap, "", cxx_fns, ARRAY_LEN(cxx_fns), FAM_CXX) ?:
	      push_list(t, &cap, "", jemalloc_fns, ARRAY_LEN(jemalloc_fns), FAM_JEMALLOC) ?:
	      push_list(t, &cap, je_prefix, standard_fns, ARRAY_LEN(standard_fns),
			FAM_JEMALLOC) ?:
	      push_list(t, &cap, je_prefix, jemalloc_fns, ARRAY_LEN(jemalloc_fns),
			FAM_JEMALLOC) ?:
	      push_list(t, &cap, "", tcmalloc_fns, ARRAY_LEN(tcmalloc_fns), FAM_TCMALLOC) ?:
	      push_list(t, &cap, "", mimalloc_fns, ARRAY_LEN(mimalloc_fns), FAM_MIMALLOC) ?:
	      push_list(t, &cap, "", glibc_markers, ARRAY_LEN(glibc_markers), FAM_GLIBC) ?:
	      push_list(t, &cap, "", musl_markers, ARRAY_LEN(musl_markers), FAM_MUSL);
	if (!err && prefix && *prefix && strcmp(prefix, je_prefix))
		err = push_list(t, &cap, prefix, standard_fns, ARRAY_LEN(standard_fns),
				FAM_PREFIX) ?:
		      push_list(t, &cap, prefix, jemalloc_fns, ARRAY_LEN(jemalloc_fns),
				FAM_PREFIX);
	for (i = 0; !err && i < ncustom; i++)
		err = push(t, &cap, "", custom[i].name,
			   custom[i].is_free ? ROLE_CUSTOM_FREE : ROLE_CUSTOM_ALLOC,
			   FAM_CUSTOM, custom[i].arg, false);
	if (err)
		alloc_table_free(t);
	return err;
}

void alloc_table_free(struct alloc_table *t)
{
	free(t->fns);
	t->fns = NULL;
	t->n = 0;
}

/* The argument layouts of enum alloc_role, as their entry programs read them. */
static const unsigned int role_args[] = {
	[ROLE_MALLOC] = 1,          /* size */
	[ROLE_CALLOC] = 2,          /* nmemb, size */
	[ROLE_REALLOC] = 2,         /* ptr, size */
	[ROLE_REALLOCARRAY] = 3,    /* ptr, nmemb, size */
	[ROLE_POSIX_MEMALIGN] = 3,  /* memptr, alignment, size */
	[ROLE_ALIGNED] = 2,         /* alignment, size */
	[ROLE_FREE] = 1,            /* ptr */
	[ROLE_DELETE] = 1,          /* ptr */
	[ROLE_MARKER] = 0,
};

unsigned int alloc_fn_args(const struct alloc_fn *f)
{
	/* --alloc-fn/--free-fn NAME:N: the program picks argument N of 1..N. */
	if (f->role == ROLE_CUSTOM_ALLOC || f->role == ROLE_CUSTOM_FREE)
		return f->arg;
	return (size_t)f->role < sizeof(role_args) / sizeof(role_args[0]) ? role_args[f->role]
									: ALLOC_ARG_MAX;
}

bool alloc_role_allocates(enum alloc_role role)
{
	switch (role) {
	case ROLE_FREE:
	case ROLE_DELETE:
	case ROLE_CUSTOM_FREE:
	case ROLE_MARKER:
		return false;
	default:
		return true;
	}
}

static const char *const family_names[FAM__MAX] = {
	[FAM_GLIBC] = "glibc", [FAM_MUSL] = "musl", [FAM_JEMALLOC] = "jemalloc",
	[FAM_TCMALLOC] = "tcmalloc", [FAM_MIMALLOC] = "mimalloc",
	[FAM_PREFIX] = "prefixed allocator", [FAM_CUSTOM] = "custom allocator",
};

/* musl's libc is its dynamic linker; stripped, it has no marker symbols. */
static bool musl_libc_path(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "ld-musl-", 8) || !strncmp(base, "libc.musl-", 10);
}

void alloc_describe_families(const struct alloc_table *t, const bool *found,
			     const char *path, char *buf, size_t len)
{
	bool has[FAM__MAX] = { false };
	size_t i, used = 0;
	bool named = false;
	int f;

	for (i = 0; i < t->n; i++)
		if (found[i])
			has[t->fns[i].family] = true;
	if (has[FAM_STANDARD] && musl_libc_path(path))
		has[FAM_MUSL] = true;
	buf[0] = '\0';
	for (f = 0; f < FAM__MAX; f++) {
		if (!has[f] || !family_names[f])
			continue;
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s",
				 named ? ", " : "", family_names[f]);
		named = true;
	}
	if (named)
		return;
	/* Only the standard names: an allocator we do not know by name. */
	snprintf(buf, len, "%s", has[FAM_STANDARD] ? "malloc (unknown implementation)"
			       : has[FAM_CXX] ? "C++ operators" : "none");
}

static bool symbol_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$';
}

bool alloc_parse_custom(const char *text, bool is_free, struct custom_fn_spec *out,
			char *err, size_t errlen)
{
	const char *colon = strrchr(text, ':');
	const char *what = is_free ? "--free-fn NAME:PTR_ARG" : "--alloc-fn NAME:SIZE_ARG";
	size_t n, i;

	if (!colon || colon == text || colon[1] < '1' || colon[1] > '0' + ALLOC_ARG_MAX ||
	    colon[2]) {
		snprintf(err, errlen, "invalid '%s' (%s, argument 1 to %d)", text, what,
			 ALLOC_ARG_MAX);
		return false;
	}
	n = (size_t)(colon - text);
	if (n >= sizeof(out->name)) {
		snprintf(err, errlen, "function name too long in '%s'", text);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!symbol_char(text[i])) {
			snprintf(err, errlen, "invalid function name in '%s' (%s)", text, what);
			return false;
		}
	}
	memcpy(out->name, text, n);
	out->name[n] = '\0';
	out->arg = (uint8_t)(colon[1] - '0');
	out->is_free = is_free;
	return true;
}

bool alloc_prefix_valid(const char *prefix)
{
	size_t i, n = strlen(prefix);

	if (!n || n >= ALLOC_PREFIX_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)prefix[i]) && prefix[i] != '_')
			return false;
	return true;
}
