// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /tmp/perf-PID.map reader.  One table per process, sorted by start and
 * looked up by binary search; kept until the file's size or modification
 * time changes (JITs append as they compile).  Later entries for the same
 * address win, as code is freed and its space reused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/util.h"
#include "procs/proc_files.h"
#include "symbols/perfmap.h"

struct perfmap_entry {
	uint64_t start, size;
	char *name;
	size_t seq;          /* line number: the later line wins on overlap */
};

struct perfmap {
	pid_t pid;
	dev_t dev;
	ino_t ino;
	off_t fsize;
	struct timespec mtime;
	bool present;
	struct perfmap_entry *e;
	size_t n;
	struct perfmap *next;
};

struct perfmaps {
	struct perfmap *head;
};

struct perfmaps *perfmaps_new(void)
{
	return calloc(1, sizeof(struct perfmaps));
}

static void clear(struct perfmap *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->e[i].name);
	free(p->e);
	p->e = NULL;
	p->n = 0;
	p->present = false;
}

void perfmaps_free(struct perfmaps *m)
{
	struct perfmap *p, *next;

	if (!m)
		return;
	for (p = m->head; p; p = next) {
		next = p->next;
		clear(p);
		free(p);
	}
	free(m);
}

bool perfmap_parse_line(const char *line, uint64_t *start, uint64_t *size, const char **name)
{
	char *end;

	errno = 0;
	*start = strtoull(line, &end, 16);
	if (errno || end == line || *end != ' ')
		return false;
	line = end + 1;
	*size = strtoull(line, &end, 16);
	if (errno || end == line || *end != ' ' || !*size)
		return false;
	*name = end + 1;
	return **name && **name != '\n';
}

/* The pid the process has in its own pid namespace: the last of NSpid. */
static pid_t ns_pid_of(pid_t pid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	pid_t ns = pid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return pid;
	while (getline(&line, &cap, f) > 0) {
		char *tok, *save = NULL;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (tok = strtok_r(line + 6, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
			ns = (pid_t)atoi(tok);
		break;
	}
	free(line);
	fclose(f);
	return ns;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct perfmap_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int load(struct perfmap *p, FILE *f)
{
	char *line = NULL;
	size_t lcap = 0, cap = 0, seq = 0;
	int err = 0;

	while (getline(&line, &lcap, f) > 0 && p->n < PERFMAP_MAX_ENTRIES) {
		uint64_t start, size;
		const char *name;

		seq++;
		if (!perfmap_parse_line(line, &start, &size, &name))
			continue;
		if (array_reserve((void **)&p->e, &cap, p->n + 1, sizeof(*p->e))) {
			err = -ENOMEM;
			break;
		}
		p->e[p->n] = (struct perfmap_entry){
			.start = start, .size = size, .seq = seq,
			.name = strndup(name, strcspn(name, "\n")),
		};
		if (!p->e[p->n].name) {
			err = -ENOMEM;
			break;
		}
		p->n++;
	}
	free(line);
	qsort(p->e, p->n, sizeof(*p->e), entry_cmp);
	return err;
}

/* The process's table, (re)read if the file changed. */
static struct perfmap *refresh(struct perfmaps *m, pid_t pid)
{
	struct perfmap *p;
	char path[64];
	struct stat st;
	FILE *f = NULL;
	int fd;

	for (p = m->head; p && p->pid != pid; p = p->next)
		;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->pid = pid;
		p->next = m->head;
		m->head = p;
	}
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)ns_pid_of(pid));
	fd = proc_open_in_root(pid, path, O_RDONLY);
	if (fd >= 0 && !(f = fdopen(fd, "r")))
		close(fd);
	if (!f || fstat(fileno(f), &st)) {
		/* Gone with its process: keep what was read. */
		if (f)
			fclose(f);
		return p;
	}
	if (p->present && st.st_dev == p->dev && st.st_ino == p->ino && st.st_size == p->fsize &&
	    st.st_mtim.tv_sec == p->mtime.tv_sec && st.st_mtim.tv_nsec == p->mtime.tv_nsec) {
		fclose(f);
		return p;
	}
	clear(p);
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->fsize = st.st_size;
	p->mtime = st.st_mtim;
	p->present = true;
	if (load(p, f))
		clear(p);
	fclose(f);
	return p;
}

const char *perfmaps_lookup(struct perfmaps *m, pid_t pid, uint64_t addr, uint64_t *offset)
{
	struct perfmap *p = refresh(m, pid);
	size_t lo = 0, hi, i;

	if (!p || !p->n)
		return NULL;
	hi = p->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->e[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/*
	 * The nearest entry starting at or below addr that covers it (for one
	 * start, the later line); a few further back in case entries overlap.
	 */
	for (i = lo; i-- > 0 && lo - i <= 64;) {
		const struct perfmap_entry *e = &p->e[i];

		if (addr - e->start < e->size) {
			*offset = addr - e->start;
			return e->name;
		}
	}
	return NULL;
}
