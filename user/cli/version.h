/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --version: what was built (version, git describe, libbpf) and what the
 * running kernel offers the tracer (BTF, uprobe_multi, uprobe sessions),
 * so that a bug report or a node check says both in one go.
 */
#ifndef MEMLEAK_VERSION_H
#define MEMLEAK_VERSION_H

#include <stdio.h>

void version_print(FILE *out);

/* The version and the git describe this binary was built from. */
const char *version_string(void);
const char *version_git(void);

#endif
