// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command-line parsing: fills struct options, validates every value. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"

enum {
	OPT_FORMAT = 256,
	OPT_OUTPUT,
	OPT_BTF,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
	OPT_PROBE_FLOOR,
	OPT_COMM,
	OPT_CGROUP,
	OPT_UNWIND,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "command", required_argument, NULL, 'c' },
	{ "top", required_argument, NULL, 'T' },
	{ "older", required_argument, NULL, 'o' },
	{ "min-size", required_argument, NULL, 'z' },
	{ "max-size", required_argument, NULL, 'Z' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "max-allocs", required_argument, NULL, OPT_MAX_ALLOCS },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "probe-floor", no_argument, NULL, OPT_PROBE_FLOOR },
	{ "follow", no_argument, NULL, 'f' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "unwind", required_argument, NULL, OPT_UNWIND },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

void options_usage(FILE *out)
{
	fputs(
"Usage: memleakbpf [OPTIONS] [INTERVAL [COUNT]]\n"
"Trace outstanding allocations of running processes and print the call\n"
"stacks that hold memory, every INTERVAL seconds (default 5), COUNT times\n"
"(default: until Ctrl-C, SIGTERM or the targets exit).\n"
"\n"
"Targets (one of):\n"
"  -p, --pid PID[,PID...]   trace running processes\n"
"  -c, --command \"CMD ARGS\" start CMD held, attach, then let it run\n"
"      --comm NAME          every process named NAME, now and later\n"
"      --cgroup PATH        every process in cgroup PATH (v1 or v2), now and later\n"
"  (none: run the bundled demo leaker, if built)\n"
"  -f, --follow             also trace processes they fork, from their first\n"
"                           instruction (probes then go on the allocator\n"
"                           objects system-wide, filtered in the kernel)\n"
"\n"
"Report:\n"
"  -T, --top N              show the N stacks holding most bytes (10)\n"
"  -o, --older MS           only allocations older than MS milliseconds (500)\n"
"  -z, --min-size SIZE      ignore allocations smaller than SIZE\n"
"  -Z, --max-size SIZE      ignore allocations larger than SIZE\n"
"      --format text|json   output format (text); json: one object per line\n"
"      --output FILE        write reports to FILE instead of stdout\n"
"      --unwind fp|dwarf|auto  user stacks by frame pointers (kernel walker),\n"
"                           by CFI tables (.eh_frame) for every object, or by\n"
"                           tables only where an object lacks frame pointers\n"
"                           (auto, the default)\n"
"\n"
"Limits and system:\n"
"      --max-allocs N       live allocations tracked (1000000)\n"
"      --max-stacks N       distinct stacks recorded (16384)\n"
"      --btf PATH           kernel BTF file if /sys/kernel/btf/vmlinux is missing\n"
"      --probe-floor        attach empty probes only (benchmark baseline)\n"
"  -v, --verbose            say what is attached (repeat for more)\n"
"  -h, --help               this text\n"
"\n"
"SIZE takes k, M, G suffixes (powers of 1024).\n"
"Exit status: 0 ok, 1 runtime error, 2 bad option, 3 not privileged,\n"
"4 no such pid, 5 pid exited before attach, 6 no kernel BTF,\n"
"7 no allocator found in the target, 8 BPF load/attach failed,\n"
"9 command could not be started.\n", out);
}

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

bool parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !*s || *s == '-')
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

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_pids(struct options *o, const char *arg, char *err, size_t len)
{
	const char *p = arg;
	int i;

	while (*p) {
		uint64_t v;
		char buf[24];
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= sizeof(buf)) {
			set_err(err, len, "invalid pid list '%s'", arg);
			return false;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (!parse_u64(buf, INT32_MAX, &v) || v == 0) {
			set_err(err, len, "invalid pid '%s'", buf);
			return false;
		}
		/* A pid given twice is traced once. */
		for (i = 0; i < o->npids && o->pids[i] != (pid_t)v; i++)
			;
		if (i < o->npids)
			goto next;
		if (o->npids == MAX_TARGET_PIDS) {
			set_err(err, len, "too many pids (at most %d)", MAX_TARGET_PIDS);
			return false;
		}
		o->pids[o->npids++] = (pid_t)v;
next:
		p += n;
		if (*p == ',')
			p++;
	}
	if (!o->npids) {
		set_err(err, len, "invalid pid list '%s'", arg);
		return false;
	}
	return true;
}

static void set_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_s = 5;
	o->top_n = 10;
	o->min_age_ms = 500;
	o->max_size = UINT64_MAX;
	o->format = FORMAT_TEXT;
	o->max_allocs = 1000000;
	o->max_stacks = 16384;
	o->unwind = MEMLEAK_UNWIND_AUTO;
}

static bool parse_positional(struct options *o, int argc, char **argv,
			     char *err, size_t len)
{
	char *end;

	if (optind < argc) {
		errno = 0;
		o->interval_s = strtod(argv[optind], &end);
		if (errno || *end || !(o->interval_s >= 0.01) || o->interval_s > 86400) {
			set_err(err, len, "invalid interval '%s' (seconds, 0.01 to 86400)",
				argv[optind]);
			return false;
		}
		optind++;
	}
	if (optind < argc) {
		uint64_t v;

		if (!parse_u64(argv[optind], INT32_MAX, &v) || v == 0) {
			set_err(err, len, "invalid count '%s'", argv[optind]);
			return false;
		}
		o->count = (long)v;
		optind++;
	}
	if (optind < argc) {
		set_err(err, len, "unexpected argument '%s'", argv[optind]);
		return false;
	}
	return true;
}

enum parse_result options_parse(struct options *o, int argc, char **argv,
				char *err, size_t len)
{
	uint64_t v;
	int c;

	set_defaults(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:c:T:o:z:Z:fvh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_pids(o, optarg, err, len))
				return PARSE_ERROR;
			break;
		case 'c':
			if (!*optarg) {
				set_err(err, len, "empty command");
				return PARSE_ERROR;
			}
			o->command = optarg;
			break;
		case 'T':
			if (!parse_u64(optarg, 100000, &v) || !v) {
				set_err(err, len, "invalid top count '%s' (1 to 100000)", optarg);
				return PARSE_ERROR;
			}
			o->top_n = (unsigned int)v;
			break;
		case 'o':
			if (!parse_u64(optarg, 86400000ULL * 365, &v)) {
				set_err(err, len, "invalid age '%s' (milliseconds)", optarg);
				return PARSE_ERROR;
			}
			o->min_age_ms = v;
			break;
		case 'z':
		case 'Z':
			if (!parse_size(optarg, &v)) {
				set_err(err, len, "invalid size '%s'", optarg);
				return PARSE_ERROR;
			}
			if (c == 'z')
				o->min_size = v;
			else
				o->max_size = v;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "text")) {
				o->format = FORMAT_TEXT;
			} else if (!strcmp(optarg, "json")) {
				o->format = FORMAT_JSON;
			} else {
				set_err(err, len, "unknown format '%s' (text, json)", optarg);
				return PARSE_ERROR;
			}
			break;
		case OPT_UNWIND:
			if (!strcmp(optarg, "fp")) {
				o->unwind = MEMLEAK_UNWIND_FP;
			} else if (!strcmp(optarg, "dwarf")) {
				o->unwind = MEMLEAK_UNWIND_DWARF;
			} else if (!strcmp(optarg, "auto")) {
				o->unwind = MEMLEAK_UNWIND_AUTO;
			} else if (!strcmp(optarg, "fp-kernel")) {
				/* The kernel's walker: for the benchmark. */
				o->unwind = MEMLEAK_UNWIND_FP_KERNEL;
			} else {
				set_err(err, len, "unknown unwind mode '%s' (fp, dwarf, auto)", optarg);
				return PARSE_ERROR;
			}
			break;
		case OPT_OUTPUT:
			o->output_path = optarg;
			break;
		case OPT_BTF:
			o->btf_path = optarg;
			break;
		case OPT_MAX_ALLOCS:
		case OPT_MAX_STACKS:
			if (!parse_u64(optarg, 1u << 26, &v) || v < 16) {
				set_err(err, len, "invalid map size '%s' (16 to %u)", optarg,
					1u << 26);
				return PARSE_ERROR;
			}
			if (c == OPT_MAX_ALLOCS)
				o->max_allocs = (uint32_t)v;
			else
				o->max_stacks = (uint32_t)v;
			break;
		case OPT_PROBE_FLOOR:
			o->probe_floor = true;
			break;
		case 'f':
			o->follow = true;
			break;
		case OPT_COMM:
			if (!*optarg || strlen(optarg) > 15) {
				set_err(err, len, "invalid command name '%s' (1 to 15 characters, "
					"as in /proc/PID/comm)", optarg);
				return PARSE_ERROR;
			}
			o->comm = optarg;
			break;
		case OPT_CGROUP:
			if (!*optarg) {
				set_err(err, len, "empty cgroup path");
				return PARSE_ERROR;
			}
			o->cgroup = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			options_usage(stdout);
			return PARSE_EXIT_OK;
		case ':':
			set_err(err, len, "option '%s' needs a value", argv[optind - 1]);
			return PARSE_ERROR;
		default:
			if (optopt)
				set_err(err, len, "unknown option '-%c'", optopt);
			else
				set_err(err, len, "unknown option '%s'", argv[optind - 1]);
			return PARSE_ERROR;
		}
	}
	if (!parse_positional(o, argc, argv, err, len))
		return PARSE_ERROR;
	if ((o->npids > 0) + (o->command != NULL) + (o->comm != NULL) + (o->cgroup != NULL) > 1) {
		set_err(err, len, "-p, -c, --comm and --cgroup cannot be combined");
		return PARSE_ERROR;
	}
	if (o->min_size > o->max_size) {
		set_err(err, len, "minimum size %" PRIu64 " exceeds maximum %" PRIu64,
			o->min_size, o->max_size);
		return PARSE_ERROR;
	}
	return PARSE_OK;
}
