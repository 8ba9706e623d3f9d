// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command-line parsing: fills struct options, validates every value. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/options.h"

enum {
	OPT_FORMAT = 256,
	OPT_OUTPUT,
	OPT_BTF,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
	OPT_PROBE_FLOOR,
	OPT_PROBE_AT_ENTRY,
	OPT_SAMPLE_BYTES,
	OPT_SAMPLE_SEED,
	OPT_NO_SESSIONS,
	OPT_SYSCALLS,
	OPT_MODE,
	OPT_ESCALATE,
	OPT_ESCALATE_WINDOW,
	OPT_COMM,
	OPT_CGROUP,
	OPT_SORT,
	OPT_OUTPUT_DIR,
	OPT_ROTATE_INTERVAL,
	OPT_ROTATE_SIZE,
	OPT_ROTATE_KEEP,
	OPT_HTML,
	OPT_LIVE,
	OPT_ALLOC_PREFIX,
	OPT_ALLOCATOR_OBJECT,
	OPT_ALLOC_FN,
	OPT_FREE_FN,
	OPT_UNWIND,
	OPT_DEBUG_FILES,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "command", required_argument, NULL, 'c' },
	{ "top", required_argument, NULL, 'T' },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "older", required_argument, NULL, 'o' },
	{ "min-size", required_argument, NULL, 'z' },
	{ "max-size", required_argument, NULL, 'Z' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "max-allocs", required_argument, NULL, OPT_MAX_ALLOCS },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "probe-floor", no_argument, NULL, OPT_PROBE_FLOOR },
	{ "probe-at-entry", no_argument, NULL, OPT_PROBE_AT_ENTRY },
	{ "sample-bytes", required_argument, NULL, OPT_SAMPLE_BYTES },
	{ "sample-seed", required_argument, NULL, OPT_SAMPLE_SEED },
	{ "no-sessions", no_argument, NULL, OPT_NO_SESSIONS },
	{ "syscalls", no_argument, NULL, OPT_SYSCALLS },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "escalate", required_argument, NULL, OPT_ESCALATE },
	{ "escalate-window", required_argument, NULL, OPT_ESCALATE_WINDOW },
	{ "follow", no_argument, NULL, 'f' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "output-dir", required_argument, NULL, OPT_OUTPUT_DIR },
	{ "rotate-interval", required_argument, NULL, OPT_ROTATE_INTERVAL },
	{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
	{ "rotate-keep", required_argument, NULL, OPT_ROTATE_KEEP },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "live", no_argument, NULL, OPT_LIVE },
	{ "alloc-prefix", required_argument, NULL, OPT_ALLOC_PREFIX },
	{ "allocator-object", required_argument, NULL, OPT_ALLOCATOR_OBJECT },
	{ "alloc-fn", required_argument, NULL, OPT_ALLOC_FN },
	{ "free-fn", required_argument, NULL, OPT_FREE_FN },
	{ "unwind", required_argument, NULL, OPT_UNWIND },
	{ "debug-files", no_argument, NULL, OPT_DEBUG_FILES },
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
"                           (\"NAME=VALUE ... CMD ARGS\": CMD's environment)\n"
"      --comm NAME          every process named NAME, now and later\n"
"      --cgroup PATH        every process in cgroup PATH (v1 or v2), now and later\n"
"  (none: run the bundled demo leaker, if built)\n"
"  -f, --follow             also trace processes they fork, from their first\n"
"                           instruction (probes then go on the allocator\n"
"                           objects system-wide, filtered in the kernel)\n"
"\n"
"Report:\n"
"  -T, --top N              show the first N stacks (10)\n"
"      --sort growth|bytes|count  rank stacks by leak score: sustained growth\n"
"                           over the reports (default; by bytes until three\n"
"                           reports exist), or by bytes, or by allocations\n"
"  -o, --older MS           only allocations older than MS milliseconds (500)\n"
"  -z, --min-size SIZE      ignore allocations smaller than SIZE\n"
"  -Z, --max-size SIZE      ignore allocations larger than SIZE\n"
"      --format FORMAT      text (default), json (one object per line),\n"
"                           folded (flame-graph input), pprof (profile.proto.gz)\n"
"      --output FILE        write reports to FILE instead of stdout\n"
"      --html FILE          a self-contained page (flame graph, timeline, table)\n"
"      --live               a top-like screen, refreshed every INTERVAL (terminal)\n"
"      --debug-files        file:line and inlined functions also from separate\n"
"                           debug files (/usr/lib/debug, e.g. libc6-dbg), not\n"
"                           only from objects built with -g; costs memory (~15 MiB\n"
"                           for libc's)\n"
"\n"
"Continuous mode:\n"
"      --output-dir DIR     one file per period (json, text) or per report\n"
"                           (pprof, folded) in DIR; SIGUSR1: report now,\n"
"                           SIGHUP: reopen files\n"
"      --rotate-interval S  seconds per file (3600)\n"
"      --rotate-size SIZE   start a new file past SIZE (64M)\n"
"      --rotate-keep N      files kept, the oldest deleted (24)\n"
"\n"
"Overhead:\n"
"      --sample-bytes SIZE  sample allocations, one per SIZE bytes on average\n"
"                           (e.g. 512k); figures become scaled estimates\n"
"      --sample-seed N      seed the sampler (reproducible runs)\n"
"      --no-sessions        sampled mode without uprobe sessions (older kernels)\n"
"      --mode MODE          precise (default): every allocator call; growth:\n"
"                           no allocator probes, only heap (brk) and mapping\n"
"                           growth attributed to stacks\n"
"      --escalate MB_PER_MIN  growth mode: a process whose RSS grows faster\n"
"                           gets precise probes of its own for a while\n"
"      --escalate-window S  how long an escalation lasts (60)\n"
"      --syscalls           follow mmap/munmap/mremap/brk at the syscall\n"
"                           tracepoints, not at the C library's wrappers:\n"
"                           sees raw syscalls too, slows every syscall of\n"
"                           the host\n"
"\n"
"Allocators (found automatically: glibc, musl, jemalloc, tcmalloc, mimalloc,\n"
"C++ operators, in any mapped object or the executable):\n"
"      --alloc-prefix P     also probe Pmalloc, Pfree, ... (e.g. a static je_)\n"
"      --allocator-object PATH  probe the allocator in PATH only, no detection\n"
"      --alloc-fn NAME:N    NAME allocates: argument N (1-6) is the size\n"
"      --free-fn NAME:N     NAME frees: argument N (1-6) is the pointer\n"
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
"      --probe-at-entry     probe each function's first instruction, not the\n"
"                           first one the kernel emulates (slower)\n"
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
	o->escalate_window_s = 60;
	o->sort = SORT_GROWTH;
	o->min_age_ms = 500;
	o->max_size = UINT64_MAX;
	o->format = FORMAT_TEXT;
	o->max_allocs = 1000000;
	o->max_stacks = 16384;
	o->rotate_interval_s = 3600;
	o->rotate_size = 64 << 20;
	o->rotate_keep = 24;
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
			} else if (!strcmp(optarg, "folded")) {
				o->format = FORMAT_FOLDED;
			} else if (!strcmp(optarg, "pprof")) {
				o->format = FORMAT_PPROF;
			} else {
				set_err(err, len, "unknown format '%s' (text, json, folded, pprof)",
					optarg);
				return PARSE_ERROR;
			}
			break;
		case OPT_SORT:
			if (!strcmp(optarg, "growth")) {
				o->sort = SORT_GROWTH;
			} else if (!strcmp(optarg, "bytes")) {
				o->sort = SORT_BYTES;
			} else if (!strcmp(optarg, "count")) {
				o->sort = SORT_COUNT;
			} else {
				set_err(err, len, "unknown sort '%s' (growth, bytes, count)", optarg);
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
		case OPT_OUTPUT_DIR:
			if (!*optarg) {
				set_err(err, len, "empty output directory");
				return PARSE_ERROR;
			}
			o->output_dir = optarg;
			break;
		case OPT_ROTATE_INTERVAL:
			if (!parse_u64(optarg, 86400 * 366, &v) || !v) {
				set_err(err, len, "invalid rotation interval '%s' (seconds, "
					"1 to %d)", optarg, 86400 * 366);
				return PARSE_ERROR;
			}
			o->rotate_interval_s = v;
			break;
		case OPT_ROTATE_SIZE:
			if (!parse_size(optarg, &v) || v < 4096) {
				set_err(err, len, "invalid rotation size '%s' (at least 4k)",
					optarg);
				return PARSE_ERROR;
			}
			o->rotate_size = v;
			break;
		case OPT_ROTATE_KEEP:
			if (!parse_u64(optarg, 100000, &v) || !v) {
				set_err(err, len, "invalid file count '%s' (1 to 100000)", optarg);
				return PARSE_ERROR;
			}
			o->rotate_keep = (unsigned int)v;
			break;
		case OPT_HTML:
			if (!*optarg) {
				set_err(err, len, "empty HTML file name");
				return PARSE_ERROR;
			}
			o->html_path = optarg;
			break;
		case OPT_LIVE:
			o->live = true;
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
		case OPT_SAMPLE_BYTES:
			if (!parse_size(optarg, &o->sample_bytes) || !o->sample_bytes ||
			    o->sample_bytes > (1ULL << 40)) {
				set_err(err, len, "invalid --sample-bytes '%s' (1 to 1T)", optarg);
				return PARSE_ERROR;
			}
			break;
		case OPT_SAMPLE_SEED:
			if (!parse_u64(optarg, UINT64_MAX, &o->sample_seed)) {
				set_err(err, len, "invalid --sample-seed '%s'", optarg);
				return PARSE_ERROR;
			}
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "growth")) {
				o->growth_mode = true;
			} else if (!strcmp(optarg, "precise")) {
				o->growth_mode = false;
			} else {
				set_err(err, len, "unknown mode '%s' (precise, growth)", optarg);
				return PARSE_ERROR;
			}
			break;
		case OPT_ESCALATE:
		case OPT_ESCALATE_WINDOW: {
			char *end;
			double v = strtod(optarg, &end);

			if (end == optarg || *end || !(v > 0) || v > 1e9) {
				set_err(err, len, "invalid --%s '%s' (a positive number)",
					c == OPT_ESCALATE ? "escalate" : "escalate-window", optarg);
				return PARSE_ERROR;
			}
			if (c == OPT_ESCALATE)
				o->escalate_mb_per_min = v;
			else
				o->escalate_window_s = v;
			break;
		}
		case OPT_NO_SESSIONS:
			o->no_sessions = true;
			break;
		case OPT_SYSCALLS:
			o->syscalls = true;
			break;
		case OPT_PROBE_AT_ENTRY:
			o->probe_at_entry = true;
			break;
		case OPT_DEBUG_FILES:
			o->debug_files = true;
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
		case OPT_ALLOC_PREFIX:
			if (!alloc_prefix_valid(optarg)) {
				set_err(err, len, "invalid allocator prefix '%s' (letters, digits "
					"and '_', at most %d)", optarg, ALLOC_PREFIX_MAX - 1);
				return PARSE_ERROR;
			}
			o->alloc_prefix = optarg;
			break;
		case OPT_ALLOCATOR_OBJECT:
			if (!*optarg) {
				set_err(err, len, "empty allocator object path");
				return PARSE_ERROR;
			}
			o->allocator_object = optarg;
			break;
		case OPT_ALLOC_FN:
		case OPT_FREE_FN:
			if (o->ncustom == ALLOC_MAX_CUSTOM) {
				set_err(err, len, "too many --alloc-fn/--free-fn (at most %d)",
					ALLOC_MAX_CUSTOM);
				return PARSE_ERROR;
			}
			if (!alloc_parse_custom(optarg, c == OPT_FREE_FN, &o->custom[o->ncustom],
						err, len))
				return PARSE_ERROR;
			o->ncustom++;
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
	if (o->output_path && o->output_dir) {
		set_err(err, len, "--output and --output-dir cannot be combined");
		return PARSE_ERROR;
	}
	if (!o->output_dir && (o->rotate_interval_s != 3600 || o->rotate_size != 64 << 20 ||
				o->rotate_keep != 24)) {
		set_err(err, len, "--rotate-interval, --rotate-size and --rotate-keep need "
			"--output-dir");
		return PARSE_ERROR;
	}
	if (o->live && (o->output_path || o->output_dir || o->format != FORMAT_TEXT)) {
		set_err(err, len, "--live draws text on the terminal: not with --output, "
			"--output-dir or --format");
		return PARSE_ERROR;
	}
	if (o->min_size > o->max_size) {
		set_err(err, len, "minimum size %" PRIu64 " exceeds maximum %" PRIu64,
			o->min_size, o->max_size);
		return PARSE_ERROR;
	}
	if (o->sample_bytes && o->ncustom) {
		set_err(err, len, "--alloc-fn/--free-fn are traced exactly: no --sample-bytes");
		return PARSE_ERROR;
	}
	if (o->escalate_mb_per_min && !o->growth_mode) {
		set_err(err, len, "--escalate needs --mode growth");
		return PARSE_ERROR;
	}
	if (o->growth_mode && (o->sample_bytes || o->probe_floor)) {
		set_err(err, len, "--mode growth probes no allocator: no --sample-bytes or --probe-floor");
		return PARSE_ERROR;
	}
	return PARSE_OK;
}
