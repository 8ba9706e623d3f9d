/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * -c: start a command held before exec, so probes are in place before
 * its first allocation.  No ptrace, no signals: the child waits on a pipe.
 */
#ifndef MEMLEAK_LAUNCH_H
#define MEMLEAK_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct launch {
	pid_t pid;
	int release_fd;      /* write end: one byte releases the child */
	int exec_err_fd;     /* read end: errno if exec failed, EOF if it worked */
	char **objects;      /* executable + shared objects it will load */
	size_t nobjects, cap_objects;
	char **env;          /* leading NAME=VALUE words: set for the command only */
	size_t nenv, cap_env;
	char **envp;         /* the command's environment (ours + env) */
	char exe[4096];
};

/*
 * Split cmdline into argv (shell-like quoting, no expansion of commands),
 * find the executable in PATH, list the objects it will map, and fork a
 * child that waits.  Leading NAME=VALUE words are set in the command's
 * environment, as a shell does ("LD_PRELOAD=/lib/libjemalloc.so.2 ./srv"),
 * and its dynamic linker lists the objects with them.  Returns 0, or
 * -errno with a one-line reason in err.
 */
int launch_prepare(struct launch *l, const char *cmdline, char *err, size_t errlen);

/* Let the child exec.  Returns 0, or -errno if exec failed (reason in err). */
int launch_release(struct launch *l, char *err, size_t errlen);

/* Kill and reap a child that was never released (attach failed). */
void launch_abort(struct launch *l);

void launch_free(struct launch *l);

/*
 * Parse the output of "ld.so --list": one path per "name => /path (addr)"
 * or "/path (addr)" line.  Exposed for tests.
 */
int launch_parse_ldlist(const char *text, char ***paths, size_t *n);

/* word is NAME=VALUE with a valid variable name.  Exposed for tests. */
bool launch_is_assignment(const char *word);

#endif
