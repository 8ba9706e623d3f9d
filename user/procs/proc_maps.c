// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/PID/maps reader.  The parser is strict about the fields the kernel
 * prints (show_map_vma) and takes the path as the rest of the line: the
 * kernel does not quote it, so spaces are part of it, and a newline in a
 * file name is printed as "\012".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/util.h"
#include "procs/proc_maps.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 to max hex digits at *p, which is moved past them. */
static bool scan_hex(const char **p, unsigned int max, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int d;

	for (; (d = hex_digit(*s)) >= 0; s++) {
		if ((unsigned int)(s - *p) == max)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	if (s == *p)
		return false;
	*v = x;
	*p = s;
	return true;
}

/* A decimal number that fits in 64 bits at *p, which is moved past it. */
static bool scan_dec(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	if (s == *p)
		return false;
	*v = x;
	*p = s;
	return true;
}

/* "rwxp": each letter or '-', and 'p' (private) or 's' (shared) last. */
static bool scan_perms(const char **p, char perms[5])
{
	static const char letters[] = "rwx";
	const char *s = *p;
	int i;

	for (i = 0; i < 3; i++)
		if (s[i] != letters[i] && s[i] != '-')
			return false;
	if (s[3] != 'p' && s[3] != 's')
		return false;
	memcpy(perms, s, 4);
	perms[4] = '\0';
	*p = s + 4;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* The path: the rest of the line after the padding, " (deleted)" noted. */
static bool take_path(const char *p, struct proc_map *m)
{
	size_t len, sl = strlen(PROC_MAPS_DELETED);

	while (*p == ' ')
		p++;
	len = strcspn(p, "\n");
	if (len >= sizeof(m->path))
		return false;
	m->deleted = len > sl && !memcmp(p + len - sl, PROC_MAPS_DELETED, sl);
	if (m->deleted)
		len -= sl;
	memcpy(m->path, p, len);
	m->path[len] = '\0';
	return true;
}

bool proc_maps_parse_line(const char *line, struct proc_map *m)
{
	const char *p = line;
	uint64_t major, minor;

	if (!scan_hex(&p, 16, &m->start) || !expect(&p, '-') || !scan_hex(&p, 16, &m->end) ||
	    !expect(&p, ' ') || !scan_perms(&p, m->perms) || !expect(&p, ' ') ||
	    !scan_hex(&p, 16, &m->offset) || !expect(&p, ' ') ||
	    !scan_hex(&p, 8, &major) || !expect(&p, ':') || !scan_hex(&p, 8, &minor) ||
	    !expect(&p, ' ') || !scan_dec(&p, &m->inode))
		return false;
	if (m->start >= m->end || (*p != ' ' && *p != '\n' && *p != '\0'))
		return false;
	m->dev_major = (unsigned int)major;
	m->dev_minor = (unsigned int)minor;
	return take_path(p, m);
}

/*
 * The next line of f into buf; one that does not fit is read to its end
 * and flagged overlong.  False at the end of the file or on an error.
 */
static bool read_line(FILE *f, char *buf, size_t size, bool *overlong)
{
	size_t len;

	*overlong = false;
	if (!fgets(buf, (int)size, f))
		return false;
	len = strlen(buf);
	while (len == size - 1 && buf[len - 1] != '\n') {
		*overlong = true;
		if (!fgets(buf, (int)size, f))
			break;
		len = strlen(buf);
	}
	return true;
}

int proc_maps_for_each(pid_t pid, int (*cb)(const struct proc_map *m, void *ctx), void *ctx)
{
	char path[64], line[PROC_MAPS_LINE_MAX];
	struct proc_map m;
	bool overlong;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!ret && read_line(f, line, sizeof(line), &overlong))
		if (!overlong && proc_maps_parse_line(line, &m))
			ret = cb(&m, ctx);
	if (!ret && ferror(f))
		ret = -EIO;
	fclose(f);
	return ret;
}

struct map_vec {
	struct proc_map *v;
	size_t n, cap;
};

static int append_map(const struct proc_map *m, void *ctx)
{
	struct map_vec *vec = ctx;

	if (array_reserve((void **)&vec->v, &vec->cap, vec->n + 1, sizeof(*vec->v)))
		return -ENOMEM;
	vec->v[vec->n++] = *m;
	return 0;
}

int proc_maps_read(pid_t pid, struct proc_map **out, size_t *n)
{
	struct map_vec vec = { 0 };
	int err = proc_maps_for_each(pid, append_map, &vec);

	if (err) {
		free(vec.v);
		return err;
	}
	*out = vec.v;
	*n = vec.n;
	return 0;
}
