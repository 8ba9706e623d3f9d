/*
 * dlopen_leak LIBPATH N SIZE DELAY_MS HOLD_MS
 *
 * Sleeps DELAY_MS (the tracer is attached by then), dlopen()s LIBPATH
 * (libleakshared.so), calls its lib_leak(N, SIZE), sleeps HOLD_MS.  The
 * library is not mapped when tracing starts: its frames can only be named if
 * the tracer learns the new mapping.  dlopen itself allocates; the tests
 * look at the library's stack only.
 */
#include <dlfcn.h>
#include "target_util.h"

int main(int argc, char **argv)
{
	int (*leak)(unsigned long, size_t);
	void *h;

	if (argc < 2)
		return 64;
	t_msleep(t_arg(argc, argv, 4, 500));
	h = dlopen(argv[1], RTLD_NOW);
	if (!h)
		return 71;
	leak = (int (*)(unsigned long, size_t))dlsym(h, "lib_leak");
	if (!leak || leak(t_arg(argc, argv, 2, 10), t_arg(argc, argv, 3, 1000)))
		return 72;
	t_msleep(t_arg(argc, argv, 5, 1000));
	return 0;
}
