// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Report destinations and continuous mode.  In --output-dir every file is
 * named memleakbpf-YYYYmmddTHHMMSSZ-SEQ.EXT, so the names sort in the order
 * written, and at most --rotate-keep files of the format's kind are kept:
 * disk use is bounded by keep x (rotate-size + one report).
 *
 * The tracer runs as root and often writes where others can write (/tmp):
 * a whole file (a profile, the page) is written under a fresh random name
 * made with O_EXCL|O_NOFOLLOW in the destination's directory, then renamed
 * over the destination; the rename replaces whatever is there, a link
 * included, never what a link points to.  A destination that is a link
 * already is refused at the start, and stream files are opened with
 * O_NOFOLLOW; a FIFO (whose open would block) or another special file is
 * refused too, but a character device such as /dev/null takes a stream.
 */
#define _GNU_SOURCE /* scandirat, renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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

/* A report to render into a file replace_file() makes. */
struct output_job {
	const struct output *o;
	const struct report *r;
};

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

/* The next file name of the directory: memleakbpf-STAMP-SEQ.EXT. */
static void next_name(struct output *o, char *name, size_t len)
{
	char stamp[32] = "19700101T000000Z";
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm))
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, len, FILE_PREFIX "%s-%06u%s", stamp, ++o->seq, o->format->ext);
}

/* A new file in the directory; O_EXCL skips a name already taken. */
static int create_in_dir(struct output *o, char *name, size_t len)
{
	int fd;

	do {
		next_name(o, name, len);
		fd = openat(o->dirfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	} while (fd < 0 && errno == EEXIST);
	return fd < 0 ? -errno : fd;
}

/*
 * A temporary file in dirfd under a name nobody can guess or take before
 * us (O_EXCL: not even through a planted link).  Its name never derives
 * from the destination's, so no destination name is too long for it.
 */
#define TEMP_NAME_MAX sizeof(".memleakbpf-0123456789abcdef.tmp")

static int create_temp(int dirfd, char name[TEMP_NAME_MAX])
{
	unsigned long long r;
	int fd, tries = 0;

	do {
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r = mono_ns() ^ ((unsigned long long)getpid() << 40);
		snprintf(name, TEMP_NAME_MAX, ".memleakbpf-%016llx.tmp", r);
		fd = openat(dirfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	} while (fd < 0 && errno == EEXIST && ++tries < 100);
	return fd < 0 ? -errno : fd;
}

/* The temporary file as a stream; NULL with errno set. */
static FILE *open_temp(int dirfd, char name[TEMP_NAME_MAX])
{
	int fd = create_temp(dirfd, name);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		int err = errno;

		close(fd);
		unlinkat(dirfd, name, 0);
		errno = err;
	}
	return f;
}

/* Close a written temporary file: 0, or the first error of writing it. */
static int close_temp(FILE *f, int err)
{
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/*
 * In --output-dir: the written file takes the next free name.  Without
 * RENAME_NOREPLACE (some file systems) a plain rename: names are ours.
 */
static int rename_to_next(struct output *o, const char *tmp, char *name, size_t len)
{
	int err;

	do {
		next_name(o, name, len);
		err = renameat2(o->dirfd, tmp, o->dirfd, name, RENAME_NOREPLACE) ? errno : 0;
		if (err == EINVAL)
			err = renameat(o->dirfd, tmp, o->dirfd, name) ? errno : 0;
	} while (err == EEXIST);
	return -err;
}

/*
 * The directory of path held open, and path's last component: for the
 * *at calls that make and replace the file there.  Fails (one line
 * printed) on a name too long, a directory that cannot be opened, or a
 * path that names a link, a directory or a special file now.
 */
static int out_path_open(struct out_path *p, const char *path, bool replaced)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char dir[PATH_MAX];
	struct stat st;

	p->path = path;
	if (strlen(path) >= PATH_MAX || strlen(name) > NAME_MAX) {
		err_msg("cannot write '%.64s...': name too long (PATH_MAX %d, NAME_MAX %d)",
			path, PATH_MAX, NAME_MAX);
		return -ENAMETOOLONG;
	}
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
		err_msg("cannot write '%s': a directory, not a file name", path);
		return -EISDIR;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? (slash == path ? "/" : path) : ".");
	strcpy(p->name, name);
	p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0) {
		err_msg("cannot write '%s': directory '%s': %s", path, dir, strerror(errno));
		return -errno;
	}
	if (fstatat(p->dirfd, p->name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(st.st_mode)) {
		err_msg("cannot write '%s': a symbolic link (refused: give the file itself)",
			path);
		return -ELOOP;
	}
	/* A replaced file is renamed over: a device node would be replaced. */
	if (!S_ISREG(st.st_mode) && (replaced || !S_ISCHR(st.st_mode))) {
		err_msg("cannot write '%s': not a regular file", path);
		return -EINVAL;
	}
	return 0;
}

/* Can files be made in dirfd?  Tried now, so a bad path fails at the start. */
static int check_writable(int dirfd, const char *shown)
{
	char tmp[TEMP_NAME_MAX];
	int fd = create_temp(dirfd, tmp);

	if (fd < 0) {
		err_msg("cannot write in the directory of '%s': %s", shown, strerror(-fd));
		return fd;
	}
	close(fd);
	unlinkat(dirfd, tmp, 0);
	return 0;
}

static void out_path_close(struct out_path *p)
{
	if (p->dirfd >= 0)
		close(p->dirfd);
	p->dirfd = -1;
}

/*
 * Write a whole file to p: under a temporary name, renamed over p at the
 * end, so a reader never sees half of it.  write_fn(f, arg) writes it.
 */
static int replace_file(const struct out_path *p, int (*write_fn)(FILE *, const void *),
			const void *arg)
{
	char tmp[TEMP_NAME_MAX];
	FILE *f = open_temp(p->dirfd, tmp);
	int err;

	if (!f) {
		err_msg("cannot create a file next to '%s': %s", p->path, strerror(errno));
		return -errno;
	}
	err = close_temp(f, write_fn(f, arg));
	if (!err && renameat(p->dirfd, tmp, p->dirfd, p->name))
		err = -errno;
	if (err) {
		unlinkat(p->dirfd, tmp, 0);
		err_msg("cannot write '%s': %s", p->path, strerror(-err));
	}
	return err;
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
	fd = create_in_dir(o, o->name, sizeof(o->name));
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

/*
 * --output FILE of a stream format.  O_NONBLOCK: a FIFO planted there
 * since the start would block the open (ENXIO instead), and is refused
 * after it like any file that is neither regular nor a character device.
 */
static int open_output_file(struct output *o, bool append)
{
	int fd = openat(o->file.dirfd, o->file.name, O_WRONLY | O_CREAT | O_NOFOLLOW |
			O_NONBLOCK | O_CLOEXEC | (append ? O_APPEND : 0), 0644);
	struct stat st;
	int err = 0;

	if (fd < 0)
		err = errno == ENXIO ? -EINVAL : -errno;
	else if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		err = -EINVAL;
	else if (S_ISREG(st.st_mode) && !append && ftruncate(fd, 0))
		err = -errno;
	if (!err && fcntl(fd, F_SETFL, append ? O_APPEND : 0))
		err = -errno;
	if (!err && !(o->stream = fdopen(fd, append ? "a" : "w")))
		err = -errno;
	if (err) {
		if (fd >= 0)
			close(fd);
		err_msg("cannot open output '%s': %s", o->file.path,
			err == -EINVAL ? "not a regular file" :
			err == -ELOOP ? "a symbolic link" : strerror(-err));
		return err;
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

/* --output-dir: made if missing, reused if there (its files count towards keep). */
static int open_output_dir(struct output *o, const char *dir)
{
	if (strlen(dir) >= PATH_MAX - NAME_MAX) {
		err_msg("cannot use directory '%.64s...': path too long", dir);
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		err_msg("cannot create directory '%s': %s", dir, strerror(errno));
		return -errno;
	}
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (o->dirfd < 0) {
		err_msg("cannot open directory '%s': %s", dir,
			errno == ELOOP ? "a symbolic link" : strerror(errno));
		return -errno;
	}
	return check_writable(o->dirfd, dir);
}

/*
 * --output FILE or --html FILE: checked, its directory held.  A file
 * replaced at each report is made there: tried now.  A stream file is
 * opened now, which is the same test.
 */
static int open_out_path(struct out_path *p, const char *path, bool replaced)
{
	int err = out_path_open(p, path, replaced);

	return err || !replaced ? err : check_writable(p->dirfd, path);
}

int output_open(struct output *o, const struct options *opts)
{
	int err = 0;

	memset(o, 0, sizeof(*o));
	o->dirfd = o->file.dirfd = o->html_file.dirfd = -1;
	o->opts = opts;
	o->format = renderer_of(opts->format);
	if (!o->format) {
		err_msg("unknown output format %d", (int)opts->format);
		return -EINVAL;
	}
	o->stream = stdout;
	if (opts->output_dir)
		err = open_output_dir(o, opts->output_dir);
	if (!err && opts->output_path)
		err = open_out_path(&o->file, opts->output_path,
				    o->format->one_report_per_file);
	if (!err && opts->html_path)
		err = open_out_path(&o->html_file, opts->html_path, true);
	if (err)
		return err;
	if (o->dirfd >= 0 && !o->format->one_report_per_file)
		err = rotate(o);
	else if (opts->output_path && !o->format->one_report_per_file)
		err = open_output_file(o, false);
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

static int write_report(FILE *f, const void *arg)
{
	const struct output_job *job = arg;

	return job->o->format->report(f, job->r);
}

static int write_html(FILE *f, const void *arg)
{
	return html_page_write(f, arg);
}

/* A whole snapshot in the next file of --output-dir. */
static int write_snapshot_in_dir(struct output *o, const struct report *r)
{
	char tmp[TEMP_NAME_MAX], name[NAME_MAX + 1] = "";
	FILE *f = open_temp(o->dirfd, tmp);
	int err;

	if (!f) {
		err_msg("cannot create a file in '%s': %s", o->opts->output_dir,
			strerror(errno));
		return -errno;
	}
	err = close_temp(f, o->format->report(f, r));
	if (!err)
		err = rename_to_next(o, tmp, name, sizeof(name));
	if (err) {
		unlinkat(o->dirfd, tmp, 0);
		err_msg("cannot write '%s/%s': %s", o->opts->output_dir, name, strerror(-err));
		return err;
	}
	prune(o);
	return 0;
}

/*
 * A whole snapshot in a file of the directory, or replacing FILE: a
 * reader never sees a partial profile.
 */
static int write_snapshot_file(struct output *o, const struct report *r)
{
	struct output_job job = { .o = o, .r = r };

	if (o->dirfd >= 0)
		return write_snapshot_in_dir(o, r);
	return replace_file(&o->file, write_report, &job);
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

		if (e)
			err_msg("cannot write '%s': %s", o->opts->html_path, strerror(-e));
		/* Continuous mode refreshes the page; otherwise it is written at exit. */
		else if (r->final || o->dirfd >= 0)
			e = replace_file(&o->html_file, write_html, o->html);
		err = err ? err : e;
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
		return open_output_file(o, true);
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
	out_path_close(&o->file);
	out_path_close(&o->html_file);
}
