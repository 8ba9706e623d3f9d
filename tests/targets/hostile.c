/*
 * hostile: a traced process that turns the files the tracer reads against
 * it (tests/integration/test_hostile.sh; the test prepares those files).
 *
 * hostile jit GO N SIZE
 *	Runs code from anonymous memory, as a JIT does: waits for the file
 *	GO, then makes N blocks of SIZE bytes from jit_leak_fn, called by a
 *	stub copied into an executable anonymous mapping (no ELF object
 *	holds it: its name can only come from /tmp/perf-PID.map).  Writes
 *	"done" on stdout and sleeps until killed.
 *
 * hostile lib LIB GO N SIZE [TRUNCATE]
 *	dlopen()s LIB (a copy of libleakshared.so) at once, waits for GO,
 *	calls its lib_leak(N, SIZE); with TRUNCATE = 1 then truncates LIB to
 *	0 bytes (it never runs the library's code again).  Writes "done" and
 *	sleeps until killed.
 *
 * hostile spawn LIB N HOLD_MS AT DONE
 *	Waits for the file DONE.start, then forks N children one after the other; each dlopen()s LIB, calls
 *	lib_leak(4, 64), sleeps HOLD_MS and exits.  After AT children it
 *	creates the file AT.reached and waits for AT.go; after all of them,
 *	creates DONE and sleeps until killed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "target_util.h"

#define MAX_BLOCKS 10000

static void *kept[MAX_BLOCKS];
static size_t nkept;

NOINLINE void jit_leak_fn(long size)
{
	if (nkept < MAX_BLOCKS)
		kept[nkept++] = malloc((size_t)size); /* JIT_LEAK_LINE */
}

/*
 * x86-64: push %rbp; mov %rsp,%rbp; mov %rdi,%rax; mov %rsi,%rdi;
 * call *%rax; pop %rbp; ret -- stub(fn, arg) calls fn(arg) with a frame
 * pointer, as JIT code run with -XX:+PreserveFramePointer does.
 */
static const unsigned char stub_code[] = {
	0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0xff, 0xd0, 0x5d, 0xc3,
};

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(66);
}

static void sleep_forever(void)
{
	for (;;)
		t_msleep(1000);
}

static int run_jit(int argc, char **argv)
{
	void (*stub)(void (*)(long), long);
	unsigned long long n = t_arg(argc, argv, 3, 10), size = t_arg(argc, argv, 4, 1000);
	void *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char line[64];

	if (code == MAP_FAILED)
		return 70;
	memcpy(code, stub_code, sizeof(stub_code));
	stub = (void (*)(void (*)(long), long))code;
	snprintf(line, sizeof(line), "code %lx\n", (unsigned long)code);
	say(line);
	t_wait_for_file(argv[2]);
	for (unsigned long long i = 0; i < n; i++)
		stub(jit_leak_fn, (long)size);
	say("done\n");
	sleep_forever();
	return 0;
}

static int (*open_lib(const char *path))(unsigned long, size_t)
{
	void *h = dlopen(path, RTLD_NOW);

	return h ? (int (*)(unsigned long, size_t))dlsym(h, "lib_leak") : NULL;
}

static int run_lib(int argc, char **argv)
{
	int (*leak)(unsigned long, size_t);

	if (argc < 4)
		return 64;
	leak = open_lib(argv[2]);
	if (!leak)
		return 71;
	say("ready\n");
	t_wait_for_file(argv[3]);
	if (leak(t_arg(argc, argv, 4, 10), t_arg(argc, argv, 5, 1000)))
		return 72;
	if (t_arg(argc, argv, 6, 0) && truncate(argv[2], 0))
		return 73;
	say("done\n");
	sleep_forever();
	return 0;
}

static void child(const char *lib, unsigned long long hold_ms)
{
	int (*leak)(unsigned long, size_t) = open_lib(lib);

	if (!leak || leak(4, 64))
		_exit(71);
	t_msleep(hold_ms);
	_exit(0);
}

static int run_spawn(int argc, char **argv)
{
	unsigned long long n, hold, at;
	char path[4096];

	if (argc < 7)
		return 64;
	n = t_arg(argc, argv, 3, 10);
	hold = t_arg(argc, argv, 4, 20);
	at = t_arg(argc, argv, 5, 0);
	snprintf(path, sizeof(path), "%s.start", argv[6]);
	t_wait_for_file(path);
	for (unsigned long long i = 0; i < n; i++) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			return 74;
		if (!pid)
			child(argv[2], hold);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return 75;
		if (i + 1 != at)
			continue;
		snprintf(path, sizeof(path), "%s.reached", argv[6]);
		close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
		snprintf(path, sizeof(path), "%s.go", argv[6]);
		t_wait_for_file(path);
	}
	close(open(argv[6], O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	sleep_forever();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 64;
	if (!strcmp(argv[1], "jit"))
		return run_jit(argc, argv);
	if (!strcmp(argv[1], "lib"))
		return run_lib(argc, argv);
	if (!strcmp(argv[1], "spawn"))
		return run_spawn(argc, argv);
	return 64;
}
