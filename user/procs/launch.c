// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Starting a command held before exec.  The objects it will map are known
 * before it runs: the executable, and for a dynamic one what its own
 * dynamic linker lists with --list (which honours LD_PRELOAD and
 * LD_LIBRARY_PATH and runs none of the program's code).  The uprobes go on
 * those files for the child's pid; exec keeps the pid, so they apply from
 * the first instruction of the new image.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wordexp.h>
#include <sys/wait.h>
#include "probes/elf_syms.h"
#include "cli/errors.h"
#include "lib/util.h"
#include "procs/launch.h"

extern char **environ;

/* Append a copy of path to the array *v of *n (capacity *cap), once. */
static int push_path(char ***v, size_t *n, size_t *cap, const char *path)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i], path))
			return 0;
	if (array_reserve((void **)v, cap, *n + 1, sizeof(**v)))
		return -ENOMEM;
	(*v)[*n] = strdup(path);
	if (!(*v)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int launch_parse_ldlist(const char *text, char ***paths, size_t *n)
{
	const char *line = text;
	size_t cap = 0;

	*paths = NULL;
	*n = 0;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[4096], *p, *end;

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = eol ? eol + 1 : NULL;

		p = strstr(buf, "=> ");
		p = p ? p + 3 : buf;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '/')
			continue; /* "not found", vdso, statically linked */
		end = strstr(p, " (");
		if (end)
			*end = '\0';
		if (push_path(paths, n, &cap, p))
			return -ENOMEM;
	}
	return 0;
}

bool launch_is_assignment(const char *word)
{
	const char *p = word;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return false;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return *p == '=';
}

static bool same_name(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");

	return !strncmp(a, b, n) && b[n] == '=';
}

/*
 * Our environment with the command's NAME=VALUE settings, built before
 * fork: the held child is traced, and must not allocate before exec.
 */
static int build_environ(struct launch *l)
{
	size_t n = 0, i, j, k = 0;

	while (environ[n])
		n++;
	l->envp = calloc(n + l->nenv + 1, sizeof(*l->envp));
	if (!l->envp)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		for (j = 0; j < l->nenv && !same_name(l->env[j], environ[i]); j++)
			;
		if (j == l->nenv)
			l->envp[k++] = environ[i];
	}
	for (j = 0; j < l->nenv; j++)
		l->envp[k++] = l->env[j];
	return 0;
}

/* What fd gives until its end, NUL-terminated; NULL when out of memory. */
static char *read_all(int fd)
{
	char *out = NULL;
	size_t len = 0, cap = 0;
	ssize_t r;

	for (;;) {
		if (array_reserve((void **)&out, &cap, len + 4096, 1)) {
			free(out);
			return NULL;
		}
		r = read(fd, out + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = '\0';
	return out;
}

/* Run "interp --list exe" and add the objects it prints to l->objects. */
static int list_objects(struct launch *l, const char *interp, const char *exe)
{
	char *out, **listed = NULL;
	size_t nlisted = 0, i;
	int pfd[2], status, err;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		char *argv[] = { (char *)interp, "--list", (char *)exe, NULL };

		dup2(pfd[1], STDOUT_FILENO);
		/* With LD_PRELOAD, LD_LIBRARY_PATH... given with the command. */
		execve(interp, argv, l->envp);
		_exit(127);
	}
	close(pfd[1]);
	out = read_all(pfd[0]);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!out)
		return -ENOMEM;
	err = (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		      ? launch_parse_ldlist(out, &listed, &nlisted) : -ENOEXEC;
	free(out);
	/* Added to what is there already: the executable is not in the list. */
	for (i = 0; i < nlisted; i++) {
		if (!err)
			err = push_path(&l->objects, &l->nobjects, &l->cap_objects, listed[i]);
		free(listed[i]);
	}
	free(listed);
	return err;
}

static int find_in_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(name, '/')) {
		snprintf(buf, len, "%s", name);
		return access(buf, X_OK) ? -errno : 0;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; p; ) {
		const char *colon = strchr(p, ':');
		int dlen = colon ? (int)(colon - p) : (int)strlen(p);

		snprintf(buf, len, "%.*s/%s", dlen ? dlen : 1, dlen ? p : ".", name);
		if (!access(buf, X_OK))
			return 0;
		p = colon ? colon + 1 : NULL;
	}
	return -ENOENT;
}

/* The executable, its interpreter, and every object the interpreter lists. */
static int collect_objects(struct launch *l, char *err, size_t errlen)
{
	struct elf_info info;
	int fd, rc;

	fd = open(l->exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", l->exe, strerror(errno));
		return -errno;
	}
	rc = elf_find_funcs(fd, NULL, 0, &info);
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "'%s' is not an ELF executable (scripts: use -c \"sh script\" "
			 "or the interpreter itself)", l->exe);
		return -ENOEXEC;
	}
	if (push_path(&l->objects, &l->nobjects, &l->cap_objects, l->exe))
		return -ENOMEM;
	if (!info.has_interp)
		return 0; /* static: the executable carries its allocator */
	if (push_path(&l->objects, &l->nobjects, &l->cap_objects, info.interp))
		return -ENOMEM;
	rc = list_objects(l, info.interp, l->exe);
	if (rc)
		verbose_msg(0, "cannot list the libraries of %s (%s); probing them after exec",
			    l->exe, strerror(-rc));
	return 0;
}

static void child_wait_and_exec(struct launch *l, int release_rd, int err_wr,
				char **argv)
{
	char c;
	int e;

	if (read(release_rd, &c, 1) != 1)
		_exit(127); /* the tracer gave up: never run untraced */
	close(release_rd);
	execve(l->exe, argv, l->envp);
	e = errno;
	if (write(err_wr, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int launch_prepare(struct launch *l, const char *cmdline, char *err, size_t errlen)
{
	int rel[2], xerr[2], rc;
	size_t nassign = 0;
	wordexp_t we;

	memset(l, 0, sizeof(*l));
	l->pid = -1;
	l->release_fd = l->exec_err_fd = -1;
	rc = wordexp(cmdline, &we, WRDE_NOCMD);
	if (rc) {
		snprintf(err, errlen, "cannot parse command '%s'%s", cmdline,
			 rc == WRDE_BADCHAR || rc == WRDE_CMDSUB
				 ? ": shell syntax needs -c \"sh -c '...'\"" : "");
		return -EINVAL;
	}
	while (nassign < we.we_wordc && launch_is_assignment(we.we_wordv[nassign])) {
		if (push_path(&l->env, &l->nenv, &l->cap_env, we.we_wordv[nassign])) {
			wordfree(&we);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		nassign++;
	}
	if (we.we_wordc == nassign) {
		wordfree(&we);
		snprintf(err, errlen, "empty command");
		return -EINVAL;
	}
	if (build_environ(l)) {
		wordfree(&we);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = find_in_path(we.we_wordv[nassign], l->exe, sizeof(l->exe));
	if (rc) {
		snprintf(err, errlen, "command not found: %s", we.we_wordv[nassign]);
		wordfree(&we);
		return rc;
	}
	rc = collect_objects(l, err, errlen);
	if (rc) {
		wordfree(&we);
		return rc;
	}
	if (pipe2(rel, O_CLOEXEC) || pipe2(xerr, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		wordfree(&we);
		return -errno;
	}
	l->pid = fork();
	if (l->pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		wordfree(&we);
		return rc;
	}
	if (l->pid == 0) {
		close(rel[1]);
		close(xerr[0]);
		child_wait_and_exec(l, rel[0], xerr[1], we.we_wordv + nassign);
	}
	close(rel[0]);
	close(xerr[1]);
	l->release_fd = rel[1];
	l->exec_err_fd = xerr[0];
	wordfree(&we);
	return 0;
}

int launch_release(struct launch *l, char *err, size_t errlen)
{
	ssize_t r;
	int e = 0;

	if (write(l->release_fd, "x", 1) != 1) {
		snprintf(err, errlen, "cannot release the command: %s", strerror(errno));
		return -errno;
	}
	close(l->release_fd);
	l->release_fd = -1;
	do {
		r = read(l->exec_err_fd, &e, sizeof(e));
	} while (r < 0 && errno == EINTR);
	close(l->exec_err_fd);
	l->exec_err_fd = -1;
	if (r == sizeof(e)) {
		snprintf(err, errlen, "cannot execute '%s': %s", l->exe, strerror(e));
		waitpid(l->pid, NULL, 0);
		return -e;
	}
	return 0;
}

void launch_abort(struct launch *l)
{
	if (l->release_fd >= 0) {
		/* Closing the pipe unblocks the child, which exits without exec. */
		close(l->release_fd);
		l->release_fd = -1;
	}
	if (l->pid > 0)
		waitpid(l->pid, NULL, 0);
}

void launch_free(struct launch *l)
{
	size_t i;

	for (i = 0; i < l->nobjects; i++)
		free(l->objects[i]);
	free(l->objects);
	l->objects = NULL;
	l->nobjects = l->cap_objects = 0;
	for (i = 0; i < l->nenv; i++)
		free(l->env[i]);
	free(l->env);
	free(l->envp);
	l->env = l->envp = NULL;
	l->nenv = l->cap_env = 0;
	if (l->release_fd >= 0)
		close(l->release_fd);
	if (l->exec_err_fd >= 0)
		close(l->exec_err_fd);
}
