/*
 * luajit_nostate N SIZE HOLD_MS GO_FILE
 *
 * Maps LuaJIT (dlopen of Debian's libluajit-5.1.so.2) but never makes a
 * Lua state: what a LuaJIT of a layout memleakbpf does not recognize looks
 * like to it.  After GO_FILE exists its mappings change a dozen times (the
 * tracer looks for a state at each change, a bounded number of times, then
 * says so on one line), then it leaks N blocks of SIZE bytes from
 * nostate_leak_fn (LEAK_LINE), writes GO_FILE.done and holds them HOLD_MS.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <sys/mman.h>
#include "target_util.h"

#define MAX_BLOCKS 10000
#define MAP_CHANGES 12
static void *kept[MAX_BLOCKS];

static NOINLINE void nostate_leak_fn(unsigned long n, size_t size)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		kept[i] = malloc(size); /* LEAK_LINE */
		if (!kept[i])
			_exit(70);
		memset(kept[i], 0xcd, size);
	}
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 10);
	size_t size = t_arg(argc, argv, 2, 1000);
	unsigned long hold = t_arg(argc, argv, 3, 1000);
	char done[4096];
	FILE *f;
	int i;

	if (n > MAX_BLOCKS || argc < 5)
		return 64;
	if (!dlopen("libluajit-5.1.so.2", RTLD_NOW))
		return 65;
	t_wait_for_file(argv[4]);
	for (i = 0; i < MAP_CHANGES; i++) {
		/* Alternating protections: each a mapping line of its own. */
		if (mmap(NULL, 4096, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
			return 66;
		t_msleep(250);
	}
	nostate_leak_fn(n, size);
	snprintf(done, sizeof(done), "%s.done", argv[4]);
	f = fopen(done, "w");
	if (f)
		fclose(f);
	t_msleep(hold);
	return 0;
}
