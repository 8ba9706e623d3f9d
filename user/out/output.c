// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Report destinations and continuous mode.  In --output-dir every file is
 * named memleakbpf-YYYYmmddTHHMMSSZ-SEQ.EXT, so the names sort in the order
 * written, and at most --rotate-keep files of the format's kind are kept:
 * disk use is bounded by keep x (rotate-size + one report).
 */
#define _GNU_SOURCE /* scandirat */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli/errors.h"
#include "lib/util.h"
#include "out/html_page.h"
#include "out/live_view.h"
#include "out/output.h"
#include "out/render.h"

#define FILE_PREFIX "memleakbpf-"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static const char *prune_ext;

static int our_file(const struct dirent *de)
{
	return !strncmp(de->d_name, FILE_PREFIX, strlen(FILE_PREFIX)) &&
	       ends_with(de->d_name, prune_ext);
}

/* Delete the oldest of our files until at most keep are left. */
static void prune(struct output *o)
{
	struct dirent **list;
	int n, i;

	prune_ext = o->format->ext;
	n = scandirat(o->dirfd, ".", &list, our_file, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		if ((unsigned int)(n - i) > o->opts->rotate_keep &&
		    unlinkat(o->dirfd, list[i]->d_name, 0) && errno != ENOENT)
			verbose_msg(0, "cannot delete %s/%s: %s", o->opts->output_dir,
				    list[i]->d_name, strerror(errno));
		free(list[i]);
	}
	free(list);
}

/* A new file name in the directory; O_EXCL skips a name already taken. */
static int create_in_dir(struct output *o, const char *prefix, char *name, size_t len)
{
	char stamp[32] = "19700101T000000Z";
	time_t now = time(NULL);
	struct tm tm;
	int fd;

	if (gmtime_r(&now, &tm))
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	do {
		snprintf(name, len, "%s" FILE_PREFIX "%s-%06u%s", prefix, stamp, ++o->seq,
			 o->format->ext);
		fd = openat(o->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	} while (fd < 0 && errno == EEXIST);
	return fd < 0 ? -errno : fd;
}

static void close_stream(struct output *o)
{
	if (o->stream && o->stream_owned)
		fclose(o->stream);
	o->stream = NULL;
	o->stream_owned = false;
}

/* Start the next period file (stream formats in --output-dir). */
static int rotate(struct output *o)
{
	int fd;

	close_stream(o);
	fd = create_in_dir(o, "", o->name, sizeof(o->name));
	if (fd < 0) {
		err_msg("cannot create a file in '%s': %s", o->opts->output_dir, strerror(-fd));
		return fd;
	}
	o->stream = fdopen(fd, "w");
	if (!o->stream) {
		int err = -errno;

		close(fd);
		return err;
	}
	o->stream_owned = true;
	o->period_start_ms = mono_ms();
	prune(o);
	return 0;
}

static bool period_over(struct output *o)
{
	long size;

	if (!o->stream)
		return true;
	if (mono_ms() - o->period_start_ms >= o->opts->rotate_interval_s * 1000)
		return true;
	size = ftell(o->stream);
	return size >= 0 && (uint64_t)size >= o->opts->rotate_size;
}

static int open_output_file(struct output *o, const char *mode)
{
	o->stream = fopen(o->opts->output_path, mode);
	if (!o->stream) {
		err_msg("cannot open output '%s': %s", o->opts->output_path, strerror(errno));
		return -errno;
	}
	o->stream_owned = true;
	return 0;
}

/*
 * --live: records written between reports (exits, OOM kills) would scribble
 * over the screen; they are captured and handed to the live view instead.
 */
static int capture_events(struct output *o)
{
	o->stream = open_memstream(&o->events, &o->nevents);
	if (!o->stream) {
		o->stream = stdout;
		return -errno;
	}
	o->stream_owned = true;
	return 0;
}

static void release_events(struct output *o)
{
	if (!o->live)
		return;
	fflush(o->stream);
	live_view_events(o->live, o->events, o->nevents);
	close_stream(o);
	free(o->events);
	o->events = NULL;
	o->nevents = 0;
	o->stream = stdout;
}

int output_open(struct output *o, const struct options *opts)
{
	int err = 0;

	memset(o, 0, sizeof(*o));
	o->opts = opts;
	o->format = renderer_of(opts->format);
	if (!o->format) {
		err_msg("unknown output format %d", (int)opts->format);
		return -EINVAL;
	}
	o->dirfd = -1;
	o->stream = stdout;
	if (opts->output_dir) {
		/* An existing directory is reused: its old files count towards keep. */
		if (mkdir(opts->output_dir, 0755) && errno != EEXIST) {
			err_msg("cannot create directory '%s': %s", opts->output_dir,
				strerror(errno));
			return -errno;
		}
		o->dirfd = open(opts->output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (o->dirfd < 0) {
			err_msg("cannot open directory '%s': %s", opts->output_dir,
				strerror(errno));
			return -errno;
		}
	}
	if (o->dirfd >= 0 && !o->format->one_report_per_file)
		err = rotate(o);
	else if (opts->output_path && !o->format->one_report_per_file)
		err = open_output_file(o, "we");
	if (err)
		return err;
	if (opts->html_path) {
		o->html = html_page_new();
		if (!o->html)
			return -ENOMEM;
	}
	if (opts->live)
		o->live = live_view_new(); /* NULL on a pipe: plain text */
	return o->live ? capture_events(o) : 0;
}

/*
 * A whole snapshot in a file of the directory (or replacing FILE): written
 * under a dot name, then renamed, so a reader never sees a partial profile.
 */
static int write_snapshot_file(struct output *o, const struct report *r)
{
	char tmp[NAME_MAX + 1], name[NAME_MAX + 1];
	int dirfd = o->dirfd, fd, err;
	const char *final_name;
	FILE *f;

	if (dirfd >= 0) {
		fd = create_in_dir(o, ".", tmp, sizeof(tmp));
		final_name = name;
		snprintf(name, sizeof(name), "%s", tmp + 1);
	} else {
		dirfd = AT_FDCWD;
		final_name = o->opts->output_path;
		snprintf(tmp, sizeof(tmp), "%s.tmp", o->opts->output_path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0) {
		err_msg("cannot create '%s': %s", tmp, strerror(-fd));
		return fd;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	err = o->format->report(f, r);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, final_name))
		err = -errno;
	if (err) {
		unlinkat(dirfd, tmp, 0);
		err_msg("cannot write '%s': %s", final_name, strerror(-err));
		return err;
	}
	if (o->dirfd >= 0)
		prune(o);
	return 0;
}

static int write_records(struct output *o, const struct report *r)
{
	int err;

	if (o->live) {
		release_events(o);
		if (!r->final) {
			err = live_view_update(o->live, r);
			return err ? err : capture_events(o);
		}
		/* The last screen stays readable: leave it, then print plain text. */
		live_view_free(o->live);
		o->live = NULL;
	}
	if (o->dirfd >= 0 && period_over(o)) {
		err = rotate(o);
		if (err)
			return err;
	}
	err = o->format->report(o->stream, r);
	if (err)
		err_msg("cannot write report: %s", strerror(-err));
	return err;
}

int output_report(struct output *o, const struct report *r)
{
	int err = 0;

	if (!o->format->one_report_per_file)
		err = write_records(o, r);
	else if (o->dirfd >= 0 || o->opts->output_path)
		err = write_snapshot_file(o, r);
	else if (r->final)
		err = o->format->report(stdout, r);
	if (o->html) {
		int e = html_page_add(o->html, r);

		/* Continuous mode refreshes the page; otherwise it is written at exit. */
		if (!e && (r->final || o->dirfd >= 0))
			e = html_page_write(o->html, o->opts->html_path);
		if (e) {
			err_msg("cannot write '%s': %s", o->opts->html_path, strerror(-e));
			err = err ? err : e;
		}
	}
	return err;
}

int output_reopen(struct output *o)
{
	if (o->dirfd >= 0 && !o->format->one_report_per_file)
		return rotate(o);
	if (o->opts->output_path && !o->format->one_report_per_file) {
		close_stream(o);
		/* Append: the file may have been recreated by someone else. */
		return open_output_file(o, "ae");
	}
	return 0;
}

int output_input_fd(const struct output *o)
{
	return o->live ? STDIN_FILENO : -1;
}

bool output_handle_input(struct output *o)
{
	return o->live && live_view_input(o->live);
}

void output_resize(struct output *o)
{
	if (o->live)
		live_view_redraw(o->live);
}

void output_close(struct output *o)
{
	release_events(o);
	if (o->live)
		live_view_free(o->live);
	o->live = NULL;
	html_page_free(o->html);
	o->html = NULL;
	close_stream(o);
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
}
