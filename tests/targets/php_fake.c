/*
 * php_fake N SIZE HOLD_MS GO_FILE
 *
 * Looks like a PHP interpreter of an engine memleakbpf has no layout for:
 * its name starts with "php", it defines execute_ex and executor_globals,
 * and its build id string says engine API 20990101.  The tracer must say
 * so on one line and report native frames only.  Leaks N blocks of SIZE
 * bytes from fake_leak_fn (LEAK_LINE) after GO_FILE exists.
 */
#include "target_util.h"

/* What the detection looks for (php.c), with nothing behind it. */
char executor_globals[1024] = { 1 };
__attribute__((used)) const char php_fake_build_id[] = "API20990101,NTS";

NOINLINE void execute_ex(void)
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
	execute_ex();
	t_wait_for_file(argv[4]);
	fake_leak_fn(n, size);
	t_msleep(hold);
	return 0;
}
