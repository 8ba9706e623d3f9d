/*
 * deep_nofp: a leak five calls deep in code built without frame pointers
 * (-O2 -fomit-frame-pointer, see the Makefile), like distribution binaries.
 *
 *   deep_nofp N SIZE [GO_FILE]
 *
 * main -> level_a -> level_b -> level_c -> level_d -> level_e -> malloc,
 * N times SIZE bytes, never freed; then strdup of a 24-byte string (25
 * bytes) from leak_strdup, once: a libc helper called from code without
 * frame pointers; and a 48-byte node from make_node, a function inlined
 * into leak_inlined (always_inline), once.  Each level keeps a frame of its own (a volatile local
 * array) so rbp is never a frame pointer here, and is noinline with work
 * after the call, so no call becomes a tail call.  With GO_FILE it waits
 * for that file first (the tracer attaches meanwhile), and after leaking
 * it sleeps 300 ms so the allocations are old enough to be reported.
 */
#include "target_util.h"

static volatile unsigned long sink;

NOINLINE void *level_e(unsigned long size)
{
	volatile char pad[24];
	void *p;

	pad[0] = (char)size;
	p = malloc(size); /* LEAK_E */
	sink += pad[0];
	return p;
}

NOINLINE void *level_d(unsigned long size)
{
	volatile char pad[40];
	void *p;

	pad[1] = 1;
	p = level_e(size); /* CALL_D */
	sink += pad[1];
	return p;
}

NOINLINE void *level_c(unsigned long size)
{
	volatile char pad[56];
	void *p;

	pad[2] = 2;
	p = level_d(size); /* CALL_C */
	sink += pad[2];
	return p;
}

NOINLINE void *level_b(unsigned long size)
{
	volatile char pad[72];
	void *p;

	pad[3] = 3;
	p = level_c(size); /* CALL_B */
	sink += pad[3];
	return p;
}

NOINLINE void *level_a(unsigned long size)
{
	volatile char pad[88];
	void *p;

	pad[4] = 4;
	p = level_b(size); /* CALL_A */
	sink += pad[4];
	return p;
}

NOINLINE char *leak_strdup(void)
{
	volatile char pad[32];
	char *s;

	pad[5] = 5;
	s = strdup("twenty-four bytes long!!"); /* STRDUP_LINE */
	sink += pad[5];
	return s;
}

static inline __attribute__((always_inline)) void *make_node(unsigned long size)
{
	void *p = malloc(size); /* INLINED_MALLOC */

	sink += size;
	return p;
}

NOINLINE void *leak_inlined(void)
{
	volatile char pad[16];
	void *p;

	pad[6] = 6;
	p = make_node(48); /* CALL_INLINED */
	sink += pad[6];
	return p;
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 5);
	unsigned long size = t_arg(argc, argv, 2, 1000);
	unsigned long i;

	if (argc > 3)
		t_wait_for_file(argv[3]);
	for (i = 0; i < n; i++)
		sink += (unsigned long)level_a(size); /* CALL_MAIN */
	sink += (unsigned long)leak_strdup(); /* CALL_STRDUP */
	sink += (unsigned long)leak_inlined(); /* CALL_LEAK_INLINED */
	t_msleep(300);
	return 0;
}
