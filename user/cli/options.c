// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Command-line parsing: fills struct options, validates every value.
 *
 * Every option is one row of option_table: getopt_long's tables, the
 * defaults and --help are all made from it.  A default is set by running
 * the option's own parser on the text --help shows, so the two cannot
 * disagree.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/options.h"
#include "cli/version.h"

/* The positional INTERVAL when none is given, in seconds. */
#define DEFAULT_INTERVAL "5"

/* --help: options in the first columns, their text from this one on. */
#define HELP_COLUMN 27
#define HELP_WIDTH 80

/* getopt_long's value for options that have no short name: row + this. */
#define LONG_ONLY_BASE 256

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static enum parse_result fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum parse_result fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return PARSE_ERROR;
}

bool parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	/* strtoull would take " 12", "+12" and "-1" (as a huge value). */
	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return false;
	}
	if (*end == 'i' || *end == 'B' || *end == 'b')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* A value out of a fixed list (--sort, --mode, --unwind). */
struct choice {
	const char *name;
	int value;
	bool hidden;            /* accepted, but not listed */
};

/* "a, b, c": the listed names, for error messages. */
static const char *choice_list(const struct choice *c, size_t n, char *buf, size_t len)
{
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (c[i].hidden)
			continue;
		at += snprintf(buf + at, at < len ? len - at : 0, "%s%s", at ? ", " : "",
			       c[i].name);
	}
	return buf;
}

static enum parse_result parse_choice(const struct choice *c, size_t n, const char *what,
				      const char *arg, int *value, char *err, size_t len)
{
	char names[128];
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(arg, c[i].name)) {
			*value = c[i].value;
			return PARSE_OK;
		}
	}
	return fail(err, len, "unknown %s '%s' (%s)", what, arg,
		    choice_list(c, n, names, sizeof(names)));
}

/* ------------------------------------------------------------- targets */

static enum parse_result set_pids(struct options *o, const char *arg, char *err, size_t len)
{
	const char *p = arg;
	int i;

	while (*p) {
		uint64_t v;
		char buf[24];
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= sizeof(buf))
			return fail(err, len, "invalid pid list '%s'", arg);
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (!parse_u64(buf, INT32_MAX, &v) || v == 0)
			return fail(err, len, "invalid pid '%s'", buf);
		/* A pid given twice is traced once. */
		for (i = 0; i < o->npids && o->pids[i] != (pid_t)v; i++)
			;
		if (i == o->npids) {
			if (o->npids == MAX_TARGET_PIDS)
				return fail(err, len, "too many pids (at most %d)",
					    MAX_TARGET_PIDS);
			o->pids[o->npids++] = (pid_t)v;
		}
		p += n;
		if (*p == ',' && !*++p) /* "12," */
			return fail(err, len, "invalid pid list '%s'", arg);
	}
	if (!o->npids)
		return fail(err, len, "invalid pid list '%s'", arg);
	return PARSE_OK;
}

static enum parse_result set_command(struct options *o, const char *arg, char *err,      size_t len)
{
	if (!*arg)
		return fail(err, len, "empty command");
	o->command = arg;
	return PARSE_OK;
}

static enum parse_result set_comm(struct options *o, const char *arg, char *err, size_t len)
{
	if (!*arg || strlen(arg) > 15)
		return fail(err, len, "invalid command name '%s' (1 to 15 characters, "
			    "as in /proc/PID/comm)", arg);
	o->comm = arg;
	return PARSE_OK;
}

static enum parse_result set_cgroup(struct options *o, const char *arg, char *err, size_t len)
{
	if (!*arg)
		return fail(err, len, "empty cgroup path");
	o->cgroup = arg;
	return PARSE_OK;
}

/* A Kubernetes name (DNS label or subdomain): lower case, digits, '-', '.'. */
static bool k8s_name(const char *s, size_t len, size_t max)
{
	size_t i;

	if (!len || len > max)
		return false;
	for (i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

static enum parse_result set_pod(struct options *o, const char *arg, char *err, size_t len)
{
	const char *slash = strchr(arg, '/');

	if (!slash || !k8s_name(arg, (size_t)(slash - arg), 63) ||
	    !k8s_name(slash + 1, strlen(slash + 1), 253))
		return fail(err, len, "invalid pod '%s' (NAMESPACE/NAME, as kubectl names it)", arg);
	o->pod = arg;
	return PARSE_OK;
}

static enum parse_result set_container(struct options *o, const char *arg, char *err,
				       size_t len)
{
	if (!k8s_name(arg, strlen(arg), 63))
		return fail(err, len, "invalid container name '%s'", arg);
	o->container = arg;
	return PARSE_OK;
}

/* Options without a value that turn one setting on. */
#define FLAG_SETTER(field)                                                     \
	static enum parse_result set_##field(struct options *o, const char *arg, \
					     char *err, size_t len)            \
	{                                                                      \
		o->field = true;                                               \
		return PARSE_OK;                                               \
	}

FLAG_SETTER(follow)
FLAG_SETTER(live)
FLAG_SETTER(debug_files)
FLAG_SETTER(no_script_frames)
FLAG_SETTER(no_sessions)
FLAG_SETTER(syscalls)
FLAG_SETTER(probe_floor)
FLAG_SETTER(probe_at_entry)
FLAG_SETTER(kernel)

/* -------------------------------------------------------------- report */

static enum parse_result set_top(struct options *o, const char *arg, char *err, size_t len)
{
	uint64_t v;

	if (!parse_u64(arg, 100000, &v) || !v)
		return fail(err, len, "invalid top count '%s' (1 to 100000)", arg);
	o->top_n = (unsigned int)v;
	return PARSE_OK;
}

static const struct choice sort_choices[] = {
	{ .name = "growth", .value = SORT_GROWTH },
	{ .name = "bytes", .value = SORT_BYTES },
	{ .name = "count", .value = SORT_COUNT },
};

static enum parse_result set_sort(struct options *o, const char *arg, char *err, size_t len)
{
	int v;

	if (parse_choice(sort_choices, ARRAY_LEN(sort_choices), "sort", arg, &v, err, len))
		return PARSE_ERROR;
	o->sort = v;
	return PARSE_OK;
}

static enum parse_result set_older(struct options *o, const char *arg, char *err, size_t len)
{
	if (!parse_u64(arg, 86400000ULL * 365, &o->min_age_ms))
		return fail(err, len, "invalid age '%s' (milliseconds)", arg);
	return PARSE_OK;
}

static enum parse_result set_min_size(struct options *o, const char *arg, char *err,
				      size_t len)
{
	if (!parse_size(arg, &o->min_size))
		return fail(err, len, "invalid size '%s'", arg);
	return PARSE_OK;
}

static enum parse_result set_max_size(struct options *o, const char *arg, char *err,
				      size_t len)
{
	if (!parse_size(arg, &o->max_size))
		return fail(err, len, "invalid size '%s'", arg);
	return PARSE_OK;
}

/* The names come from the table of renderers (out/render.c). */
static enum parse_result set_format(struct options *o, const char *arg, char *err,     size_t len)
{
	char names[128];
	size_t at = 0;
	unsigned int f;

	if (renderer_by_name(arg, &o->format))
		return PARSE_OK;
	names[0] = '\0';
	for (f = 0; renderer_of(f); f++)
		at += snprintf(names + at, at < sizeof(names) ? sizeof(names) - at : 0,
			       "%s%s", f ? ", " : "", renderer_of(f)->name);
	return fail(err, len, "unknown format '%s' (%s)", arg, names);
}

static enum parse_result set_output(struct options *o, const char *arg, char *err,     size_t len)
{
	o->output_path = arg;
	return PARSE_OK;
}

static enum parse_result set_html(struct options *o, const char *arg, char *err, size_t len)
{
	if (!*arg)
		return fail(err, len, "empty HTML file name");
	o->html_path = arg;
	return PARSE_OK;
}

/* ---------------------------------------------------------------- fleet */

/*
 * ADDR:PORT, ADDR an IPv4 address or an IPv6 one in brackets: numbers
 * only, no name to resolve (bind exactly where told; and the static build
 * has no resolver).
 */
static enum parse_result set_listen(struct options *o, const char *arg, char *err, size_t len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&o->listen_addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&o->listen_addr;
	const char *colon = strrchr(arg, ':');
	char host[INET6_ADDRSTRLEN + 2];
	uint64_t port;
	size_t n;

	if (!colon || !parse_u64(colon + 1, 65535, &port) || !port ||
	    (n = (size_t)(colon - arg)) >= sizeof(host))
		return fail(err, len, "invalid --listen '%s' (ADDR:PORT, e.g. 127.0.0.1:9464 "
			    "or [::1]:9464; port 1 to 65535)", arg);
	memcpy(host, arg, n);
	host[n] = '\0';
	memset(&o->listen_addr, 0, sizeof(o->listen_addr));
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return fail(err, len, "invalid --listen address '%s' (an IPv6 address)",
				    host + 1);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		o->listen_addr_len = sizeof(*in6);
	} else if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		o->listen_addr_len = sizeof(*in4);
	} else {
		return fail(err, len, "invalid --listen address '%s' (an IPv4 address, or an "
			    "IPv6 one in brackets; not a name)", host);
	}
	o->listen = arg;
	return PARSE_OK;
}

static enum parse_result set_metrics_stacks(struct options *o, const char *arg, char *err,
					    size_t len)
{
	uint64_t v;

	if (!parse_u64(arg, 1000, &v))
		return fail(err, len, "invalid --metrics-stacks '%s' (0 to 1000)", arg);
	o->metrics_stacks = (unsigned int)v;
	return PARSE_OK;
}

/* ----------------------------------------------------- continuous mode */

static enum parse_result set_output_dir(struct options *o, const char *arg, char *err, size_t len)
{
	if (!*arg)
		return fail(err, len, "empty output directory");
	o->output_dir = arg;
	return PARSE_OK;
}

static enum parse_result set_rotate_interval(struct options *o, const char *arg, char *err,
					     size_t len)
{
	if (!parse_u64(arg, 86400 * 366, &o->rotate_interval_s) || !o->rotate_interval_s)
		return fail(err, len, "invalid rotation interval '%s' (seconds, 1 to %d)",
			    arg, 86400 * 366);
	return PARSE_OK;
}

static enum parse_result set_rotate_size(struct options *o, const char *arg, char *err,  size_t len)
{
	if (!parse_size(arg, &o->rotate_size) || o->rotate_size < 4096)
		return fail(err, len, "invalid rotation size '%s' (at least 4k)", arg);
	return PARSE_OK;
}

static enum parse_result set_rotate_keep(struct options *o, const char *arg, char *err,  size_t len)
{
	uint64_t v;

	if (!parse_u64(arg, 100000, &v) || !v)
		return fail(err, len, "invalid file count '%s' (1 to 100000)", arg);
	o->rotate_keep = (unsigned int)v;
	return PARSE_OK;
}

/* ------------------------------------------------------------ overhead */

static enum parse_result set_sample_bytes(struct options *o, const char *arg, char *err,
					  size_t len)
{
	if (!parse_size(arg, &o->sample_bytes) || !o->sample_bytes ||
	    o->sample_bytes > (1ULL << 40))
		return fail(err, len, "invalid --sample-bytes '%s' (1 to 1T)", arg);
	return PARSE_OK;
}

static enum parse_result set_sample_seed(struct options *o, const char *arg, char *err,  size_t len)
{
	if (!parse_u64(arg, UINT64_MAX, &o->sample_seed))
		return fail(err, len, "invalid --sample-seed '%s'", arg);
	return PARSE_OK;
}

static const struct choice mode_choices[] = {
	{ .name = "precise", .value = false },
	{ .name = "growth", .value = true },
};

static enum parse_result set_mode(struct options *o, const char *arg, char *err, size_t len)
{
	int v;

	if (parse_choice(mode_choices, ARRAY_LEN(mode_choices), "mode", arg, &v, err, len))
		return PARSE_ERROR;
	o->growth_mode = v;
	return PARSE_OK;
}

static bool parse_positive(const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !(v > 0) || v > 1e9)
		return false;
	*out = v;
	return true;
}

static enum parse_result set_escalate(struct options *o, const char *arg, char *err,
				      size_t len)
{
	if (!parse_positive(arg, &o->escalate_mb_per_min))
		return fail(err, len, "invalid --escalate '%s' (a positive number)", arg);
	return PARSE_OK;
}

static enum parse_result set_escalate_window(struct options *o, const char *arg, char *err,
					     size_t len)
{
	if (!parse_positive(arg, &o->escalate_window_s))
		return fail(err, len, "invalid --escalate-window '%s' (a positive number)", arg);
	return PARSE_OK;
}

/* ---------------------------------------------------------- allocators */

static enum parse_result set_alloc_prefix(struct options *o, const char *arg, char *err,
					  size_t len)
{
	if (!alloc_prefix_valid(arg))
		return fail(err, len, "invalid allocator prefix '%s' (letters, digits "
			    "and '_', at most %d)", arg, ALLOC_PREFIX_MAX - 1);
	o->alloc_prefix = arg;
	return PARSE_OK;
}

static enum parse_result set_allocator_object(struct options *o, const char *arg, char *err,
					      size_t len)
{
	if (!*arg)
		return fail(err, len, "empty allocator object path");
	o->allocator_object = arg;
	return PARSE_OK;
}

static enum parse_result add_custom(struct options *o, const char *arg, bool is_free,
				    char *err, size_t len)
{
	if (o->ncustom == ALLOC_MAX_CUSTOM)
		return fail(err, len, "too many --alloc-fn/--free-fn (at most %d)",
			    ALLOC_MAX_CUSTOM);
	if (!alloc_parse_custom(arg, is_free, &o->custom[o->ncustom], err, len))
		return PARSE_ERROR;
	o->ncustom++;
	return PARSE_OK;
}

static enum parse_result set_alloc_fn(struct options *o, const char *arg, char *err,
				      size_t len)
{
	return add_custom(o, arg, false, err, len);
}

static enum parse_result set_free_fn(struct options *o, const char *arg, char *err,      size_t len)
{
	return add_custom(o, arg, true, err, len);
}

static const struct choice unwind_choices[] = {
	{ .name = "fp", .value = MEMLEAK_UNWIND_FP },
	{ .name = "dwarf", .value = MEMLEAK_UNWIND_DWARF },
	{ .name = "auto", .value = MEMLEAK_UNWIND_AUTO },
	/* The kernel's walker: for the benchmark. */
	{ .name = "fp-kernel", .value = MEMLEAK_UNWIND_FP_KERNEL, .hidden = true },
};

static enum parse_result set_unwind(struct options *o, const char *arg, char *err,     size_t len)
{
	int v;

	if (parse_choice(unwind_choices, ARRAY_LEN(unwind_choices), "unwind mode", arg, &v,
			 err, len))
		return PARSE_ERROR;
	o->unwind = v;
	return PARSE_OK;
}

/* ------------------------------------------------------ limits, system */

static enum parse_result parse_map_size(const char *arg, uint32_t *out, char *err, size_t len)
{
	uint64_t v;

	if (!parse_u64(arg, 1u << 26, &v) || v < 16)
		return fail(err, len, "invalid map size '%s' (16 to %u)", arg, 1u << 26);
	*out = (uint32_t)v;
	return PARSE_OK;
}

static enum parse_result set_max_allocs(struct options *o, const char *arg, char *err, size_t len)
{
	return parse_map_size(arg, &o->max_allocs, err, len);
}

static enum parse_result set_max_stacks(struct options *o, const char *arg, char *err, size_t len)
{
	return parse_map_size(arg, &o->max_stacks, err, len);
}

static enum parse_result set_btf(struct options *o, const char *arg, char *err, size_t len)
{
	o->btf_path = arg;
	return PARSE_OK;
}

static enum parse_result set_verbose(struct options *o, const char *arg, char *err,      size_t len)
{
	o->verbose++;
	return PARSE_OK;
}

static enum parse_result show_help(struct options *o, const char *arg, char *err,    size_t len)
{
	options_usage(stdout);
	return PARSE_EXIT_OK;
}

static enum parse_result show_version(struct options *o, const char *arg, char *err, size_t len)
{
	version_print(stdout);
	return PARSE_EXIT_OK;
}

/* --format's text: the renderers, "name (what it is)", the default marked. */
static const char *format_help(char *buf, size_t len);
static void set_defaults(struct options *o);

/*
 * In --help order.  Rows without a name are --help text: section titles
 * and notes.  help: lines separated by '\n'; a default is shown after it
 * as " (DEFAULT)" unless the text itself says which value is the default.
 */
#define TEXT(t) { .help = (t) }

static const struct cli_option option_table[] = {
	TEXT("\nTargets (one of):"),
	{ .name = "pid", .short_name = 'p', .arg = "PID[,PID...]",
	  .help = "trace running processes", .set = set_pids },
	{ .name = "command", .short_name = 'c', .arg = "\"CMD ARGS\"",
	  .help = "start CMD held, attach, then let it run\n"
		  "(\"NAME=VALUE ... CMD ARGS\": CMD's environment)", .set = set_command },
	{ .name = "comm", .arg = "NAME",
	  .help = "every process named NAME, now and later", .set = set_comm },
	{ .name = "cgroup", .arg = "PATH",
	  .help = "every process in cgroup PATH (v1 or v2), now and later", .set = set_cgroup },
	{ .name = "pod", .arg = "NAMESPACE/NAME",
	  .help = "every process of this node's pod NAME, now and later\n"
		  "(found from the kubelet's /var/log/pods and the\n"
		  "cgroup tree, no API server)", .set = set_pod },
	{ .name = "container", .arg = "NAME",
	  .help = "with --pod: only its container NAME", .set = set_container },
	TEXT("  (none: run the bundled demo leaker, if built)"),
	{ .name = "follow", .short_name = 'f',
	  .help = "also trace processes they fork, from their first\n"
		  "instruction (probes then go on the allocator\n"
		  "objects system-wide, filtered in the kernel)", .set = set_follow },

	TEXT("\nReport:"),
	{ .name = "top", .short_name = 'T', .arg = "N", .def = "10",
	  .help = "show the first N stacks", .set = set_top },
	{ .name = "sort", .arg = "growth|bytes|count", .def = "growth",
	  .help = "rank stacks by leak score: sustained growth\n"
		  "over the reports (default; by bytes until three\n"
		  "reports exist), or by bytes, or by allocations", .set = set_sort },
	{ .name = "older", .short_name = 'o', .arg = "MS", .def = "500",
	  .help = "only allocations older than MS milliseconds", .set = set_older },
	{ .name = "min-size", .short_name = 'z', .arg = "SIZE",
	  .help = "ignore allocations smaller than SIZE", .set = set_min_size },
	{ .name = "max-size", .short_name = 'Z', .arg = "SIZE",
	  .help = "ignore allocations larger than SIZE", .set = set_max_size },
	{ .name = "format", .arg = "FORMAT", .def = "text",
	  .help_of = format_help, .set = set_format },
	{ .name = "output", .arg = "FILE",
	  .help = "write reports to FILE instead of stdout", .set = set_output },
	{ .name = "html", .arg = "FILE",
	  .help = "a self-contained page (flame graph, timeline, table)", .set = set_html },
	{ .name = "live",
	  .help = "a top-like screen, refreshed every INTERVAL (terminal)", .set = set_live },
	{ .name = "debug-files",
	  .help = "file:line and inlined functions also from separate\n"
		  "debug files (/usr/lib/debug, e.g. libc6-dbg), not\n"
		  "only from objects built with -g; costs memory (~15 MiB\n"
		  "for libc's)", .set = set_debug_files },
	{ .name = "no-script-frames",
	  .help = "native frames only: no Python, PHP or Lua functions\n"
		  "in the stacks of an interpreter (Python 3.11, PHP 8.2,\n"
		  "LuaJIT 2.1)",
	  .set = set_no_script_frames },

	TEXT("\nFleet (Prometheus, pprof scrapers):"),
	{ .name = "listen", .arg = "ADDR:PORT",
	  .help = "HTTP server at ADDR:PORT (e.g. 127.0.0.1:9464):\n"
		  "/metrics (Prometheus) and /debug/pprof/heap (Go\n"
		  "heap profile) of the last report; it exposes\n"
		  "stacks: keep it on localhost or a protected network",
	  .set = set_listen },
	{ .name = "metrics-stacks", .arg = "N", .def = "10",
	  .help = "stacks per process in /metrics (of the report's\n"
		  "first --top)", .set = set_metrics_stacks },

	TEXT("\nContinuous mode:"),
	{ .name = "output-dir", .arg = "DIR",
	  .help = "one file per period (json, text) or per report\n"
		  "(pprof, folded) in DIR; SIGUSR1: report now,\n"
		  "SIGHUP: reopen files", .set = set_output_dir },
	{ .name = "rotate-interval", .arg = "S", .def = "3600",
	  .help = "seconds per file", .set = set_rotate_interval },
	{ .name = "rotate-size", .arg = "SIZE", .def = "64M",
	  .help = "start a new file past SIZE", .set = set_rotate_size },
	{ .name = "rotate-keep", .arg = "N", .def = "24",
	  .help = "files kept, the oldest deleted", .set = set_rotate_keep },

	TEXT("\nOverhead:"),
	{ .name = "sample-bytes", .arg = "SIZE",
	  .help = "sample allocations, one per SIZE bytes on average\n"
		  "(e.g. 512k); figures become scaled estimates", .set = set_sample_bytes },
	{ .name = "sample-seed", .arg = "N",
	  .help = "seed the sampler (reproducible runs)", .set = set_sample_seed },
	{ .name = "no-sessions",
	  .help = "sampled mode without uprobe sessions (older kernels)",
	  .set = set_no_sessions },
	{ .name = "mode", .arg = "MODE", .def = "precise",
	  .help = "precise (default): every allocator call; growth:\n"
		  "no allocator probes, only heap (brk) and mapping\n"
		  "growth attributed to stacks", .set = set_mode },
	{ .name = "escalate", .arg = "MB_PER_MIN",
	  .help = "growth mode: a process whose RSS grows faster\n"
		  "gets precise probes of its own for a while", .set = set_escalate },
	{ .name = "escalate-window", .arg = "S", .def = "60",
	  .help = "how long an escalation lasts", .set = set_escalate_window },
	{ .name = "kernel", .short_name = 'k',
	  .help = "also kernel memory allocated for the targets\n"
		  "(kmalloc, slab, page, percpu), with kernel and\n"
		  "user stacks; without a target, the whole host's", .set = set_kernel },
	{ .name = "syscalls",
	  .help = "follow mmap/munmap/mremap/brk at the syscall\n"
		  "tracepoints, not at the C library's wrappers:\n"
		  "sees raw syscalls too, slows every syscall of\n"
		  "the host", .set = set_syscalls },

	TEXT("\nAllocators (found automatically: glibc, musl, jemalloc, tcmalloc, mimalloc,\n"
	     "C++ operators, in any mapped object or the executable):"),
	{ .name = "alloc-prefix", .arg = "P",
	  .help = "also probe Pmalloc, Pfree, ... (e.g. a static je_)",
	  .set = set_alloc_prefix },
	{ .name = "allocator-object", .arg = "PATH",
	  .help = "probe the allocator in PATH only, no detection",
	  .set = set_allocator_object },
	{ .name = "alloc-fn", .arg = "NAME:N",
	  .help = "NAME allocates: argument N (1-6) is the size", .set = set_alloc_fn },
	{ .name = "free-fn", .arg = "NAME:N",
	  .help = "NAME frees: argument N (1-6) is the pointer", .set = set_free_fn },
	{ .name = "unwind", .arg = "fp|dwarf|auto", .def = "auto",
	  .help = "user stacks by frame pointers (kernel walker),\n"
		  "by CFI tables (.eh_frame) for every object, or by\n"
		  "tables only where an object lacks frame pointers\n"
		  "(auto, the default)", .set = set_unwind },

	TEXT("\nLimits and system:"),
	{ .name = "max-allocs", .arg = "N", .def = "1000000",
	  .help = "live allocations tracked", .set = set_max_allocs },
	{ .name = "max-stacks", .arg = "N", .def = "16384",
	  .help = "distinct stacks recorded", .set = set_max_stacks },
	{ .name = "btf", .arg = "PATH",
	  .help = "kernel BTF file if /sys/kernel/btf/vmlinux is missing", .set = set_btf },
	{ .name = "probe-floor",
	  .help = "attach empty probes only (benchmark baseline; with\n"
		  "--sample-bytes no return probes: sampled mode's floor)",
	  .set = set_probe_floor },
	{ .name = "probe-at-entry",
	  .help = "probe each function's first instruction, not the\n"
		  "first one the kernel emulates (slower)", .set = set_probe_at_entry },
	{ .name = "verbose", .short_name = 'v',
	  .help = "say what is attached (repeat for more)", .set = set_verbose },
	{ .name = "help", .short_name = 'h', .help = "this text", .set = show_help },
	{ .name = "version", .help = "version, libbpf and the kernel features found",
	  .set = show_version },
};

#define NROWS ARRAY_LEN(option_table)

const struct cli_option *options_table(size_t *n)
{
	*n = NROWS;
	return option_table;
}

static const char *format_help(char *buf, size_t len)
{
	size_t at = 0, col = HELP_COLUMN;
	struct options defaults;
	unsigned int f;

	set_defaults(&defaults);
	buf[0] = '\0';
	for (f = 0; renderer_of(f); f++) {
		const struct renderer *rd = renderer_of(f);
		char item[96];
		int n;

		n = snprintf(item, sizeof(item), "%s%s%s%s%s", rd->name,
			     f == defaults.format ? " (default)" : "",
			     rd->help ? " " : "", rd->help ? rd->help : "",
			     renderer_of(f + 1) ? "," : "");
		/* Wrapped like the rest: past HELP_WIDTH, on the next line. */
		if (f && col + 1 + n > HELP_WIDTH) {
			at += snprintf(buf + at, at < len ? len - at : 0, "\n");
			col = HELP_COLUMN;
		} else if (f) {
			at += snprintf(buf + at, at < len ? len - at : 0, " ");
			col++;
		}
		at += snprintf(buf + at, at < len ? len - at : 0, "%s", item);
		col += n;
	}
	return buf;
}

/* "  -p, --pid PID" or "      --comm NAME": the left column of one option. */
static int option_synopsis(const struct cli_option *opt, char *buf, size_t len)
{
	char shortname[8] = "    ";

	if (opt->short_name)
		snprintf(shortname, sizeof(shortname), "-%c, ", opt->short_name);
	return snprintf(buf, len, "  %s--%s%s%s", shortname, opt->name,
			opt->arg ? " " : "", opt->arg ? opt->arg : "");
}

static void print_option(FILE *out, const struct cli_option *opt)
{
	char synopsis[64], text[512];
	const char *help = opt->help, *p;
	int n = option_synopsis(opt, synopsis, sizeof(synopsis));

	if (!help)
		help = opt->help_of(text, sizeof(text));
	/* A long synopsis pushes its text two spaces past it. */
	fprintf(out, "%s%*s", synopsis, n < HELP_COLUMN ? HELP_COLUMN - n : 2, "");
	for (p = help; *p; p++) {
		putc(*p, out);
		if (*p == '\n')
			fprintf(out, "%*s", HELP_COLUMN, "");
	}
	if (opt->def && !strstr(help, "default"))
		fprintf(out, " (%s)", opt->def);
	putc('\n', out);
}

void options_usage(FILE *out)
{
	size_t i;

	fputs(
"Usage: memleakbpf [OPTIONS] [INTERVAL [COUNT]]\n"
"Trace outstanding allocations of running processes and print the call\n"
"stacks that hold memory, every INTERVAL seconds (default " DEFAULT_INTERVAL "), COUNT times\n"
"(default: until Ctrl-C, SIGTERM or the targets exit).\n", out);
	for (i = 0; i < NROWS; i++) {
		if (option_table[i].name)
			print_option(out, &option_table[i]);
		else
			fprintf(out, "%s\n", option_table[i].help);
	}
	fputs(
"\n"
"SIZE takes k, M, G suffixes (powers of 1024).\n"
"Exit status: 0 ok, 1 runtime error, 2 bad option, 3 not privileged,\n"
"4 no such pid, 5 pid exited before attach, 6 no kernel BTF,\n"
"7 no allocator found in the target, 8 BPF load/attach failed,\n"
"9 command could not be started, 10 pid namespace: /proc of another one,\n"
"or host pids not found.\n", out);
}

static enum parse_result parse_interval(struct options *o, const char *arg, char *err, size_t len)
{
	char *end;

	errno = 0;
	o->interval_s = strtod(arg, &end);
	/* Digits first: strtod also takes " 1", "+1", "0x1p3", "inf". */
	if (!(isdigit((unsigned char)*arg) || *arg == '.') || strpbrk(arg, "xXpP") || errno || *end || !(o->interval_s >= 0.01) || o->interval_s > 86400)
		return fail(err, len, "invalid interval '%s' (seconds, 0.01 to 86400)", arg);
	return PARSE_OK;
}

/*
 * Every default goes through its option's parser, from the same text
 * --help shows.  What has no value to show is set here: no size limit.
 */
static void set_defaults(struct options *o)
{
	char err[256];
	size_t i;

	memset(o, 0, sizeof(*o));
	o->max_size = UINT64_MAX;
	parse_interval(o, DEFAULT_INTERVAL, err, sizeof(err));
	for (i = 0; i < NROWS; i++)
		if (option_table[i].def)
			option_table[i].set(o, option_table[i].def, err, sizeof(err));
}

static enum parse_result parse_positional(struct options *o, int argc, char **argv,
					  char *err, size_t len)
{
	uint64_t v;

	if (optind < argc && parse_interval(o, argv[optind++], err, len))
		return PARSE_ERROR;
	if (optind < argc) {
		if (!parse_u64(argv[optind], INT32_MAX, &v) || v == 0)
			return fail(err, len, "invalid count '%s'", argv[optind]);
		o->count = (long)v;
		optind++;
	}
	if (optind < argc)
		return fail(err, len, "unexpected argument '%s'", argv[optind]);
	return PARSE_OK;
}

/* What getopt_long takes, from the table: ":p:c:..." and the long options. */
static void getopt_tables(char *shorts, struct option *longs)
{
	size_t i, n = 0;

	*shorts++ = ':'; /* a missing value is ':', not '?' */
	for (i = 0; i < NROWS; i++) {
		const struct cli_option *opt = &option_table[i];

		if (!opt->name)
			continue;
		longs[n++] = (struct option){
			.name = opt->name,
			.has_arg = opt->arg ? required_argument : no_argument,
			.val = opt->short_name ? opt->short_name : LONG_ONLY_BASE + (int)i,
		};
		if (opt->short_name) {
			*shorts++ = opt->short_name;
			if (opt->arg)
				*shorts++ = ':';
		}
	}
	*shorts = '\0';
	longs[n] = (struct option){ 0 };
}

static const struct cli_option *option_of(int c)
{
	size_t i;

	if (c >= LONG_ONLY_BASE)
		return (size_t)(c - LONG_ONLY_BASE) < NROWS ? &option_table[c - LONG_ONLY_BASE]
							     : NULL;
	for (i = 0; i < NROWS; i++)
		if (option_table[i].name && option_table[i].short_name == c)
			return &option_table[i];
	return NULL;
}

static enum parse_result getopt_error(int c, char **argv, char *err, size_t len)
{
	if (c == ':')
		return fail(err, len, "option '%s' needs a value", argv[optind - 1]);
	if (optopt > 0 && optopt < LONG_ONLY_BASE)
		return fail(err, len, "unknown option '-%c'", optopt);
	return fail(err, len, "unknown option '%s'", argv[optind - 1]);
}

/* given[i]: option_table[i] was on the command line. */
static bool was_given(const bool *given, const char *name)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (option_table[i].name && !strcmp(option_table[i].name, name))
			return given[i];
	return false;
}

/* An option that means nothing without another is an error, not ignored. */
static enum parse_result check_dependent(const struct options *o, const bool *given,
					 char *err, size_t len)
{
	static const struct { const char *name, *needs; } deps[] = {
		{ "rotate-interval", "output-dir" },
		{ "rotate-size", "output-dir" },
		{ "rotate-keep", "output-dir" },
		{ "sample-seed", "sample-bytes" },
		{ "no-sessions", "sample-bytes" },
		{ "escalate-window", "escalate" },
		{ "container", "pod" },
	};
	size_t i;

	for (i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
		if (was_given(given, deps[i].name) && !was_given(given, deps[i].needs))
			return fail(err, len, "--%s needs --%s", deps[i].name, deps[i].needs);
	/* follows_events() in main.c: no BTF tracepoints with either. */
	if (o->syscalls && (o->btf_path || o->probe_floor))
		return fail(err, len, "--syscalls uses BTF tracepoints: not with --btf or "
			    "--probe-floor");
	return PARSE_OK;
}

/* Options that cannot go together, and values that only make sense with others. */
static enum parse_result check_combinations(const struct options *o, const bool *given,
					    char *err, size_t len)
{
	struct options d;
	enum parse_result res;

	res = check_dependent(o, given, err, len);
	if (res != PARSE_OK)
		return res;
	set_defaults(&d);
	if ((o->npids > 0) + (o->command != NULL) + (o->comm != NULL) + (o->cgroup != NULL) +
	    (o->pod != NULL) > 1)
		return fail(err, len, "-p, -c, --comm, --cgroup and --pod cannot be combined");
	if (o->output_path && o->output_dir)
		return fail(err, len, "--output and --output-dir cannot be combined");
	if (!o->output_dir && (o->rotate_interval_s != d.rotate_interval_s ||
			       o->rotate_size != d.rotate_size ||
			       o->rotate_keep != d.rotate_keep))
		return fail(err, len, "--rotate-interval, --rotate-size and --rotate-keep "
			    "need --output-dir");
	if (o->live && (o->output_path || o->output_dir || o->format != d.format))
		return fail(err, len, "--live draws text on the terminal: not with --output, "
			    "--output-dir or --format");
	if (was_given(given, "metrics-stacks") && !o->listen && o->format != FORMAT_PROMETHEUS)
		return fail(err, len, "--metrics-stacks needs --listen or --format prometheus");
	if (o->min_size > o->max_size)
		return fail(err, len, "minimum size %" PRIu64 " exceeds maximum %" PRIu64,
			    o->min_size, o->max_size);
	if (o->sample_bytes && o->ncustom)
		return fail(err, len, "--alloc-fn/--free-fn are traced exactly: no "
			    "--sample-bytes");
	if (o->escalate_mb_per_min && !o->growth_mode)
		return fail(err, len, "--escalate needs --mode growth");
	if (o->kernel && (o->btf_path || o->probe_floor || o->growth_mode))
		return fail(err, len, "-k uses BTF tracepoints: not with --btf, --probe-floor "
			    "or --mode growth");
	if (o->growth_mode && (o->sample_bytes || o->probe_floor))
		return fail(err, len, "--mode growth probes no allocator: no --sample-bytes "
			    "or --probe-floor");
	return PARSE_OK;
}

/*
 * Messages quote the values given: a newline or escape sequence in one
 * must not make the error more than the one line printed.
 */
static enum parse_result one_line_error(enum parse_result res, char *err)
{
	for (; res == PARSE_ERROR && *err; err++)
		if ((unsigned char)*err < ' ' || *err == 0x7f)
			*err = '?';
	return res;
}

static enum parse_result parse_argv(struct options *o, int argc, char **argv,
				    char *err, size_t len)
{
	char shorts[2 * NROWS + 2];
	struct option longs[NROWS + 1];
	const struct cli_option *opt;
	bool given[NROWS] = { false };
	enum parse_result res;
	int c;

	set_defaults(o);
	getopt_tables(shorts, longs);
	/* 0, not 1: glibc then also forgets where it was inside a cluster
	 * of short options ("-vp1"), a pointer into the previous argv. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		opt = option_of(c);
		if (!opt)
			return getopt_error(c, argv, err, len);
		res = opt->set(o, optarg, err, len);
		if (res != PARSE_OK)
			return res;
		given[opt - option_table] = true;
	}
	res = parse_positional(o, argc, argv, err, len);
	return res ? res : check_combinations(o, given, err, len);
}

enum parse_result options_parse(struct options *o, int argc, char **argv,
				char *err, size_t len)
{
	return one_line_error(parse_argv(o, argc, argv, err, len), err);
}
