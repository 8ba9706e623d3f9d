// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * symbolize.c against this very process: a return address captured here has
 * a known function, file and line; libc and a dlopen'ed, deleted library give
 * the shared-object cases; forked and re-executed children give the
 * cross-process and exited-process cases.  Needs root (map_files).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gelf.h>

#include "symbols/build_id.h"
#include "symbols/symbolize.h"

/* Keep the call, its return address and the function names as written. */
#if defined(__GNUC__) && !defined(__clang__)
#define KEEP __attribute__((noinline, noipa, used))
#else
#define KEEP __attribute__((noinline, used))
#endif

static uint64_t captured_ret;
static int call_line;

KEEP void symbolize_test_capture(void)
{
	captured_ret = (uintptr_t)__builtin_return_address(0);
	asm volatile("" ::: "memory");
}

KEEP void symbolize_test_caller(void)
{
	call_line = __LINE__; symbolize_test_capture();
	/* After the call: no tail call, the return address is in here. */
	asm volatile("" ::: "memory");
}

/* A call inside a function inlined into another: two frames at one address. */
static int inl_call_line, outer_call_line;

static inline __attribute__((always_inline)) void symbolize_test_inlined(void)
{
	inl_call_line = __LINE__; symbolize_test_capture();
	asm volatile("" ::: "memory");
}

KEEP void symbolize_test_outer(void)
{
	outer_call_line = __LINE__; symbolize_test_inlined();
	asm volatile("" ::: "memory");
}

/* Inlined into a function itself inlined: three frames at one address. */
static int inl2_inner_line, inl2_middle_line, inl2_outer_line;

static inline __attribute__((always_inline)) void symbolize_test_inl2_inner(void)
{
	inl2_inner_line = __LINE__; symbolize_test_capture();
	asm volatile("" ::: "memory");
}

static inline __attribute__((always_inline)) void symbolize_test_inl2_middle(void)
{
	inl2_middle_line = __LINE__; symbolize_test_inl2_inner();
	asm volatile("" ::: "memory");
}

KEEP void symbolize_test_inl2_outer(void)
{
	inl2_outer_line = __LINE__; symbolize_test_inl2_middle();
	asm volatile("" ::: "memory");
}

static uint64_t caller_ret(void)
{
	symbolize_test_caller();
	return captured_ret;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Not /proc/self/exe after fork: under valgrind that is valgrind's tool. */
static void self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	assert_true(n > 0);
	buf[n] = '\0';
}

static void self_name(char *buf, size_t len)
{
	char path[PATH_MAX];

	self_path(path, sizeof(path));
	snprintf(buf, len, "/%s", basename(path));
}

/* Load bias of the object holding addr, as the dynamic loader knows it. */
static uint64_t loader_bias(const void *addr)
{
	struct link_map *lm = NULL;
	Dl_info info;

	assert_true(dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP));
	assert_non_null(lm);
	return lm->l_addr;
}

static int main_bias_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	*(uint64_t *)arg = info->dlpi_addr;
	return 1;	/* the first object is the executable */
}

static pid_t fork_sleeper(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_resolve_inlined(void **state)
{
	struct symbolizer *s = symbolizer_new();
	struct frame f[SYMBOLIZER_MAX_INLINE + 1];
	uint64_t ret;
	size_t n;

	symbolize_test_outer();
	ret = captured_ret;
	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	n = symbolizer_resolve_inline(s, getpid(), ret, f, SYMBOLIZER_MAX_INLINE + 1);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].symbol, "symbolize_test_inlined");
	assert_true(f[0].inlined);
	assert_int_equal(f[0].addr, ret);
	assert_int_equal(f[0].line, inl_call_line);
	assert_true(ends_with(f[0].file, "/tests/unit/test_symbolize.c"));
	assert_string_equal(f[1].symbol, "symbolize_test_outer");
	assert_false(f[1].inlined);
	assert_int_equal(f[1].addr, ret);
	assert_int_equal(f[1].line, outer_call_line);
	assert_true(ends_with(f[1].file, "/tests/unit/test_symbolize.c"));
	/* Cached: the same answer again; and room for one frame gives one. */
	assert_int_equal(symbolizer_resolve_inline(s, getpid(), ret, f, 3), 2);
	assert_string_equal(f[0].symbol, "symbolize_test_inlined");
	assert_int_equal(symbolizer_resolve_inline(s, getpid(), ret, f, 1), 1);
	/* Not inlined: one frame, as symbolizer_resolve gives it. */
	assert_int_equal(symbolizer_resolve_inline(s, getpid(), caller_ret(), f, 3), 1);
	assert_string_equal(f[0].symbol, "symbolize_test_caller");
	assert_int_equal(f[0].line, call_line);
	assert_false(f[0].inlined);
	symbolizer_free(s);
}

/*
 * Each inlined instance, innermost first, each with the line inside it
 * (dwarf_getscopes alone gives only the innermost one).
 */
static void test_resolve_nested_inlined(void **state)
{
	struct symbolizer *s = symbolizer_new();
	struct frame f[SYMBOLIZER_MAX_INLINE + 1];
	uint64_t ret;
	size_t n;

	symbolize_test_inl2_outer();
	ret = captured_ret;
	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	n = symbolizer_resolve_inline(s, getpid(), ret, f, SYMBOLIZER_MAX_INLINE + 1);
	assert_int_equal(n, 3);
	assert_string_equal(f[0].symbol, "symbolize_test_inl2_inner");
	assert_true(f[0].inlined);
	assert_int_equal(f[0].line, inl2_inner_line);
	assert_string_equal(f[1].symbol, "symbolize_test_inl2_middle");
	assert_true(f[1].inlined);
	assert_int_equal(f[1].line, inl2_middle_line);
	assert_string_equal(f[2].symbol, "symbolize_test_inl2_outer");
	assert_false(f[2].inlined);
	assert_int_equal(f[2].line, inl2_outer_line);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(f[i].addr, ret);
		assert_true(ends_with(f[i].file, "/tests/unit/test_symbolize.c"));
	}
	symbolizer_free(s);
}

static void test_resolve_own_call(void **state)
{
	struct symbolizer *s = symbolizer_new();
	uint64_t ret = caller_ret();
	struct frame f, again;
	char self[PATH_MAX];

	self_name(self, sizeof(self));
	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	symbolizer_resolve(s, getpid(), ret, &f);
	assert_int_equal(f.addr, ret);
	assert_string_equal(f.symbol, "symbolize_test_caller");
	assert_true(f.offset > 0);
	assert_int_equal(f.offset, ret - (uintptr_t)&symbolize_test_caller);
	assert_true(ends_with(f.module, self));
	assert_true(ends_with(f.file, "/tests/unit/test_symbolize.c"));
	assert_true(f.file[0] == '/');	/* joined with DW_AT_comp_dir */
	assert_int_equal(f.line, call_line);

	/* Cached: same interned strings. */
	symbolizer_resolve(s, getpid(), ret, &again);
	assert_ptr_equal(again.symbol, f.symbol);
	assert_ptr_equal(again.file, f.file);
	assert_ptr_equal(again.module, f.module);
	assert_int_equal(again.line, f.line);
	symbolizer_free(s);
}

static void test_resolve_libc(void **state)
{
	struct symbolizer *s = symbolizer_new();
	uint64_t addr = (uintptr_t)&abort;
	const char *mod;
	uint64_t rel;
	struct frame f;

	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	/* resolve looks at addr - 1: the first byte of abort. */
	symbolizer_resolve(s, getpid(), addr + 1, &f);
	assert_string_equal(f.symbol, "abort");
	assert_int_equal(f.offset, 1);
	assert_non_null(f.module);
	assert_non_null(strstr(f.module, "libc.so"));

	assert_true(symbolizer_locate(s, getpid(), addr, &mod, &rel));
	assert_ptr_equal(mod, f.module);
	assert_int_equal(rel, addr - loader_bias((void *)(uintptr_t)addr));
	assert_int_equal(f.module_offset, rel + 1);
	symbolizer_free(s);
}

/* Whether the ELF file at path has a .debug_info section with contents. */
static bool file_has_dwarf(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	bool found = false;
	size_t shstrndx;
	Elf *elf;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while (!found && (scn = elf_nextscn(elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		assert_non_null(gelf_getshdr(scn, &sh));
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		found = name && !strcmp(name, ".debug_info") && sh.sh_type != SHT_NOBITS;
	}
	elf_end(elf);
	close(fd);
	return found;
}

/* Whether path's debug file is installed under /usr/lib/debug/.build-id. */
static bool has_build_id_debug_file(const char *path)
{
	char hex[2 * 64 + 1], debug[PATH_MAX];

	if (build_id_read(path, 0, hex, sizeof(hex)))
		return false;
	snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
	return !access(debug, R_OK);
}

/*
 * libc carries no DWARF of its own (distributions strip it): it is named
 * from its symbol table, and its lines come from a separate debug file
 * (libc6-dbg) only when asked for.
 */
static void test_libc_lines_from_debug_files(void **state)
{
	struct frame f[SYMBOLIZER_MAX_INLINE + 1];
	uint64_t addr = (uintptr_t)&abort + 1;
	struct symbolizer *s;
	Dl_info info;

	assert_true(dladdr((void *)(uintptr_t)&abort, &info));
	if (file_has_dwarf(info.dli_fname))
		skip();	/* a libc built with -g: lines are its own */
	s = symbolizer_new();
	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	assert_int_equal(symbolizer_resolve_inline(s, getpid(), addr, f, SYMBOLIZER_MAX_INLINE + 1), 1);
	assert_string_equal(f[0].symbol, "abort");
	assert_null(f[0].file);
	assert_int_equal(f[0].line, 0);
	/* The program's own frames keep their lines. */
	symbolizer_resolve(s, getpid(), caller_ret(), &f[0]);
	assert_int_equal(f[0].line, call_line);
	symbolizer_free(s);

	if (!has_build_id_debug_file(info.dli_fname))
		skip();	/* no libc6-dbg */
	s = symbolizer_new();
	symbolizer_use_debug_files(s, true);
	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	symbolizer_resolve(s, getpid(), addr, &f[0]);
	assert_string_equal(f[0].symbol, "abort");
	assert_non_null(f[0].file);
	assert_true(f[0].line > 0);
	symbolizer_free(s);
}

/* Same code in a forked child (same layout) and a re-executed one (ASLR). */
static void test_locate_across_processes(void **state)
{
	struct symbolizer *s = symbolizer_new();
	uint64_t ret = caller_ret(), child_ret = 0, bias = 0;
	const char *m_self, *m_fork, *m_exec;
	uint64_t r_self, r_fork, r_exec;
	bool ok_self, ok_fork, ok_exec;
	pid_t forked, execed;
	char self[PATH_MAX];
	struct frame f;
	int pfd[2];

	self_path(self, sizeof(self));
	assert_int_equal(pipe(pfd), 0);
	execed = fork();
	assert_true(execed >= 0);
	if (execed == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], STDOUT_FILENO);
		execl(self, self, "--sleeping-child",
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &child_ret, sizeof(child_ret)),
			 sizeof(child_ret));
	close(pfd[0]);
	forked = fork_sleeper();

	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	assert_int_equal(symbolizer_add_process(s, forked), 0);
	assert_int_equal(symbolizer_add_process(s, execed), 0);
	ok_self = symbolizer_locate(s, getpid(), ret, &m_self, &r_self);
	ok_fork = symbolizer_locate(s, forked, ret, &m_fork, &r_fork);
	ok_exec = symbolizer_locate(s, execed, child_ret, &m_exec, &r_exec);
	symbolizer_resolve(s, execed, child_ret, &f);
	reap(forked);
	reap(execed);

	assert_true(ok_self && ok_fork && ok_exec);
	assert_int_equal(f.module_offset, r_exec);
	assert_ptr_equal(m_self, m_fork);
	assert_ptr_equal(m_self, m_exec);
	assert_int_equal(r_self, r_fork);
	assert_int_equal(r_self, r_exec);
	dl_iterate_phdr(main_bias_cb, &bias);
	assert_int_equal(r_self, ret - bias);
	assert_string_equal(f.symbol, "symbolize_test_caller");
	assert_int_equal(f.line, call_line);
	symbolizer_free(s);
}

static void test_exited_process(void **state)
{
	struct symbolizer *s = symbolizer_new();
	uint64_t ret = caller_ret();
	pid_t child = fork_sleeper();
	struct frame f, live;
	const char *mod;
	uint64_t rel;
	int err;

	symbolizer_use_debug_files(s, true);
	err = symbolizer_add_process(s, child);
	reap(child);
	assert_int_equal(err, 0);

	/* A refresh of a gone process fails and keeps what was loaded. */
	assert_true(symbolizer_add_process(s, child) < 0);
	assert_true(symbolizer_locate(s, child, ret, &mod, &rel));
	symbolizer_resolve(s, child, ret, &f);
	assert_string_equal(f.symbol, "symbolize_test_caller");
	assert_true(ends_with(f.file, "test_symbolize.c"));
	assert_int_equal(f.line, call_line);

	/* libc's line info too (if its debug file is installed), DWARF
	 * loaded only now. */
	symbolizer_resolve(s, child, (uintptr_t)&abort + 1, &f);
	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	symbolizer_resolve(s, getpid(), (uintptr_t)&abort + 1, &live);
	assert_string_equal(f.symbol, "abort");
	assert_ptr_equal(f.module, live.module);
	assert_ptr_equal(f.file, live.file);
	assert_int_equal(f.line, live.line);
	symbolizer_free(s);
}

static void test_unknown(void **state)
{
	struct symbolizer *s = symbolizer_new();
	const char *mod = NULL;
	uint64_t rel = 0;
	struct frame f;

	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	assert_false(symbolizer_locate(s, getpid(), 0x10, &mod, &rel));
	symbolizer_resolve(s, getpid(), 0x10, &f);
	assert_int_equal(f.addr, 0x10);
	assert_null(f.symbol);
	assert_null(f.module);
	assert_null(f.file);
	assert_int_equal(f.line, 0);

	/* No such process (above pid_max): errors, never a crash. */
	assert_true(symbolizer_add_process(s, 0x7ffffff0) < 0);
	assert_false(symbolizer_locate(s, 0x7ffffff0, caller_ret(), &mod,
				       &rel));
	symbolizer_resolve(s, 0x7ffffff0, caller_ret(), &f);
	assert_null(f.symbol);
	assert_null(f.module);
	symbolizer_free(s);
}

/* Copies libresolv (not linked in) to dir/name, dlopens it, deletes it. */
static void *load_deleted_copy(const char *dir, const char *name)
{
	char lib[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	Dl_info info;
	struct stat st;
	int in, out;
	void *h;

	assert_true(dladdr((void *)(uintptr_t)&abort, &info));
	snprintf(lib, sizeof(lib), "%s", info.dli_fname);
	snprintf(src, sizeof(src), "%s/libresolv.so.2", dirname(lib));
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	in = open(src, O_RDONLY);
	if (in < 0)
		return NULL;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(out >= 0 && fstat(in, &st) == 0);
	assert_int_equal(sendfile(out, in, NULL, st.st_size), st.st_size);
	close(in);
	close(out);
	h = dlopen(dst, RTLD_NOW | RTLD_LOCAL);
	unlink(dst);
	return h;
}

static void check_deleted_lib(struct symbolizer *s, void *h,
			      const char *name)
{
	void *fn = dlsym(h, "ns_samedomain");
	char suffix[PATH_MAX];
	const char *mod;
	uint64_t rel;
	struct frame f;

	assert_non_null(fn);
	snprintf(suffix, sizeof(suffix), "/%s (deleted)", name);
	assert_true(symbolizer_locate(s, getpid(), (uintptr_t)fn, &mod, &rel));
	assert_true(ends_with(mod, suffix));
	assert_int_equal(rel, (uintptr_t)fn - loader_bias(fn));
	symbolizer_resolve(s, getpid(), (uintptr_t)fn + 1, &f);
	assert_string_equal(f.symbol, "ns_samedomain");
	assert_int_equal(f.offset, 1);
	assert_ptr_equal(f.module, mod);
}

/* dlopen after attach: found by an explicit refresh, then by a lookup miss. */
static void test_dlopen_deleted(void **state)
{
	struct symbolizer *s = symbolizer_new();
	char dir[] = "/tmp/test_symbolize.XXXXXX";
	void *h1, *h2;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	/* libresolv ships with libc6: failing to load a copy is a failure. */
	h1 = load_deleted_copy(dir, "libmemleak-test1.so");
	assert_non_null(h1);
	assert_int_equal(symbolizer_add_process(s, getpid()), 0);
	check_deleted_lib(s, h1, "libmemleak-test1.so");

	h2 = load_deleted_copy(dir, "libmemleak-test2.so");
	assert_non_null(h2);
	usleep(1100 * 1000);	/* past the refresh rate limit */
	check_deleted_lib(s, h2, "libmemleak-test2.so");

	dlclose(h2);
	dlclose(h1);
	rmdir(dir);
	symbolizer_free(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_own_call),
		cmocka_unit_test(test_resolve_inlined),
		cmocka_unit_test(test_resolve_nested_inlined),
		cmocka_unit_test(test_resolve_libc),
		cmocka_unit_test(test_libc_lines_from_debug_files),
		cmocka_unit_test(test_locate_across_processes),
		cmocka_unit_test(test_exited_process),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_dlopen_deleted),
	};

	/* Re-executed by test_locate_across_processes: report, then wait. */
	if (argc > 1 && !strcmp(argv[1], "--sleeping-child")) {
		uint64_t ret = caller_ret();

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(STDOUT_FILENO, &ret, sizeof(ret)) != sizeof(ret))
			return 1;
		close(STDOUT_FILENO);
		for (;;)
			pause();
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
