// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * DWARF vetted in a child process (see dwarf_vet.h).
 *
 * Lines and inlined functions come from DWARF in the target's own files,
 * which an unprivileged target can write.  Measured on libdw 0.188: 50 000
 * nested DW_TAG_lexical_block (850 KB of .debug_info) overflow the 8 MiB
 * stack of its recursive scope walk (dwarf_getscopes) and kill the tracer
 * at its first report; a 35 KB library whose compressed .debug_line holds
 * 20 million rows costs 2 GB and 15 s at the first line looked up in it,
 * per process mapping it.  Here a child (fork, RLIMIT_AS, PDEATHSIG, a
 * user-CPU budget, as user/unwind/unwind_isolate.c does for CFI) reads
 * every line table and walks every DIE without recursion; the tracer reads
 * the DWARF itself only after the child did within its limits.  One fork
 * per object with DWARF of its own, at the first frame looked up in it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "lib/util.h"
#include "symbols/dwarf_vet.h"

/* User CPU time the child may spend: a base, and more for a bigger file. */
#define BUDGET_BASE_NS		2000000000ull
#define BUDGET_NS_PER_MIB	(1000000000ull / 8)
#define BUDGET_MAX_NS		10000000000ull
/* The wall clock still bounds a child that gets no CPU, at this many budgets. */
#define WALL_BUDGETS		8
#define POLL_SLICE_MS		100

struct verdict {
	int32_t err;
	uint32_t depth;		/* deepest DIE nesting seen */
	uint64_t dies, rows;
};

/*
 * Every DIE of the unit under cu, depth first with a stack of our own
 * (libdw's dwarf_child and dwarf_siblingof do not recurse).  A DIE libdw
 * cannot read ends the unit, as it ends libdw's own walks.
 */
static int walk_unit(Dwarf_Die *cu, struct verdict *v)
{
	static Dwarf_Die stack[DWARF_VET_MAX_DEPTH + 1];
	Dwarf_Attribute a;
	int depth = 0;

	stack[0] = *cu;
	for (;;) {
		Dwarf_Die *die = &stack[depth];

		v->dies++;
		/* What the symbolizer asks of an inlined function: its name. */
		if (dwarf_tag(die) == DW_TAG_inlined_subroutine &&
		    !dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a)))
			dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
		if (dwarf_haschildren(die) > 0 && !dwarf_child(die, &stack[depth + 1])) {
			if (++depth > (int)v->depth)
				v->depth = (uint32_t)depth;
			if (depth >= DWARF_VET_MAX_DEPTH)
				return -ELOOP;
			continue;
		}
		while (depth > 0 && dwarf_siblingof(&stack[depth], &stack[depth]))
			depth--;
		if (depth == 0)
			return 0;
	}
}

/*
 * Bytes the DWARF sections of elf take once inflated, from the section
 * headers: libelf inflates a compressed section whole, to the size its
 * header claims, when libdw opens the file, and skips a section it cannot
 * inflate: in the child at its limit, that section would be missing from
 * what is vetted and inflated in the tracer, so its claimed size counts.
 */
static uint64_t dwarf_bytes(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	uint64_t sum = 0;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		unsigned char zhdr[12];
		const char *name;
		GElf_Chdr ch;
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (!strncmp(name, ".zdebug", 7) && (d = elf_rawdata(scn, NULL)) &&
		    d->d_size >= sizeof(zhdr) && !memcmp(d->d_buf, "ZLIB", 4)) {
			/* GNU's: "ZLIB", then the size big-endian. */
			memcpy(zhdr, d->d_buf, sizeof(zhdr));
			for (int i = 4; i < 12; i++)
				sum += (uint64_t)zhdr[i] << (8 * (11 - i));
		} else if (!strncmp(name, ".debug", 6)) {
			sum += (sh.sh_flags & SHF_COMPRESSED) && gelf_getchdr(scn, &ch)
			       ? ch.ch_size : sh.sh_size;
		}
	}
	return sum;
}

/* Whether libdw's last error is an allocation that failed (our limit). */
static bool out_of_memory(void)
{
	const char *msg = dwarf_errmsg(-1);

	return msg && strstr(msg, "out of memory");
}

static void vet(Dwfl_Module *mod, uint64_t mem_bytes, struct verdict *v)
{
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	uint8_t unit_type;
	Dwarf_Half version;

	if (!dw) {
		/* none: the tracer's lookups find none either */
		v->err = out_of_memory() ? -ENOMEM : 0;
		return;
	}
	if (dwarf_bytes(dwarf_getelf(dw)) > mem_bytes) {
		v->err = -EFBIG;
		return;
	}
	while (!dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, NULL)) {
		Dwarf_Lines *lines;
		size_t n;

		if (!dwarf_getsrclines(&cudie, &lines, &n))
			v->rows += n;
		else if (out_of_memory())
			v->err = -ENOMEM;
		if (!v->err)
			v->err = walk_unit(&cudie, v);
		if (v->err)
			return;
	}
}

/* A line "Key:   N kB" of /proc/self/status, in bytes; 0 if unreadable. */
static uint64_t status_bytes(const char *key)
{
	char line[128];
	size_t len = strlen(key);
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && sscanf(line + len, " %llu", &kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

/* Restart the peak resident size (VmHWM) of this process from its current one. */
static void reset_peak_rss(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		/* If it fails the peak is also the tracer's own: stricter. */
		ssize_t w = write(fd, "5", 1);

		(void)w;
		close(fd);
	}
}

/*
 * The child's address space may grow by twice mem_bytes, so that reaching
 * mem_bytes is seen rather than ending in a failed allocation libdw may
 * take for a section or table that is not there; what counts is the
 * resident peak: at most mem_bytes more than at the fork.
 */
static void __attribute__((noreturn)) child(Dwfl_Module *mod, int out, pid_t parent,
					    uint64_t mem_bytes)
{
	uint64_t limit = own_mapped_bytes() + 2 * mem_bytes, rss0;
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };
	struct verdict v = {};
	sigset_t none;
	ssize_t w;

	/* Never outlive the tracer; die of the signals it handles through
	 * its signalfd (blocked, inherited) rather than ignore them. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setrlimit(RLIMIT_AS, &rl))
		_exit(1);
	reset_peak_rss();
	rss0 = status_bytes("VmRSS:");
	vet(mod, mem_bytes, &v);
	if (!v.err && status_bytes("VmHWM:") > rss0 + mem_bytes)
		v.err = -ENOMEM;
	do
		w = write(out, &v, sizeof(v));
	while (w < 0 && errno == EINTR);
	_exit(w == sizeof(v) ? 0 : 1);
}

/* The child's verdict within its budget: 0, -ETIME or -EPIPE (it died). */
static int receive(int fd, pid_t pid, uint64_t budget_ns, struct verdict *v)
{
	uint64_t wall_deadline = mono_ns() + WALL_BUDGETS * budget_ns;
	size_t got = 0;

	while (got < sizeof(*v)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int rc;

		/* A fresh child's clock starts at 0. */
		if (mono_ns() >= wall_deadline || user_cpu_ns(pid) >= budget_ns)
			return -ETIME;
		rc = poll(&pfd, 1, POLL_SLICE_MS);
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc <= 0)
			continue;
		r = read(fd, (char *)v + got, sizeof(*v) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		got += (size_t)r;
	}
	return 0;
}

int dwarf_vet(Dwfl_Module *mod, uint64_t file_bytes, uint64_t mem_bytes, const char **what)
{
	uint64_t budget = BUDGET_BASE_NS + (file_bytes >> 20) * BUDGET_NS_PER_MIB;
	pid_t parent = getpid(), pid;
	struct verdict v = {};
	int pipefd[2], status, err;

	if (budget > BUDGET_MAX_NS)
		budget = BUDGET_MAX_NS;
	*what = "cannot start the DWARF reader";
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(mod, pipefd[1], parent, mem_bytes);
	}
	close(pipefd[1]);
	err = receive(pipefd[0], pid, budget, &v);
	close(pipefd[0]);
	if (err)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		err = -EPIPE;
	if (!err)
		err = v.err;
	*what = err == -ELOOP ? "DIEs nested too deep for libdw's recursive walks" :
		err == -ETIME ? "too costly to read (time budget spent)" :
		err == -ENOMEM ? "more memory than its limit" :
		err == -EFBIG ? "sections bigger than its memory limit once inflated" :
		err == -EPIPE ? "the DWARF reader crashed" :
		err ? "the DWARF reader failed" : "read";
	return err;
}
