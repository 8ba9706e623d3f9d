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

/* One "START SIZE NAME" line (without its newline) into the table. */
static int add_line(struct perfmap *p, size_t *cap, const char *line, size_t seq)
{
	uint64_t start, size;
	const char *name;

	if (!perfmap_parse_line(line, &start, &size, &name))
		return 0;
	if (array_reserve((void **)&p->e, cap, p->n + 1, sizeof(*p->e)))
		return -ENOMEM;
	p->e[p->n] = (struct perfmap_entry){
		.start = start, .size = size, .seq = seq, .name = strdup(name),
	};
	if (!p->e[p->n].name)
		return -ENOMEM;
	/* Names reach terminals: no escape sequences of the target's. */
	for (char *c = p->e[p->n].name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	p->n++;
	return 0;
}

/*
 * The first len bytes of the file (its size when opened: a file that
 * grows meanwhile is read again next time), line by line through a
 * bounded buffer.  A line longer than PERFMAP_MAX_LINE is skipped whole.
 */
static int load(struct perfmap *p, int fd, off_t len)
{
	char *buf = malloc(PERFMAP_MAX_LINE + 1);
	size_t have = 0, cap = 0, seq = 0;
	bool skipping = false;
	off_t off = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (!err && off < len && p->n < PERFMAP_MAX_ENTRIES) {
		size_t want = PERFMAP_MAX_LINE - have, used = 0;
		ssize_t got;
		char *nl;

		if ((off_t)want > len - off)
			want = (size_t)(len - off);
		got = pread(fd, buf + have, want, off);
		if (got <= 0)
			break;	/* shrank under us, or an error: keep what was read */
		off += got;
		have += (size_t)got;
		while (!err && (nl = memchr(buf + used, '\n', have - used))) {
			*nl = '\0';
			seq++;
			if (!skipping)
				err = add_line(p, &cap, buf + used, seq);
			skipping = false;
			used = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		if (have == PERFMAP_MAX_LINE) {
			skipping = true;
			have = 0;
		}
	}
	/* A last line without a newline. */
	if (!err && have && !skipping && off == len && p->n < PERFMAP_MAX_ENTRIES) {
		buf[have] = '\0';
		err = add_line(p, &cap, buf, seq + 1);
	}
	free(buf);
	qsort(p->e, p->n, sizeof(*p->e), entry_cmp);
	return err;
}

/* The process's table, (re)read if the file changed. */
static struct perfmap *refresh(struct perfmaps *m, pid_t pid)
{
	struct perfmap *p;
	char path[64];
	struct stat st;
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
	/* The target writes this file: only a regular file of its own, bounded. */
	fd = proc_file_open(pid, path, &proc_rules_perf_map, &st);
	if (fd < 0)
		return p;	/* gone with its process, or refused: keep what was read */
	if (p->present && st.st_dev == p->dev && st.st_ino == p->ino && st.st_size == p->fsize &&
	    st.st_mtim.tv_sec == p->mtime.tv_sec && st.st_mtim.tv_nsec == p->mtime.tv_nsec) {
		close(fd);
		return p;
	}
	clear(p);
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->fsize = st.st_size;
	p->mtime = st.st_mtim;
	p->present = true;
	if (load(p, fd, st.st_size))
		clear(p);
	close(fd);
	return p;
}

void perfmaps_forget(struct perfmaps *m, pid_t pid)
{
	struct perfmap **pp, *p;

	for (pp = &m->head; (p = *pp); pp = &p->next) {
		if (p->pid != pid)
			continue;
		*pp = p->next;
		clear(p);
		free(p);
		return;
	}
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
