/*
 * python3_fake N SIZE HOLD_MS GO_FILE
 *
 * Looks like a CPython interpreter of a version memleakbpf has no layout
 * for: its name starts with "python3" and it defines _PyRuntime and the
 * other symbols an interpreter has, with Py_Version saying 3.99.  The
 * tracer must say so on one line and report native frames only.  Leaks N
 * blocks of SIZE bytes from fake_leak_fn (LEAK_LINE) after GO_FILE exists.
 */
#include "target_util.h"

/* What the detection looks for (python.c), with nothing behind it. */
const unsigned long Py_Version = 0x036300f0; /* 3.99.0 final */
char _PyRuntime[4096] = { 1 };
char PyCode_Type[256] = { 1 }, PyUnicode_Type[256] = { 1 }, PyBytes_Type[256] = { 1 };

NOINLINE void _PyEval_EvalFrameDefault(void)
{
	__asm__ volatile("");
}

#define MAX_BLOCKS 10000
static void *kept[MAX_BLOCKS];

static NOINLINE void fake_leak_fn(unsigned long n, size_t size)
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

	if (n > MAX_BLOCKS || argc < 5)
		return 64;
	_PyEval_EvalFrameDefault();
	t_wait_for_file(argv[4]);
	fake_leak_fn(n, size);
	t_msleep(hold);
	return 0;
}
